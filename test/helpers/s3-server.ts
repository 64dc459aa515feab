/**
 * Real S3 API servers for tests, each started by the test on 127.0.0.1 on a free port:
 * - s3rver (npm devDependency, in a child process; always available), which can go away and
 *   come back on the same port with its data (an outage);
 * - moto_server (Python), when installed; otherwise the caller skips with `MOTO_MISSING`.
 * Setting KEEPSTORE_TEST_S3_ENDPOINT runs the same tests against any other S3 endpoint
 * (MinIO, Ceph RGW, AWS) instead; see the README ("S3 volumes: testing against a real store").
 * Every test gets a fresh bucket with a random name (s3Bucket()), removed with its objects after.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { freePort, waitFor } from './keepstore-process.ts';

const S3RVER_MAIN = path.join(import.meta.dirname, 's3rver-main.mjs');

/** Where a test's S3 volume points (the fields of an `s3` volume config). */
export interface S3Target {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  usePathStyle: boolean;
}

export interface S3TestServer extends S3Target {
  /** 's3rver', 'moto' or 'external'. */
  kind: string;
  /** Stops accepting and drops open connections (an outage); data is kept (s3rver only). */
  goAway?(): Promise<void>;
  /** Comes back on the same port with the same data (s3rver only). */
  comeBack?(): Promise<void>;
  stop(): Promise<void>;
}

export const MOTO_MISSING = 'moto_server is not installed (pip install "moto[server]"): moto tests skipped';

/** A plain SDK client on the target, for writing or inspecting the bucket directly. */
export function rawClient(t: S3Target): S3Client {
  return new S3Client({
    endpoint: t.endpoint,
    region: t.region,
    forcePathStyle: t.usePathStyle,
    credentials: { accessKeyId: t.accessKeyId, secretAccessKey: t.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/**
 * KEEPSTORE_TEST_S3_ENDPOINT (+ _REGION, _ACCESS_KEY_ID, _SECRET_ACCESS_KEY, _PATH_STYLE):
 * an external S3 endpoint to test instead of the local servers; null when unset.
 */
export function externalS3(): S3TestServer | null {
  const env = process.env;
  const endpoint = env['KEEPSTORE_TEST_S3_ENDPOINT'];
  if (!endpoint) return null;
  return {
    kind: 'external',
    endpoint,
    region: env['KEEPSTORE_TEST_S3_REGION'] || 'us-east-1',
    accessKeyId: env['KEEPSTORE_TEST_S3_ACCESS_KEY_ID'] ?? '',
    secretAccessKey: env['KEEPSTORE_TEST_S3_SECRET_ACCESS_KEY'] ?? '',
    usePathStyle: env['KEEPSTORE_TEST_S3_PATH_STYLE'] !== 'false',
    stop: async () => undefined,
  };
}

/** Starts a server process and resolves once it printed "ready"; rejects if it exits first. */
async function spawnReady(cmd: string, args: string[], what: string): Promise<ChildProcess> {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`${what} exited with ${code}: ${output}`)));
  });
  return proc;
}

async function stopProcess(proc: ChildProcess | null): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGKILL');
  await gone;
}

/** s3rver in a child process, storing under a temp directory that survives goAway(). */
export async function startS3rver(): Promise<S3TestServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'keepstore-s3rver-'));
  const port = await freePort();
  let proc: ChildProcess | null = null;
  const launch = async (): Promise<void> => {
    proc = await spawnReady(process.execPath, ['--openssl-legacy-provider', S3RVER_MAIN, String(port), dir], 's3rver');
  };
  await launch();
  return {
    kind: 's3rver',
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    usePathStyle: true,
    goAway: () => stopProcess(proc),
    comeBack: launch,
    stop: async () => {
      await stopProcess(proc);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function motoInstalled(): boolean {
  return !spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).error;
}

/** moto_server in a child process (in-memory); null when it is not installed. */
export async function startMoto(): Promise<S3TestServer | null> {
  if (!motoInstalled()) return null;
  const port = await freePort();
  const proc: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error('moto_server exited');
      return (await fetch(`${endpoint}/moto-api/`)).status < 500;
    },
    30_000,
    'moto_server to answer',
  );
  return {
    kind: 'moto',
    endpoint,
    region: 'us-east-1',
    accessKeyId: 'testing',
    secretAccessKey: 'testing',
    usePathStyle: true,
    stop: () => stopProcess(proc),
  };
}

/**
 * The servers a test suite runs against: the external endpoint alone when configured, else
 * s3rver and moto_server (null entry: moto missing, the caller skips with MOTO_MISSING).
 */
export function s3ServerKinds(): Array<{ kind: string; start: () => Promise<S3TestServer | null> }> {
  const external = externalS3();
  if (external) return [{ kind: 'external', start: async () => external }];
  return [
    { kind: 's3rver', start: startS3rver },
    { kind: 'moto', start: startMoto },
  ];
}

/** Creates a bucket with a fresh random name; `remove()` empties and deletes it. */
export async function s3Bucket(t: S3Target): Promise<{ name: string; client: S3Client; remove(): Promise<void> }> {
  const name = `keep-test-${randomBytes(6).toString('hex')}`;
  const client = rawClient(t);
  await client.send(new CreateBucketCommand({ Bucket: name }));
  return {
    name,
    client,
    remove: async () => {
      for (;;) {
        const page = await client.send(new ListObjectsV2Command({ Bucket: name }));
        const keys = (page.Contents ?? []).map((o) => o.Key!);
        if (keys.length === 0) break;
        await Promise.all(keys.map((Key) => client.send(new DeleteObjectCommand({ Bucket: name, Key }))));
      }
      await client.send(new DeleteBucketCommand({ Bucket: name }));
      client.destroy();
    },
  };
}

/** Every key in the bucket, sorted. */
export async function listKeys(client: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

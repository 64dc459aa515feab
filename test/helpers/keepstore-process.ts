/**
 * Start the real `keepstore` binary (packages/server/bin/keepstore.js, which runs the built
 * dist/) as a separate process with its own temp directory, config and free port, the way an
 * operator would. Tests talk HTTP to it and stop it with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(REPO_ROOT, 'packages/server/bin/keepstore.js');
export const ROOT_TOKEN = 'test-root-token';
export const MGMT_TOKEN = 'test-management-token';
export const SIGNING_KEY = 'test-signing-key-0123456789abcdefghijklmnopqrstuvwxyz';

export interface StartOptions {
  /** Extra config fields; `volumes` defaults to `volumeCount` writable volumes in the temp dir. */
  config?: Record<string, unknown>;
  volumeCount?: number;
  workers?: number;
  /** Reuse a directory (e.g. to restart on the same volumes). */
  dir?: string;
}

export interface LogLine {
  level: string;
  message: string;
  role?: string;
  worker?: number;
  [k: string]: unknown;
}

export interface Keepstore {
  url: string;
  port: number;
  dir: string;
  configPath: string;
  config: Record<string, unknown>;
  proc: ChildProcess;
  logs: LogLine[];
  /** Raw stderr text that was not JSON (crash traces). */
  rawErr: string[];
  volumeRoot(i: number): string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** stop() and remove the temp dir. */
  destroy(): Promise<void>;
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function volumeUuid(i: number): string {
  return `zzzzz-nyw5e-${String(i).padStart(15, '0')}`;
}

/** Write the config, spawn the binary, and wait until every worker listens and /_health/ping answers 200. */
export async function startKeepstore(opts: StartOptions = {}): Promise<Keepstore> {
  const dir = opts.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'keepstore-test-')));
  const port = await freePort();
  const volumeCount = opts.volumeCount ?? 2;
  const volumes = Array.from({ length: volumeCount }, (_, i) => ({ uuid: volumeUuid(i), root: path.join(dir, `vol${i}`) }));
  const config: Record<string, unknown> = {
    listen: `127.0.0.1:${port}`,
    workers: opts.workers ?? 2,
    systemRootToken: ROOT_TOKEN,
    managementToken: MGMT_TOKEN,
    blobSigning: true,
    blobSigningKey: SIGNING_KEY,
    volumes,
    log: { level: 'debug', format: 'json' },
    shutdownGracePeriod: '10s',
    ...opts.config,
  };
  await mkdir(dir, { recursive: true });
  const configPath = path.join(dir, `config-${port}.json`);
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const proc = spawn(process.execPath, [BIN, '--config', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  const logs: LogLine[] = [];
  const rawErr: string[] = [];
  let buf = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        rawErr.push(line);
      }
    }
  });
  // 'exit' can come before the last stderr lines are read: wait for stderr to end too, briefly
  // (workers share the pipe and may outlive a SIGKILLed primary for a moment).
  const stderrEnded = new Promise<void>((resolve) => proc.stderr!.once('end', () => resolve()));
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      const grace = new Promise<void>((r) => setTimeout(r, 2_000).unref());
      void Promise.race([stderrEnded, grace]).then(() => resolve(code));
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const ks: Keepstore = {
    url,
    port,
    dir,
    configPath,
    config,
    proc,
    logs,
    rawErr,
    volumeRoot: (i) => volumes[i]!.root,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
    async destroy() {
      await ks.stop();
      if (!opts.dir) await rm(dir, { recursive: true, force: true });
    },
    waitForLog: (pred, timeoutMs = 15_000) => waitFor(() => logs.find(pred), timeoutMs, 'log line'),
  };
  try {
    // /_health/ping answers as soon as one worker listens; tests need every worker listening
    // (one still starting when a test kills it would take the server down: a worker that
    // dies during start-up is fatal), and the primary logs `keepstore ready` only then.
    const healthy = waitFor(
      async () => {
        if (!logs.some((l) => l.message === 'keepstore ready')) return false;
        const res = await fetch(`${url}/_health/ping`, { headers: { Authorization: `Bearer ${MGMT_TOKEN}` } });
        return res.status === 200;
      },
      // A safety net for a server that never gets ready, not a speed limit: on a starved
      // machine (a fresh clone's first run, 2 cores shared with other jobs) config-error
      // runs of the same binary took 32 s just to print their message and exit.
      60_000,
      'keepstore to be ready (every worker listening)',
    );
    const died = exited.then((code) => {
      throw new Error(`exited with code ${code}`);
    });
    await Promise.race([healthy, died]);
  } catch (err) {
    await ks.stop();
    throw new Error(
      `keepstore did not start: ${(err as Error).message}\n${rawErr.join('\n')}\n${logs.map((l) => JSON.stringify(l)).join('\n')}`,
    );
  }
  return ks;
}

export const adminHeaders = { Authorization: `Bearer ${ROOT_TOKEN}` };

/**
 * Our server for bench-serve, started the way an operator (and test/helpers) starts it: the
 * committed `keepstore` launcher with a config file, ready when /_health/ping answers. Logs go
 * to a file (info level, one access-log line per request, as in production); the bench does
 * not parse them, so it spends no CPU on them.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { serverProcess, type ServerProcess } from './server-process.ts';

export const BENCH_MGMT_TOKEN = 'bench-management-token';
export const BENCH_SIGNING_KEY = 'bench-signing-key-0123456789abcdefghijklmnopqrstuvwxyz';

export type Keepstore = ServerProcess;

export interface StartOptions {
  repoRoot: string;
  dir: string;
  port: number;
  workers: number;
  /** One directory volume here... */
  volumeRoot?: string;
  /** ...or these `volumes` entries (e.g. an S3 bucket). */
  volumes?: Array<Record<string, unknown>>;
}

export async function startKeepstore(opts: StartOptions): Promise<Keepstore> {
  const config = {
    listen: `127.0.0.1:${opts.port}`,
    workers: opts.workers,
    systemRootToken: 'bench-root-token',
    managementToken: BENCH_MGMT_TOKEN,
    blobSigning: true,
    blobSigningKey: BENCH_SIGNING_KEY,
    volumes: opts.volumes ?? [{ uuid: 'zzzzz-nyw5e-000000000000000', root: opts.volumeRoot }],
    log: { level: 'info', format: 'json' },
    shutdownGracePeriod: '5s',
  };
  const label = `${opts.volumes ? 'custom-' : ''}${opts.workers}w`;
  const configPath = path.join(opts.dir, `keepstore-${label}.json`);
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const logFd = openSync(path.join(opts.dir, `keepstore-${label}.log`), 'a');
  const bin = path.join(opts.repoRoot, 'packages/server/bin/keepstore.js');
  const proc = spawn(process.execPath, [bin, '--config', configPath], { stdio: ['ignore', 'ignore', logFd] });
  closeSync(logFd);
  const url = `http://127.0.0.1:${opts.port}`;
  const server = serverProcess(proc, url);
  const deadline = Date.now() + 30_000;
  for (;;) {
    // Ready when every worker listens (the first one alone already answers /_health/ping).
    const listening = await fetch(`${url}/status.json`, { headers: { Authorization: 'Bearer bench-root-token' } })
      .then(async (r) => (r.status === 200 ? ((await r.json()) as { workers: Array<{ state: string }> }).workers : []))
      .then((workers) => workers.filter((w) => w.state === 'listening').length)
      .catch(() => 0);
    if (listening === opts.workers) break;
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`keepstore did not start (see ${opts.dir})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return server;
}

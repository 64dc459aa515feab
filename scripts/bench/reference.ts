/**
 * Starts one of the reference servers of bench-serve (node-minimal.ts, express-minimal.ts) in
 * its own process on a volume directory; ready when its primary prints `ready` (every worker
 * listens).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { childPids } from './proc-stats.ts';

export type ReferenceKind = 'node-minimal' | 'express-minimal';

export interface Reference {
  proc: ChildProcess;
  url: string;
  /** The primary and its workers, for RSS and CPU sampling. */
  processes(): Promise<Array<{ label: string; pid: number }>>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

export async function startReference(
  kind: ReferenceKind,
  opts: { repoRoot: string; volumeRoot: string; port: number; workers: number },
): Promise<Reference> {
  const script = path.join(import.meta.dirname, `${kind}.ts`);
  const args = ['--import', 'tsx', script, '--root', opts.volumeRoot, '--port', String(opts.port), '--workers', String(opts.workers)];
  const proc = spawn(process.execPath, args, { cwd: opts.repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    proc.stdout!.setEncoding('utf8').on('data', (text: string) => {
      if (text.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} exited with ${code} before it was ready`));
    });
  });
  return {
    proc,
    url: `http://127.0.0.1:${opts.port}`,
    async processes() {
      const workers = await childPids(proc.pid!);
      return [{ label: 'primary', pid: proc.pid! }, ...workers.map((pid, i) => ({ label: `worker ${i}`, pid }))];
    },
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

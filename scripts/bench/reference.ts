/**
 * Starts one of the reference servers of bench-serve (node-minimal.ts, express-minimal.ts) in
 * its own process on a volume directory; ready when its primary prints `ready` (every worker
 * listens).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { serverProcess, type ServerProcess } from './server-process.ts';

export type ReferenceKind = 'node-minimal' | 'express-minimal';

export type Reference = ServerProcess;

const START_TIMEOUT_MS = 30_000;

export async function startReference(
  kind: ReferenceKind,
  opts: { repoRoot: string; volumeRoot: string; port: number; workers: number },
): Promise<Reference> {
  const script = path.join(import.meta.dirname, `${kind}.ts`);
  const args = ['--import', 'tsx', script, '--root', opts.volumeRoot, '--port', String(opts.port), '--workers', String(opts.workers)];
  const proc = spawn(process.execPath, args, { cwd: opts.repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  const server = serverProcess(proc, `http://127.0.0.1:${opts.port}`);
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
  return server;
}

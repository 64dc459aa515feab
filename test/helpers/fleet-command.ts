/** Run `keepstore fleet …` (the real bin) to its end: exit code, stdout and stderr. */
import { spawn } from 'node:child_process';
import { BIN } from './keepstore-process.ts';

export function fleet(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [BIN, 'fleet', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.on('close', (code) => resolve({ code, out, err }));
  });
}

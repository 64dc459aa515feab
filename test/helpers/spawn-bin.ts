/**
 * Spawn the `keepstore` bin with arbitrary arguments, cwd and environment (what
 * keepstore-process.ts cannot do: no config at all, a YAML file, a config that must fail).
 * Collects stderr (JSON log lines and raw text) and the exit code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BIN, waitFor, type LogLine } from './keepstore-process.ts';

export interface SpawnedBin {
  proc: ChildProcess;
  logs: LogLine[];
  /** Everything written to stderr, as text. */
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Poll `url` + /_health/ping until 200 (rejects if the process exits first). */
  waitHealthy(url: string, token?: string, timeoutMs?: number): Promise<void>;
  /** SIGTERM (if still running) and wait for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The environment without KEEPSTORE_CONFIG, so only what a test passes counts. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!('KEEPSTORE_CONFIG' in extra)) delete env['KEEPSTORE_CONFIG'];
  return env;
}

export function spawnBin(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnedBin {
  const proc = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: opts.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogLine[] = [];
  let text = '';
  let buf = '';
  proc.stdout!.resume();
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (chunk: string) => {
    text += chunk;
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        /* raw text: kept in `text` */
      }
    }
  });
  // 'exit' can come before the last stderr chunk is read: wait for stderr to end too, but not
  // for long (workers share the pipe and may outlive a SIGKILLed primary for a moment).
  const stderrEnded = new Promise<void>((resolve) => proc.stderr!.once('end', () => resolve()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => {
      const grace = new Promise<void>((r) => setTimeout(r, 2_000).unref());
      void Promise.race([stderrEnded, grace]).then(() => resolve({ code, signal }));
    }),
  );
  const running = () => proc.exitCode === null && proc.signalCode === null;
  return {
    proc,
    logs,
    stderr: () => text,
    exited,
    async waitHealthy(url, token, timeoutMs = 30_000) {
      const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
      const healthy = waitFor(async () => (await fetch(`${url}/_health/ping`, { headers })).status === 200, timeoutMs, 'healthy');
      const died = exited.then(({ code }) => {
        throw new Error(`keepstore exited with ${code}:\n${text}`);
      });
      await Promise.race([healthy, died]);
    },
    async stop() {
      if (running()) proc.kill('SIGTERM');
      return exited;
    },
  };
}

/** True while a process with this pid exists and is not a zombie waiting to be reaped. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/PID/stat: "pid (comm) STATE ..."; Z = exited, not yet reaped.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

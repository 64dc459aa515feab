/**
 * Run a command in a real pseudo-terminal, with util-linux `script` (no native addon): what
 * the command writes reaches us as the terminal shows it, and what we write is typed at its
 * keyboard (`\x03` is Ctrl-C: the terminal turns it into SIGINT for the command).
 */
import { spawn, spawnSync } from 'node:child_process';

const SCRIPT = '/usr/bin/script';

export interface PtyProcess {
  /** Everything the terminal showed so far (control sequences included). */
  output(): string;
  /** Type `keys` at the terminal. */
  type(keys: string): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
}

const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;

/** Run `argv` in a `columns` x `rows` terminal. */
export function spawnInPty(argv: readonly string[], columns = 120, rows = 40): PtyProcess {
  if (spawnSync(SCRIPT, ['--version']).error) throw new Error(`${SCRIPT} (util-linux) is needed to test in a pseudo-terminal`);
  const command = `stty cols ${columns} rows ${rows}; exec ${argv.map(quote).join(' ')}`;
  // -q: no banner, -f: flush at once, -e: exit with the command's status; /dev/null: no typescript file.
  const proc = spawn(SCRIPT, ['-q', '-f', '-e', '-c', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    output: () => out,
    type: (keys) => void proc.stdin.write(keys),
    exited,
    kill: () => void proc.kill('SIGKILL'),
  };
}

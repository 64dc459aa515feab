/**
 * A private redis-server for tests: started on a free port with persistence off, killed in
 * after(). Tests can SIGKILL it mid-run and restart it on the same port (an outage).
 * `redis-server --port 0` exits instead of picking a port, so we pick one ourselves.
 * launchOnFreePort() is the building block of the Sentinel and Cluster helpers.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freePort, waitFor } from './keepstore-process.ts';

/** Where a redis-server (data node or sentinel) listens. */
export interface RedisNode {
  host: string;
  port: number;
}

export interface RedisServer {
  port: number;
  url: string;
  /** SIGKILL (an outage: nothing is saved) and wait for the exit. */
  kill(): Promise<void>;
  /** Start again on the same port (empty: persistence is off). */
  restart(): Promise<void>;
  /** kill(), for after(). */
  stop(): Promise<void>;
}

const BINARY = process.env['REDIS_SERVER'] ?? 'redis-server';

function assertInstalled(): void {
  const probe = spawnSync(BINARY, ['--version'], { encoding: 'utf8' });
  if (probe.error) {
    throw new Error(
      `${BINARY} is not installed or not on PATH (${(probe.error as NodeJS.ErrnoException).code}): ` +
        'the Redis tests need a real redis-server (Debian/Ubuntu: apt-get install redis-server)',
    );
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Start redis-server on `port` and wait until it answers PING. `args` come first (a sentinel
 * passes its config file there), then the defaults of every test server; `cwd` is where
 * it keeps its files (a Cluster node writes its nodes.conf there).
 */
export async function launch(port: number, args: string[] = [], cwd?: string): Promise<ChildProcess> {
  const all = [...args, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'];
  const proc = spawn(BINARY, all, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  let exited = false;
  proc.once('exit', () => (exited = true));
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error('exited');
        return ping(port);
      },
      10_000,
      `redis-server on port ${port}`,
    );
  } catch {
    proc.kill('SIGKILL');
    throw new Error(`redis-server did not start on port ${port}: ${output.trim()}`);
  }
  return proc;
}

export async function killProc(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGKILL');
  await exited;
}

/** launch() on a free port (retried: another process may take it between the pick and the bind). */
export async function launchOnFreePort(
  args: (port: number) => string[] | Promise<string[]> = () => [],
  cwd?: string,
): Promise<{ port: number; proc: ChildProcess }> {
  assertInstalled();
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return { port, proc: await launch(port, await args(port), cwd) };
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

export async function startRedisServer(): Promise<RedisServer> {
  const started = await launchOnFreePort();
  const port = started.port;
  let proc = started.proc;
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      await killProc(proc);
    },
    async restart() {
      await killProc(proc);
      proc = await launch(port);
    },
    stop: () => server.kill(),
  };
  return server;
}

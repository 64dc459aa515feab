/**
 * A private Redis Sentinel group for tests: a master, one replica and three sentinels (quorum
 * 2), each a real redis-server on a free port, in a temp dir removed by stop(). The sentinels
 * judge a master down after 1 s without an answer, so a SIGKILLed master is failed over to the
 * replica within a few seconds.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { waitFor } from './keepstore-process.ts';
import { killProc, launchOnFreePort, type RedisNode } from './redis-server.ts';

export interface SentinelGroup {
  /** The master group name the sentinels monitor. */
  name: string;
  sentinels: RedisNode[];
  /** The master as the sentinels name it now. */
  master(): Promise<RedisNode>;
  /** SIGKILL a data node (the master, for a failover). */
  kill(node: RedisNode): Promise<void>;
  /** Resolves once the sentinels name a master other than `old` and it answers as a master. */
  waitForNewMaster(old: RedisNode, timeoutMs?: number): Promise<RedisNode>;
  /** A client to one node (one per node, shared), closed by stop(). */
  client(node: RedisNode): Redis;
  stop(): Promise<void>;
}

const NAME = 'keepmaster';
const HOST = '127.0.0.1';
// Replicas sync without touching the disk and at once: a test does not wait for an RDB file.
const DATA_ARGS = ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'];

/** A sentinel rewrites its config file: one file each. */
async function sentinelConfig(dir: string, port: number, masterPort: number): Promise<string[]> {
  const file = path.join(dir, `sentinel-${port}.conf`);
  const lines = [
    `sentinel monitor ${NAME} ${HOST} ${masterPort} 2`,
    `sentinel down-after-milliseconds ${NAME} 1000`,
    `sentinel failover-timeout ${NAME} 10000`,
    `sentinel parallel-syncs ${NAME} 1`,
  ];
  await writeFile(file, `${lines.join('\n')}\n`);
  return [file, '--sentinel'];
}

async function infoField(redis: Redis, field: string): Promise<string | undefined> {
  const text = await redis.info('replication');
  return new RegExp(`^${field}:(.*?)\\r?$`, 'm').exec(text)?.[1];
}

export async function startSentinelGroup(): Promise<SentinelGroup> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'redis-sentinel-'));
  const procs = new Map<number, ChildProcess>();
  const clients = new Map<number, Redis>();
  /** One client per node, reused by every poll. */
  const client = (node: RedisNode): Redis => {
    let c = clients.get(node.port);
    if (!c) {
      c = new Redis({ host: node.host, port: node.port, maxRetriesPerRequest: 1, retryStrategy: () => 200 });
      c.on('error', () => undefined); // a killed node: the poll asks again
      clients.set(node.port, c);
    }
    return c;
  };
  const launch = async (args: (port: number) => string[] | Promise<string[]>): Promise<RedisNode> => {
    const { port, proc } = await launchOnFreePort(args, dir);
    procs.set(port, proc);
    return { host: HOST, port };
  };
  const stop = async (): Promise<void> => {
    for (const c of clients.values()) c.disconnect();
    await Promise.all([...procs.values()].map((p) => killProc(p)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const master = await launch(() => DATA_ARGS);
    const replica = await launch(() => [...DATA_ARGS, '--replicaof', HOST, String(master.port)]);
    const replicaClient = client(replica);
    await waitFor(async () => (await infoField(replicaClient, 'master_link_status')) === 'up', 15_000, 'the replica to sync');
    const sentinels: RedisNode[] = [];
    for (let i = 0; i < 3; i++) sentinels.push(await launch((port) => sentinelConfig(dir, port, master.port)));
    // A failover needs the sentinels to know the replica and each other (the leader is elected).
    for (const s of sentinels) {
      const c = client(s);
      await waitFor(
        async () => {
          const replicas = (await c.call('SENTINEL', 'REPLICAS', NAME)) as unknown[];
          const peers = (await c.call('SENTINEL', 'SENTINELS', NAME)) as unknown[];
          return replicas.length === 1 && peers.length === 2;
        },
        20_000,
        'the sentinels to discover the replica and each other',
      );
    }
    const askSentinels = async (): Promise<RedisNode> => {
      for (const s of sentinels) {
        try {
          const [host, port] = (await client(s).call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME)) as [string, string];
          return { host, port: Number(port) };
        } catch {
          /* that sentinel is away: ask the next */
        }
      }
      throw new Error('no sentinel answers');
    };
    return {
      name: NAME,
      sentinels,
      master: askSentinels,
      async kill(node) {
        const proc = procs.get(node.port);
        if (proc) await killProc(proc);
      },
      async waitForNewMaster(old, timeoutMs = 30_000) {
        return waitFor(
          async () => {
            const now = await askSentinels();
            if (now.port === old.port) return undefined;
            return (await infoField(client(now), 'role')) === 'master' ? now : undefined;
          },
          timeoutMs,
          'the sentinels to fail the master over',
        );
      },
      client,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

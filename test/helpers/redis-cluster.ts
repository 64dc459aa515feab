/**
 * A private Redis Cluster for tests: three masters (and, with `replicas: 1`, one replica
 * each) on free ports, joined with `redis-cli --cluster create`, in a temp dir removed by stop(). moveSlot() reshards one slot
 * the way `redis-cli --cluster reshard` does (IMPORTING/MIGRATING, MIGRATE of its keys, SETSLOT
 * NODE everywhere), but for the slot a test chooses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { waitFor } from './keepstore-process.ts';
import { killProc, launchOnFreePort, type RedisNode } from './redis-server.ts';

export interface RedisClusterSetup {
  /** Every node, masters and replicas (redis-cli makes the first three the masters). */
  nodes: RedisNode[];
  /** The master serving `slot` now. */
  owner(slot: number): Promise<RedisNode>;
  /** Move `slot` and its keys to `to`. */
  moveSlot(slot: number, to: RedisNode): Promise<void>;
  /** The hash slot of a key (CLUSTER KEYSLOT). */
  keySlot(key: string): Promise<number>;
  /** A plain client to one node (shared, closed by stop()). */
  client(node: RedisNode): Redis;
  /** SIGKILL a node (a master, for a failover to its replica). */
  kill(node: RedisNode): Promise<void>;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const CLI = process.env['REDIS_CLI'] ?? 'redis-cli';
// Replicas sync without disk and at once; a replica fails over however long since it last
// heard from its master (the test kills masters moments after the cluster formed).
const REPLICA_ARGS = ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0', '--cluster-replica-validity-factor', '0'];

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${out}`))));
  });
}

export async function startRedisCluster(opts: { replicas?: 0 | 1 } = {}): Promise<RedisClusterSetup> {
  const replicas = opts.replicas ?? 0;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'redis-cluster-'));
  const procs = new Map<number, ChildProcess>();
  const clients = new Map<number, Redis>();
  const client = (node: RedisNode): Redis => {
    let c = clients.get(node.port);
    if (!c) {
      // A killed node must fail a command at once, not queue it until it comes back.
      c = new Redis({ host: node.host, port: node.port, maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 2_000 });
      c.on('error', () => undefined);
      clients.set(node.port, c);
    }
    return c;
  };
  const stop = async (): Promise<void> => {
    for (const c of clients.values()) c.disconnect();
    await Promise.all([...procs.values()].map((p) => killProc(p)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const nodes: RedisNode[] = [];
    const count = 3 * (1 + replicas);
    for (let i = 0; i < count; i++) {
      const started = await launchOnFreePort(
        (port) => [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--cluster-node-timeout',
          '2000',
          ...REPLICA_ARGS,
        ],
        dir,
      );
      procs.set(started.port, started.proc);
      nodes.push({ host: HOST, port: started.port });
    }
    await run(CLI, [
      '--cluster',
      'create',
      ...nodes.map((n) => `${n.host}:${n.port}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
    // Every node must see the whole slot map and every other node before a client connects.
    for (const node of nodes) {
      await waitFor(
        async () => {
          const info = (await client(node).call('CLUSTER', 'INFO')) as string;
          return (
            /cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info) && new RegExp(`cluster_known_nodes:${count}\\b`).test(info)
          );
        },
        20_000,
        `cluster node ${node.port} to see the whole cluster`,
      );
    }
    const nodeId = async (node: RedisNode): Promise<string> => (await client(node).call('CLUSTER', 'MYID')) as string;
    /** The master serving `slot`, as the first node that answers sees it (a killed one does not). */
    const owner = async (slot: number): Promise<RedisNode> => {
      for (const node of nodes) {
        try {
          const slots = (await client(node).call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, string]]>;
          const range = slots.find(([from, to]) => slot >= from && slot <= to);
          if (range) return { host: range[2][0], port: Number(range[2][1]) };
        } catch {
          /* that node is away: ask the next */
        }
      }
      throw new Error(`slot ${slot} is not served`);
    };
    return {
      nodes,
      owner,
      keySlot: async (key) => (await client(nodes[1]!).call('CLUSTER', 'KEYSLOT', key)) as number,
      async moveSlot(slot, to) {
        const from = await owner(slot);
        if (from.port === to.port) throw new Error(`slot ${slot} is already on ${to.port}`);
        const [fromId, toId] = [await nodeId(from), await nodeId(to)];
        await client(to).call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId);
        await client(from).call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId);
        for (;;) {
          const keys = (await client(from).call('CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[];
          if (keys.length === 0) break;
          await client(from).call('MIGRATE', to.host, to.port, '', 0, 10_000, 'KEYS', ...keys);
        }
        for (const node of [to, from, ...nodes.filter((n) => n.port !== to.port && n.port !== from.port)]) {
          await client(node).call('CLUSTER', 'SETSLOT', slot, 'NODE', toId);
        }
      },
      client,
      async kill(node) {
        const proc = procs.get(node.port);
        if (proc) await killProc(proc);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

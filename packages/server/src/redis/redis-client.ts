import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { KeepstoreConfig } from '../config/config.js';

/** One Redis, the master of a Sentinel group, or a Redis Cluster: the same commands on each. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: the connection part of the `redis` config (one of its three forms). */
export type RedisTarget = Pick<
  NonNullable<KeepstoreConfig['redis']>,
  'url' | 'sentinels' | 'name' | 'sentinelUsername' | 'sentinelPassword' | 'cluster' | 'username' | 'password' | 'tls'
>;

/** How a client behaves, whatever the form: timeouts, retries, queueing. */
export interface ClientBehaviour {
  commandTimeout: number;
  connectTimeout: number;
  /** Delay before reconnect attempt `times` (ms), or null to give up. */
  retryStrategy: (times: number) => number | null;
  maxRetriesPerRequest: number;
  lazyConnect: boolean;
}

/**
 * A client for `target`. Commands never queue while disconnected (enableOfflineQueue off), in
 * every form. Sentinel: ioredis asks the sentinels for the master, and re-asks when the
 * connection drops or a sentinel announces a switch (failoverDetector). Cluster: ioredis
 * follows MOVED/ASK redirections and refreshes the slot map on its own.
 */
export function createRedisClient(target: RedisTarget, behaviour: ClientBehaviour): RedisClient {
  const common: RedisOptions = { ...behaviour, enableOfflineQueue: false };
  const auth = { username: target.username, password: target.password, tls: target.tls ? {} : undefined };
  if (target.cluster) {
    const { retryStrategy, lazyConnect, ...nodeOptions } = behaviour;
    return new Cluster(target.cluster, {
      lazyConnect,
      enableOfflineQueue: false,
      clusterRetryStrategy: retryStrategy,
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      slotsRefreshTimeout: behaviour.connectTimeout,
      redisOptions: { ...nodeOptions, ...auth },
    });
  }
  if (target.sentinels) {
    return new Redis({
      ...common,
      ...auth,
      sentinels: target.sentinels,
      name: target.name!,
      role: 'master',
      sentinelUsername: target.sentinelUsername,
      sentinelPassword: target.sentinelPassword,
      failoverDetector: true,
    });
  }
  return new Redis(target.url!, common);
}

/** Where the client goes, for messages and logs: never a password. */
export function describeTarget(target: RedisTarget): string {
  const nodes = (list: ReadonlyArray<{ host: string; port: number }>): string => list.map((n) => `${n.host}:${n.port}`).join(',');
  if (target.cluster) return `redis cluster ${nodes(target.cluster)}`;
  if (target.sentinels) return `redis sentinel master "${target.name}" via ${nodes(target.sentinels)}`;
  const url = new URL(target.url!);
  if (url.password) url.password = '***';
  return url.toString();
}

/** Every master (a Cluster's masters, else the one connection): SCAN must visit each. */
export function masters(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}

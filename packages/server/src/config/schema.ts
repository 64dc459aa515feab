import os from 'node:os';
import { z } from 'zod';
import { duration } from '../schema/duration.js';
import { LIMIT_DEFAULTS, LIMIT_VALUES } from './limits.js';
import { UUID_RE } from '../volume/volume-base-config.js';
import { volumeConfigSchema } from '../volume/volume-config.js';

const listen = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):\d{1,5}$/, 'must be "host:port"')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'port must be at most 65535');

/** The uuid of a server without `redis` that names none. */
const DEFAULT_UUID = 'zzzzz-bi6l4-000000000000000';

const storageClass = z.strictObject({ priority: z.number().int().default(0) });

const redisNode = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
});

/**
 * Where the lists persist: one of three forms (see README "Operating with Redis"): `url` (one
 * Redis), `sentinels` + `name` (the master of a Sentinel group), `cluster` (seed nodes of a
 * Redis Cluster). `username`, `password` and `tls` apply to the data nodes of the latter two
 * (a url carries its own); `sentinelUsername`/`sentinelPassword` to the sentinels.
 */
const redis = z
  .strictObject({
    url: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
    sentinels: z.array(redisNode).min(1, 'needs at least one sentinel').optional(),
    name: z.string().min(1).optional(), // the master group name the sentinels monitor
    role: z.literal('master').optional(), // lists are written: only the master will do
    sentinelUsername: z.string().optional(),
    sentinelPassword: z.string().optional(),
    cluster: z.array(redisNode).min(1, 'needs at least one node').optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    tls: z.boolean().optional(),
    // No braces: a key's hash tag must be the server's uuid (one slot per server on Cluster).
    keyPrefix: z
      .string()
      .regex(/^[^{}]*$/, 'must not contain "{" or "}"')
      .default('keepstore:'),
    // Heartbeat record refresh; its TTL is 3x this. 0 would be a Redis SET with PX 0, refused:
    // the uuid would never be claimed and the lists never persisted, without a word.
    heartbeatInterval: duration.prefault('5s').refine((ms) => ms > 0, 'must be more than 0'),
  })
  .superRefine((r, ctx) => {
    const forms = (['url', 'sentinels', 'cluster'] as const).filter((f) => r[f] !== undefined);
    if (forms.length !== 1) {
      const message =
        forms.length === 0 ? 'set one of url, sentinels or cluster' : `set one of url, sentinels or cluster, not ${forms.join(' and ')}`;
      ctx.addIssue({ code: 'custom', path: forms.length === 0 ? [] : [forms[1]!], message });
    }
    if (r.sentinels !== undefined && r.name === undefined) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'required with sentinels: the master group name they monitor' });
    }
    for (const field of ['name', 'role', 'sentinelUsername', 'sentinelPassword'] as const) {
      if (r[field] !== undefined && r.sentinels === undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: 'only with sentinels' });
    }
    for (const field of ['username', 'password', 'tls'] as const) {
      if (r[field] !== undefined && r.url !== undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: 'not with url (put it in the url)' });
    }
  });

/** The configuration file, with every default in one place (units in comments). */
export const configSchema = z
  .strictObject({
    /**
     * This server's uuid: namespaces its Redis keys and names it in the fleet view. Required
     * with `redis` (servers sharing a Redis are told apart by it), else DEFAULT_UUID.
     */
    uuid: z.string().regex(UUID_RE).optional(),
    listen: listen.default('127.0.0.1:25107'),
    /** How peers and the fleet view reach us; default http://<listen>. */
    publicUrl: z
      .string()
      .url()
      // Published in the heartbeat (Redis, `keepstore fleet`) and in start-up refusals: no secrets.
      .refine((s) => {
        const u = new URL(s);
        return u.username === '' && u.password === '' && !s.includes('@');
      }, 'must not carry credentials (user:password@): it is published in the heartbeat')
      .optional(),
    workers: z
      .number()
      .int()
      .min(1)
      .max(256)
      .default(() => os.availableParallelism()),
    systemRootToken: z.string().default(''),
    managementToken: z.string().default(''),
    blobSigning: z.boolean().default(false),
    blobSigningKey: z.string().optional(),
    blobSigningKeyFile: z.string().optional(),
    blobSigningTTL: duration.prefault('336h'),
    blobTrash: z.boolean().default(true),
    blobTrashLifetime: duration.prefault('336h'),
    blobTrashCheckInterval: duration.prefault('24h'),
    // The limits (README "Pull pacing"); PUT /pull/limits changes them live.
    pullBandwidth: LIMIT_VALUES.pullBandwidth.default(LIMIT_DEFAULTS.pullBandwidth), // bytes/s, whole server; 0 = unlimited
    pullConcurrency: LIMIT_VALUES.pullConcurrency.default(LIMIT_DEFAULTS.pullConcurrency), // pulls in flight per worker
    pullPerPeerConcurrency: LIMIT_VALUES.pullPerPeerConcurrency.default(LIMIT_DEFAULTS.pullPerPeerConcurrency), // per peer server, whole server; 0 = unlimited
    pullConnectTimeout: duration.prefault('5s').refine((ms) => ms > 0, 'must be more than 0'), // per peer server tried (0: every pull would fail at once)
    pullIdleTimeout: duration.prefault('20s'), // no byte from the peer for this long: next server
    trashConcurrency: LIMIT_VALUES.trashConcurrency.default(LIMIT_DEFAULTS.trashConcurrency), // trash ops in flight per worker
    /** Pulls and trash back off while this worker's clients queue or its event loop lags (README "Pull pacing"). */
    yieldToClients: z.boolean().default(true),
    yieldEventLoopDelay: duration.prefault('50ms').refine((ms) => ms > 0, 'must be more than 0'), // p90 event-loop delay that counts as lag
    /** Most entries a pull or trash list may have: a longer one is refused (413), the current list stays. */
    maxListEntries: z.number().int().min(1).default(4_000_000),
    maxConcurrentRequests: z.number().int().min(1).default(256), // per worker, block requests
    maxQueuedRequests: z.number().int().min(0).default(1024), // per worker, waiting for a slot
    maxRequestsPerClient: z.number().int().min(1).default(64), // per worker and client address, running + waiting
    /** A block or index request whose client makes no progress this long is cut (both directions). */
    requestIdleTimeout: duration.prefault('60s').refine((ms) => ms > 0, 'must be more than 0'),
    shutdownGracePeriod: duration.prefault('30s'), // SIGTERM: in-flight work gets this long
    /**
     * Who hands new connections to workers: "os" (the kernel, all workers accept on the shared
     * socket) or "round-robin" (the primary accepts and passes each connection over IPC).
     * Read at start only.
     */
    scheduling: z.enum(['os', 'round-robin']).default('os'),
    storageClasses: z.record(z.string(), storageClass).default({}),
    volumes: z
      .array(volumeConfigSchema)
      .min(1)
      .prefault([{ uuid: 'zzzzz-nyw5e-000000000000000', root: './data' }]),
    redis: redis.optional(),
    log: z
      .strictObject({
        level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
        format: z.enum(['json', 'text']).default('json'),
      })
      .prefault({}),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.volumes.forEach((v, i) => {
      if (seen.has(v.uuid)) ctx.addIssue({ code: 'custom', path: ['volumes', i, 'uuid'], message: 'duplicate volume uuid' });
      seen.add(v.uuid);
    });
    if (cfg.blobSigningKey !== undefined && cfg.blobSigningKeyFile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['blobSigningKeyFile'], message: 'set blobSigningKey or blobSigningKeyFile, not both' });
    }
    if (cfg.redis !== undefined && cfg.uuid === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['uuid'],
        message: 'required when redis is configured: servers sharing a Redis are told apart by their uuid',
      });
    }
  })
  .transform(({ uuid, ...cfg }) => ({ uuid: uuid ?? DEFAULT_UUID, ...cfg }));

export type ConfigFile = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;

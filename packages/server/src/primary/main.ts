import type { KeepstoreConfig } from '../config/config.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { createLogger, describeError, type Logger } from '../log/logger.js';
import { RedisSync } from '../redis/redis-sync.js';
import { volumesOf } from '../volume/create-volume.js';
import { WorkLists } from '../worklist/work-lists.js';
import { dispatchRpc, type RpcHandlers } from './rpc-handlers.js';
import { WorkerPool } from './worker-pool.js';
import { LiveLimits } from './live-limits.js';
import { PullPacing } from './pull-pacing.js';
import { registerLimitMetrics } from '../metrics/limit-metrics.js';
import { PrimaryMetrics } from './primary-metrics.js';
import { WorkerMetricsCollector } from './worker-collector.js';
import { forgetGoneWorkers } from './worker-exits.js';
import type { WorkerMessageHandlers } from '../ipc/workers.js';

function warnAboutInsecureDefaults(config: KeepstoreConfig, log: Logger): void {
  if (config.source === null) log.warn('no config file given: serving ./data with built-in defaults');
  if (!config.blobSigning) log.warn('blob signing is off: anyone who can reach this server can read every block');
  if (config.systemRootToken === '') log.warn('systemRootToken is empty: admin endpoints are open to everyone');
  if (config.managementToken === '') log.warn('managementToken is empty: /metrics and /_health are open to everyone');
}

/** Check every volume (init) and clean up writes a crash left behind, before any worker writes. */
async function prepareVolumes(config: KeepstoreConfig, log: Logger): Promise<void> {
  for (const volume of volumesOf(config.volumes)) {
    await volume.init();
    // Best effort: storage that cannot be reached right now (an object store down at start,
    // which init() lets pass) must not stop the server; the periodic sweep tries again.
    const removed = await volume.removeAbandonedWrites(0).catch((err: unknown) => {
      log.warn('stale write cleanup failed', { mount: volume.uuid, error: describeError(err) });
      return 0;
    });
    if (removed > 0) log.info('removed stale temp files', { mount: volume.uuid, count: removed });
  }
}

/**
 * The primary process: loads the config, prepares volumes, forks and supervises workers,
 * answers their rpc calls, and handles SIGTERM/SIGINT (clean stop) and SIGHUP (reload).
 * Resolves with the process exit code.
 */
export async function runPrimary(configPath: string | undefined): Promise<number> {
  let config: KeepstoreConfig;
  try {
    config = loadConfig(configPath);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`keepstore: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const log = createLogger({ ...config.log, role: 'primary' });
  warnAboutInsecureDefaults(config, log);
  try {
    await prepareVolumes(config, log);
  } catch (err) {
    log.error('cannot prepare volumes', { error: describeError(err) });
    return 2;
  }

  const pool = new WorkerPool(config, log);
  const limits = new LiveLimits(config);
  const pacing = new PullPacing(pool, limits);
  const lists = new WorkLists(pool, log, limits);
  lists.onPullBusy((workerId, busy) => pacing.shares.busy(workerId, busy));
  lists.reportThrottled((kind) => pacing.holdsBack(kind));
  limits.onChange((source) => {
    log.info('limits changed', { source, ...limits.view() });
    lists.limitsChanged();
  });
  await lists.start();
  // Resume persisted lists (and live limits) before any worker can take a job (never blocks long on Redis).
  const redis = RedisSync.fromConfig(config, pool, lists, log, limits);
  const refusal = await redis?.start();
  if (refusal) {
    log.error(`refusing to start: ${refusal.message}`, refusal.fields);
    lists.stop();
    return 2;
  }
  const collector = new WorkerMetricsCollector(pool);
  const metrics = new PrimaryMetrics(
    { workers: pool, config: pool, pullQueue: () => lists.queue('pull'), trashQueue: () => lists.queue('trash') },
    collector,
  );
  registerLimitMetrics(metrics.registry, () => pacing.status());
  forgetGoneWorkers(pool, [
    (workerId, how) => lists.forgetWorker(workerId, how),
    (workerId) => collector.forgetWorker(workerId),
    (workerId) => pacing.forgetWorker(workerId),
  ]);
  const rpcHandlers: RpcHandlers = {
    status: async () => ({
      method: 'status',
      status: {
        workers: lists.workerActivity(pool.status()),
        pullQueue: lists.queue('pull'),
        trashQueue: lists.queue('trash'),
        pacing: pacing.status(),
      },
    }),
    limits: async (call) => ({ method: 'limits', limits: call.set ? limits.set(call.set) : limits.view() }),
    'list:begin': async (call, from) => ({ method: 'list:begin', uploadId: lists.begin(call.kind, from.workerId) }),
    'list:commit': async (call) => ({ method: 'list:commit', accepted: lists.commit(call.uploadId, call.count) }),
    metrics: async () => ({ method: 'metrics', ...(await metrics.scrape()) }),
    'list:progress': async (call) => ({ method: 'list:progress', report: lists.progress(call.kind) }),
    'list:pause': async (call) => {
      lists.setPaused(call.kind, call.paused);
      await redis?.pauseChanged(call.kind);
      return { method: 'list:pause', state: { kind: call.kind, paused: lists.isPaused(call.kind) } };
    },
  };
  // Every worker message the pool does not answer itself (its start-up handshake), in one table.
  const messages: WorkerMessageHandlers = {
    rpc: (msg, { index, workerId, reply }) =>
      void dispatchRpc(rpcHandlers, msg.call, { index, workerId }).then((result) => reply({ type: 'rpc:reply', id: msg.id, result })),
    'list:batch': (msg) => lists.addBatch(msg.uploadId, msg.batch),
    'list:abort': (msg, { workerId }) => lists.abort(msg.uploadId, workerId),
    'job:done': (msg, { workerId }) => lists.jobDone(workerId, msg.kind, msg.id, msg.outcome),
    'job:trying': (msg, { workerId }) => lists.jobTrying(workerId, msg.kind, msg.id, msg.server),
    'metrics:report': (msg, { workerId }) => collector.report(workerId, msg.id, msg.metrics),
    'peer:acquire': (msg, { workerId }) => pacing.slots.acquire(workerId, msg.id, msg.server),
    'peer:release': (msg, { workerId }) => pacing.slots.release(workerId, msg.id),
    'pull:throttled': (msg, { workerId }) => pacing.throttled(workerId, msg.throttled),
  };

  // Signals are handled from before the first fork: a SIGTERM that arrives while workers
  // start (the first one may already answer /_health/ping) must stop them cleanly, not kill
  // the primary with the default action and leave the rest to notice on their own.
  const signals = handleSignals(pool, lists, limits, redis, log);
  log.info('keepstore starting', { listen: config.listen, workers: config.workers, volumes: config.volumes.length, pid: process.pid });
  try {
    await pool.start(messages);
  } catch (err) {
    if (signals.stopping) return signals.done; // stopped during start-up: workers exiting is expected
    log.error('a worker failed to start; check the configuration', { error: describeError(err) });
    await pool.stop(0);
    return 1;
  }
  if (!signals.stopping) log.info('keepstore ready', { listen: config.listen, workers: config.workers });
  signals.ready();
  return signals.done;
}

interface SignalControl {
  /** Resolves with the exit code once a stop (SIGTERM/SIGINT) has completed. */
  readonly done: Promise<number>;
  readonly stopping: boolean;
  /** Start-up is over: SIGHUP reloads from now on (one received before is applied now). */
  ready(): void;
}

function handleSignals(pool: WorkerPool, lists: WorkLists, limits: LiveLimits, redis: RedisSync | null, log: Logger): SignalControl {
  let stopping = false;
  let started = false;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    lists.stop();
    pool
      .stop(pool.currentConfig.shutdownGracePeriod)
      .then(() => redis?.stop())
      .then(() => {
        log.info('shutdown complete');
        resolveDone(0);
      })
      .catch((err) => {
        log.error('shutdown failed', { error: describeError(err) });
        resolveDone(1);
      });
  };
  const reload = reloader(pool, lists, limits, log, () => stopping);
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  let reloadWhenStarted = false;
  process.on('SIGHUP', () => {
    if (stopping) return;
    if (started) return reload();
    // The first worker may answer /_health/ping before the others listen: apply it then.
    log.info('SIGHUP during start-up: reloading once every worker listens');
    reloadWhenStarted = true;
  });
  return {
    done,
    get stopping() {
      return stopping;
    },
    ready: () => {
      started = true;
      if (reloadWhenStarted && !stopping) reload();
    },
  };
}

/**
 * SIGHUP: re-read the config now (a bad one is refused at once, the running one kept), and
 * apply it after any reload still in progress: two overlapping pool reloads would each fork a
 * generation of workers and retire the other's.
 */
function reloader(pool: WorkerPool, lists: WorkLists, limits: LiveLimits, log: Logger, stopping: () => boolean): () => void {
  let chain: Promise<void> = Promise.resolve();
  return () => {
    const source = pool.currentConfig.source ?? undefined;
    let next: KeepstoreConfig;
    try {
      next = loadConfig(source);
    } catch (err) {
      log.error('SIGHUP: new config rejected, keeping the current one', { error: describeError(err) });
      return;
    }
    log.info('SIGHUP: reloading config', { workers: next.workers, source });
    chain = chain
      .then(async () => {
        if (stopping()) return;
        lists.reconfigure(next);
        limits.reconfigure(next); // where nothing was set live (PUT /pull/limits wins until cleared)
        await pool.reload(next);
        log.info('reload complete', { workers: next.workers });
      })
      .catch((err: unknown) => {
        log.error('reload failed', { error: describeError(err) });
      });
  };
}

import type { KeepstoreConfig } from '../config/config.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { createLogger, describeError, type Logger } from '../log/logger.js';
import { RedisSync } from '../redis/redis-sync.js';
import { DirectoryVolume } from '../volume/directory-volume.js';
import { WorkLists } from '../worklist/work-lists.js';
import { dispatchRpc, type RpcHandlers } from './primary-rpc.js';
import { WorkerPool } from './worker-pool.js';
import { PrimaryMetrics } from '../metrics/primary-metrics.js';

function warnAboutInsecureDefaults(config: KeepstoreConfig, log: Logger): void {
  if (config.source === null) log.warn('no config file given: serving ./data with built-in defaults');
  if (!config.blobSigning) log.warn('blob signing is off: anyone who can reach this server can read every block');
  if (config.systemRootToken === '') log.warn('systemRootToken is empty: admin endpoints are open to everyone');
  if (config.managementToken === '') log.warn('managementToken is empty: /metrics and /_health are open to everyone');
}

/** Create volume roots and delete temp files left by a crash, before any worker writes. */
async function prepareVolumes(config: KeepstoreConfig, log: Logger): Promise<void> {
  for (const spec of config.volumes) {
    const volume = new DirectoryVolume(spec);
    await volume.init();
    const removed = await volume.removeStaleTempFiles(0);
    if (removed > 0) log.info('removed stale temp files', { mount: spec.uuid, count: removed });
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
  const lists = new WorkLists(pool, log);
  await lists.start();
  // Resume persisted lists before any worker can take a job (never blocks long on Redis).
  const redis = RedisSync.fromConfig(config, pool, lists, log);
  await redis?.start();
  const metrics = new PrimaryMetrics({ pool, pullQueue: () => lists.queue('pull'), trashQueue: () => lists.queue('trash') });
  const handlers: RpcHandlers = {
    status: async () => ({
      method: 'status',
      status: { workers: lists.workerActivity(pool.status()), pullQueue: lists.queue('pull'), trashQueue: lists.queue('trash') },
    }),
    'list:begin': async (call, index) => ({ method: 'list:begin', uploadId: lists.begin(call.kind, index) }),
    'list:commit': async (call) => ({ method: 'list:commit', accepted: lists.commit(call.uploadId, call.count) }),
    metrics: async () => ({ method: 'metrics', ...(await metrics.scrape()) }),
  };
  pool.on('message', (index, msg, reply) => {
    if (msg.type !== 'rpc') return;
    void dispatchRpc(handlers, msg.call, index).then((result) => reply({ type: 'rpc:reply', id: msg.id, result }));
  });

  log.info('keepstore starting', { listen: config.listen, workers: config.workers, volumes: config.volumes.length, pid: process.pid });
  try {
    await pool.start();
  } catch (err) {
    log.error('a worker failed to start; check the configuration', { error: describeError(err) });
    await pool.stop(0);
    return 1;
  }
  log.info('keepstore ready', { listen: config.listen, workers: config.workers });
  return waitForSignals(pool, lists, redis, log);
}

function waitForSignals(pool: WorkerPool, lists: WorkLists, redis: RedisSync | null, log: Logger): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
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
          resolve(0);
        })
        .catch((err) => {
          log.error('shutdown failed', { error: describeError(err) });
          resolve(1);
        });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      if (stopping) return;
      const source = pool.currentConfig.source ?? undefined;
      let next: KeepstoreConfig;
      try {
        next = loadConfig(source);
      } catch (err) {
        log.error('SIGHUP: new config rejected, keeping the current one', { error: describeError(err) });
        return;
      }
      log.info('SIGHUP: reloading config', { workers: next.workers, source });
      lists.reconfigure(next);
      void pool.reload(next).then(() => log.info('reload complete', { workers: next.workers }));
    });
  });
}


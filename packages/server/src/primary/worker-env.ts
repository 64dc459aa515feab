import type { KeepstoreConfig } from '../config/config.js';

/**
 * libuv's thread pool runs every file system call of a worker, and an fsync holds one of its
 * threads for milliseconds. With the default 4 threads, the open, stat and rename of one pull
 * queue behind the fsyncs of the other pulls (and PUTs) in flight; measured on 4 KiB pulls at
 * pullConcurrency 8: about 1.4x the blocks per second with 16 threads. Idle threads cost only
 * their stacks.
 */
export function threadPoolSize(config: Pick<KeepstoreConfig, 'pullConcurrency'>): number {
  return Math.min(64, 8 + 2 * config.pullConcurrency);
}

/** Environment additions for a forked worker: the thread pool size, unless the operator set one. */
export function workerEnv(config: Pick<KeepstoreConfig, 'pullConcurrency'>, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return env['UV_THREADPOOL_SIZE'] ? {} : { UV_THREADPOOL_SIZE: String(threadPoolSize(config)) };
}

/**
 * The environment a worker is forked with (packages/server/src/primary/worker-env.ts): a libuv
 * thread pool sized for the pulls in flight, unless the operator chose one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { threadPoolSize, workerEnv } from '../../packages/server/src/primary/worker-env.ts';

test('the thread pool grows with pullConcurrency, above the default 4 and within a cap', () => {
  assert.equal(threadPoolSize({ pullConcurrency: 4 }), 16);
  assert.ok(threadPoolSize({ pullConcurrency: 1 }) > 4);
  assert.equal(threadPoolSize({ pullConcurrency: 1024 }), 64);
  assert.deepEqual(workerEnv({ pullConcurrency: 8 }, {}), { UV_THREADPOOL_SIZE: '24' });
});

test("an operator's UV_THREADPOOL_SIZE is left alone", () => {
  assert.deepEqual(workerEnv({ pullConcurrency: 8 }, { UV_THREADPOOL_SIZE: '6' }), {});
});

/**
 * What a gone worker left in flight is forgotten in one place (primary/worker-exits.ts). The
 * case that used to leak: a worker retiring during a reload, SIGKILLed at the end of its grace
 * period in the middle of a list upload. Its upload must be dropped, and the upload of its
 * replacement (same worker index, another process) must not.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { configFromObject } from '../../packages/server/src/config/load.ts';
import type { WorkerEvents, WorkersView } from '../../packages/server/src/ipc/workers.ts';
import { forgetGoneWorkers } from '../../packages/server/src/primary/worker-exits.ts';
import { createLogger } from '../../packages/server/src/log/logger.ts';
import { WorkLists } from '../../packages/server/src/worklist/work-lists.ts';

function fakeWorkers(): WorkersView & EventEmitter<WorkerEvents> {
  return Object.assign(new EventEmitter<WorkerEvents>(), {
    currentConfig: configFromObject({}),
    listening: () => [],
    send: () => false,
    status: () => [],
  });
}

test("a retired worker's unfinished list upload is dropped; its replacement's is kept", () => {
  const workers = fakeWorkers();
  const lists = new WorkLists(workers, createLogger({ role: 'primary', level: 'error', format: 'json' }));
  forgetGoneWorkers(workers, [(workerId) => lists.dropUploadsOf(workerId)]);
  const retiring = lists.begin('trash', 11);
  const replacement = lists.begin('trash', 12);
  workers.emit('retired', 0, 11);
  assert.throws(() => lists.commit(retiring, 0), /unknown list upload/);
  assert.equal(lists.commit(replacement, 0), 0);
});

test("a dead worker's unfinished list upload is dropped", () => {
  const workers = fakeWorkers();
  const lists = new WorkLists(workers, createLogger({ role: 'primary', level: 'error', format: 'json' }));
  forgetGoneWorkers(workers, [(workerId) => lists.dropUploadsOf(workerId)]);
  const upload = lists.begin('pull', 21);
  workers.emit('died', 1, 21);
  assert.throws(() => lists.commit(upload, 0), /unknown list upload/);
});

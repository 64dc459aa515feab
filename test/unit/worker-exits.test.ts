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
import type { PrimaryToWorker } from '../../packages/server/src/ipc/messages.ts';
import type { ListeningWorker, WorkerEvents, WorkersView } from '../../packages/server/src/ipc/workers.ts';
import { forgetGoneWorkers } from '../../packages/server/src/primary/worker-exits.ts';
import { createLogger } from '../../packages/server/src/log/logger.ts';
import type { ListItem } from '../../packages/server/src/worklist/list-wire.ts';
import { WorkLists } from '../../packages/server/src/worklist/work-lists.ts';

/** Workers that listen as `listening` says and deliver to the processes in it, recording what they get. */
function fakeWorkers(
  listening: ListeningWorker[] = [],
): WorkersView & EventEmitter<WorkerEvents> & { sent: Array<[number, PrimaryToWorker]> } {
  const sent: Array<[number, PrimaryToWorker]> = [];
  return Object.assign(new EventEmitter<WorkerEvents>(), {
    currentConfig: configFromObject({ blobTrash: true }),
    listening: () => listening,
    send: (workerId: number, msg: PrimaryToWorker) => listening.some((w) => w.workerId === workerId) && sent.push([workerId, msg]) > 0,
    status: () => [],
    sent,
  });
}

const VOLUME = 'zzzzz-nyw5e-000000000000000';
const LOCATOR = `${'a'.repeat(32)}+3`;
const quiet = () => createLogger({ role: 'primary', level: 'error', format: 'json' });

/** The ids of the trash jobs sent to worker process `workerId`. */
function jobsSentTo(workers: ReturnType<typeof fakeWorkers>, workerId: number): number[] {
  return workers.sent.flatMap(([to, msg]) => (to === workerId && msg.type === 'job' ? [msg.id] : []));
}

/** A pool of one worker index whose process is replaced: process `workerId` starts listening. */
function respawn(workers: ReturnType<typeof fakeWorkers>, listening: ListeningWorker[], workerId: number): void {
  listening.splice(0, listening.length, { index: 0, workerId, volumes: [VOLUME] });
  workers.emit('ready', 0, [VOLUME]);
}

/** Work lists with a one-entry trash list, whose gone workers are forgotten through worker-exits; nobody listens yet. */
function oneTrashEntry() {
  const listening: ListeningWorker[] = [];
  const workers = fakeWorkers(listening);
  const lists = new WorkLists(workers, quiet());
  forgetGoneWorkers(workers, [(workerId, how) => lists.forgetWorker(workerId, how)]);
  const items: ListItem[] = [[LOCATOR, '1700000000000000000', null]];
  lists.install({ kind: 'trash', items, serverLists: [], acceptedAt: Date.now() });
  return { listening, workers, lists };
}

test("a dead worker's unanswered job goes back to its list through worker-exits and runs on the replacement", async () => {
  const { listening, workers, lists } = oneTrashEntry();
  respawn(workers, listening, 31);
  assert.equal(jobsSentTo(workers, 31).length, 1);
  assert.equal(lists.queue('trash').inProgress, 1);

  listening.length = 0;
  workers.emit('died', 0, 31);
  assert.deepEqual({ queued: lists.queue('trash').queued, inProgress: lists.queue('trash').inProgress }, { queued: 1, inProgress: 0 });

  respawn(workers, listening, 32);
  const [id] = jobsSentTo(workers, 32);
  assert.ok(id !== undefined, 'the replacement got the job');
  lists.jobDone(31, 'trash', id, { ok: true }); // not from the process that has it: ignored
  await new Promise(setImmediate);
  assert.equal(lists.queue('trash').done, 0);
  lists.jobDone(32, 'trash', id, { ok: true });
  await new Promise(setImmediate);
  assert.deepEqual({ done: lists.queue('trash').done, inProgress: lists.queue('trash').inProgress }, { done: 1, inProgress: 0 });
});

test('a job whose worker died 3 times is dropped as a poison pill; a retirement does not count', () => {
  const { listening, workers, lists } = oneTrashEntry();
  const exits = ['died', 'retired', 'died', 'died'] as const;
  for (const [i, how] of exits.entries()) {
    respawn(workers, listening, 40 + i);
    assert.equal(jobsSentTo(workers, 40 + i).length, 1, `process ${40 + i} runs the job`);
    listening.length = 0;
    workers.emit(how, 0, 40 + i);
  }
  assert.deepEqual(
    { queued: lists.queue('trash').queued, inProgress: lists.queue('trash').inProgress, failed: lists.queue('trash').failed },
    { queued: 0, inProgress: 0, failed: 1 },
  );
  respawn(workers, listening, 50);
  assert.deepEqual(jobsSentTo(workers, 50), []);
});

test("a retired worker's unfinished list upload is dropped; its replacement's is kept", () => {
  const workers = fakeWorkers();
  const lists = new WorkLists(workers, quiet());
  forgetGoneWorkers(workers, [(workerId, how) => lists.forgetWorker(workerId, how)]);
  const retiring = lists.begin('trash', 11);
  const replacement = lists.begin('trash', 12);
  workers.emit('retired', 0, 11);
  assert.throws(() => lists.commit(retiring, 0), /unknown list upload/);
  assert.equal(lists.commit(replacement, 0), 0);
});

test("a dead worker's unfinished list upload is dropped", () => {
  const workers = fakeWorkers();
  const lists = new WorkLists(workers, quiet());
  forgetGoneWorkers(workers, [(workerId, how) => lists.forgetWorker(workerId, how)]);
  const upload = lists.begin('pull', 21);
  workers.emit('died', 1, 21);
  assert.throws(() => lists.commit(upload, 0), /unknown list upload/);
});

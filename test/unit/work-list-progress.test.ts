/**
 * WorkList progress by ordinal (what Redis persistence records): every entry of the current
 * list finishes exactly once, whether it ran, fanned out to several volumes, was skipped, or
 * waited on the same entry in flight from the list it replaced.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkList } from '../../packages/server/src/worklist/work-list.ts';

interface E {
  name: string;
  volumes: string[];
}
const e = (name: string, ...volumes: string[]): E => ({ name, volumes });

function makeList(): { list: WorkList<E>; finished: Array<[number, number, boolean]> } {
  const finished: Array<[number, number, boolean]> = [];
  const list = new WorkList<E>({
    keyOf: (x) => x.name,
    route: (x) => (x.volumes.length ? { volumes: x.volumes } : { skip: 'nowhere' }),
  });
  list.onEntryFinished((generation, ordinal, ok) => finished.push([generation, ordinal, ok]));
  return { list, finished };
}

test('jobs carry their ordinal and generation; an entry finishes when its job completes', () => {
  const { list, finished } = makeList();
  list.replace([e('a', 'v1'), e('b', 'v1')]);
  assert.equal(list.currentGeneration, 1);
  const a = list.take(['v1'])!;
  const b = list.take(['v1'])!;
  assert.deepEqual([a.ordinal, b.ordinal, a.generation], [0, 1, 1]);
  list.complete(b.id, false);
  list.complete(a.id, true);
  assert.deepEqual(finished, [
    [1, 1, false],
    [1, 0, true],
  ]);
  list.complete(a.id, true); // reported twice: nothing more
  assert.equal(finished.length, 2);
});

test('a fanned-out entry finishes with its last job, failed if any job failed', () => {
  const { list, finished } = makeList();
  list.replace([e('a', 'v1', 'v2')]);
  const j1 = list.take(['v1'])!;
  const j2 = list.take(['v2'])!;
  assert.equal(j1.ordinal, j2.ordinal);
  list.complete(j1.id, false);
  assert.deepEqual(finished, []);
  list.complete(j2.id, true);
  assert.deepEqual(finished, [[1, 0, false]]);
});

test('a skipped entry finishes (failed) when it is routed', () => {
  const { list, finished } = makeList();
  list.replace([e('nowhere'), e('b', 'v1')]);
  assert.equal(list.take(['v1'])!.entry.name, 'b');
  assert.deepEqual(finished, [[1, 0, false]]);
});

test('an entry of a new list already in flight from the old one finishes with that job', () => {
  const { list, finished } = makeList();
  list.replace([e('a', 'v1')]);
  const old = list.take(['v1'])!;
  list.replace([e('x', 'v1'), e('a', 'v1')]);
  const x = list.take(['v1'])!;
  assert.equal(list.take(['v1']), null, 'a is not started twice');
  list.complete(x.id, true);
  list.complete(old.id, true);
  assert.deepEqual(finished, [
    [2, 0, true],
    [1, 0, true],
    [2, 1, true],
  ]);
});

test('if that old job is lost with its worker, the waiting entry runs on its own', () => {
  const { list, finished } = makeList();
  list.replace([e('a', 'v1')]);
  const old = list.take(['v1'])!;
  list.replace([e('a', 'v1')]);
  assert.equal(list.take(['v1']), null);
  list.requeue([old.id]); // old generation: not requeued itself
  const again = list.take(['v1'])!;
  assert.deepEqual([again.generation, again.ordinal], [2, 0]);
  list.complete(again.id, true);
  assert.deepEqual(finished, [[2, 0, true]]);
  assert.equal(list.stats().queued, 0);
});

test('a replace forgets entries waiting on in-flight jobs', () => {
  const { list, finished } = makeList();
  list.replace([e('a', 'v1')]);
  const old = list.take(['v1'])!;
  list.replace([e('a', 'v1')]);
  list.take(['v1']);
  list.replace([]);
  list.complete(old.id, true);
  assert.deepEqual(finished, [[1, 0, true]], 'only the old entry itself');
});

/**
 * The generic WorkList (packages/server/src/worklist/work-list.ts): list order, per-volume
 * routing, replace dropping what was not dispatched, entries in flight not started twice,
 * requeue to the head only for the current list, and the queue figures.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkList, type Job } from '../../packages/server/src/worklist/work-list.ts';

/** A test entry: a name (its key) and where it must run; no volumes means "skip". */
interface E {
  name: string;
  volumes: string[];
}

const e = (name: string, ...volumes: string[]): E => ({ name, volumes });

function makeList(): { list: WorkList<E>; skipped: Array<[string, string]>; routedCalls: string[] } {
  const skipped: Array<[string, string]> = [];
  const routedCalls: string[] = [];
  const list = new WorkList<E>({
    keyOf: (x) => x.name,
    route: (x) => {
      routedCalls.push(x.name);
      return x.volumes.length ? { volumes: x.volumes } : { skip: `${x.name} has nowhere to go` };
    },
    onSkip: (x, reason) => skipped.push([x.name, reason]),
  });
  return { list, skipped, routedCalls };
}

/** Take until null, returning the names (and volumes) in order. */
function drain(list: WorkList<E>, volumes: string[]): Array<Job<E>> {
  const out: Array<Job<E>> = [];
  for (let job = list.take(volumes); job; job = list.take(volumes)) out.push(job);
  return out;
}
const names = (jobs: Array<Job<E>>): string[] => jobs.map((j) => j.entry.name);

test('an empty list has nothing to take', () => {
  const { list } = makeList();
  assert.equal(list.take(['v1']), null);
  assert.deepEqual(
    { ...list.stats(), listAgeSeconds: 0 },
    { queued: 0, inProgress: 0, done: 0, failed: 0, listAgeSeconds: 0, listSize: 0 },
  );
});

test('jobs come out in list order, with the volume they run on', () => {
  const { list } = makeList();
  list.replace([e('a', 'v1'), e('b', 'v1'), e('c', 'v1')]);
  const jobs = drain(list, ['v1']);
  assert.deepEqual(names(jobs), ['a', 'b', 'c']);
  assert.deepEqual(
    jobs.map((j) => j.volume),
    ['v1', 'v1', 'v1'],
  );
  assert.equal(new Set(jobs.map((j) => j.id)).size, 3, 'job ids are unique');
});

test('per-volume routing: a worker gets only its volumes, in list order, and nobody blocks the others', () => {
  const { list } = makeList();
  list.replace([e('a', 'v1'), e('b', 'v2'), e('c', 'v1'), e('d', 'v2'), e('f', 'v3')]);
  // The v2 worker goes first and gets its entries although a and c (v1) come before them.
  assert.deepEqual(names(drain(list, ['v2'])), ['b', 'd']);
  assert.deepEqual(names(drain(list, ['v1'])), ['a', 'c']);
  assert.deepEqual(names(drain(list, ['v3'])), ['f']);
  assert.equal(list.stats().queued, 0);
  assert.equal(list.stats().inProgress, 5);
});

test('a worker owning several volumes gets their entries merged in list order', () => {
  const { list } = makeList();
  list.replace([e('a', 'v2'), e('b', 'v3'), e('c', 'v1'), e('d', 'v2'), e('f', 'v1')]);
  assert.deepEqual(names(drain(list, ['v3'])), ['b']); // routes a (v2) on the way
  assert.deepEqual(names(drain(list, ['v1', 'v2'])), ['a', 'c', 'd', 'f']);
});

test('routing is lazy: entries are routed only as far as a worker needs', () => {
  const { list, routedCalls } = makeList();
  list.replace([e('a', 'v1'), e('b', 'v1'), e('c', 'v1')]);
  list.take(['v1']);
  assert.deepEqual(routedCalls, ['a']);
  assert.equal(list.stats().queued, 2);
});

test('an entry routed to several volumes becomes one job per volume', () => {
  const { list } = makeList();
  list.replace([e('t', 'v1', 'v2')]);
  const one = list.take(['v1']);
  const two = list.take(['v2']);
  assert.equal(one?.entry.name, 't');
  assert.equal(one?.volume, 'v1');
  assert.equal(two?.entry.name, 't');
  assert.equal(two?.volume, 'v2');
  assert.equal(list.take(['v1', 'v2']), null);
});

test('skipped entries are counted as failed and reported', () => {
  const { list, skipped } = makeList();
  list.replace([e('x'), e('a', 'v1'), e('y')]);
  assert.deepEqual(names(drain(list, ['v1'])), ['a']);
  assert.deepEqual(skipped, [
    ['x', 'x has nowhere to go'],
    ['y', 'y has nowhere to go'],
  ]);
  assert.equal(list.stats().failed, 2);
});

test('replace drops what was not dispatched; jobs in flight finish and are counted', () => {
  const { list } = makeList();
  list.replace([e('a', 'v1'), e('b', 'v1'), e('c', 'v2')]);
  const a = list.take(['v1'])!;
  assert.equal(list.take(['v2'])?.entry.name, 'c'); // routes b onto v1's queue on the way
  list.replace([e('d', 'v1')]);
  assert.deepEqual(list.stats().queued, 1);
  assert.deepEqual(names(drain(list, ['v1'])), ['d'], 'b (routed but undispatched) is gone');
  assert.equal(list.complete(a.id, true)?.entry.name, 'a');
  assert.equal(list.stats().done, 1);
  assert.equal(list.stats().inProgress, 2); // c and d
  assert.equal(list.stats().listSize, 1);
});

test('an entry of the new list that is in flight is not started twice', () => {
  const { list } = makeList();
  list.replace([e('a', 'v1'), e('b', 'v1')]);
  const a = list.take(['v1'])!;
  list.replace([e('a', 'v1'), e('z', 'v1')]);
  assert.deepEqual(names(drain(list, ['v1'])), ['z']);
  list.complete(a.id, true);
  assert.equal(list.take(['v1']), null, 'nor started after the first run finished');
});

test("a cancelled job counts neither done nor failed; a newer list's entry that waited on it runs on its own", () => {
  const { list } = makeList();
  list.replace([e('a', 'v1'), e('b', 'v1')]);
  const [a, b] = [list.take(['v1'])!, list.take(['v1'])!];
  list.replace([e('x', 'v1')]); // a and b are dropped: the dispatcher tells their workers to stop
  list.complete(a.id, false, true);
  assert.deepEqual([list.stats().done, list.stats().failed, list.stats().inProgress], [0, 0, 1], 'only b still runs');
  // A list that wants b again while its cancelled run is still in flight: attached, then on its own.
  list.replace([e('b', 'v1')]);
  assert.equal(list.take(['v1']), null, 'attached to the run in flight');
  list.complete(b.id, false, true);
  assert.equal(list.take(['v1'])?.entry.name, 'b', 'the cancelled run did not finish it: it runs again');
  assert.deepEqual([list.stats().done, list.stats().failed], [0, 0]);
});

test('a duplicate entry already routed is not started while its twin is in flight', () => {
  const { list } = makeList();
  list.replace([e('a', 'v2'), e('x', 'v1'), e('a', 'v2')]);
  assert.deepEqual(names(drain(list, ['v1'])), ['x']); // routes both copies of a onto v2
  const first = list.take(['v2']);
  assert.equal(first?.entry.name, 'a');
  assert.equal(list.take(['v2']), null, 'the second a must not run while the first one does');
  const finished: number[] = [];
  list.onEntryFinished((_gen, ordinal) => finished.push(ordinal));
  list.complete(first!.id, true);
  assert.deepEqual(finished.sort(), [0, 2], 'the duplicate finishes with its twin');
  assert.equal(list.take(['v2']), null, 'and is not started afterwards');
});

test('requeue after a worker death: jobs go back to the head of their volume queue, in order', () => {
  const { list } = makeList();
  list.replace([e('a', 'v1'), e('b', 'v1'), e('c', 'v1'), e('d', 'v1')]);
  const a = list.take(['v1'])!;
  const b = list.take(['v1'])!;
  list.requeue([a.id, b.id]);
  assert.equal(list.stats().inProgress, 0);
  assert.equal(list.stats().queued, 4);
  const again = drain(list, ['v1']);
  assert.deepEqual(names(again), ['a', 'b', 'c', 'd']);
  for (const job of again) assert.ok(list.complete(job.id, true), `${job.entry.name} completes`);
  assert.equal(list.complete(a.id, true), undefined, 'a requeued job completes once');
  assert.deepEqual([list.stats().done, list.stats().failed, list.stats().inProgress], [4, 0, 0]);
});

test('requeue of jobs from a replaced list drops them', () => {
  const { list } = makeList();
  list.replace([e('a', 'v1'), e('b', 'v1')]);
  const a = list.take(['v1'])!;
  list.replace([e('n', 'v1')]);
  list.requeue([a.id]);
  assert.deepEqual(names(drain(list, ['v1'])), ['n']);
  assert.equal(list.stats().inProgress, 1); // n only
  assert.equal(list.stats().queued, 0);
});

test('complete counts done and failed once per job', () => {
  const { list } = makeList();
  list.replace([e('a', 'v1'), e('b', 'v1'), e('c', 'v1')]);
  const [a, b, c] = drain(list, ['v1']);
  assert.equal(list.complete(a!.id, true)?.entry.name, 'a');
  assert.equal(list.complete(b!.id, false)?.entry.name, 'b');
  assert.equal(list.complete(b!.id, true), undefined, 'reported twice');
  assert.equal(list.complete(9999, true), undefined, 'unknown id');
  const s = list.stats();
  assert.deepEqual([s.done, s.failed, s.inProgress, s.queued], [1, 1, 1, 0]);
  list.complete(c!.id, true);
  assert.equal(list.stats().done, 2);
  assert.deepEqual(list.running(), []);
});

test('stats: queued counts unrouted and routed entries; list age and size follow replace', () => {
  const { list } = makeList();
  const t0 = Date.now() - 42_000;
  list.replace([e('a', 'v1'), e('b', 'v2'), e('c', 'v1')], t0);
  assert.equal(list.stats().listSize, 3);
  assert.equal(list.stats().queued, 3);
  assert.ok(Math.abs(list.stats().listAgeSeconds - 42) <= 1);
  list.take(['v2']); // routes a onto v1 (still queued), dispatches b
  assert.deepEqual([list.stats().queued, list.stats().inProgress], [2, 1]);
  assert.deepEqual(
    list.running().map((j) => j.entry.name),
    ['b'],
  );
});

test('a million entries: accepted whole, 1000 taken (the time is reported, not asserted)', (t) => {
  const { list } = makeList();
  const big = Array.from({ length: 1_000_000 }, (_, i) => e(`k${i}`, i % 2 ? 'v1' : 'v2'));
  const start = process.hrtime.bigint();
  list.replace(big);
  for (let i = 0; i < 1000; i++) list.take(['v1']);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.diagnostic(`replace + 1000 takes: ${ms.toFixed(1)} ms`);
  assert.equal(list.stats().inProgress, 1000);
  assert.equal(list.stats().queued, 999_000);
});

/** Runs unwantedInFlight to its end; returns its result and how many steps it took. */
function unwanted(list: WorkList<E>, chunk?: number): { jobs: Array<Job<E>>; steps: number } {
  const scan = list.unwantedInFlight(chunk);
  let steps = 1;
  for (let step = scan.next(); ; step = scan.next(), steps++) if (step.done) return { jobs: step.value, steps };
}

test('unwantedInFlight: the jobs in flight whose entry the current list does not have', () => {
  const { list } = makeList();
  list.replace([e('a', 'v1'), e('b', 'v1'), e('c', 'v1')]);
  assert.deepEqual(unwanted(list), { jobs: [], steps: 1 }, 'nothing in flight');
  const [a, b] = [list.take(['v1'])!, list.take(['v1'])!];
  list.replace([e('x', 'v1'), e('b', 'v1')]);
  assert.deepEqual(names(unwanted(list).jobs), ['a'], 'b is still wanted');
  list.replace([]);
  assert.deepEqual(names(unwanted(list).jobs).sort(), ['a', 'b'], 'a clear abandons every job');
  list.complete(a.id, true);
  list.complete(b.id, false);
  list.replace([e('y', 'v1')]);
  assert.deepEqual(unwanted(list).jobs, []);
});

test('unwantedInFlight looks at a long list in steps, and stops once every job was found', () => {
  const { list } = makeList();
  list.replace([e('a', 'v1')]);
  const a = list.take(['v1'])!;
  const many = Array.from({ length: 10 }, (_, i) => e(`n${i}`, 'v1'));
  list.replace(many);
  assert.deepEqual(unwanted(list, 3), { jobs: [a], steps: 4 }, '10 entries, 3 per step');
  list.replace([...many, e('a', 'v1')]);
  assert.deepEqual(unwanted(list, 3).jobs, []);
  list.replace([e('a', 'v1'), ...many]);
  assert.deepEqual(unwanted(list, 3), { jobs: [], steps: 1 }, 'found first: no more steps');
});

test('figures count entries and add up to listSize at every step: fan-out, duplicates, skips', () => {
  const { list } = makeList();
  list.replace([e('fan', 'v1', 'v2'), e('dup', 'v1'), e('dup', 'v1'), e('skip'), e('one', 'v2')]);
  const addsUp = (when: string) => {
    const s = list.stats();
    assert.equal(s.queued + s.inProgress + s.done + s.failed, s.listSize, `${when}: ${JSON.stringify(s)}`);
    return s;
  };
  addsUp('accepted');
  const fan1 = list.take(['v1'])!;
  const dup = list.take(['v1'])!;
  assert.equal(list.take(['v1']), null, 'the twin of dup waits; skip was skipped');
  assert.deepEqual([addsUp('v1 busy').inProgress, list.stats().failed], [3, 1], 'fan, dup and its waiting twin; the skip failed');
  const fan2 = list.take(['v2'])!;
  const one = list.take(['v2'])!;
  assert.equal(addsUp('all started').inProgress, 4, 'fan counts once although it runs twice');
  list.complete(fan1.id, true);
  assert.equal(addsUp('half of fan done').done, 0);
  list.complete(fan2.id, true);
  list.complete(dup.id, true);
  list.complete(one.id, false);
  const s = addsUp('finished');
  assert.deepEqual([s.done, s.failed, s.queued, s.inProgress], [3, 2, 0, 0], 'fan, dup and its twin done; skip and one failed');
});

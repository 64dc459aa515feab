/**
 * PendingRequests, the one id map and timeout behind every request/reply on the IPC channel:
 * a request to one peer fails at once when that peer is gone, a fan-out settles without it,
 * a silent peer is named when the wait times out, and a late or foreign answer is ignored.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PendingRequests, type RequestOptions } from '../../packages/server/src/ipc/pending.ts';

const timedOut = (silent: number[]) => new Error(`no answer from ${silent.join(', ')}`);
const single: RequestOptions<number> = { timeoutMs: 60_000, timedOut, onGone: 'fail' };
const fanOut: RequestOptions<number> = { timeoutMs: 60_000, timedOut, onGone: 'skip' };

test('a request to a peer that goes away fails at once, not at its timeout', async () => {
  const pending = new PendingRequests<number, string>();
  const sent: number[] = [];
  const reply = pending.request([7], (_peer, id) => sent.push(id) > 0, single);
  const gone = new Error('worker 7 is gone');
  pending.forget(7, gone);
  await assert.rejects(reply, gone);
  pending.answer(sent[0]!, 7, 'too late'); // ignored: nothing waits any more
});

test('a fan-out settles with the answers of the peers still there', async () => {
  const pending = new PendingRequests<number, string>();
  let id = 0;
  const replies = pending.request(
    [1, 2, 3],
    (_peer, i) => {
      id = i;
      return true;
    },
    fanOut,
  );
  pending.answer(id, 1, 'one');
  pending.answer(id, 99, 'foreign'); // a peer that was never asked
  pending.forget(2, new Error('gone'));
  pending.answer(id, 3, 'three');
  assert.deepEqual(await replies, ['one', 'three']);
});

test('a fan-out that reaches nobody resolves empty; a single request rejects', async () => {
  const pending = new PendingRequests<number, string>();
  assert.deepEqual(await pending.request([1], () => false, fanOut), []);
  await assert.rejects(
    pending.request(
      [1],
      () => false,
      single,
      () => new Error('unreachable'),
    ),
    /unreachable/,
  );
});

test('the timeout names the peers that stayed silent', async () => {
  const pending = new PendingRequests<number, string>();
  let id = 0;
  const replies = pending.request(
    [4, 5],
    (_peer, i) => {
      id = i;
      return true;
    },
    { ...fanOut, timeoutMs: 10 },
  );
  pending.answer(id, 4, 'four');
  await assert.rejects(replies, /no answer from 5$/);
});

test('a refusal fails the request with the given error', async () => {
  const pending = new PendingRequests<number, string>();
  let id = 0;
  const reply = pending.request(
    [1],
    (_peer, i) => {
      id = i;
      return true;
    },
    single,
  );
  pending.refuse(id, 1, new Error('bad request'));
  await assert.rejects(reply, /bad request/);
});

test('a request with no timeout (a job) waits as long as its peer is there, then takes its answer', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const pending = new PendingRequests<number, string>();
  let id = 0;
  const reply = pending.request(
    [3],
    (_peer, i) => {
      id = i;
      return true;
    },
    { timeoutMs: null, onGone: 'fail' },
  );
  t.mock.timers.tick(24 * 3600_000); // a pull that runs for a day still has its slot
  assert.equal(pending.waitingOn(3), 1);
  pending.answer(id, 3, 'done');
  assert.deepEqual(await reply, ['done']);
  assert.equal(pending.waitingOn(3), 0);
});

test('forgetting a peer returns the ids of the requests it failed, oldest first, and only those', async () => {
  const pending = new PendingRequests<number, string>();
  const ids: number[] = [];
  const send = (_peer: number, i: number) => ids.push(i) > 0;
  const noTimeout: RequestOptions<number> = { timeoutMs: null, onGone: 'fail' };
  const first = pending.request([8], send, noTimeout);
  const other = pending.request([9], send, noTimeout);
  const second = pending.request([8], send, noTimeout);
  const scrape = pending.request([8, 9], send, fanOut);
  assert.deepEqual(pending.forget(8, new Error('worker 8 died')), [ids[0], ids[2]]);
  await assert.rejects(first, /worker 8 died/);
  await assert.rejects(second, /worker 8 died/);
  assert.equal(pending.waitingOn(9), 2); // the other peer's job and the fan-out still wait on it
  pending.answer(ids[1]!, 9, 'nine');
  pending.answer(ids[3]!, 9, 'nine too');
  assert.deepEqual(await other, ['nine']);
  assert.deepEqual(await scrape, ['nine too']);
});

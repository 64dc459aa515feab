import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestLimiter } from '../../packages/server/src/http/request-limiter.ts';

test('runs up to maxActive, queues up to maxQueued, refuses the rest', () => {
  const limiter = new RequestLimiter(2, 1);
  const started: string[] = [];
  assert.equal(limiter.enter(() => started.push('a')).kind, 'run');
  assert.equal(limiter.enter(() => started.push('b')).kind, 'run');
  assert.equal(limiter.enter(() => started.push('c')).kind, 'queued');
  assert.equal(limiter.enter(() => started.push('d')).kind, 'rejected');
  assert.deepEqual(limiter.stats(), { active: 2, queued: 1, maxActive: 2, maxQueued: 1 });
  assert.deepEqual(started, []); // 'run' callers go on by themselves; start() is for waiters
});

test('a released slot goes to the oldest waiter, then frees up', () => {
  const limiter = new RequestLimiter(1, 3);
  const started: string[] = [];
  limiter.enter(() => started.push('first'));
  for (const name of ['w1', 'w2', 'w3']) assert.equal(limiter.enter(() => started.push(name)).kind, 'queued');
  limiter.release();
  assert.deepEqual(started, ['w1']);
  assert.deepEqual(limiter.stats().active, 1);
  limiter.release();
  limiter.release();
  assert.deepEqual(started, ['w1', 'w2', 'w3']);
  limiter.release();
  assert.deepEqual(limiter.stats(), { active: 0, queued: 0, maxActive: 1, maxQueued: 3 });
});

test('a cancelled waiter never starts and frees its queue place', () => {
  const limiter = new RequestLimiter(1, 1);
  const started: string[] = [];
  limiter.enter(() => started.push('first'));
  const waiting = limiter.enter(() => started.push('gone'));
  assert.equal(waiting.kind, 'queued');
  if (waiting.kind === 'queued') waiting.ticket.cancel();
  assert.equal(limiter.enter(() => started.push('next')).kind, 'queued');
  limiter.release();
  assert.deepEqual(started, ['next']);
});

test('maxQueued 0 means no waiting at all', () => {
  const limiter = new RequestLimiter(1, 0);
  assert.equal(limiter.enter(() => undefined).kind, 'run');
  assert.equal(limiter.enter(() => undefined).kind, 'rejected');
});

test('nonsense limits are refused at construction', () => {
  assert.throws(() => new RequestLimiter(0, 1), RangeError);
  assert.throws(() => new RequestLimiter(1, -1), RangeError);
  assert.throws(() => new RequestLimiter(1.5, 1), RangeError);
});

test('background waiters (peers pulling from us) get a slot only when no client waits; both share maxQueued', () => {
  const limiter = new RequestLimiter(1, 3);
  const started: string[] = [];
  assert.equal(limiter.enter(() => started.push('running')).kind, 'run');
  assert.equal(limiter.enter(() => started.push('peer1'), true).kind, 'queued');
  assert.equal(limiter.enter(() => started.push('client1')).kind, 'queued');
  const peer2 = limiter.enter(() => started.push('peer2'), true);
  assert.equal(peer2.kind, 'queued');
  assert.equal(limiter.enter(() => started.push('client2')).kind, 'rejected', 'the lanes share one queue bound');
  assert.equal(limiter.clientsQueued, 1, 'only clients count for yielding');
  assert.equal(limiter.stats().queued, 3);
  limiter.release();
  assert.deepEqual(started, ['client1'], 'the client queued after peer1 goes first');
  if (peer2.kind === 'queued') peer2.ticket.cancel();
  limiter.release();
  limiter.release();
  assert.deepEqual(started, ['client1', 'peer1']);
  assert.deepEqual(limiter.stats(), { active: 0, queued: 0, maxActive: 1, maxQueued: 3 });
});

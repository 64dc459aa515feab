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

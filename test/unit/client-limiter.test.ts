import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientLimiter } from '../../packages/server/src/http/client-limiter.ts';

test('each address holds at most maxPerClient places; others are not affected', () => {
  const clients = new ClientLimiter(2);
  assert.equal(clients.enter('10.0.0.1'), true);
  assert.equal(clients.enter('10.0.0.1'), true);
  assert.equal(clients.enter('10.0.0.1'), false);
  assert.equal(clients.held('10.0.0.1'), 2, 'a refused enter takes nothing');
  assert.equal(clients.enter('10.0.0.2'), true);
});

test('leave gives a place back and forgets an address at zero', () => {
  const clients = new ClientLimiter(1);
  assert.equal(clients.enter('a'), true);
  clients.leave('a');
  assert.equal(clients.held('a'), 0);
  assert.equal(clients.enter('a'), true);
  assert.equal(clients.enter('a'), false);
});

test('maxPerClient must be a positive integer', () => {
  assert.throws(() => new ClientLimiter(0), RangeError);
  assert.throws(() => new ClientLimiter(1.5), RangeError);
});

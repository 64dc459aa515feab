/**
 * RpcClient, the worker's request/reply channel to the primary. Once the channel is closed
 * (the primary went away) every call fails at once: a call that waited for its 30 s timeout
 * would hold a stopping worker (its shutdown makes one rpc round trip) and its clients.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RpcClient } from '../../packages/server/src/ipc/rpc-client.ts';
import type { WorkerToPrimary } from '../../packages/server/src/ipc/messages.ts';

test('close() fails the calls in flight and every later call at once, without sending it', async () => {
  const sent: WorkerToPrimary[] = [];
  const rpc = new RpcClient((msg) => sent.push(msg), 60_000);
  const inFlight = rpc.call({ method: 'status' });
  assert.equal(sent.length, 1);
  const gone = new Error('primary went away');
  rpc.close(gone);
  await assert.rejects(inFlight, gone);
  await assert.rejects(rpc.call({ method: 'status' }), gone);
  assert.equal(sent.length, 1, 'nothing is sent on a closed channel');
});

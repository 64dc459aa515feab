/**
 * A worker's metrics (packages/server/src/metrics/worker-metrics.ts): the per-peer pull failure
 * counter keeps a series per peer only up to a bound, so a list naming servers by the thousand
 * cannot grow every scrape without limit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_PEERS_LABELLED, WorkerMetrics } from '../../packages/server/src/metrics/worker-metrics.ts';

test('pull peer failures: a series per peer up to the bound, the rest counted under peer="other"', async () => {
  const metrics = new WorkerMetrics();
  for (let i = 0; i < MAX_PEERS_LABELLED + 50; i++) metrics.countPullPeerFailure(`http://keep${i}.example:25107`);
  metrics.countPullPeerFailure('http://keep0.example:25107'); // a peer with a series keeps counting there
  const failures = (await metrics.snapshot()).find((m) => m.name === 'keepstore_pull_peer_failures_total');
  const values = new Map(failures?.values.map((v) => [String(v.labels['peer']), v.value]));
  assert.equal(values.size, MAX_PEERS_LABELLED + 1);
  assert.equal(values.get('other'), 50);
  assert.equal(values.get('http://keep0.example:25107'), 2);
  assert.equal(values.has(`http://keep${MAX_PEERS_LABELLED}.example:25107`), false);
});

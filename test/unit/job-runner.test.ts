/**
 * JobRunner cancellation (packages/server/src/worker/job-runner.ts): `cancel(id)` aborts the
 * signal its executor was given, only for that job; unknown or finished ids change nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WorkerToPrimary } from '../../packages/server/src/ipc/messages.ts';
import { JobRunner } from '../../packages/server/src/worker/job-runner.ts';
import type { Executors } from '../../packages/server/src/worklist/job-executor.ts';
import { captureLogger } from '../helpers/capture-logger.ts';

test('cancel aborts the signal of that job only; unknown and finished ids are ignored', async () => {
  const signals = new Map<string, AbortSignal>();
  const release = new Map<string, () => void>();
  const executors: Executors = {
    pull: {
      run: (job, cancelled) =>
        new Promise((resolve) => {
          signals.set(job.locator, cancelled);
          release.set(job.locator, () => resolve(cancelled.aborted ? { ok: false, error: 'cancelled' } : { ok: true }));
        }),
    },
    trash: { run: () => Promise.resolve({ ok: true }) },
  };
  const sent: WorkerToPrimary[] = [];
  const runner = new JobRunner(executors, (msg) => sent.push(msg), captureLogger().log);
  const pull = (locator: string) => ({ kind: 'pull' as const, locator, servers: ['http://a'], volume: 'v1', pinned: false });
  runner.start(1, pull('a'));
  runner.start(2, pull('b'));
  runner.cancel(99); // unknown: nothing happens
  runner.cancel(1);
  assert.equal(signals.get('a')!.aborted, true);
  assert.equal(signals.get('b')!.aborted, false);
  release.get('a')!();
  release.get('b')!();
  await runner.drain();
  runner.cancel(2); // finished: nothing to abort
  assert.equal(signals.get('b')!.aborted, false);
  assert.deepEqual(
    sent.map((m) => (m.type === 'job:done' ? [m.id, m.outcome.ok] : m.type)),
    [
      [1, false],
      [2, true],
    ],
  );
});

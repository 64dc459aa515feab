/**
 * JobRunner cancellation (packages/server/src/worker/job-runner.ts): `cancel(kind, id)` aborts the
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
  runner.cancel('pull', 99); // unknown: nothing happens
  runner.cancel('pull', 1);
  assert.equal(signals.get('a')!.aborted, true);
  assert.equal(signals.get('b')!.aborted, false);
  release.get('a')!();
  release.get('b')!();
  await runner.drain();
  runner.cancel('pull', 2); // finished: nothing to abort
  assert.equal(signals.get('b')!.aborted, false);
  assert.deepEqual(
    sent.map((m) => (m.type === 'job:done' ? [m.id, m.outcome.ok] : m.type)),
    [
      [1, false],
      [2, true],
    ],
  );
});

test('a pull and a trash job with the same id (ids are per kind) are cancelled apart', async () => {
  const signals = new Map<string, AbortSignal>();
  const release: Array<() => void> = [];
  const hold = (kind: string, cancelled: AbortSignal) =>
    new Promise<{ ok: true }>((resolve) => {
      signals.set(kind, cancelled);
      release.push(() => resolve({ ok: true }));
    });
  const executors: Executors = {
    pull: { run: (_job, cancelled) => hold('pull', cancelled) },
    trash: { run: (_job, cancelled) => hold('trash', cancelled) },
  };
  const runner = new JobRunner(executors, () => undefined, captureLogger().log);
  runner.start(7, { kind: 'pull', locator: 'a', servers: ['http://a'], volume: 'v1', pinned: false });
  runner.start(7, { kind: 'trash', locator: 'b', blockMtime: '1', volume: 'v1' });
  runner.cancel('pull', 7);
  assert.equal(signals.get('pull')!.aborted, true);
  assert.equal(signals.get('trash')!.aborted, false);
  for (const r of release) r();
  await runner.drain();
});

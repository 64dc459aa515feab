import type { FailureRecord, ListProgressReport, ProgressFigures } from '../list-progress.js';
import type { Dispatcher } from './dispatcher.js';
import { FailureTable } from './failure-table.js';
import { itemLocator, itemSize, type JobOutcome, type ListItem, type ListKind } from './list-wire.js';
import { RateWindow } from './rate-window.js';
import type { Job } from './work-list.js';

/** The rates are measured over this many seconds. */
const RATE_WINDOW_SECONDS = 30;
/** Rows of the recent-failures table. */
const FAILURES_KEPT = 1000;

/**
 * Watches one list's dispatcher for GET /pull, GET /trash, /status.json and the heartbeat: the
 * current list's own done and failed counts (the queue's are since start), the rate over a
 * recent window and the time left at that rate, the jobs in flight, and the recent-failures
 * table (kept across lists: it answers "why does this block not get here?"). Lives in the
 * primary, so a worker's death loses none of it.
 */
export class ListMonitor {
  private readonly rate = new RateWindow(RATE_WINDOW_SECONDS);
  private readonly failures = new FailureTable(FAILURES_KEPT);
  /** The list generation the counts below are for. */
  private generation: number;
  private done = 0;
  private failed = 0;

  constructor(
    private readonly kind: ListKind,
    private readonly dispatcher: Dispatcher,
  ) {
    this.generation = dispatcher.list.currentGeneration;
    dispatcher.list.onEntryFinished((generation, _ordinal, ok) => this.entryFinished(generation, ok));
    dispatcher.onOutcome((job, outcome) => this.jobEnded(job, outcome));
  }

  /** The summary /status.json, the heartbeat and `keepstore fleet` show. */
  figures(now = Date.now()): ProgressFigures {
    this.follow(now);
    const total = this.dispatcher.list.size;
    const rates = this.rate.rates(now);
    const left = Math.max(0, total - this.done - this.failed);
    const running = this.dispatcher.isEnabled && !this.dispatcher.isPaused;
    let etaSeconds: number | null = null;
    if (left === 0) etaSeconds = 0;
    else if (running && rates.entriesPerSecond > 0) etaSeconds = Math.ceil(left / rates.entriesPerSecond);
    return { total, done: this.done, failed: this.failed, ...rates, etaSeconds };
  }

  /** Everything GET /pull (or /trash) answers. */
  report(now = Date.now()): ListProgressReport {
    const stats = this.dispatcher.list.stats();
    return {
      kind: this.kind,
      paused: this.dispatcher.isPaused,
      enabled: this.dispatcher.isEnabled,
      listAgeSeconds: stats.listAgeSeconds,
      queued: stats.queued,
      inProgress: stats.inProgress,
      progress: this.figures(now),
      rateWindowSeconds: this.rate.windowSeconds,
      inFlight: this.dispatcher
        .inFlight()
        .map(({ index, job, since, server }) => ({
          worker: index,
          locator: itemLocator(job.entry),
          mount: job.volume,
          server: server ?? null,
          since: new Date(since).toISOString(),
          seconds: Math.round((now - since) / 1000),
        }))
        .sort((a, b) => a.worker - b.worker || a.since.localeCompare(b.since)),
      failures: this.failures.view(),
    };
  }

  /** A new list (a replace, a resume) starts its counts and its rate from zero. */
  private follow(now: number): void {
    const current = this.dispatcher.list.currentGeneration;
    if (current === this.generation) return;
    this.generation = current;
    this.done = 0;
    this.failed = 0;
    this.rate.reset(now);
  }

  private entryFinished(generation: number, ok: boolean): void {
    const now = Date.now();
    this.follow(now);
    this.rate.record(1, 0, now);
    if (generation !== this.generation) return; // a replaced list's entry: not this list's progress
    if (ok) this.done++;
    else this.failed++;
  }

  private jobEnded(job: Job<ListItem>, outcome: JobOutcome): void {
    if (outcome.ok) return this.rate.record(0, itemSize(job.entry));
    if (outcome.cancelled) return;
    const row: FailureRecord = {
      locator: itemLocator(job.entry),
      mount: job.volume,
      at: new Date().toISOString(),
      error: outcome.error,
      servers: outcome.servers ?? [],
    };
    this.failures.add(row);
  }
}

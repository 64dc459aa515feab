import type { ServerFailure } from '../list-progress.js';
import { LIMIT_VALUES } from '../config/limits.js';
import { describeError } from '../log/logger.js';
import { UNKNOWN_FREE_SPACE, placeBlock } from '../volume/placement.js';
import type { Volume } from '../volume/volume.js';
import { mountSkipReason } from '../worklist/item-hooks.js';
import { reportCorruptCopy } from '../metrics/corrupt-copy.js';
import { locatorHash, locatorSize, type JobOutcome, type JobSpec } from '../worklist/list-wire.js';
import type { JobContext, JobExecutor } from '../worklist/job-executor.js';
import { PeerAgents } from './peer-agents.js';
import { pullFrom, type AttemptResult, type AttemptSpec } from './pull-attempt.js';
import { pullToken, signForPeer } from './peer-locator.js';

type PullJob = Extract<JobSpec, { kind: 'pull' }>;

/**
 * Carries out one pull-list entry (docs/api.md "The pull list"): a block already stored intact
 * is touched; otherwise each server is tried in order until one delivers the block with the
 * right size and MD5 (see pull-attempt.ts). A full target falls back to the next writable
 * volume unless mount_uuid pinned it. Logs `block pulled` per success, and
 * `error pulling data from remote servers` or `error writing data to MOUNT` when it gives up.
 * Locators here are `HASH+SIZE` (the primary keeps no hints), so nothing logged is signed.
 */
export class PullExecutor implements JobExecutor<'pull'> {
  /**
   * Kept-alive connections to peers. The pulls the primary hands this worker (its live
   * pullConcurrency credit) bound the connections in use to any one peer; the agents' own
   * bound is the most pullConcurrency may ever be, so a limit raised live never leaves a pull
   * waiting for a connection (and timing out on it).
   */
  private readonly agents = new PeerAgents({ maxSocketsPerPeer: LIMIT_VALUES.pullConcurrency.maxValue ?? 1024 });

  constructor(private readonly ctx: JobContext) {}

  async run(job: PullJob, cancelled: AbortSignal, trying?: (server: string) => void): Promise<JobOutcome> {
    const started = Date.now();
    const hash = locatorHash(job.locator);
    const size = locatorSize(job.locator);
    const meta = { locator: job.locator, mount: job.volume };
    const holders = this.possibleHolders(job, hash, size);
    if ('skip' in holders) return this.skip(holders.skip, meta);

    const stored = await this.touchIfStored(hash, size, holders.volumes);
    if (typeof stored !== 'string') {
      this.ctx.log.info('pull list entry already stored: touched', { ...meta, mount: stored.uuid });
      return { ok: true, detail: { touched: true, mount: stored.uuid, durationMs: Date.now() - started } };
    }
    return this.tryServers(job, hash, size, started, cancelled, stored === 'absent', trying);
  }

  /**
   * Each server in order until one delivers; a full target falls back once per server. Each
   * request is signed just before it goes out (the signature lives minutes). A job whose entry
   * left the list (`cancelled`) stops before its next request, or while it waits for a peer slot: the
   * transfer under way finishes.
   */
  private async tryServers(
    job: PullJob,
    hash: string,
    size: number,
    started: number,
    cancelled: AbortSignal,
    noStoredCopy: boolean,
    trying?: (server: string) => void,
  ): Promise<JobOutcome> {
    const meta = { locator: job.locator, mount: job.volume };
    const token = pullToken();
    // The target first; a full one (found by store() before a byte is read, or by ENOSPC
    // mid-write) falls back below. No statfs of our own: store() checks the room anyway.
    const spec: AttemptSpec = { hash, size, signedLocator: '', only: job.volume, noStoredCopy };
    const fetchOpts = {
      token,
      connectTimeoutMs: this.ctx.config.pullConnectTimeout,
      idleTimeoutMs: this.ctx.config.pullIdleTimeout,
      agents: this.agents,
      pacing: this.ctx.pacing,
      cancelled,
    };
    const attempt = async (server: string): Promise<AttemptResult | null> => {
      if (cancelled.aborted) return null;
      spec.signedLocator = signForPeer(this.ctx.config, job.locator, token);
      trying?.(server);
      const r = await pullFrom(this.ctx.volumes, server, spec, fetchOpts);
      // Cancelled while it waited for a peer slot (or while the peer failed us): stop here.
      return r.kind === 'peer' && cancelled.aborted ? null : r;
    };
    const errors: ServerFailure[] = [];
    for (const server of job.servers) {
      let r = await attempt(server);
      if (r?.kind === 'full' && !job.pinned && spec.only !== undefined) {
        // The target is full (a stream cannot be replayed): ask again, for anywhere with room.
        this.ctx.log.info('pull target volume is full, falling back to the next writable volume', meta);
        spec.only = undefined;
        r = await attempt(server);
      }
      if (r === null) return this.cancelledJob(meta, errors);
      if (r.kind === 'stored') return this.pulled(job, server, r, started);
      if (r.kind === 'peer') {
        errors.push({ server, error: r.error });
        this.ctx.metrics?.countPullPeerFailure(server);
        this.ctx.log.debug('pull from server failed, trying the next one', { ...meta, server, error: r.error });
        continue;
      }
      return this.writeFailed(job, spec.only ?? job.volume, server, r);
    }
    this.ctx.log.error('error pulling data from remote servers', { ...meta, errors });
    return { ok: false, error: errors.map((e) => `${e.server}: ${e.error}`).join('; ') || 'no servers to pull from', servers: errors };
  }

  /**
   * Where the block may already be stored, as placeBlock orders them (free space does not
   * matter here: store() reads it when it writes): the routed target, checked against this
   * worker's volumes (the config may have changed since the primary routed it), then, unless
   * mount_uuid pinned it, the other writable volumes in rendezvous order.
   */
  private possibleHolders(job: PullJob, hash: string, size: number): { volumes: Volume[] } | { skip: string } {
    const place = (mount: string | null) => placeBlock({ volumes: this.ctx.volumes.list, free: UNKNOWN_FREE_SPACE, hash, size, mount });
    const target = place(job.volume);
    if ('refused' in target) return { skip: mountSkipReason('pull', target.refused === 'unknown-mount' ? 'unknown-mount' : 'read-only') };
    const anywhere = place(null);
    const others = job.pinned || 'refused' in anywhere ? [] : anywhere.targets.filter((v) => v.uuid !== job.volume);
    return { volumes: [...target.targets, ...others] };
  }

  /**
   * "Already stored" means stored intact: a stored copy is read back through MD5
   * (verifyStored: one local read, far cheaper than fetching it again, and the balancer only
   * sends pulls for blocks it believes missing here, so this is the rare case). An intact copy
   * is touched so it is not collected; a corrupt one is reported and the pull goes ahead,
   * replacing it. `volumes`: possibleHolders, in order. Returns the volume touched, else
   * `absent` when every volume answered that it has no copy (store() then need not look
   * again), else `pull` (a copy is there but not intact, or could not be checked).
   */
  private async touchIfStored(hash: string, size: number, volumes: Volume[]): Promise<Volume | 'absent' | 'pull'> {
    let found: 'absent' | 'pull' = 'absent';
    for (const volume of volumes) {
      try {
        const stat = await volume.stat(hash);
        if (!stat) continue;
        found = 'pull';
        const state = await volume.verifyStored(hash);
        if (state === 'corrupt') reportCorruptCopy(this.ctx, volume.uuid, hash, 'pull', 'pulling a good copy');
        if (state !== 'intact' || stat.size !== size) continue;
        await volume.touch(hash);
        return volume;
      } catch (err) {
        found = 'pull';
        this.ctx.log.debug('cannot check or touch an existing copy; pulling instead', {
          locator: hash,
          mount: volume.uuid,
          error: describeError(err),
        });
      }
    }
    return found;
  }

  private pulled(job: PullJob, server: string, r: Extract<AttemptResult, { kind: 'stored' }>, started: number): JobOutcome {
    const durationMs = Date.now() - started;
    const bytes = r.result.stat.size;
    this.ctx.log.info('block pulled', { locator: job.locator, server, mount: r.result.volume.uuid, bytes, durationMs });
    return { ok: true, detail: { server, bytes, durationMs, mount: r.result.volume.uuid } };
  }

  private writeFailed(job: PullJob, mount: string, server: string, r: { error: string }): JobOutcome {
    this.ctx.log.error(`error writing data to ${mount}`, { locator: job.locator, mount, server, error: r.error });
    return { ok: false, error: `error writing data to ${mount}: ${r.error}` };
  }

  private cancelledJob(meta: { locator: string; mount: string }, errors: ServerFailure[]): JobOutcome {
    const reason = 'pull cancelled: the entry is no longer on the pull list';
    this.ctx.log.info(reason, { ...meta, serversTried: errors.length, errors });
    return { ok: false, cancelled: true, error: reason };
  }

  private skip(reason: string, meta: { locator: string; mount: string }): JobOutcome {
    this.ctx.log.warn(reason, meta);
    return { ok: false, error: reason };
  }
}

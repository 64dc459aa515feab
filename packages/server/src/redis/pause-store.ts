import type { Logger } from '../log/logger.js';
import { describeError } from '../log/logger.js';
import type { ListKind } from '../worklist/list-wire.js';
import type { WorkLists } from '../worklist/work-lists.js';
import type { RedisClient } from './redis-client.js';

/**
 * The operator's pause of each list, kept in Redis (one key per list, `1` while paused) so it
 * survives a restart. The first time Redis is reachable (claimed) a list whose state nobody
 * set here takes the stored one; from then on memory is the truth and is written on every
 * change and again after an outage. Never on the data path: a failed write is logged and
 * redone at the next reconnect.
 */
export class PauseStore {
  /** Kinds whose state memory holds (loaded, or set by the operator since start). */
  private readonly known = new Set<ListKind>();

  constructor(
    private readonly client: RedisClient,
    private readonly key: (kind: ListKind) => string,
    private readonly lists: Pick<WorkLists, 'isPaused' | 'setPaused'>,
    private readonly log: Logger,
  ) {}

  /** Redis is ours again (start, reconnect): read the states not known yet, write the others. */
  async sync(kinds: readonly ListKind[]): Promise<void> {
    for (const kind of kinds) {
      try {
        if (this.known.has(kind)) await this.write(kind);
        else await this.load(kind);
      } catch (err) {
        this.log.warn('cannot sync the list pause with redis', { kind, error: describeError(err) });
      }
    }
  }

  /** The operator paused or resumed `kind` (already applied): store it if Redis is there now. */
  async changed(kind: ListKind, up: boolean): Promise<void> {
    this.known.add(kind);
    if (!up) return; // written by sync() once Redis is back
    try {
      await this.write(kind);
    } catch (err) {
      this.log.warn('cannot store the list pause in redis: in memory only until the next change or reconnect', {
        kind,
        error: describeError(err),
      });
    }
  }

  private async load(kind: ListKind): Promise<void> {
    const stored = await this.client.get(this.key(kind));
    if (this.known.has(kind)) return; // the operator spoke while we were reading: that wins
    this.known.add(kind);
    if (stored === '1') {
      this.lists.setPaused(kind, true);
      this.log.info(`${kind} list paused, as stored in redis: POST /${kind}/resume to resume`, { kind });
    }
  }

  private async write(kind: ListKind): Promise<void> {
    if (this.lists.isPaused(kind)) await this.client.set(this.key(kind), '1');
    else await this.client.del(this.key(kind));
  }
}

import { KeepError } from '../errors.js';
import { isPrimaryToWorker, type RpcCall, type RpcValue, type WorkerToPrimary } from './messages.js';

type Pending = { resolve: (v: RpcValue) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/** Worker side of the request/reply channel to the primary (status queries, list hand-over). */
export class RpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Set once the channel is gone: every later call fails at once instead of timing out. */
  private closedBy: Error | null = null;

  constructor(
    private readonly send: (msg: WorkerToPrimary) => void,
    private readonly timeoutMs = 30_000,
  ) {}

  /** Feed every message from the primary through here; returns true if it was an rpc reply. */
  handle(msg: unknown): boolean {
    if (!isPrimaryToWorker(msg) || msg.type !== 'rpc:reply') return false;
    const p = this.pending.get(msg.id);
    if (!p) return true;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.result.ok) p.resolve(msg.result.value);
    else p.reject(new KeepError(msg.result.message, 'KEEP_PRIMARY_REJECTED', msg.result.status));
    return true;
  }

  call<M extends RpcCall['method']>(call: Extract<RpcCall, { method: M }>): Promise<Extract<RpcValue, { method: M }>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.closedBy) return reject(this.closedBy);
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new KeepError('primary did not answer', 'KEEP_PRIMARY_TIMEOUT', 503));
      }, this.timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: RpcValue) => void, reject, timer });
      this.send({ type: 'rpc', id, call });
    });
  }

  /** The channel to the primary is gone: fail every outstanding call, and every later one. */
  close(err: Error): void {
    this.closedBy = err;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.pending.delete(id);
    }
  }
}

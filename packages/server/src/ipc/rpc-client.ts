import { KeepError } from '../errors.js';
import { isPrimaryToWorker, type RpcCall, type RpcValue, type WorkerToPrimary } from './messages.js';
import { PendingRequests } from './pending.js';

const PRIMARY = 'primary';

/** Worker side of the request/reply channel to the primary (status queries, list hand-over). */
export class RpcClient {
  readonly #pending = new PendingRequests<typeof PRIMARY, RpcValue>();

  constructor(
    private readonly send: (msg: WorkerToPrimary) => void,
    private readonly timeoutMs = 30_000,
  ) {}

  /** Feed every message from the primary through here; returns true if it was an rpc reply. */
  handle(msg: unknown): boolean {
    if (!isPrimaryToWorker(msg) || msg.type !== 'rpc:reply') return false;
    if (msg.result.ok) this.#pending.answer(msg.id, PRIMARY, msg.result.value);
    else this.#pending.refuse(msg.id, PRIMARY, new KeepError(msg.result.message, 'KEEP_PRIMARY_REJECTED', msg.result.status));
    return true;
  }

  async call<M extends RpcCall['method']>(call: Extract<RpcCall, { method: M }>): Promise<Extract<RpcValue, { method: M }>> {
    const [value] = await this.#pending.request(
      [PRIMARY],
      (_peer, id) => {
        this.send({ type: 'rpc', id, call });
        return true;
      },
      { timeoutMs: this.timeoutMs, timedOut: () => new KeepError('primary did not answer', 'KEEP_PRIMARY_TIMEOUT', 503), onGone: 'fail' },
    );
    return value as Extract<RpcValue, { method: M }>;
  }

  /** The channel to the primary is gone: fail every outstanding call, and every later one. */
  close(err: Error): void {
    this.#pending.close(err);
  }
}

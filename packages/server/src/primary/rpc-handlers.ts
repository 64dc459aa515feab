import type { RpcCall, RpcResult, RpcValue } from '../ipc/messages.js';
import { KeepError } from '../errors.js';

/** One handler per rpc method; the mapped type keeps call and result types paired. */
export type RpcHandlers = {
  [M in RpcCall['method']]: (call: Extract<RpcCall, { method: M }>, workerIndex: number) => Promise<Extract<RpcValue, { method: M }>>;
};

/** Run the handler for `call` and turn any failure into an error result for the worker. */
export async function dispatchRpc(handlers: RpcHandlers, call: RpcCall, workerIndex: number): Promise<RpcResult> {
  try {
    const handler = handlers[call.method] as (c: RpcCall, i: number) => Promise<RpcValue>;
    return { ok: true, value: await handler(call, workerIndex) };
  } catch (err) {
    const status = err instanceof KeepError ? err.status : 500;
    return { ok: false, status, message: err instanceof Error ? err.message : String(err) };
  }
}

import type { RpcCall, RpcResult, RpcValue } from '../ipc/messages.js';
import { KeepError } from '../errors.js';

/** The worker that made a call: its stable index and its process (cluster's id). */
export interface RpcCaller {
  index: number;
  workerId: number;
}

/** One handler per rpc method; the mapped type keeps call and result types paired. */
export type RpcHandlers = {
  [M in RpcCall['method']]: (call: Extract<RpcCall, { method: M }>, from: RpcCaller) => Promise<Extract<RpcValue, { method: M }>>;
};

/** Run the handler for `call` and turn any failure into an error result for the worker. */
export async function dispatchRpc(handlers: RpcHandlers, call: RpcCall, from: RpcCaller): Promise<RpcResult> {
  try {
    const handler = handlers[call.method] as (c: RpcCall, from: RpcCaller) => Promise<RpcValue>;
    return { ok: true, value: await handler(call, from) };
  } catch (err) {
    const status = err instanceof KeepError ? err.status : 500;
    return { ok: false, status, message: err instanceof Error ? err.message : String(err) };
  }
}

import type { PrimaryLink, ReceivedList } from '../http/app-context.js';
import type { LimitsPatch } from '../config/limits.js';
import type { RpcClient } from '../ipc/rpc-client.js';
import type { ListName } from '../list-progress.js';
import { uploadList, type SendWithBackpressure } from './list-uploader.js';

/** The HTTP API's requests to the primary, carried over this worker's IPC channel. */
export class ChannelPrimaryLink implements PrimaryLink {
  constructor(
    private readonly rpc: RpcClient,
    private readonly send: SendWithBackpressure,
  ) {}

  async status() {
    return (await this.rpc.call({ method: 'status' })).status;
  }

  async metrics() {
    const { text, contentType } = await this.rpc.call({ method: 'metrics' });
    return { text, contentType };
  }

  async limits(set: LimitsPatch | null) {
    return (await this.rpc.call({ method: 'limits', set })).limits;
  }

  uploadList(list: ReceivedList): Promise<number> {
    return uploadList(this.rpc, this.send, list);
  }

  async listProgress(kind: ListName) {
    return (await this.rpc.call({ method: 'list:progress', kind })).report;
  }

  async setPaused(kind: ListName, paused: boolean) {
    return (await this.rpc.call({ method: 'list:pause', kind, paused })).state;
  }
}

/**
 * One worker's express app, built in the test process around temp-directory volumes and a
 * fake primary, listening on port 0: routes and middleware answer real HTTP in milliseconds,
 * with no fork. This is the ONE place that knows how a worker's context is put together for
 * tests (the worker process builds its own in its entry point).
 */
import fs from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { RpcCall, RpcResult, WorkerToPrimary } from '../../packages/server/src/ipc/messages.ts';
import { RpcClient } from '../../packages/server/src/ipc/rpc-client.ts';
import type { KeepstoreConfig } from '../../packages/server/src/config/config.ts';
import { configFromObject } from '../../packages/server/src/config/load.ts';
import { createApp } from '../../packages/server/src/http/app.ts';
import { createHttpServer } from '../../packages/server/src/http/server.ts';
import type { ListProgressReport } from '../../packages/server/src/list-progress.ts';
import type { ClusterStatus } from '../../packages/server/src/status.ts';
import { createVolume } from '../../packages/server/src/volume/create-volume.ts';
import { VolumeSet } from '../../packages/server/src/volume/volume-set.ts';
import { LIMIT_DEFAULTS, type Limits } from '../../packages/server/src/config/limits.ts';
import { WorkerContext } from '../../packages/server/src/worker/context.ts';
import { ChannelPrimaryLink } from '../../packages/server/src/worker/primary-link.ts';
import { type CapturedLog, captureLogger } from './capture-logger.ts';
import { MGMT_TOKEN, ROOT_TOKEN, SIGNING_KEY, volumeUuid } from './keepstore-process.ts';

/** What the app asks of the primary, answered here and recorded for the test to check. */
export class FakePrimary {
  /** Every rpc call, in order. */
  readonly calls: RpcCall[] = [];
  /** Every list batch sent between `list:begin` and `list:commit`. */
  readonly batches: Extract<WorkerToPrimary, { type: 'list:batch' }>[] = [];
  status: ClusterStatus = {
    workers: [{ index: 0, pid: process.pid, state: 'listening', volumes: [], restarts: 0 }],
    pullQueue: { queued: 0, inProgress: 0, done: 0, failed: 0 },
    trashQueue: { queued: 0, inProgress: 0, done: 0, failed: 0 },
    pacing: { limits: { ...LIMIT_DEFAULTS, live: [] }, peerSlots: {}, workers: [{ index: 0, throttled: false, bandwidthShare: 0 }] },
  };
  metricsText = '# in-process test metrics\n';
  /** The pause state of each list, as POST /KIND/pause and /KIND/resume left it. */
  readonly paused = { pull: false, trash: false };
  /** What GET /pull and GET /trash answer (kind and paused filled in per call). */
  progress: ListProgressReport = {
    kind: 'pull',
    paused: false,
    enabled: true,
    listAgeSeconds: 0,
    queued: 0,
    inProgress: 0,
    progress: { total: 0, done: 0, failed: 0, entriesPerSecond: 0, bytesPerSecond: 0, etaSeconds: 0 },
    rateWindowSeconds: 30,
    inFlight: [],
    failures: { capacity: 1000, recorded: 0, recent: [] },
  };
  /** Set to make every rpc call fail with this status and message (as the primary's refusals do). */
  refuse: { status: number; message: string } | null = null;
  private nextUploadId = 1;

  /** The rpc answer to `call`, as the real primary would give it. */
  answer(call: RpcCall): RpcResult {
    if (this.refuse) return { ok: false, ...this.refuse };
    switch (call.method) {
      case 'status':
        return { ok: true, value: { method: 'status', status: this.status } };
      case 'list:begin':
        return { ok: true, value: { method: 'list:begin', uploadId: this.nextUploadId++ } };
      case 'list:commit':
        return { ok: true, value: { method: 'list:commit', accepted: call.count } };
      case 'metrics':
        return { ok: true, value: { method: 'metrics', text: this.metricsText, contentType: 'text/plain; version=0.0.4; charset=utf-8' } };
      case 'list:progress':
        return {
          ok: true,
          value: { method: 'list:progress', report: { ...this.progress, kind: call.kind, paused: this.paused[call.kind] } },
        };
      case 'list:pause':
        this.paused[call.kind] = call.paused;
        return { ok: true, value: { method: 'list:pause', state: { kind: call.kind, paused: call.paused } } };
      case 'limits':
        // Numbers set a limit; a null (back to the config) leaves the fake's value as it is.
        this.status.pacing.limits = {
          ...this.status.pacing.limits,
          ...(Object.fromEntries(Object.entries(call.set ?? {}).filter(([, v]) => typeof v === 'number')) as Partial<Limits>),
        };
        return { ok: true, value: { method: 'limits', limits: this.status.pacing.limits } };
    }
  }
}

export interface InProcessApp {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly config: KeepstoreConfig;
  readonly ctx: WorkerContext;
  readonly primary: FakePrimary;
  /** The directory volumes' roots, in config order. */
  readonly roots: readonly string[];
  /** What the app logged (JSON lines). */
  readonly logs: CapturedLog[];
  close(): Promise<void>;
}

export interface InProcessOptions {
  /** Number of directory volumes (default 1). */
  volumes?: number;
  /** Config fields over the test defaults (tokens, signing on with the test key). */
  config?: Record<string, unknown>;
}

export async function startInProcessApp(opts: InProcessOptions = {}): Promise<InProcessApp> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'keepstore-inprocess-'));
  const roots = Array.from({ length: opts.volumes ?? 1 }, (_, i) => path.join(dir, `vol${i}`));
  const config = configFromObject(
    {
      listen: '127.0.0.1:0',
      workers: 1,
      systemRootToken: ROOT_TOKEN,
      managementToken: MGMT_TOKEN,
      blobSigning: true,
      blobSigningKey: SIGNING_KEY,
      volumes: roots.map((root, i) => ({ uuid: volumeUuid(i), root })),
      ...opts.config,
    },
    dir,
  );
  const volumes = new VolumeSet(config.volumes.map((spec) => createVolume(spec)));
  for (const v of volumes.list) await v.init();
  const primary = new FakePrimary();
  // The channel to the primary: answers arrive on a later tick, as they do over IPC.
  const rpc: RpcClient = new RpcClient((msg: WorkerToPrimary) => {
    if (msg.type !== 'rpc') return;
    const result = primary.answer(msg.call);
    primary.calls.push(msg.call);
    setImmediate(() => rpc.handle({ type: 'rpc:reply', id: msg.id, result }));
  }, 5_000);
  const { log, lines } = captureLogger();
  // The worker's real link to the primary (rpc + list upload), over a channel answered here.
  const link = new ChannelPrimaryLink(rpc, async (msg: WorkerToPrimary) => {
    if (msg.type === 'list:batch') primary.batches.push(msg);
  });
  const ctx = new WorkerContext({ config, index: 0, log, volumes, primary: link });
  const server: Server = createHttpServer(createApp(ctx));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    ctx,
    primary,
    roots,
    logs: lines,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rpc.close(new Error('test app closed'));
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

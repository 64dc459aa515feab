/**
 * A worker process (forked by the primary's WorkerPool; started by ./main.ts). It waits for the
 * primary's `init`, opens its volumes, serves the HTTP API on the shared port, runs the pull
 * and trash jobs the primary hands it, and on `shutdown` (or when the primary goes away) stops
 * accepting and exits once in-flight requests and jobs are done or the grace period ends. Importing this
 * module does nothing: run() installs the process handlers.
 */
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import { createApp } from '../http/app.js';
import { createHttpServer } from '../http/server.js';
import { listenHostPort, type KeepstoreConfig } from '../config/config.js';
import { KeepError } from '../errors.js';
import { createLogger, describeError } from '../log/logger.js';
import { MeteredVolume } from '../metrics/metered-volume.js';
import { createVolume } from '../volume/create-volume.js';
import { WorkerMetrics } from '../metrics/worker-metrics.js';
import { VolumeSet } from '../volume/volume-set.js';
import { dispatchMessage, isPrimaryToWorker, type MessageHandlers, type PrimaryToWorker, type WorkerToPrimary } from '../ipc/messages.js';
import { RpcClient } from '../ipc/rpc-client.js';
import { startBackgroundTasks } from './background-tasks.js';
import { WorkerContext } from './context.js';
import { createExecutors } from './executors.js';
import { JobRunner } from './job-runner.js';
import { ChannelPrimaryLink } from './primary-link.js';
import { RequestLimiter } from '../http/request-limiter.js';
import { registerPacingMetrics } from '../metrics/pacing-metrics.js';
import { PeerSlotClient } from './peer-slot-client.js';
import { createPullPacing } from './pacing-setup.js';
import type { PullPacer } from './pull-pacer.js';
import type { YieldGate } from './yield-gate.js';

const send = (msg: WorkerToPrimary): void => {
  if (process.connected) process.send?.(msg);
};
/** Resolves when the IPC channel has taken the message; waits when send() reports backpressure. */
const sendWithBackpressure = (msg: WorkerToPrimary): Promise<void> =>
  new Promise((resolve, reject) => {
    if (!process.connected || !process.send) return reject(new Error('primary went away'));
    process.send(msg, undefined, undefined, (err) => (err ? reject(err) : resolve()));
  });

export class KeepstoreWorker {
  private readonly rpc = new RpcClient(send);
  private worker: { ctx: WorkerContext; server: Server; jobs: JobRunner } | null = null;
  private stopping = false;
  private background: { stop(): void } | null = null;
  private metrics: WorkerMetrics | null = null;
  private readonly peerSlots = new PeerSlotClient(send);
  private pacer: PullPacer | null = null;
  private gate: YieldGate | null = null;

  /** Take this process as a worker: listen to the primary, then say hello (it answers with init). */
  run(): void {
    process.on('message', (msg: unknown) => {
      if (isPrimaryToWorker(msg)) dispatchMessage(this.handlers, msg, undefined);
    });
    send({ type: 'hello' });
    // The primary is gone (crashed or SIGKILLed): stop listening at once (so a restarted server
    // can bind the port), finish what we are serving within the grace period, and leave.
    // node:cluster's own 'disconnect' listener, registered before this module ran, would instead
    // exit on the spot and cut every request in flight, unless the disconnect counts as expected.
    cluster.worker!.exitedAfterDisconnect = true;
    process.on('disconnect', () => {
      this.rpc.close(new KeepError('primary went away: this worker is stopping', 'KEEP_PRIMARY_GONE', 503));
      this.peerSlots.close();
      this.shutdown('primary gone');
    });
    // SIGINT reaches the whole process group on Ctrl-C: the primary coordinates the stop.
    process.on('SIGINT', () => undefined);
    process.on('SIGTERM', () => this.shutdown('SIGTERM'));
  }

  private async start(index: number, config: KeepstoreConfig, sweeps: string[]): Promise<void> {
    const log = createLogger({ ...config.log, role: 'worker', worker: index });
    const metered = config.volumes.map((spec) => new MeteredVolume(createVolume(spec)));
    const volumes = new VolumeSet(metered);
    for (const v of volumes.list) await v.init();
    const metrics = (this.metrics = new WorkerMetrics());
    metrics.trackVolumes(metered);
    const primary = new ChannelPrimaryLink(this.rpc, sendWithBackpressure);
    const limiter = new RequestLimiter(config.maxConcurrentRequests, config.maxQueuedRequests);
    const {
      gate,
      pacer: pacing,
      mayStart,
    } = createPullPacing(config, limiter, this.peerSlots, () => (this.worker?.jobs.size ?? 0) > 0, send);
    this.gate = gate;
    this.pacer = pacing;
    registerPacingMetrics(metrics.registry, () => pacing.figures());
    const ctx = new WorkerContext({ config, index, log, volumes, primary, metrics, pacing });
    const jobs = new JobRunner(createExecutors(ctx), send, log, mayStart);
    this.background = startBackgroundTasks(ctx, sweeps);
    const app = createApp(ctx, limiter);
    const { host, port } = listenHostPort(config.listen);
    const server = createHttpServer(app).listen(port, host);
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    server.keepAliveTimeout = 65_000; // longer than typical client/proxy idle timeouts
    server.headersTimeout = 66_000;
    this.worker = { ctx, server, jobs };
    send({ type: 'listening' });
  }

  /** Stop accepting, let in-flight requests and jobs finish, then exit 0; force-close after the grace period. */
  private shutdown(reason: 'shutdown' | 'SIGTERM' | 'primary gone'): void {
    if (this.stopping) return;
    this.stopping = true;
    if (!this.worker) process.exit(0);
    const { server, jobs, ctx } = this.worker;
    const { log } = ctx;
    this.background?.stop();
    this.gate?.stop(); // jobs waiting at the gate go on (and finish) rather than wait for clients
    log.info('worker stopping', { reason, jobsInFlight: jobs.size });
    const timer = setTimeout(() => {
      log.warn('grace period over, closing remaining connections');
      server.closeAllConnections();
      process.exit(0);
    }, ctx.config.shutdownGracePeriod);
    timer.unref();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    void Promise.all([closed, jobs.drain(), this.connectionFence()]).then(() => {
      log.info('worker stopped');
      process.exit(0);
    });
  }

  /**
   * With node:cluster's round-robin scheduling the primary accepts connections and hands them
   * to workers one at a time, and closes its copy only when the worker acknowledges it. The
   * server.close() above tells the primary to stop; a connection it handed over before reading
   * that is still in the channel, and if this process exited first, the client would wait
   * forever on a connection nobody owns. One rpc round trip after the close guarantees (the
   * channel is FIFO both ways) that every such hand-over has arrived and been refused, so the
   * primary gives it to another worker.
   */
  private connectionFence(): Promise<void> {
    return this.rpc.call({ method: 'status' }).then(
      () => undefined,
      () => undefined, // the primary is gone: nothing is being handed over any more
    );
  }

  /** The worker's side of the channel: one handler per message from the primary. */
  private readonly handlers: MessageHandlers<PrimaryToWorker> = {
    init: (msg) => {
      this.start(msg.index, msg.config, msg.sweeps).catch((err) => {
        process.stderr.write(`worker ${msg.index} failed to start: ${JSON.stringify(describeError(err))}\n`);
        process.exit(1);
      });
    },
    job: (msg) => this.worker?.jobs.start(msg.id, msg.job),
    'job:cancel': (msg) => this.worker?.jobs.cancel(msg.kind, msg.id),
    shutdown: () => this.shutdown('shutdown'),
    'rpc:reply': (msg) => void this.rpc.handle(msg),
    'pull:pacing': (msg) => this.pacer?.set(msg.bandwidth, msg.perPeerConcurrency),
    'peer:granted': (msg) => this.peerSlots.granted(msg.id),
    'metrics:collect': (msg) => {
      void (this.metrics?.snapshot() ?? Promise.resolve([])).then((snapshot) =>
        send({ type: 'metrics:report', id: msg.id, metrics: snapshot }),
      );
    },
  };
}

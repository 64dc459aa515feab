import cluster, { type Worker } from 'node:cluster';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { KeepstoreConfig } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { describeError } from '../log/logger.js';
import type { ConfigSource } from '../config/config-source.js';
import { dispatchMessage, isWorkerToPrimary, type MessageHandlers, type PrimaryToWorker, type WorkerToPrimary } from '../ipc/messages.js';
import type { ListeningWorker, MessageSender, WorkerEvents, WorkerMessageHandlers, Workers } from '../ipc/workers.js';
import type { WorkerStatus } from '../status.js';
import { RestartBackoff } from './restart-backoff.js';
import { workerEnv } from './worker-env.js';
import { assignVolumes } from './volume-assignment.js';

const WORKER_ENTRY = fileURLToPath(new URL('../worker/main.js', import.meta.url));

interface Slot {
  index: number;
  worker: Worker | null;
  state: WorkerStatus['state'];
  volumes: string[];
  restarts: number;
  backoff: RestartBackoff;
  respawnTimer: NodeJS.Timeout | null;
}

/**
 * The primary's view of its workers: one slot per stable worker index. It forks, assigns
 * volumes, respawns dead workers with backoff, and on reload replaces workers one by one
 * (new one listening before the old one stops) so no request is dropped.
 */
export class WorkerPool extends EventEmitter<WorkerEvents> implements Workers, ConfigSource {
  private slots: Slot[] = [];
  private readonly retiring = new Map<Worker, number>();
  /** Workers of the previous generation during a reload, not yet retired. */
  private readonly outgoing = new Set<Worker>();
  private stopping = false;
  private config: KeepstoreConfig;
  /** The handlers of every message the pool does not answer itself; set by start(). */
  private messages!: WorkerMessageHandlers;

  constructor(
    config: KeepstoreConfig,
    private readonly log: Logger,
  ) {
    super();
    this.config = config;
    // "os": workers accept on the shared socket themselves. With round-robin the primary
    // accepts every connection and hands it over IPC: one more hop per connection, and a
    // connection in transit to a worker that is SIGKILLed is never answered nor closed.
    cluster.schedulingPolicy = config.scheduling === 'os' ? cluster.SCHED_NONE : cluster.SCHED_RR;
    cluster.setupPrimary({ exec: WORKER_ENTRY, args: [], silent: false });
  }

  /**
   * Fork every worker; resolves when all listen. A worker that dies during its first start is
   * fatal. `messages` handles what the workers send besides their start-up handshake.
   */
  async start(messages: WorkerMessageHandlers): Promise<void> {
    this.messages = messages;
    const owned = assignVolumes(
      this.config.volumes.map((v) => v.uuid),
      this.config.workers,
    );
    this.slots = owned.map((volumes, index) => this.newSlot(index, volumes));
    await Promise.all(this.slots.map((slot) => this.spawn(slot, true)));
  }

  get currentConfig(): KeepstoreConfig {
    return this.config;
  }

  /** Listening workers with the volumes they own (the dispatchers' view). */
  listening(): ListeningWorker[] {
    // Once stopping, no worker takes new jobs: those in flight finish within the grace period.
    if (this.stopping) return [];
    return this.slots.flatMap((s) =>
      s.state === 'listening' && s.worker ? [{ index: s.index, workerId: s.worker.id, volumes: s.volumes }] : [],
    );
  }

  /** Send to the worker process `workerId`; false if it is gone. */
  send(workerId: number, msg: PrimaryToWorker): boolean {
    const worker = cluster.workers?.[workerId];
    if (!worker?.isConnected()) return false;
    worker.send(msg); // false only means "queued behind earlier messages"; it is still delivered
    return true;
  }

  /** Send to a specific worker process (replies go back to whoever asked, even a retiring one). */
  sendTo(worker: Worker, msg: PrimaryToWorker): void {
    if (worker.isConnected()) worker.send(msg);
  }

  status(): WorkerStatus[] {
    return this.slots.map((s) => ({
      index: s.index,
      pid: s.worker?.process.pid ?? null,
      state: s.state,
      volumes: [...s.volumes],
      restarts: s.restarts,
    }));
  }

  /**
   * Apply a new config (SIGHUP): every index of the new pool gets a fresh worker with the new
   * config; the old worker at that index retires only after its replacement listens. Indexes
   * beyond the new size retire.
   */
  async reload(config: KeepstoreConfig): Promise<void> {
    this.config = config;
    const owned = assignVolumes(
      config.volumes.map((v) => v.uuid),
      config.workers,
    );
    const old = this.slots;
    this.slots = owned.map((volumes, index) => {
      const prev = old[index];
      const slot = this.newSlot(index, volumes);
      if (prev) slot.restarts = prev.restarts;
      return slot;
    });
    // Until retired, the old workers are in no slot: stop() must still find them.
    for (const prev of old) if (prev.worker) this.outgoing.add(prev.worker);
    for (const slot of this.slots) {
      const prev = old[slot.index];
      if (prev?.respawnTimer) clearTimeout(prev.respawnTimer);
      if (this.stopping) return; // SIGTERM mid-reload: stop() shuts down old and new alike
      await this.spawn(slot, false).catch(() => undefined);
      if (prev?.worker) this.retire(prev.worker, prev.index);
    }
    for (const prev of old.slice(this.slots.length)) {
      if (prev.respawnTimer) clearTimeout(prev.respawnTimer);
      if (prev.worker) this.retire(prev.worker, prev.index);
    }
  }

  /** Ask every worker to finish in-flight work and exit; SIGKILL what is left after graceMs. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const all = [...this.slots.flatMap((s) => (s.worker ? [s.worker] : [])), ...this.retiring.keys(), ...this.outgoing];
    for (const slot of this.slots) if (slot.respawnTimer) clearTimeout(slot.respawnTimer);
    const exited = all.map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
    for (const w of all) this.sendTo(w, { type: 'shutdown' });
    const timer = setTimeout(() => {
      for (const w of all) if (!w.isDead()) w.process.kill('SIGKILL');
    }, graceMs + 2_000);
    await Promise.all(exited);
    clearTimeout(timer);
  }

  /** The lowest-index worker owning a volume: the one that sweeps its trash and temp files. */
  private firstOwner(volume: string): number | undefined {
    return this.slots.find((s) => s.volumes.includes(volume))?.index;
  }

  private newSlot(index: number, volumes: string[]): Slot {
    return { index, worker: null, state: 'starting', volumes, restarts: 0, backoff: new RestartBackoff(), respawnTimer: null };
  }

  private retire(worker: Worker, index: number): void {
    this.outgoing.delete(worker);
    this.retiring.set(worker, index);
    this.sendTo(worker, { type: 'shutdown' });
  }

  /** Fork a worker for `slot`; resolves once it listens, rejects if it dies first. */
  private spawn(slot: Slot, fatalIfDiesEarly: boolean): Promise<void> {
    slot.state = 'starting';
    slot.respawnTimer = null;
    const worker = cluster.fork(workerEnv(this.config));
    slot.worker = worker;
    this.log.info('worker starting', { workerIndex: slot.index, pid: worker.process.pid, volumes: slot.volumes });
    return new Promise((resolve, reject) => {
      let listening = false;
      const from: MessageSender = { index: slot.index, workerId: worker.id, reply: (m) => this.sendTo(worker, m) };
      // The primary's one table: the handshake here, everything else from start()'s caller.
      const handlers: MessageHandlers<WorkerToPrimary, MessageSender> = {
        hello: () => {
          // A shutdown sent before the worker listened for messages was lost: a worker that
          // is being stopped or retired gets it again now, instead of its init.
          if (this.stopping || this.retiring.has(worker)) return this.sendTo(worker, { type: 'shutdown' });
          const sweeps = slot.volumes.filter((v) => this.firstOwner(v) === slot.index);
          this.sendTo(worker, { type: 'init', index: slot.index, config: this.config, volumes: slot.volumes, sweeps });
        },
        listening: () => {
          if (listening) return;
          listening = true;
          if (slot.worker === worker) slot.state = 'listening';
          this.log.info('worker listening', { workerIndex: slot.index, pid: worker.process.pid });
          if (slot.worker === worker) this.emit('ready', slot.index, slot.volumes);
          resolve();
        },
        ...this.messages,
      };
      worker.on('message', (msg: unknown) => {
        if (isWorkerToPrimary(msg)) dispatchMessage(handlers, msg, from);
      });
      worker.once('exit', (code, signal) => {
        if (!listening) reject(new Error(`worker ${slot.index} exited during start-up (code ${code}, signal ${signal})`));
        this.onExit(slot, worker, code, signal, fatalIfDiesEarly && !listening);
      });
    });
  }

  private onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null, fatal: boolean): void {
    this.outgoing.delete(worker);
    const retiredIndex = this.retiring.get(worker);
    if (retiredIndex !== undefined) {
      this.retiring.delete(worker);
      this.log.info('worker retired', { workerIndex: retiredIndex, pid: worker.process.pid, code });
      this.emit('retired', retiredIndex, worker.id);
      return;
    }
    if (this.stopping || slot.worker !== worker || this.slots[slot.index] !== slot) return;
    // Not listening any more before anyone hears of the death, so no dispatcher picks it.
    slot.worker = null;
    slot.state = 'waiting-restart';
    this.emit('died', slot.index, worker.id);
    if (fatal) return; // start() rejects; the primary exits with the configuration error
    const delay = slot.backoff.nextDelay(Date.now());
    slot.restarts++;
    this.log.warn('worker died, restarting', { workerIndex: slot.index, pid: worker.process.pid, code, signal, restartInMs: delay });
    slot.respawnTimer = setTimeout(() => {
      this.spawn(slot, false).catch((err) =>
        this.log.warn('worker restart failed', { workerIndex: slot.index, error: describeError(err) }),
      );
    }, delay);
  }
}

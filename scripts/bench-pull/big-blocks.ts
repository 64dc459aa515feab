/**
 * (a) 64 MiB blocks: our pull throughput against `curl | tee FILE | md5sum` from the same peer,
 * same blocks, same number of transfers at a time; (d) worker RSS while pulling 64 MiB blocks
 * at pullConcurrency 8.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { samplePeakRss, MiB } from './proc.ts';
import {
  emptyVolumes,
  log,
  median,
  ROOT_TOKEN,
  signed,
  startBenchKeepstore,
  timePull,
  workerPids,
  type Block,
  type Keepstore,
} from './harness.ts';

type Stored = Pick<Block, 'hash' | 'locator'>;

/**
 * One baseline transfer: GET with curl, write the file with tee, hash with md5sum; checks the
 * hash. `durable` adds `sync FILE` (an fsync, as our commit does before the rename).
 */
function curlMd5(url: string, file: string, hash: string, durable: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const sync = durable ? ' && sync "$FILE"' : '';
    const script = `set -o pipefail; curl -sf -H "Authorization: Bearer $TOKEN" "$URL" | tee "$FILE" | md5sum${sync}`;
    const p = spawn('bash', ['-c', script], {
      env: { ...process.env, TOKEN: ROOT_TOKEN, URL: url, FILE: file },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.on('exit', (code) => (code === 0 && out.startsWith(hash) ? resolve() : reject(new Error(`curl|md5sum failed (${code}): ${out}`))));
  });
}

/** The baseline over all blocks, `parallel` pipelines at a time; wall time in ms. */
async function baseline(source: Keepstore, blocks: Stored[], parallel: number, durable: boolean): Promise<number> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-pull-curl-'));
  try {
    let next = 0;
    const started = performance.now();
    const lane = async (): Promise<void> => {
      for (let i = next++; i < blocks.length; i = next++) {
        const b = blocks[i]!;
        await curlMd5(`${source.url}/${signed(b.locator)}`, path.join(dir, b.hash), b.hash, durable);
      }
    };
    await Promise.all(Array.from({ length: parallel }, lane));
    return performance.now() - started;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface BigBlockResult {
  parallel: number;
  blocks: number;
  oursMiBs: number;
  baselineMiBs: number;
  /** The baseline with an fsync of each file, as durable as a pull. */
  durableMiBs: number;
}

/**
 * Throughput with `parallel` transfers at a time: ours is `parallel` workers with one volume and
 * pullConcurrency 1 each (the blocks are balanced over the volumes, see storeBalancedBlocks), as
 * a server with one worker per CPU runs. Alternating runs, median of `rounds`.
 */
export async function measureBigBlocks(source: Keepstore, blocks: Stored[], parallel: number, rounds: number): Promise<BigBlockResult> {
  const target = await startBenchKeepstore(parallel, parallel, { pullConcurrency: 1 });
  const entries = blocks.map((b) => ({ locator: b.locator, servers: [source.url] }));
  const bytes = blocks.length * 64 * MiB;
  const ours: number[] = [];
  const base: number[] = [];
  const durable: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      base.push(await baseline(source, blocks, parallel, false));
      durable.push(await baseline(source, blocks, parallel, true));
      await emptyVolumes(target, parallel);
      ours.push(await timePull(target, entries));
      log(
        `64 MiB x${blocks.length}, ${parallel} at a time, round ${r + 1}: curl ${base.at(-1)!.toFixed(0)} ms, curl+sync ${durable.at(-1)!.toFixed(0)} ms, ours ${ours.at(-1)!.toFixed(0)} ms`,
      );
    }
  } finally {
    await target.destroy();
  }
  const rate = (ms: number) => bytes / MiB / (ms / 1000);
  return {
    parallel,
    blocks: blocks.length,
    oursMiBs: rate(median(ours)),
    baselineMiBs: rate(median(base)),
    durableMiBs: rate(median(durable)),
  };
}

export interface WorkerMemoryResult {
  concurrency: number;
  blocks: number;
  peakWorkerRss: number;
  peakPrimaryRss: number;
}

/** Peak RSS of the (single) worker and of the primary while it pulls `blocks` 64 MiB blocks, `concurrency` at a time. */
export async function measureWorkerMemory(source: Keepstore, blocks: Stored[], concurrency: number): Promise<WorkerMemoryResult> {
  const target = await startBenchKeepstore(1, 1, { pullConcurrency: concurrency });
  try {
    const [worker] = await workerPids(target);
    const primary = target.proc.pid!;
    const sampler = samplePeakRss([worker!, primary], 10);
    const ms = await timePull(
      target,
      blocks.map((b) => ({ locator: b.locator, servers: [source.url] })),
    );
    const peak = sampler.stop();
    log(
      `worker memory: ${blocks.length} x 64 MiB at pullConcurrency ${concurrency} in ${ms.toFixed(0)} ms, peak worker RSS ${(peak.get(worker!)! / MiB).toFixed(0)} MiB`,
    );
    return { concurrency, blocks: blocks.length, peakWorkerRss: peak.get(worker!)!, peakPrimaryRss: peak.get(primary)! };
  } finally {
    await target.destroy();
  }
}

/**
 * npm run bench:pacing -- pull pacing measured (README "Pull pacing", issue 13's "Measured"):
 * a keepstore holding 1 MiB blocks serves a steady client GET load (fixed rate) while it runs a
 * pull list of 64 MiB blocks from a peer keepstore on the same machine. Side by side, one run:
 *   1. no pulls;  2. pulls unpaced (yieldToClients off, no pullBandwidth);
 *   3. pulls paced (yieldToClients on, pullBandwidth = --paced-share of the unpaced pull rate);
 *   4. no clients, yielding off, no limit: what the machine delivers right now;
 *   5. the same with pullBandwidth = --hold-limit (default: half of row 4, so the machine can
 *      surely deliver it) held over 30 s.
 * Reports client p50/p99 and throughput and the pull throughput in each, with the ratios the
 * issue targets. Writes the table to bench-results/pacing.md.
 *
 * Options: --rate N (client GETs/s, default 20), --seconds N (per load window, default 20),
 * --paced-share F (default 0.6), --hold-limit MiB/s, --hold-seconds N (default 30).
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { steadyGets, type LoadFigures } from './bench-pacing/client-load.ts';
import { log as pullLog, signed, startBenchKeepstore, storeBlocks, ROOT_TOKEN, type Keepstore } from './bench-pull/harness.ts';
import { MGMT_TOKEN, startKeepstore, volumeUuid } from '../test/helpers/keepstore-process.ts';
import { putPullList, send } from '../test/helpers/pull-helpers.ts';
import { parsePrometheus, sumOf } from '../test/helpers/http-client.ts';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string' },
    seconds: { type: 'string' },
    'paced-share': { type: 'string' },
    'hold-limit': { type: 'string' },
    'hold-seconds': { type: 'string' },
  },
});
const RATE = Number(args.rate ?? 20);
const SECONDS = Number(args.seconds ?? 20);
const PACED_SHARE = Number(args['paced-share'] ?? 0.6);
const HOLD_LIMIT_ARG = args['hold-limit'] === undefined ? null : Number(args['hold-limit']) * 1024 * 1024;
const HOLD_SECONDS = Number(args['hold-seconds'] ?? 30);
const MiB = 1024 * 1024;
const CLIENT_BLOCKS = 64; // 1 MiB each
const PULL_BLOCKS = 6; // 64 MiB each, one round of the pull list
const log = (line: string): void => pullLog(`(pacing) ${line}`);

/** The server under test: vol0 (read-only) holds the client blocks, pulls land on vol1. */
function startTarget(dir: string, config: Record<string, unknown>): Promise<Keepstore> {
  const volumes = [
    { uuid: volumeUuid(0), root: path.join(dir, 'vol0'), readOnly: true },
    { uuid: volumeUuid(1), root: path.join(dir, 'vol1') },
  ];
  return startKeepstore({
    workers: 2,
    dir,
    config: { log: { level: 'info', format: 'json' }, shutdownGracePeriod: '1s', volumes, ...config },
  });
}

async function pulledBytes(ks: Keepstore): Promise<number> {
  const res = await send(`${ks.url}/metrics`, 'GET', undefined, { Authorization: `Bearer ${MGMT_TOKEN}` });
  return sumOf(parsePrometheus(res.text), 'keepstore_pull_bytes_total');
}

async function emptyDir(root: string): Promise<void> {
  for (const name of await readdir(root).catch(() => [])) await rm(path.join(root, name), { recursive: true, force: true });
}

/** Pull-list log lines that end an entry (the worker's). */
const FINISHED = new Set(['block pulled', 'error pulling data from remote servers']);

/**
 * Run the pull list over and over (emptying vol1 between rounds) until stopped. Stopping does
 * not wait for the round: the target is stopped next (a paced round may take minutes).
 */
function pullRounds(target: Keepstore, entries: Array<{ locator: string; servers: string[] }>): { stop(): void } {
  let running = true;
  void (async () => {
    while (running) {
      let seen = target.logs.length;
      const res = await putPullList(target, entries);
      if (res.status !== 200) throw new Error(`PUT /pull: ${res.status} ${res.text}`);
      for (let finished = 0; running && finished < entries.length; ) {
        for (; seen < target.logs.length; seen++) if (FINISHED.has(target.logs[seen]!.message)) finished++;
        await new Promise((r) => setTimeout(r, 20));
      }
      if (running) await emptyDir(target.volumeRoot(1));
    }
  })().catch((err: unknown) => log(`pull rounds stopped: ${(err as Error).message}`));
  return {
    stop: () => {
      running = false;
    },
  };
}

interface Scenario {
  name: string;
  load: LoadFigures;
  pullMiBs: number | null;
}

async function scenario(
  name: string,
  dir: string,
  config: Record<string, unknown>,
  blocks: ReadonlyArray<{ locator: string }>,
  entries: Array<{ locator: string; servers: string[] }> | null,
): Promise<Scenario> {
  log(`${name}: starting`);
  const target = await startTarget(dir, config);
  const urls = blocks.map((b) => `${target.url}/${signed(b.locator)}`);
  try {
    const pulls = entries ? pullRounds(target, entries) : null;
    if (pulls) await new Promise((r) => setTimeout(r, 2_000)); // pulls under way before clients start
    const before = await pulledBytes(target);
    const t0 = performance.now();
    const load = await steadyGets(urls, RATE, SECONDS, { Authorization: `Bearer ${ROOT_TOKEN}` });
    const pulled = (await pulledBytes(target)) - before;
    const elapsed = (performance.now() - t0) / 1000;
    pulls?.stop();
    const result = { name, load, pullMiBs: entries ? pulled / MiB / elapsed : null };
    log(
      `${name}: p50 ${load.p50Ms.toFixed(1)} ms, p99 ${load.p99Ms.toFixed(1)} ms, clients ${(load.bytesPerSecond / MiB).toFixed(1)} MiB/s, pulls ${result.pullMiBs?.toFixed(1) ?? '-'} MiB/s, errors ${load.errors}`,
    );
    return result;
  } finally {
    await target.stop();
    await emptyDir(path.join(dir, 'vol1'));
  }
}

/** No clients, yielding off, pullBandwidth `limit` (0: none): bytes per second pulled over `seconds` once the pulls are under way. */
async function bandwidthHold(
  dir: string,
  entries: Array<{ locator: string; servers: string[] }>,
  limit: number,
  seconds: number,
): Promise<number> {
  log(`no clients, pullBandwidth ${limit === 0 ? 'unlimited' : `${(limit / MiB).toFixed(1)} MiB/s`}, over ${seconds} s`);
  const target = await startTarget(dir, { pullBandwidth: limit, yieldToClients: false });
  try {
    const pulls = pullRounds(target, entries);
    await new Promise((r) => setTimeout(r, 3_000));
    const before = await pulledBytes(target);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const rate = ((await pulledBytes(target)) - before) / ((performance.now() - t0) / 1000);
    pulls.stop();
    return rate;
  } finally {
    await target.stop();
    await emptyDir(path.join(dir, 'vol1'));
  }
}

const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;
const check = (ok: boolean): string => (ok ? 'met' : '**missed**');

async function main(): Promise<void> {
  const loadBefore = os.loadavg()[0]!.toFixed(2);
  const source = await startBenchKeepstore(1, 1);
  const seed = await startBenchKeepstore(2, 1); // stores the client blocks on what becomes the target's vol0
  const dir = seed.dir;
  try {
    log(`storing ${PULL_BLOCKS} x 64 MiB on the source and ${CLIENT_BLOCKS} x 1 MiB on the target`);
    const big = await storeBlocks(source, PULL_BLOCKS, 64 * MiB, 2);
    const small = await storeBlocks(seed, CLIENT_BLOCKS, MiB, 4);
    await seed.stop();
    const entries = big.map((b) => ({ locator: b.locator, servers: [source.url] }));
    const unpacedConfig = { yieldToClients: false };
    const none = await scenario('no pulls', dir, unpacedConfig, small, null);
    const unpaced = await scenario('pulls unpaced', dir, unpacedConfig, small, entries);
    const limit = Math.round((unpaced.pullMiBs ?? 0) * PACED_SHARE * MiB);
    const paced = await scenario(
      `pulls paced (yield on, pullBandwidth ${(limit / MiB).toFixed(1)} MiB/s)`,
      dir,
      { pullBandwidth: limit },
      small,
      entries,
    );
    const free = await bandwidthHold(dir, entries, 0, SECONDS);
    const holdLimit = HOLD_LIMIT_ARG ?? Math.round(free / 2);
    const held = await bandwidthHold(dir, entries, holdLimit, HOLD_SECONDS);

    const p99Ratio = paced.load.p99Ms / none.load.p99Ms;
    const pullRatio = (paced.pullMiBs ?? 0) / (unpaced.pullMiBs ?? 1);
    const holdRatio = held / holdLimit;
    const rows = [none, unpaced, paced].map(
      (s) =>
        `| ${s.name} | ${fmt(s.load.p50Ms)} | ${fmt(s.load.p99Ms)} | ${(s.load.bytesPerSecond / MiB).toFixed(1)} MiB/s | ${s.pullMiBs === null ? '—' : `${s.pullMiBs.toFixed(1)} MiB/s`} |`,
    );
    const table = [
      `bench:pacing on ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; target: 2 workers, clients ${RATE} GETs/s of 1 MiB blocks for ${SECONDS} s per row; pulls: ${PULL_BLOCKS} x 64 MiB from a keepstore on the same machine, over and over; load average ${loadBefore} before, ${os.loadavg()[0]!.toFixed(2)} after (other jobs share this machine)`,
      '',
      '| scenario | client p50 | client p99 | client throughput | pull throughput |',
      '|---|---|---|---|---|',
      ...rows,
      '',
      '| target | measured | ratio | verdict |',
      '|---|---|---|---|',
      `| paced client p99 within 1.5x of no pulls | ${fmt(paced.load.p99Ms)} vs ${fmt(none.load.p99Ms)} | ${p99Ratio.toFixed(2)} | ${check(p99Ratio <= 1.5)} |`,
      `| paced pulls >= 50% of unpaced | ${(paced.pullMiBs ?? 0).toFixed(1)} vs ${(unpaced.pullMiBs ?? 0).toFixed(1)} MiB/s | ${pullRatio.toFixed(2)} | ${check(pullRatio >= 0.5)} |`,
      `| pullBandwidth ${(holdLimit / MiB).toFixed(1)} MiB/s held within 10% over ${HOLD_SECONDS} s (no clients; unlimited: ${(free / MiB).toFixed(1)} MiB/s) | ${(held / MiB).toFixed(1)} MiB/s | ${holdRatio.toFixed(3)} | ${check(Math.abs(holdRatio - 1) <= 0.1)} |`,
    ].join('\n');
    process.stdout.write(`${table}\n`);
    const out = path.resolve(import.meta.dirname, '../bench-results/pacing.md');
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, `# bench:pacing\n\n${table}\n`);
  } finally {
    await source.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();

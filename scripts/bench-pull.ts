/**
 * npm run bench:pull -- pull speed and memory of keepstore-ts, measured side by side in one run
 * on this machine, with a real keepstore as the source peer (see README "Pull lists"):
 *  (a) 64 MiB blocks: our pull throughput vs `curl | tee FILE | md5sum` from the same peer;
 *  (b) 4 KiB blocks: pulled blocks/s vs the peer's own GET rate (autocannon, the upper bound);
 *  (c) accepting 100 000 and 1 000 000-entry lists: time to 200, primary and workers' RSS growth
 *      (also alone: `npm run bench:lists`);
 *  (d) worker RSS while pulling 64 MiB blocks at pullConcurrency 8.
 * Prints a table and writes it to bench-results/pull.md.
 *
 * Options: --rounds N (timed repetitions, median; default 3), --only a,b,c,d.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { measureBigBlocks, measureWorkerMemory, type BigBlockResult, type WorkerMemoryResult } from './bench-pull/big-blocks.ts';
import { log, startBenchKeepstore, storeBalancedBlocks, storeBlocks } from './bench-pull/harness.ts';
import { measureListAccept, type ListAcceptResult } from './bench-pull/list-accept.ts';
import { fmtMiB, MiB } from './bench-pull/proc.ts';
import { measureSmallBlocks, peerGetRate, type SmallBlockResult } from './bench-pull/small-blocks.ts';

const { values: args } = parseArgs({ options: { rounds: { type: 'string' }, only: { type: 'string' } } });
const ROUNDS = Number(args.rounds ?? 3);
const ONLY = new Set((args.only ?? 'a,b,c,d').split(','));
const BIG_BLOCKS = 8;
const SMALL_BLOCKS = 4000;
const GET_CONNECTIONS = 16;

const check = (ok: boolean) => (ok ? 'met' : '**missed**');

function bigRows(results: BigBlockResult[]): string[] {
  return results.flatMap((r) => {
    const name = `(a) 64 MiB blocks, ${r.blocks} blocks, ${r.parallel} at a time (ours: ${r.parallel} worker${r.parallel > 1 ? 's' : ''})`;
    const ratio = r.oursMiBs / r.baselineMiBs;
    const durable = r.oursMiBs / r.durableMiBs;
    return [
      `| ${name} | ${r.oursMiBs.toFixed(0)} MiB/s | curl\\|tee\\|md5sum ${r.baselineMiBs.toFixed(0)} MiB/s | ${ratio.toFixed(2)} | >= 0.9: ${check(ratio >= 0.9)} |`,
      `| (a) same, baseline also fsyncs each file (\`sync FILE\`) | ${r.oursMiBs.toFixed(0)} MiB/s | curl\\|tee\\|md5sum + sync ${r.durableMiBs.toFixed(0)} MiB/s | ${durable.toFixed(2)} | context |`,
    ];
  });
}

function smallRows(results: SmallBlockResult[]): string[] {
  return results.map((r) => {
    const ratio = r.oursPerSec / r.peerGetPerSec;
    return `| (b) 4 KiB blocks, ${r.blocks} blocks, ${r.workers} workers x pullConcurrency ${r.pullConcurrency} | ${r.oursPerSec.toFixed(0)} blocks/s | peer GET ${r.peerGetPerSec.toFixed(0)} req/s (autocannon, ${r.connections} conns) | ${ratio.toFixed(2)} | report |`;
  });
}

/** Issue 10's targets for a 1M-entry list (MB = 10^6 bytes); smaller lists are reported. */
const LIST_TARGETS = { seconds: 2.5, primaryGrowth: 120e6, workersGrowth: 250e6 };

function listRows(results: ListAcceptResult[]): string[] {
  return results.flatMap((r) => {
    const name = `(c) accept ${r.entries.toLocaleString('en')} entries, 3 servers each (${(r.bodyBytes / MiB).toFixed(0)} MiB JSON)`;
    const big = r.entries >= 1_000_000;
    const target = (text: string, ok: boolean) => (big ? `${text}: ${check(ok)}` : 'report');
    const seconds = r.msTo200 / 1000;
    return [
      `| ${name}: time to 200 | ${seconds.toFixed(2)} s | — | — | ${target(`< ${LIST_TARGETS.seconds} s`, seconds < LIST_TARGETS.seconds)} |`,
      `| ${name}: primary RSS growth | +${fmtMiB(r.primaryPeakGrowth)} peak, +${fmtMiB(r.primarySettledGrowth)} settled | — | — | ${target('< 120 MB', r.primaryPeakGrowth < LIST_TARGETS.primaryGrowth)} |`,
      `| ${name}: all workers' RSS growth | +${fmtMiB(r.workersPeakGrowth)} peak | — | — | ${target('< 250 MB', r.workersPeakGrowth < LIST_TARGETS.workersGrowth)} |`,
    ];
  });
}

function memoryRows(r: WorkerMemoryResult | null): string[] {
  if (!r) return [];
  return [
    `| (d) worker RSS pulling ${r.blocks} x 64 MiB, pullConcurrency ${r.concurrency} | ${fmtMiB(r.peakWorkerRss)} peak | primary ${fmtMiB(r.peakPrimaryRss)} peak | — | < 200 MB: ${check(r.peakWorkerRss < 200 * 1e6)} |`,
  ];
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg()[0]!.toFixed(2);
  const big: BigBlockResult[] = [];
  const small: SmallBlockResult[] = [];
  let lists: ListAcceptResult[] = [];
  let memory: WorkerMemoryResult | null = null;
  const source = await startBenchKeepstore(2, 1);
  try {
    if (ONLY.has('a') || ONLY.has('d')) {
      log(`storing ${BIG_BLOCKS} x 64 MiB on the source peer`);
      const blocks = await storeBalancedBlocks(source, BIG_BLOCKS, 64 * MiB, 2);
      if (ONLY.has('a')) for (const parallel of [1, 2]) big.push(await measureBigBlocks(source, blocks, parallel, ROUNDS));
      if (ONLY.has('d')) memory = await measureWorkerMemory(source, blocks, 8);
    }
    if (ONLY.has('b')) {
      log(`storing ${SMALL_BLOCKS} x 4 KiB on the source peer`);
      const blocks = await storeBlocks(source, SMALL_BLOCKS, 4096, 16);
      const perSec = await peerGetRate(source, blocks, GET_CONNECTIONS, 5);
      log(`peer GET rate: ${perSec.toFixed(0)} req/s`);
      for (const c of [4, 16]) small.push(await measureSmallBlocks(source, blocks, c, ROUNDS, { perSec, connections: GET_CONNECTIONS }));
    }
  } finally {
    await source.destroy();
  }
  if (ONLY.has('c')) lists = await measureListAccept([100_000, 1_000_000]);

  const table = [
    `bench:pull on ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; source peer: a keepstore (2 workers) on the same machine; median of ${ROUNDS} rounds; load average ${loadBefore} before, ${os.loadavg()[0]!.toFixed(2)} after (other jobs share this machine)`,
    '',
    '| measurement | keepstore-ts | reference | ratio | target |',
    '|---|---|---|---|---|',
    ...bigRows(big),
    ...smallRows(small),
    ...listRows(lists),
    ...memoryRows(memory),
  ].join('\n');
  process.stdout.write(`\n${table}\n`);
  const out = path.resolve(import.meta.dirname, '../bench-results/pull.md');
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, `# bench:pull\n\n${table}\n`);
  log(`written to ${path.relative(process.cwd(), out)}`);
}

main().catch((err) => {
  process.stderr.write(`bench:pull failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

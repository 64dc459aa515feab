/**
 * (b) 4 KiB blocks: blocks pulled per second against the peer's own GET rate for the same
 * blocks, measured with autocannon (the upper bound: a pull is a GET plus a durable write).
 */
import autocannon from 'autocannon';
import { emptyVolumes, log, median, ROOT_TOKEN, signed, startBenchKeepstore, timePull, type Block, type Keepstore } from './harness.ts';

type Stored = Pick<Block, 'hash' | 'locator'>;

/** GET requests per second the peer serves for `blocks` (2xx only), `connections` at a time. */
export async function peerGetRate(source: Keepstore, blocks: Stored[], connections: number, seconds: number): Promise<number> {
  const result = await autocannon({
    url: source.url,
    connections,
    duration: seconds,
    headers: { Authorization: `Bearer ${ROOT_TOKEN}` },
    requests: blocks.map((b) => ({ method: 'GET', path: `/${signed(b.locator)}` })),
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`autocannon: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

export interface SmallBlockResult {
  blocks: number;
  workers: number;
  pullConcurrency: number;
  oursPerSec: number;
  peerGetPerSec: number;
  connections: number;
}

/** Pull all `blocks` into a fresh 2-worker keepstore, `rounds` times (volumes emptied between), median rate. */
export async function measureSmallBlocks(
  source: Keepstore,
  blocks: Stored[],
  pullConcurrency: number,
  rounds: number,
  getRate: { perSec: number; connections: number },
): Promise<SmallBlockResult> {
  const workers = 2;
  const target = await startBenchKeepstore(workers, 2, { pullConcurrency });
  const entries = blocks.map((b) => ({ locator: b.locator, servers: [source.url] }));
  const times: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      await emptyVolumes(target, 2);
      times.push(await timePull(target, entries));
      log(`4 KiB x${blocks.length}, pullConcurrency ${pullConcurrency}, round ${r + 1}: ${times.at(-1)!.toFixed(0)} ms`);
    }
  } finally {
    await target.destroy();
  }
  return {
    blocks: blocks.length,
    workers,
    pullConcurrency,
    oursPerSec: blocks.length / (median(times) / 1000),
    peerGetPerSec: getRate.perSec,
    connections: getRate.connections,
  };
}

/**
 * What every bench:pull phase needs: keepstores started the way the tests start them (the real
 * launcher, own temp dir and port, shared signing key), blocks stored on a source peer, and
 * "send a pull list and time it until every entry has finished".
 */
import { rm, readdir } from 'node:fs/promises';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { rendezvousOrder, signLocator } from '@keepstore/protocol';
import { ROOT_TOKEN, SIGNING_KEY, startKeepstore, volumeUuid, type Keepstore } from '../../test/helpers/keepstore-process.ts';
import { getStatus, makeBlock, putPullList, send, type Block, type PullEntryJson } from '../../test/helpers/pull-helpers.ts';

export { ROOT_TOKEN, type Keepstore, type Block };

export const log = (line: string): void => void process.stderr.write(`[bench:pull] ${line}\n`);

/** A keepstore for the bench: info logging (debug would log the lists), short pull timeouts. */
export function startBenchKeepstore(workers: number, volumeCount: number, config: Record<string, unknown> = {}): Promise<Keepstore> {
  return startKeepstore({ workers, volumeCount, config: { log: { level: 'info', format: 'json' }, ...config } });
}

/** Store `count` random blocks of `size` bytes on `ks`, `parallel` PUTs at a time; returns them without their bytes kept. */
export async function storeBlocks(
  ks: Keepstore,
  count: number,
  size: number,
  parallel = 8,
): Promise<Array<Pick<Block, 'hash' | 'locator'>>> {
  const out: Array<Pick<Block, 'hash' | 'locator'>> = [];
  let next = 0;
  const one = async (): Promise<void> => {
    while (next < count) {
      next++;
      const b = makeBlock(size);
      const res = await send(`${ks.url}/${b.hash}`, 'PUT', b.data);
      if (res.status !== 200) throw new Error(`PUT to the source failed: ${res.status} ${res.text}`);
      out.push({ hash: b.hash, locator: b.locator });
    }
  };
  await Promise.all(Array.from({ length: parallel }, one));
  return out;
}

/**
 * Store `count` random blocks of `size` bytes whose rendezvous order over `volumeCount` volumes
 * (the bench targets' uuids) puts them first on each volume in turn: a target with one worker
 * per volume then gets the same share of work on every worker.
 */
export async function storeBalancedBlocks(
  ks: Keepstore,
  count: number,
  size: number,
  volumeCount: number,
): Promise<Array<Pick<Block, 'hash' | 'locator'>>> {
  const volumes = Array.from({ length: volumeCount }, (_, i) => ({ uuid: volumeUuid(i), priority: 0, index: i }));
  const out: Array<Pick<Block, 'hash' | 'locator'>> = [];
  for (let i = 0; i < count; i++) {
    const data = randomBytes(size);
    let hash = createHash('md5').update(data).digest('hex');
    while (rendezvousOrder(hash, volumes)[0]!.index !== i % volumeCount) {
      randomBytes(8).copy(data, size - 8); // another tail, another hash
      hash = createHash('md5').update(data).digest('hex');
    }
    const res = await send(`${ks.url}/${hash}`, 'PUT', data);
    if (res.status !== 200) throw new Error(`PUT to the source failed: ${res.status} ${res.text}`);
    out.push({ hash, locator: `${hash}+${size}` });
  }
  return out;
}

/** `locator` signed for ROOT_TOKEN with the shared key, valid for a day. */
export function signed(locator: string): string {
  return signLocator(locator, ROOT_TOKEN, Math.floor(Date.now() / 1000) + 86_400, 1209600, SIGNING_KEY);
}

/** Log lines that end a pull entry (one per entry), as the worker and primary write them. */
const FINISHED = new Set([
  'block pulled',
  'pull list entry already stored: touched',
  'error pulling data from remote servers',
  'ignoring pull list entry for nonexistent mount',
  'ignoring pull list entry for readonly mount',
]);
const FAILED = new Set(['error pulling data from remote servers']);

/**
 * PUT a pull list on `target` and wait until every entry has finished, watching the server's
 * own log lines (no /status.json polling: at 100 polls/s that costs the worker measurable
 * CPU). Returns the wall time in ms from the PUT to the last entry; throws if any failed.
 */
export async function timePull(target: Keepstore, entries: PullEntryJson[]): Promise<number> {
  const from = target.logs.length;
  const started = performance.now();
  const res = await putPullList(target, entries);
  if (res.status !== 200) throw new Error(`PUT /pull: ${res.status} ${res.text}`);
  let seen = from;
  let finished = 0;
  let failed = 0;
  while (finished < entries.length) {
    for (; seen < target.logs.length; seen++) {
      const message = target.logs[seen]!.message;
      if (message.startsWith('error writing data to')) failed++;
      if (FINISHED.has(message) || message.startsWith('error writing data to')) finished++;
      if (FAILED.has(message)) failed++;
    }
    if (finished < entries.length) await new Promise((r) => setTimeout(r, 2));
  }
  if (failed > 0) throw new Error(`${failed} pulls failed`);
  return performance.now() - started;
}

/** Remove every stored block from the target's volumes (between timed runs of the same blocks). */
export async function emptyVolumes(target: Keepstore, volumeCount: number): Promise<void> {
  for (let i = 0; i < volumeCount; i++) {
    const root = target.volumeRoot(i);
    for (const name of await readdir(root)) await rm(path.join(root, name), { recursive: true, force: true });
  }
}

/** Worker pids of a keepstore, from /status.json. */
export async function workerPids(ks: Keepstore): Promise<number[]> {
  return (await getStatus(ks)).workers.flatMap((w) => (w.pid === null ? [] : [w.pid]));
}

/** The median of a few numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

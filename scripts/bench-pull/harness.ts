/**
 * What every bench:pull phase needs: keepstores started the way the tests start them (the real
 * launcher, own temp dir and port, shared signing key), blocks stored on a source peer, and
 * "send a pull list and time it until every entry has finished".
 */
import { rm, readdir } from 'node:fs/promises';
import path from 'node:path';
import { signLocator } from '@keepstore/protocol';
import { ROOT_TOKEN, SIGNING_KEY, startKeepstore, type Keepstore } from '../../test/helpers/keepstore-process.ts';
import { getStatus, makeBlock, putPullList, send, type Block, type PullEntryJson } from '../../test/helpers/pull-helpers.ts';

export { ROOT_TOKEN, type Keepstore, type Block };

export const log = (line: string): void => void process.stderr.write(`[bench:pull] ${line}\n`);

/** A keepstore for the bench: info logging (debug would log the lists), short pull timeouts. */
export function startBenchKeepstore(workers: number, volumeCount: number, config: Record<string, unknown> = {}): Promise<Keepstore> {
  return startKeepstore({ workers, volumeCount, config: { log: { level: 'info', format: 'json' }, ...config } });
}

/** Store `count` random blocks of `size` bytes on `ks`, `parallel` PUTs at a time; returns them without their bytes kept. */
export async function storeBlocks(ks: Keepstore, count: number, size: number, parallel = 8): Promise<Array<Pick<Block, 'hash' | 'locator'>>> {
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

/** `locator` signed for ROOT_TOKEN with the shared key, valid for a day. */
export function signed(locator: string): string {
  return signLocator(locator, ROOT_TOKEN, Math.floor(Date.now() / 1000) + 86_400, 1209600, SIGNING_KEY);
}

/**
 * PUT a pull list on `target` and wait (polling /status.json every 10 ms) until every entry
 * has finished. Returns the wall time in ms from the PUT to the last entry; throws if any failed.
 */
export async function timePull(target: Keepstore, entries: PullEntryJson[]): Promise<number> {
  const before = (await getStatus(target)).pullQueue;
  const want = before.done + before.failed + entries.length;
  const started = performance.now();
  const res = await putPullList(target, entries);
  if (res.status !== 200) throw new Error(`PUT /pull: ${res.status} ${res.text}`);
  for (;;) {
    const q = (await getStatus(target)).pullQueue;
    if (q.done + q.failed >= want && q.inProgress === 0) {
      if (q.failed !== before.failed) throw new Error(`${q.failed - before.failed} pulls failed`);
      return performance.now() - started;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
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

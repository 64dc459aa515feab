/**
 * Helpers for the trash tests: real block files with back-dated nanosecond mtimes, the admin
 * calls (PUT /trash, DELETE, PUT /untrash, /status.json) and waits on the server's log lines.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { adminHeaders, waitFor, type Keepstore, type LogLine } from './keepstore-process.ts';
import { placeBlock, randomBlock } from './volume-fixtures.ts';

export { randomBlock };

/** A trash-list entry as the balancer sends it (block_mtime is written as exact digits). */
export interface WireTrashEntry {
  locator: string;
  blockMtime: bigint;
  mountUuid?: string;
}

/** JSON text of a trash list; block_mtime as a bare integer literal (JSON.stringify cannot write a BigInt). */
export function trashListJson(entries: readonly WireTrashEntry[]): string {
  const items = entries.map((e) => {
    const mount = e.mountUuid === undefined ? '' : `,"mount_uuid":${JSON.stringify(e.mountUuid)}`;
    return `{"locator":${JSON.stringify(e.locator)},"block_mtime":${e.blockMtime.toString()}${mount}}`;
  });
  return `[${items.join(',')}]`;
}

/**
 * Writes `data` as block `hash` on the volume root and back-dates its mtime to `when` (a Date,
 * or seconds before now); returns the exact mtime in ns as the filesystem stored it.
 */
export async function placeOldBlock(root: string, hash: string, data: Buffer, when: number | Date): Promise<bigint> {
  const p = await placeBlock(root, hash, data);
  const past = typeof when === 'number' ? new Date(Date.now() - when * 1000) : when;
  await fs.utimes(p, past, past);
  return (await fs.stat(p, { bigint: true })).mtimeNs;
}

/** Names in the block's directory that belong to `hash` (the block and its trash copies), sorted. */
export async function blockFiles(root: string, hash: string): Promise<string[]> {
  const names = await fs.readdir(path.join(root, hash.slice(0, 3))).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith(hash)).sort();
}

export async function mtimeNs(root: string, hash: string): Promise<bigint> {
  return (await fs.stat(path.join(root, hash.slice(0, 3), hash), { bigint: true })).mtimeNs;
}

export async function putTrash(ks: Keepstore, body: string, headers: Record<string, string> = adminHeaders): Promise<Response> {
  return fetch(`${ks.url}/trash`, { method: 'PUT', headers, body });
}

export interface TrashQueue {
  queued: number;
  inProgress: number;
  done: number;
  failed: number;
  listSize: number;
  enabled: boolean;
}

export interface StatusJson {
  workers: Array<{ index: number; pid: number | null; state: string; volumes: string[]; trashing: string[] }>;
  trashQueue: TrashQueue;
}

export async function status(ks: Keepstore): Promise<StatusJson> {
  const res = await fetch(`${ks.url}/status.json`, { headers: adminHeaders });
  if (res.status !== 200) throw new Error(`status.json: ${res.status}`);
  return (await res.json()) as StatusJson;
}

/** True for the line the trash executor logs when it finishes a job for (hash, mount). */
function isTrashOutcome(l: LogLine, hash: string, mount: string): boolean {
  if (typeof l.locator !== 'string' || !l.locator.startsWith(hash) || l.mount !== mount) return false;
  return l.message === 'block trashed' || l.message === 'block deleted' || l.message.startsWith('trash list entry skipped');
}

/**
 * Waits for the outcome of the trash job for `hash` on `mount`, logged at or after log index
 * `from` (take `ks.logs.length` before sending the list); returns its log line.
 */
export function trashOutcome(ks: Keepstore, from: number, hash: string, mount: string, timeoutMs = 10_000): Promise<LogLine> {
  const find = (): LogLine | undefined => {
    for (let i = from; i < ks.logs.length; i++) if (isTrashOutcome(ks.logs[i]!, hash, mount)) return ks.logs[i];
    return undefined;
  };
  return waitFor(find, timeoutMs, `trash outcome for ${hash} on ${mount}`);
}

/** Waits until the trash queue has nothing queued or running. */
export async function trashQueueIdle(ks: Keepstore, timeoutMs = 20_000): Promise<TrashQueue> {
  return waitFor(
    async () => {
      const q = (await status(ks)).trashQueue;
      return q.queued === 0 && q.inProgress === 0 ? q : undefined;
    },
    timeoutMs,
    'the trash queue to drain',
  );
}

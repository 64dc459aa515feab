import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { LIST_KINDS } from '../worklist/list-kinds.js';
import { itemKindField, itemLocator, itemMount, type ListItem, type ListKind } from '../worklist/list-wire.js';
import type { ListEntries } from '../worklist/work-list.js';

export type { ListItem };

const deflateRaw = promisify(zlib.deflateRaw);
const inflateRaw = promisify(zlib.inflateRaw);

/** Entries per element of a generation's `entries` LIST (and per write pipeline step). */
export const CHUNK_SIZE = 10_000;

/** Server lists per element of a pull generation's `servers` LIST. */
export const SERVER_CHUNK_SIZE = 10_000;

/**
 * One chunk of entries as a single string: one line per entry, three tab-separated fields
 * (locator, server-list index or block_mtime, mount or empty). Locators, decimal numbers and
 * uuids never contain tabs or newlines, and one string per 10 000 entries keeps a million-entry
 * list at 100 Redis elements instead of a million.
 */
export function encodeChunk(items: ListEntries<ListItem>, start: number, end: number): string {
  const lines = new Array<string>(end - start);
  for (let i = start; i < end; i++) {
    const item = items.at(i)!;
    lines[i - start] = `${itemLocator(item)}\t${itemKindField(item)}\t${itemMount(item) ?? ''}`;
  }
  return lines.join('\n');
}

/**
 * Decode a chunk written by encodeChunk, appending to `out`: one entry per line, always (the
 * count check of a read relies on it). A line without its fields becomes an entry the resume
 * validation refuses (the whole line as locator, no server list, no mtime).
 */
export function decodeChunk(kind: ListKind, chunk: string, out: ListItem[]): void {
  if (chunk === '') return;
  const spec = LIST_KINDS[kind];
  for (const line of chunk.split('\n')) {
    const t1 = line.indexOf('\t');
    const t2 = line.indexOf('\t', t1 + 1);
    if (t1 < 0 || t2 < 0) {
      out.push(spec.brokenItem(line));
      continue;
    }
    const mount = t2 + 1 < line.length ? line.slice(t2 + 1) : null;
    out.push(spec.fromStored(line.slice(0, t1), line.slice(t1 + 1, t2), mount));
  }
}

/**
 * How entry chunks are stored (the generation's meta `encoding`): `deflate-raw` since the
 * Cluster layout (the text above, deflated: about a third of the memory, since block hashes
 * are hex and sizes, mounts and server-list indexes repeat), absent for plain text (the
 * layout before, read when migrating it).
 */
export const CHUNK_ENCODING = 'deflate-raw';

/** A chunk's text as stored. Deflated off the event loop (zlib runs in the thread pool). */
export function packChunk(text: string): Promise<Buffer> {
  return deflateRaw(Buffer.from(text), { level: 6 });
}

/** A stored chunk back to its text, by the generation's `encoding`. */
export async function unpackChunk(stored: Buffer, encoding: string | undefined): Promise<string> {
  if (encoding === undefined) return stored.toString();
  if (encoding !== CHUNK_ENCODING) throw new Error(`unknown list chunk encoding ${JSON.stringify(encoding)}`);
  return (await inflateRaw(stored)).toString();
}

/**
 * Small helpers shared by the pull tests: send a list, read the pull queue, store blocks on a
 * source keepstore, and inspect what ended up on a volume directory.
 */
import { readdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { md5, type Block } from './keep-http.ts';
import { adminHeaders, waitFor, type Keepstore } from './keepstore-process.ts';

export interface Reply {
  status: number;
  text: string;
}

const REQUEST_TIMEOUT_MS = 10_000;

/** One request on a fresh connection (agent: false), so the cluster spreads them over workers. */
export function send(
  url: string,
  method: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const h = { ...headers, ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}) };
    const req = http.request(url, { method, headers: h, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    // A connection can be lost in limbo when the worker it was handed to is killed (the
    // primary accepted it): give up and let the caller's poll retry.
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.end(body);
  });
}

export { md5, makeBlock, type Block } from './keep-http.ts';

/** PUT a block on a keepstore (e.g. the source peer); asserts nothing, returns the status. */
export async function putBlock(ks: Keepstore, block: Block): Promise<number> {
  return (await send(`${ks.url}/${block.hash}`, 'PUT', block.data)).status;
}

export interface PullEntryJson {
  locator: string;
  servers: string[];
  mount_uuid?: string;
}

/** PUT /pull with the admin token; `body` is sent as is when it is a string. */
export function putPullList(
  ks: Keepstore,
  body: readonly PullEntryJson[] | null | string,
  headers: Record<string, string> = adminHeaders,
  timeoutMs?: number,
): Promise<Reply> {
  return send(`${ks.url}/pull`, 'PUT', typeof body === 'string' ? body : JSON.stringify(body), headers, timeoutMs);
}

/** The pull list that names `server` as the only source of every block, in order. */
export function pullEntriesFrom(server: string, blocks: readonly Block[]): PullEntryJson[] {
  return blocks.map((b) => ({ locator: b.locator, servers: [server] }));
}

export interface PullQueue {
  queued: number;
  inProgress: number;
  done: number;
  failed: number;
  listAgeSeconds: number;
  listSize: number;
  /** Pacing holds the list back now (README "Pull pacing"). */
  throttled?: boolean;
}

export interface StatusJson {
  pullQueue: PullQueue;
  trashQueue: PullQueue;
  workers: Array<{ index: number; pid: number | null; state: string; volumes: string[]; restarts: number; pulling: string[] }>;
}

export async function getStatus(ks: Keepstore): Promise<StatusJson> {
  const res = await send(`${ks.url}/status.json`, 'GET', undefined, adminHeaders);
  if (res.status !== 200) throw new Error(`status.json: ${res.status} ${res.text}`);
  return JSON.parse(res.text) as StatusJson;
}

/** Waits until nothing is queued or in progress and `done + failed` reached `finished` (if given). */
export async function waitForPullIdle(ks: Keepstore, finished?: number, timeoutMs = 20_000): Promise<PullQueue> {
  let last: StatusJson | null = null;
  try {
    return await waitFor(
      async () => {
        last = await getStatus(ks);
        const q = last.pullQueue;
        const idle = q.queued === 0 && q.inProgress === 0 && (finished === undefined || q.done + q.failed >= finished);
        return idle ? q : undefined;
      },
      timeoutMs,
      'the pull queue to drain',
    );
  } catch (err) {
    throw new Error(`${(err as Error).message} (want ${finished ?? 'any'} finished; last status ${JSON.stringify(last)})`);
  }
}

/** Every file under a volume root: `[relative path, content MD5]`. */
export async function volumeFiles(root: string): Promise<Array<{ name: string; md5: string }>> {
  const out: Array<{ name: string; md5: string }> = [];
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    out.push({ name: path.relative(root, p), md5: md5(await readFile(p)) });
  }
  return out;
}

/** True if `hash` is stored under its own name on the volume at `root` (content not checked). */
export async function hasBlock(root: string, hash: string): Promise<boolean> {
  return (await volumeFiles(root)).some((f) => path.basename(f.name) === hash);
}

/** Every file named like a block holds exactly the bytes of its name: no partial or wrong block. */
export async function assertNoBadBlocks(root: string): Promise<void> {
  for (const f of await volumeFiles(root)) {
    const base = path.basename(f.name);
    if (/^[0-9a-f]{32}$/.test(base) && f.md5 !== base) throw new Error(`${f.name} holds other bytes (md5 ${f.md5})`);
  }
}

/** Log lines with this exact message. */
export function logsWith(ks: Keepstore, message: string): Array<Record<string, unknown>> {
  return ks.logs.filter((l) => l.message === message);
}

/**
 * PUT a pull list and wait until every entry of it has finished (done or failed), judged by the
 * cumulative counters in /status.json. Returns the queue figures after.
 */
export async function runPullList(ks: Keepstore, entries: PullEntryJson[], timeoutMs = 20_000): Promise<PullQueue> {
  const before = (await getStatus(ks)).pullQueue;
  const res = await putPullList(ks, entries);
  if (res.status !== 200) throw new Error(`PUT /pull: ${res.status} ${res.text}`);
  return waitForPullIdle(ks, before.done + before.failed + entries.length, timeoutMs);
}

/**
 * What the two reference servers of bench-serve (node-minimal.ts, express-minimal.ts) do with a
 * block, written once for both: the same block work keepstore-ts does, on the same directory
 * layout (ROOT/HASH[0:3]/HASH), and nothing else: no auth, no signature check, no logging, no
 * metrics, no limits. The two differ only in what sits in front of these functions.
 *
 * GET: open, read, MD5 check, send. The last chunk is held back until the MD5 is known, as in
 * ours, so a corrupt copy never reaches a client whole (a one-chunk block is sent only after
 * its check; a mismatch is a 502 then, a cut connection later).
 * PUT: the body through MD5 into a temp file next to the block, the hash checked against the
 * URL, fsync of the file, rename, fsync of the directory: durable before the answer, as ours.
 */
import cluster from 'node:cluster';
import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const CHUNK = 1024 * 1024; // read size, as ours
const MAX_BODY = 64 * 1024 * 1024; // a Keep block

/** The 32-hex-digit hash at the start of a `/HASH[+hints]` path, or null. */
export function blockHash(url: string | undefined): string | null {
  return /^\/([0-9a-f]{32})(\+[^/]*)?$/.exec(url ?? '')?.[1] ?? null;
}

function blockPath(root: string, hash: string): string {
  return path.join(root, hash.slice(0, 3), hash);
}

/** Resolves when `res` can take more, or has closed (then `res.destroyed` is true). */
function drained(res: ServerResponse): Promise<void> {
  // A write to a response whose client went away also returns false, after 'close' was emitted.
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}

async function sendVerified(root: string, hash: string, res: ServerResponse): Promise<void> {
  const file = await open(blockPath(root, hash), 'r').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (!file) {
    res.writeHead(404).end();
    return;
  }
  try {
    const { size } = await file.stat();
    const md5 = createHash('md5');
    res.setHeader('Content-Length', size);
    res.setHeader('Content-Type', 'application/octet-stream');
    let held: Buffer | null = null;
    for (let pos = 0; pos < size && !res.destroyed; ) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, size - pos));
      const { bytesRead } = await file.read(chunk, 0, chunk.length, pos);
      if (bytesRead === 0) throw new Error(`${hash}: short read`);
      pos += bytesRead;
      md5.update(chunk.subarray(0, bytesRead));
      if (held && !res.write(held)) await drained(res);
      held = chunk.subarray(0, bytesRead);
    }
    if (md5.digest('hex') !== hash) {
      if (res.headersSent) res.destroy();
      else res.writeHead(502).end();
      return;
    }
    res.end(held ?? undefined);
  } finally {
    await file.close();
  }
}

let tempSeq = 0;

async function storeDurably(root: string, hash: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) {
    res.writeHead(413).end();
    return;
  }
  const dir = path.dirname(blockPath(root, hash));
  await mkdir(dir, { recursive: true });
  const temp = path.join(dir, `${hash}.tmp-${process.pid}-${++tempSeq}`);
  const file = await open(temp, 'wx');
  let stored = false;
  try {
    const md5 = createHash('md5');
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      md5.update(chunk);
      size += chunk.length;
      await file.write(chunk);
    }
    if (md5.digest('hex') !== hash) {
      res.writeHead(422).end('hash mismatch\n');
      return;
    }
    await file.sync();
    await file.close();
    await rename(temp, blockPath(root, hash));
    stored = true;
    const dirHandle = await open(dir, 'r');
    await dirHandle.sync().finally(() => dirHandle.close());
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`${hash}+${size}\n`);
  } finally {
    if (!stored) {
      await file.close().catch(() => undefined); // already closed after sync: ignored
      await rm(temp, { force: true });
    }
  }
}

/** GET or PUT of the block `hash` under `root`; any other method is a 405. */
export function handleBlock(root: string, hash: string, req: IncomingMessage, res: ServerResponse): void {
  const work =
    req.method === 'GET'
      ? sendVerified(root, hash, res)
      : req.method === 'PUT'
        ? storeDurably(root, hash, req, res)
        : Promise.resolve(void res.writeHead(405).end());
  work.catch((err: Error) => {
    if (res.headersSent) res.destroy(err);
    else res.writeHead(500).end(`${err.message}\n`);
  });
}

/**
 * Run `serve` in `--workers` node:cluster workers sharing `--port` on 127.0.0.1, the kernel
 * spreading connections as in ours by default (`scheduling: "os"`). The primary prints `ready`
 * once every worker listens, and stops them all on SIGTERM.
 */
export function runCluster(serve: (root: string) => Server): void {
  const { values } = parseArgs({ options: { root: { type: 'string' }, port: { type: 'string' }, workers: { type: 'string' } } });
  const workers = Number(values.workers ?? os.availableParallelism());
  if (!values.root || !values.port || !(workers >= 1)) {
    process.stderr.write('usage: --root DIR --port N [--workers N]\n');
    process.exit(2);
  }
  if (cluster.isWorker) {
    serve(values.root).listen(Number(values.port), '127.0.0.1');
    return;
  }
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  let listening = 0;
  let stopping = false;
  cluster.on('listening', () => {
    if (++listening === workers) process.stdout.write('ready\n');
  });
  cluster.on('exit', (_w, code) => {
    if (!stopping) throw new Error(`a reference worker exited (${code})`);
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  });
  process.on('SIGTERM', () => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
  });
  for (let i = 0; i < workers; i++) cluster.fork();
}

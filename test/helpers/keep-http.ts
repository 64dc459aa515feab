/**
 * Small HTTP helpers for the integration and cluster tests: raw node:http requests (exact
 * headers, bytes, no connection reuse), block fixtures, and signing with the test key.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { signLocator } from '../../packages/protocol/src/index.ts';
import { SIGNING_KEY } from './keepstore-process.ts';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** True when the body ended normally (false: the connection broke mid-body). */
  complete: boolean;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Abort after this long (ms); the promise rejects. */
  timeoutMs?: number;
}

/**
 * One request on its own connection (agent: false), so the cluster spreads requests over its
 * workers and a broken response never poisons the next one. Resolves even when the body is
 * cut off (complete: false); rejects when no response arrives at all.
 */
export function request(url: string, opts: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = typeof opts.body === 'string' ? Buffer.from(opts.body) : opts.body;
    const headers: Record<string, string> = { ...opts.headers };
    if (body && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) headers['Content-Length'] = String(body.length);
    const req = http.request(url, { method: opts.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let settled = false;
      const done = (complete: boolean) => {
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete });
      };
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(res.complete));
      res.on('aborted', () => done(false));
      res.on('error', () => done(false));
      res.on('close', () => done(res.complete));
    });
    if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`timeout after ${opts.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** An upload in progress; `response` is the server's answer (rejects if the connection breaks first). */
export interface Upload {
  req: http.ClientRequest;
  response: Promise<{ status: number; body: string }>;
}

/** A PUT of `size` bytes whose body the test sends by hand through `req`. */
export function openUpload(url: string, size: number, headers: Record<string, string> = {}): Upload {
  const req = http.request(url, { method: 'PUT', agent: false, headers: { ...headers, 'Content-Length': String(size) } });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  return { req, response };
}

export function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

export interface Block {
  data: Buffer;
  hash: string;
  /** `HASH+SIZE` */
  locator: string;
}

export function makeBlock(size: number): Block {
  const data = randomBytes(size);
  const hash = md5(data);
  return { data, hash, locator: `${hash}+${size}` };
}

/** A PUT of `block` sent in two halves: the first at once, the second on finish(). */
export interface HalfUpload {
  /** The server's answer; rejects if the connection breaks before one arrives. */
  response: Upload['response'];
  finish(): void;
}

export function openHalfUpload(url: string, block: Block, headers: Record<string, string> = {}): HalfUpload {
  const { req, response } = openUpload(`${url}/${block.hash}`, block.data.length, headers);
  const half = Math.floor(block.data.length / 2);
  req.write(block.data.subarray(0, half));
  return { response, finish: () => req.end(block.data.subarray(half)) };
}

/** The default blobSigningTTL (336h) in seconds, as the test servers use it. */
export const TTL_SECONDS = 336 * 3600;

/** Sign `locator` for `token` with the test servers' key, valid for `validForSec` (may be negative). */
export function sign(locator: string, token: string, validForSec = 3600): string {
  return signLocator(locator, token, Math.floor(Date.now() / 1000) + validForSec, TTL_SECONDS, SIGNING_KEY);
}

export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

/** Where a directory volume keeps a block. */
export function blockFile(root: string, hash: string): string {
  return path.join(root, hash.slice(0, 3), hash);
}

/** Every file under `root` (relative, sorted); [] if `root` does not exist. */
export async function filesUnder(root: string): Promise<string[]> {
  let entries;
  try {
    entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath ?? e.path, e.name)))
    .sort();
}

/** Files under any of `roots` whose name mentions `hash` (block, temp or trash file). */
export async function filesFor(roots: readonly string[], hash: string): Promise<string[]> {
  const all = await Promise.all(roots.map(async (r) => (await filesUnder(r)).map((f) => path.join(r, f))));
  return all.flat().filter((f) => path.basename(f).includes(hash));
}

/**
 * A fake Keep peer for pull tests: a real node:http server on port 0 that serves blocks it was
 * given and can misbehave per block, on purpose (ioredis' mock_server idea). It counts requests
 * per hash (so a test can prove an entry was never fetched) and checks each request's
 * signature the way a real keepstore would.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { checkSignature, parseLocator, tryParseLocator } from '../../packages/protocol/src/index.ts';

/**
 * How the peer answers for one block:
 * - `ok`: 200 with the bytes;
 * - `wrong-bytes`: 200 with as many bytes, but not these (the MD5 will not match);
 * - `short`: Content-Length of the whole block, half the bytes, then the connection is cut;
 * - `short-clean`: chunked, half the bytes, then a proper end (no length to break);
 * - `stall`: Content-Length, half the bytes, then nothing (the connection stays open);
 * - `hang`: never answers at all (no headers);
 * - `404`, `500`: that status;
 * - `slow`: the whole block in `slowChunks` pieces, `slowDelayMs` apart;
 * - `endless`: chunked, the block and then filler bytes forever, as fast as the reader takes
 *   them, until it goes away (`bytesSent` tells how much it managed to send).
 */
export type Behaviour = 'ok' | 'wrong-bytes' | 'short' | 'short-clean' | 'stall' | 'hang' | '404' | '500' | 'slow' | 'endless';

export interface FakePeerOptions {
  /** When set, every GET must carry a valid signature for this key (as a real peer checks). */
  signingKey?: string;
  /** blobSigningTTL in seconds used to check signatures. */
  ttlSeconds?: number;
  slowChunks?: number;
  slowDelayMs?: number;
  /** How to answer for a hash it does not serve: `404` (default) or `hang`. */
  unknown?: '404' | 'hang';
  /** Cut a kept-alive connection when a second request arrives on it, unanswered (a peer closing it just then). */
  cutReusedConnections?: boolean;
}

export interface FakePeer {
  url: string;
  /** Serve `data` under `hash` with behaviour `how` (default ok). */
  serve(hash: string, data: Buffer, how?: Behaviour): void;
  /** Change how an already served block answers. */
  behave(hash: string, how: Behaviour): void;
  /** GET requests seen for `hash` (any status). */
  requests(hash: string): number;
  /** Body bytes handed to the socket for `hash` (all requests). */
  bytesSent(hash: string): number;
  /** Requests refused for a bad or missing signature. */
  readonly badSignatures: number;
  /** The most requests it was answering at once since the start (or resetConcurrency()). */
  readonly maxConcurrent: number;
  resetConcurrency(): void;
  /** Authorization headers seen (to check what the puller sends). */
  readonly authHeaders: string[];
  /** Expiry (unix seconds) of each signed locator requested, in order (to check its lifetime). */
  readonly signatureExpiries: number[];
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** Connections open now, and the most that were ever open at once. */
  readonly openConnections: number;
  readonly peakOpenConnections: number;
  /** Wake up every stalled or hung response (they end by cutting the connection). */
  releaseStalled(): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves when `res` can take more, or has closed. */
function drainedOrClosed(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

export async function startFakePeer(opts: FakePeerOptions = {}): Promise<FakePeer> {
  const blocks = new Map<string, { data: Buffer; how: Behaviour }>();
  const counts = new Map<string, number>();
  const sent = new Map<string, number>();
  const stalled = new Set<Socket>();
  const sockets = new Set<Socket>();
  const authHeaders: string[] = [];
  const signatureExpiries: number[] = [];
  let badSignatures = 0;
  let inFlight = 0;
  let maxConcurrent = 0;

  const signatureOk = (locator: string, auth: string | undefined): boolean => {
    if (!opts.signingKey) return true;
    const loc = tryParseLocator(locator);
    const token = /^Bearer (.+)$/.exec(auth ?? '')?.[1];
    return loc !== null && checkSignature(loc, token, opts.signingKey, opts.ttlSeconds ?? 1209600, Date.now() / 1000) === 'ok';
  };

  const used = new WeakSet<Socket>();
  const server = http.createServer((req, res) => {
    const locator = decodeURIComponent((req.url ?? '/').slice(1).split('?')[0]!);
    const hash = locator.slice(0, 32);
    counts.set(hash, (counts.get(hash) ?? 0) + 1);
    maxConcurrent = Math.max(maxConcurrent, ++inFlight);
    res.once('close', () => inFlight--);
    if (opts.cutReusedConnections && used.has(req.socket)) return void req.socket.destroy();
    used.add(req.socket);
    authHeaders.push(req.headers.authorization ?? '');
    const parsed = tryParseLocator(locator);
    if (parsed?.permission) signatureExpiries.push(parseInt(parsed.permission.expiryHex, 16));
    if (req.method !== 'GET' || parsed === null) return void res.writeHead(400).end('bad request\n');
    if (!signatureOk(locator, req.headers.authorization)) {
      badSignatures++;
      return void res.writeHead(400).end('invalid signature\n');
    }
    const block = blocks.get(parseLocator(locator).hash);
    if (!block && opts.unknown === 'hang') return void stalled.add(req.socket);
    if (!block) return void res.writeHead(404).end('Not Found\n');
    void answer(req, res, block.data, block.how, hash);
  });

  async function answer(req: http.IncomingMessage, res: http.ServerResponse, data: Buffer, how: Behaviour, hash: string): Promise<void> {
    const half = data.subarray(0, Math.floor(data.length / 2));
    switch (how) {
      case 'ok':
        return void res.writeHead(200, { 'Content-Length': data.length }).end(data);
      case 'wrong-bytes': {
        const wrong = Buffer.from(data);
        wrong[0] = (wrong[0] ?? 0) ^ 0xff;
        return void res.writeHead(200, { 'Content-Length': wrong.length }).end(wrong);
      }
      case 'short':
        res.writeHead(200, { 'Content-Length': data.length });
        res.write(half, () => setImmediate(() => req.socket.destroy()));
        return;
      case 'short-clean':
        res.writeHead(200, { 'Transfer-Encoding': 'chunked' });
        return void res.end(half);
      case 'stall':
        res.writeHead(200, { 'Content-Length': data.length });
        res.write(half);
        stalled.add(req.socket);
        return;
      case 'hang':
        stalled.add(req.socket);
        return;
      case '404':
        return void res.writeHead(404).end('Not Found\n');
      case '500':
        return void res.writeHead(500).end('internal error\n');
      case 'slow': {
        res.writeHead(200, { 'Content-Length': data.length });
        const n = opts.slowChunks ?? 5;
        const step = Math.ceil(data.length / n);
        for (let off = 0; off < data.length; off += step) {
          if (res.destroyed) return;
          res.write(data.subarray(off, off + step));
          // No pause after the last piece: the client has the whole block then, and a response
          // still open after it would count as one more at once (maxConcurrent).
          if (off + step < data.length) await sleep(opts.slowDelayMs ?? 100);
        }
        return void res.end();
      }
      case 'endless': {
        res.writeHead(200, { 'Transfer-Encoding': 'chunked' });
        const filler = Buffer.alloc(64 * 1024, 0x61);
        for (let chunk = data; !res.destroyed; chunk = filler) {
          sent.set(hash, (sent.get(hash) ?? 0) + chunk.length);
          if (!res.write(chunk)) await drainedOrClosed(res);
        }
        return;
      }
    }
  }

  let connections = 0;
  let peakOpenConnections = 0;
  server.on('connection', (s) => {
    connections++;
    sockets.add(s);
    peakOpenConnections = Math.max(peakOpenConnections, sockets.size);
    s.on('close', () => {
      sockets.delete(s);
      stalled.delete(s);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    serve: (hash, data, how = 'ok') => void blocks.set(hash, { data, how }),
    behave: (hash, how) => {
      const b = blocks.get(hash);
      if (!b) throw new Error(`fake peer does not serve ${hash}`);
      b.how = how;
    },
    requests: (hash) => counts.get(hash) ?? 0,
    bytesSent: (hash) => sent.get(hash) ?? 0,
    get badSignatures() {
      return badSignatures;
    },
    get maxConcurrent() {
      return maxConcurrent;
    },
    resetConcurrency: () => {
      maxConcurrent = inFlight;
    },
    authHeaders,
    signatureExpiries,
    get connections() {
      return connections;
    },
    get openConnections() {
      return sockets.size;
    },
    get peakOpenConnections() {
      return peakOpenConnections;
    },
    releaseStalled: () => {
      for (const s of stalled) s.destroy();
      stalled.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

import type { Agent } from 'node:http';
import type { Readable } from 'node:stream';
import fetch from 'node-fetch';
import { BandwidthThrottle } from './bandwidth-throttle.js';
import { IdleWatchdog } from './idle-watchdog.js';
import type { PeerAgents } from './peer-agents.js';
import type { PullPacing } from './pacing.js';
import { redactSignatures } from '../log/redact.js';

/** Options of one GET from a peer. */
export interface PeerFetchOptions {
  /** Sent as `Authorization: Bearer`; the locator must be signed for it. */
  token: string;
  /** Time allowed until the response headers arrive (connect, request, first answer), ms. */
  connectTimeoutMs: number;
  /** Time allowed between two chunks of the body, ms; 0 turns the check off. */
  idleTimeoutMs: number;
  /** The worker's keep-alive connections to its peers. */
  agents: PeerAgents;
  /** The worker's pacing (bandwidth share, yielding, peer slots); none in a bare test. */
  pacing?: PullPacing | undefined;
  /** The pull's entry left the list: a wait for a peer slot is given up (PeerFetchError). */
  cancelled?: AbortSignal | undefined;
}

/** A peer answered 200: the body, watched for stalls. Consume `stream` or call `abort()`. */
export interface PeerBody {
  stream: Readable;
  /** Aborted when the body stalls or abort() is called: give it to the consumer too. */
  signal: AbortSignal;
  /** The peer's Content-Length, if it sent one. */
  contentLength: number | null;
  /** Why the transfer was cut short by us (a stall), or null. Safe to log. */
  abortReason(): string | null;
  abort(): void;
}

/** A peer could not be asked, did not answer in time, or answered something other than 200. */
export class PeerFetchError extends Error {
  override name = 'PeerFetchError';
}

/** A network error as one short line: the errno code when there is one (no URL, no signature). */
export function describeNetworkError(err: unknown): string {
  const e = err as { code?: unknown; errno?: unknown; message?: unknown; cause?: unknown };
  const code = typeof e?.code === 'string' ? e.code : typeof e?.errno === 'string' ? e.errno : undefined;
  if (code !== undefined && code !== 'system') return code;
  return redactSignatures(String(e?.message ?? err));
}

/** The connection was closed under a request before any answer came (node-fetch passes the code on). */
function isResetBeforeAnswer(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/**
 * GET `${server}/${signedLocator}` with a deadline for the response headers and an idle timer on
 * the body. Resolves with the body on 200; throws PeerFetchError (message without the
 * signature) on a refused connection, a timeout or any other status.
 */
export async function fetchFromPeer(server: string, signedLocator: string, opts: PeerFetchOptions): Promise<PeerBody> {
  // A slot from this peer first (pullPerPeerConcurrency): waiting for it is not the peer's time.
  let releaseSlot: (() => void) | null;
  try {
    releaseSlot = (await opts.pacing?.peerSlot(server, opts.cancelled)) ?? null;
  } catch (err) {
    throw new PeerFetchError((err as Error).message);
  }
  try {
    const body = await fetchBody(server, signedLocator, opts);
    if (releaseSlot) body.stream.once('close', releaseSlot);
    return body;
  } catch (err) {
    releaseSlot?.();
    throw err;
  }
}

async function fetchBody(server: string, signedLocator: string, opts: PeerFetchOptions): Promise<PeerBody> {
  const controller = new AbortController();
  let reason: string | null = null;
  const cut = (why: string) => {
    reason ??= why;
    controller.abort();
  };
  const connectTimer = setTimeout(() => cut(`no response within ${opts.connectTimeoutMs} ms`), opts.connectTimeoutMs);
  const get = (agent: (url: URL) => Agent) =>
    fetch(`${server}/${signedLocator}`, {
      headers: { Authorization: `Bearer ${opts.token}` },
      signal: controller.signal,
      agent,
      compress: false, // blocks are stored as sent; no gzip round trip
      redirect: 'error',
    });
  const first = opts.agents.track();
  let res;
  try {
    // A GET can be repeated: a kept-alive connection the peer closed just as we reused it
    // fails with a reset before any answer; it is asked once more (same deadline). A reset on
    // a new connection is the peer's answer: not repeated.
    res = await get(first.agent).catch((err: unknown) => {
      if (reason !== null || !first.reusedConnection() || !isResetBeforeAnswer(err)) throw err;
      return get((url) => opts.agents.for(url));
    });
  } catch (err) {
    throw new PeerFetchError(reason ?? `request failed: ${describeNetworkError(err)}`);
  } finally {
    clearTimeout(connectTimer);
  }
  const body = res.body as unknown as Readable;
  if (res.status !== 200) {
    body.destroy(); // closes that connection; a peer answering errors is rare enough
    throw new PeerFetchError(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  }
  const watchdog = new IdleWatchdog(opts.idleTimeoutMs, () => cut(`no data for ${opts.idleTimeoutMs} ms`));
  // pipe() plus error and close forwarding rather than pipeline(): the same effect without the
  // AbortController a pipeline creates (measurable at thousands of small pulls a second).
  body.on('error', (err) => watchdog.destroy(err));
  // The consumer sees errors through its own pipeline; this keeps an abort before anyone
  // consumes the stream (e.g. a wrong Content-Length) from being an unhandled 'error'.
  watchdog.on('error', () => undefined);
  watchdog.on('close', () => body.destroy());
  const watched = body.pipe(watchdog);
  const stream = opts.pacing ? paced(watchdog, opts.pacing) : watched;
  const length = res.headers.get('content-length');
  return {
    stream,
    signal: controller.signal,
    contentLength: length !== null && /^\d+$/.test(length) ? Number(length) : null,
    abortReason: () => reason,
    abort: () => {
      cut('aborted');
      // A body that had all arrived is past the signal's reach (node-fetch stops listening at
      // its end): destroying the stream is what closes it, and gives its peer slot back.
      stream.destroy();
    },
  };
}

/** The watchdog's output through the worker's pacing; errors and close travel as between body and watchdog. */
function paced(watchdog: IdleWatchdog, pacing: PullPacing): Readable {
  const throttle = new BandwidthThrottle(pacing, watchdog);
  watchdog.on('error', (err) => throttle.destroy(err));
  throttle.on('error', () => undefined); // the consumer sees it through its own pipeline
  throttle.on('close', () => watchdog.destroy());
  return watchdog.pipe(throttle);
}

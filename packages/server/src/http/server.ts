import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Express } from 'express';

/** Requests that asked for `100 Continue` and have not been sent it yet. */
const awaitingContinue = new WeakSet<IncomingMessage>();

/** True while the client waits for our `100 Continue` before sending its body. */
export function awaitsContinue(req: IncomingMessage): boolean {
  return awaitingContinue.has(req);
}

/**
 * The worker's HTTP server around the app, with two protocol behaviours Node does not give
 * by default:
 * - `Expect: 100-continue`: Node answers `100 Continue` at once, before any route has looked
 *   at the request, so a client would send 64 MiB only to be told 413 (or 507, or 503).
 *   Here `100 Continue` goes out only when a handler starts reading the body; every answer
 *   given before that (too large, no room, busy, bad locator) reaches the client first.
 * - Half-closed clients: a client may shut down its sending side (`shutdown(SHUT_WR)`) once
 *   its request is complete and still read the answer. Node's default aborts the request
 *   and closes the socket, so it got no answer; here the answer is written, then the socket
 *   closed.
 */
export function createHttpServer(app: Express): Server {
  const server = http.createServer(app);
  // Not in Node's typings, but read by its HTTP server on every client FIN.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.on('checkContinue', (req, res) => {
    continueOnFirstRead(req, res);
    app(req, res);
  });
  return server;
}

/**
 * Send `100 Continue` when the body is first asked for (any consumer: pipe, read(), async
 * iteration all go through _read), unless a final answer has been sent by then.
 */
function continueOnFirstRead(req: IncomingMessage, res: ServerResponse): void {
  awaitingContinue.add(req);
  const stream = req as IncomingMessage & { _read(size: number): void };
  const read = stream._read;
  stream._read = function (size: number) {
    stream._read = read;
    awaitingContinue.delete(req);
    if (!res.headersSent) res.writeContinue();
    read.call(this, size);
  };
}

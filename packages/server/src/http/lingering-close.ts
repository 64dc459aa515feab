import type { Socket } from 'node:net';
import type { Request, Response } from 'express';

/** Longest a refused body is read and discarded after the answer (nginx: lingering_time). */
const LINGER_MAX_MS = 30_000;
/** Longest wait for more of it (nginx: lingering_timeout). */
const LINGER_IDLE_MS = 5_000;

/**
 * Answer a request without reading its body: when it has one, close the connection after the
 * answer (`Connection: close`) so the client stops sending it. Closing a socket with unread
 * data makes the kernel send a reset, and a client still writing its body (no `Expect:
 * 100-continue`, or one that does not wait for the 100) would see ECONNRESET instead of the
 * answer. So, as nginx does, the close lingers: our side is shut down once the answer is out,
 * and what the client still sends is read and discarded until it closes, for at most
 * LINGER_MAX_MS in all and LINGER_IDLE_MS without data.
 */
export function refuseBody(req: Request, res: Response): void {
  if (!hasBody(req)) return;
  res.setHeader('Connection', 'close');
  // req.socket is null once a handler's pipeline has destroyed req; res.socket is null while
  // an earlier pipelined response on the connection is still going out.
  const socket = res.socket ?? (req.socket as Socket | null);
  if (req.complete || !socket) return; // nothing left unread: the ordinary close is clean
  // Node's server closes a `Connection: close` response's socket with destroySoon() once the
  // response is finished (the unread body is being discarded by then): linger instead.
  socket.destroySoon = () => lingerThenClose(socket);
}

function lingerThenClose(socket: Socket): void {
  const close = (): void => void socket.destroy();
  socket.end(); // FIN after the answer; the socket closes when the client's FIN arrives
  const deadline = setTimeout(close, LINGER_MAX_MS);
  deadline.unref();
  socket.setTimeout(LINGER_IDLE_MS, close);
  socket.once('close', () => clearTimeout(deadline));
}

/** The request says it carries a body (a length other than 0, or chunked). */
export function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

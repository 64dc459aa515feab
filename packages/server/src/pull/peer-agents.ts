import http from 'node:http';
import https from 'node:https';

/**
 * How long a connection to a peer may sit unused before we close it. Node shortens this to the
 * peer's own `Keep-Alive: timeout=N` hint minus a second, so we close first rather than reuse a
 * connection the peer is closing.
 */
const PEER_IDLE_CLOSE_MS = 4000;

/**
 * The keep-alive connections one worker keeps to its peers: consecutive pulls from a peer reuse
 * them instead of paying a TCP handshake (and a peer-side accept) per block. At most
 * `maxSocketsPerPeer` are open to any one peer (origin), in use or idle; a request beyond that
 * waits for a free one (within its connect timeout). Idle ones are closed after `idleMs`, and
 * they never keep the process alive.
 */
export class PeerAgents {
  readonly #http: http.Agent;
  readonly #https: https.Agent;

  constructor(opts: { maxSocketsPerPeer: number; idleMs?: number }) {
    const options = {
      keepAlive: true,
      maxSockets: opts.maxSocketsPerPeer,
      maxFreeSockets: opts.maxSocketsPerPeer,
      timeout: opts.idleMs ?? PEER_IDLE_CLOSE_MS, // only free sockets are closed on it
      scheduling: 'lifo' as const, // the warmest connection first; the surplus goes idle and closes
    };
    this.#http = new http.Agent(options);
    this.#https = new https.Agent(options);
  }

  /** The agent for `url`. */
  for(url: URL): http.Agent {
    return url.protocol === 'https:' ? this.#https : this.#http;
  }

  /**
   * An agent function for one request (node-fetch's `agent` option) that also tells whether
   * that request was sent on a kept-alive connection: only such a request may fail because the
   * peer closed the connection just then (see fetchFromPeer). The agent it hands out is the
   * shared one seen through a thin wrapper that notes the request node:http gives it.
   */
  track(): { agent: (url: URL) => http.Agent; reusedConnection: () => boolean } {
    let request: (http.ClientRequest & { reusedSocket?: boolean }) | null = null;
    const agent = (url: URL): http.Agent => {
      const shared = this.for(url);
      const wrapper = Object.create(shared) as http.Agent & { addRequest(req: http.ClientRequest, options: unknown): void };
      wrapper.addRequest = (req, options) => {
        request = req;
        (shared as typeof wrapper).addRequest(req, options);
      };
      return wrapper;
    };
    return { agent, reusedConnection: () => request?.reusedSocket === true };
  }

  /** Close every connection (idle and in use). */
  destroy(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}

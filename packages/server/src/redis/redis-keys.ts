import type { ListKind } from '../worklist/list-wire.js';

/**
 * The Redis key layout (documented in the README, "Operating with Redis"). Every key starts
 * with the configured prefix; a server's keys are namespaced by its uuid so one Redis serves
 * a whole fleet. A list is stored as immutable generations; `current` names the live one, so
 * replacing a list is a single SET of that pointer and no reader ever sees a mix.
 *
 * The uuid is a hash tag (`{uuid}`): on a Redis Cluster every key of one server, heartbeat
 * included, lives in one slot, so its multi-key commands (UNLINK of a generation, pipelines)
 * are legal and a resharding moves them together, while different servers spread over the
 * masters. (keyPrefix may not contain braces, so the uuid is always the first tag.)
 */

/** Keys of one generation of one list. */
export interface GenerationKeys {
  /** HASH: count, chunkSize, chunks, serverChunks, acceptedAt (ms). */
  meta: string;
  /** LIST: element i holds entries [i*chunkSize, (i+1)*chunkSize), encoded by list-codec. */
  entries: string;
  /** LIST (pull only): JSON chunks of the interned server lists. */
  servers: string;
  /** STRING bitmap: bit n set = entry n finished (done or failed). */
  done: string;
}

/** Keys of one server's list of one kind. */
export interface ListKeys {
  /** STRING: the current generation number (absent: no list was ever persisted). */
  current: string;
  /** SET: generations written or being written (the current one and garbage to delete). */
  generations: string;
  /** STRING counter (INCR) shared by both kinds: generation numbers are never reused. */
  sequence: string;
  generation(gen: string): GenerationKeys;
}

export function serverKey(prefix: string, uuid: string): string {
  return `${prefix}server:{${uuid}}`;
}

/** The keys of a server's list of one kind under `server` (a serverKey, or the legacy one). */
function listKeysUnder(server: string, kind: ListKind): ListKeys {
  const base = `${server}:${kind}`;
  return {
    current: `${base}:current`,
    generations: `${base}:generations`,
    sequence: `${server}:sequence`,
    generation: (gen) => ({
      meta: `${base}:gen:${gen}:meta`,
      entries: `${base}:gen:${gen}:entries`,
      servers: `${base}:gen:${gen}:servers`,
      done: `${base}:gen:${gen}:done`,
    }),
  };
}

export function listKeys(prefix: string, uuid: string, kind: ListKind): ListKeys {
  return listKeysUnder(serverKey(prefix, uuid), kind);
}

/** The layout before hash tags (`server:U:…`, one Redis only), read once to migrate it. */
export function legacyListKeys(prefix: string, uuid: string, kind: ListKind): ListKeys {
  return listKeysUnder(`${prefix}server:${uuid}`, kind);
}

/** STRING `1` while the server's list of `kind` is paused (absent: running). */
export function pausedKey(prefix: string, uuid: string, kind: ListKind): string {
  return `${serverKey(prefix, uuid)}:${kind}:paused`;
}

/** STRING (JSON HeartbeatRecord) with a TTL of 3 heartbeat intervals: present = alive. */
export function heartbeatKey(prefix: string, uuid: string): string {
  return `${prefix}heartbeat:{${uuid}}`;
}

/** SCAN MATCH pattern for every heartbeat under `prefix` (glob characters in it escaped). */
export function heartbeatPattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, '\\$&')}heartbeat:*`;
}

/** STRING (JSON: the limits set live, README "Pull pacing"); absent: none. */
export function limitsKey(prefix: string, uuid: string): string {
  return `${serverKey(prefix, uuid)}:limits`;
}

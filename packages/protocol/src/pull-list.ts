import { ListValidationError } from './errors.js';
import { optionalMountUuid, requireEntryObject, requireSizedLocator } from './list-entry.js';
import { describeJsonType, parseListJson, quoteForMessage } from './list-json.js';

/** One validated entry of a pull list (PROTOCOL.md "The pull list"). */
export interface PullEntry {
  /** The locator as sent (hints included). */
  locator: string;
  hash: string;
  size: number;
  /** Peers to fetch from, in order: http(s) base URLs without a trailing '/'. */
  servers: string[];
  /** The volume the block must land on, or null for "any writable volume". */
  mountUuid: string | null;
}

const HTTP_PREFIX_RE = /^https?:\/\//i;
// The usual shape, `http(s)://host.name[:port][/]`, checked without building a URL object: a
// list of a million entries must not cost millions of URL parses. Labels are delimited by
// dots, so the pattern cannot backtrack badly.
const PLAIN_SERVER_RE =
  /^https?:\/\/[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::([0-9]{1,5}))?\/?$/i;
const MAX_PORT = 65535;

function withoutTrailingSlash(server: string): string {
  return server.endsWith('/') ? server.slice(0, -1) : server;
}

/** Full check with the WHATWG URL parser, for anything the plain pattern does not cover. */
function parseServerUrl(server: string): string | null {
  if (!HTTP_PREFIX_RE.test(server)) return null;
  try {
    const url = new URL(server);
    const ok = (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
    return ok ? withoutTrailingSlash(server) : null;
  } catch {
    return null;
  }
}

/**
 * An http(s) server URL without its trailing '/', or null when it is not one. Results of the
 * full check are memoized per list: peers repeat from entry to entry.
 */
function normalizeServer(server: string, cache: Map<string, string | null>): string | null {
  const plain = PLAIN_SERVER_RE.exec(server);
  if (plain !== null && (plain[1] === undefined || Number(plain[1]) <= MAX_PORT)) {
    return withoutTrailingSlash(server);
  }
  let result = cache.get(server);
  if (result === undefined) {
    result = parseServerUrl(server);
    cache.set(server, result);
  }
  return result;
}

function requireServers(entry: Record<string, unknown>, index: number, cache: Map<string, string | null>): string[] {
  const servers = entry['servers'];
  if (!Array.isArray(servers)) {
    throw new ListValidationError(index, `servers must be a non-empty array of URLs, got ${describeJsonType(servers ?? null)}`);
  }
  if (servers.length === 0) throw new ListValidationError(index, 'servers must not be empty');
  return servers.map((server: unknown, j) => {
    if (typeof server !== 'string') {
      throw new ListValidationError(index, `servers[${j}] must be a string, got ${describeJsonType(server)}`);
    }
    const normalized = normalizeServer(server, cache);
    if (normalized === null) {
      throw new ListValidationError(index, `servers[${j}] ${quoteForMessage(server)} is not an http:// or https:// URL`);
    }
    return normalized;
  });
}

/**
 * Parses and validates a pull list body (JSON text). `null` or `[]` give no entries. Throws
 * ListValidationError for malformed JSON, a body that is not an array, or the first entry
 * that is wrong (naming its index and the reason): then the whole list must be refused.
 */
export function parsePullList(body: string): PullEntry[] {
  const items = parseListJson(body);
  const serverCache = new Map<string, string | null>();
  const entries: PullEntry[] = new Array<PullEntry>(items.length);
  for (let i = 0; i < items.length; i++) {
    const entry = requireEntryObject(items[i], i);
    const { locator, hash, size } = requireSizedLocator(entry, i);
    const servers = requireServers(entry, i, serverCache);
    entries[i] = { locator, hash, size, servers, mountUuid: optionalMountUuid(entry, i) };
  }
  return entries;
}

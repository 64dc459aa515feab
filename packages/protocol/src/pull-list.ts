import { ListValidationError } from './errors.js';
import { optionalMountUuid, requireEntryObject, requireSizedLocator } from './list-entry.js';
import { describeJsonType, quoteForMessage } from './list-json.js';
import { parseWholeList, type ListValidator } from './list-stream.js';

/** One validated entry of a pull list (docs/api.md "The pull list"). */
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

/** Most servers one pull entry may list (a block has a few replicas; more is a broken or hostile list). */
export const MAX_PULL_SERVERS = 16;

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

/** A server URL, normalized (no trailing '/'), or why it is refused. */
type ServerCheck = { url: string } | { problem: string };

/**
 * Full check with the WHATWG URL parser, for anything the plain pattern does not cover. A
 * server is a base URL we append `/LOCATOR` to: credentials (`user:pass@`, which would be sent
 * and logged), a query or a fragment (which would swallow the locator) are refused. The
 * problem never quotes the URL: it may hold a password.
 */
function parseServerUrl(server: string): ServerCheck {
  const notHttp = { problem: 'is not an http:// or https:// URL' };
  if (!HTTP_PREFIX_RE.test(server)) return notHttp;
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return notHttp;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') return notHttp;
  // The raw text too: `http://@host` and `http://host/?` parse to empty credentials and query.
  const authority = server.slice(server.indexOf('//') + 2).split(/[/?#]/, 1)[0] ?? '';
  if (url.username !== '' || url.password !== '' || authority.includes('@'))
    return { problem: 'must not carry credentials (user:password@)' };
  if (server.includes('?') || server.includes('#')) return { problem: 'must not have a query or a fragment' };
  return { url: withoutTrailingSlash(server) };
}

/** Distinct servers whose check is remembered per list: peers repeat, but a hostile list must not grow the memo without bound. */
const MAX_REMEMBERED_SERVERS = 10_000;

/**
 * An http(s) server URL without its trailing '/', or why it is refused. Checks are memoized
 * per list: peers repeat from entry to entry, and a lookup costs less than the pattern.
 */
function normalizeServer(server: string, cache: Map<string, ServerCheck>): ServerCheck {
  let result = cache.get(server);
  if (result !== undefined) return result;
  const plain = PLAIN_SERVER_RE.exec(server);
  const isPlain = plain !== null && (plain[1] === undefined || Number(plain[1]) <= MAX_PORT);
  result = isPlain ? { url: withoutTrailingSlash(server) } : parseServerUrl(server);
  if (cache.size < MAX_REMEMBERED_SERVERS) cache.set(server, result);
  return result;
}

function requireServers(entry: Record<string, unknown>, index: number, cache: Map<string, ServerCheck>): string[] {
  const servers = entry['servers'];
  if (!Array.isArray(servers)) {
    throw new ListValidationError(index, `servers must be a non-empty array of URLs, got ${describeJsonType(servers ?? null)}`);
  }
  if (servers.length === 0) throw new ListValidationError(index, 'servers must not be empty');
  if (servers.length > MAX_PULL_SERVERS) {
    throw new ListValidationError(index, `servers has ${servers.length} URLs, at most ${MAX_PULL_SERVERS} are allowed`);
  }
  return servers.map((server: unknown, j) => {
    if (typeof server !== 'string') {
      throw new ListValidationError(index, `servers[${j}] must be a string, got ${describeJsonType(server)}`);
    }
    const checked = normalizeServer(server, cache);
    if ('url' in checked) return checked.url;
    // Only a URL that is not one at all is quoted: the others may carry a password or a token.
    const shown = checked.problem.startsWith('is not') ? ` ${quoteForMessage(server)}` : '';
    throw new ListValidationError(index, `servers[${j}]${shown} ${checked.problem}`);
  });
}

/**
 * The pull list's validator, for one list (it memoizes server URL checks): each entry of a
 * segment as a PullEntry, or a ListValidationError naming the first wrong one.
 */
export function pullListValidator(): ListValidator<PullEntry> {
  const serverCache = new Map<string, ServerCheck>();
  return ({ first, values }) =>
    values.map((item, k) => {
      const i = first + k;
      const entry = requireEntryObject(item, i);
      const { locator, hash, size } = requireSizedLocator(entry, i);
      const servers = requireServers(entry, i, serverCache);
      return { locator, hash, size, servers, mountUuid: optionalMountUuid(entry, i) };
    });
}

/**
 * Parses and validates a pull list body (JSON text). `null` or `[]` give no entries. Throws
 * ListValidationError for malformed JSON, a body that is not an array, or the first entry
 * that is wrong (naming its index and the reason): then the whole list must be refused.
 */
export function parsePullList(body: string): PullEntry[] {
  return parseWholeList(body, pullListValidator());
}

import { createHash, timingSafeEqual } from 'node:crypto';

/** The raw request parts a caller's token can come from; the server fills in what it has. */
export interface TokenSources {
  /** The Authorization header. */
  authorization?: string | undefined;
  /** The value of the `api_token` query parameter (already percent-decoded by the URL parser). */
  apiTokenQuery?: string | undefined;
  /** The whole Cookie header. */
  cookieHeader?: string | undefined;
}

const COOKIE_NAME = 'arvados_api_token';
const STRICT_BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
const STRICT_BASE64URL_RE = /^[A-Za-z0-9_-]*={0,2}$/;
// Arvados tokens are printable ASCII without spaces (v1: alphanumeric; v2: "v2/uuid/secret").
const TOKEN_TEXT_RE = /^[\x21-\x7e]+$/;
const WHITESPACE_RE = /\s/;

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

/** Decodes strict base64 (the alphabet given by `re`, padded to a multiple of 4), else undefined. */
function strictBase64(text: string, re: RegExp, encoding: 'base64' | 'base64url'): string | undefined {
  if (text.length % 4 !== 0 || !re.test(text)) return undefined;
  return Buffer.from(text, encoding).toString('utf8');
}

/** `Bearer T` / `OAuth2 T` (scheme case-insensitive), or the password of `Basic base64(user:pass)`. */
function fromAuthorization(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  const space = trimmed.search(WHITESPACE_RE);
  if (space < 0) return undefined;
  const scheme = trimmed.slice(0, space).toLowerCase();
  const credentials = trimmed.slice(space + 1).trim();
  if (scheme === 'bearer' || scheme === 'oauth2') return nonEmpty(credentials);
  if (scheme !== 'basic') return undefined;
  const decoded = strictBase64(credentials, STRICT_BASE64_RE, 'base64');
  const colon = decoded === undefined ? -1 : decoded.indexOf(':');
  return colon < 0 ? undefined : nonEmpty(decoded!.slice(colon + 1));
}

/**
 * Decodes the cookie value. Arvados itself (sdk/go/auth EncodeTokenCookie) stores the token
 * base64url-encoded, while browsers and tools often percent-encode it: accept strict, padded
 * base64url when it decodes to token-like text, and percent-decoding otherwise. A raw token
 * passes through percent-decoding unchanged.
 */
function decodeCookieValue(raw: string): string | undefined {
  const value = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  if (value === '') return undefined;
  const b64 = strictBase64(value, STRICT_BASE64URL_RE, 'base64url');
  if (b64 !== undefined && TOKEN_TEXT_RE.test(b64)) return b64;
  try {
    return nonEmpty(decodeURIComponent(value));
  } catch {
    return value; // a stray '%' is not worth rejecting the token for
  }
}

/** The first `arvados_api_token` cookie in a Cookie header, decoded. */
function fromCookieHeader(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== COOKIE_NAME) continue;
    return decodeCookieValue(pair.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * The caller's token, from the first source that has one (docs/api.md "Tokens"):
 * the Authorization header (Bearer, OAuth2 or Basic password), the `api_token`
 * query parameter, then the `arvados_api_token` cookie. An empty value counts as absent.
 */
export function extractToken(src: TokenSources): string | undefined {
  return fromAuthorization(src.authorization) ?? nonEmpty(src.apiTokenQuery) ?? fromCookieHeader(src.cookieHeader);
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Whether `given` is `expected`, in constant time: both are hashed to fixed-length digests
 * first, so neither where they differ nor how long `expected` is shows in the timing.
 */
export function sameToken(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Permission signatures (`+A<signature>@<expiry>` hints) must never reach a log line (README:
 * "signatures are never logged"). This is the one place that knows what one looks like; the
 * logger applies it to every line (see createLogger), and the access log to request paths.
 *
 * A hint runs from `+A` to the next hint, path separator, query, whitespace or quote; `+` and
 * `A` may come percent-encoded (`%2B`, `%41`), as clients may send them in a URL.
 */
const SIGNATURE_HINT_RE = /(?:\+|%2[Bb])(?:A|%41)[^+\s/?#&"',;]*/g;

/** `text` with every permission hint removed. */
export function redactSignatures(text: string): string {
  // Most strings (ids, methods, messages) have neither '+' nor '%': no regex run for them.
  if (!text.includes('+') && !text.includes('%')) return text;
  return text.replace(SIGNATURE_HINT_RE, '');
}

/** How deep redactValue looks into nested log metadata (entries of a list, an error's fields). */
const MAX_DEPTH = 4;

/**
 * `value` with every string in it redacted, nested arrays and plain objects included. Returns
 * the same value when nothing changed, and a copy otherwise: the caller's objects (e.g. the
 * entries of a list being uploaded) are never modified.
 */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactSignatures(value);
  if (depth >= MAX_DEPTH || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    value.forEach((item, i) => {
      const redacted = redactValue(item, depth + 1);
      if (redacted !== item) (copy ??= [...value])[i] = redacted;
    });
    return copy ?? value;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  let copy: Record<string, unknown> | null = null;
  for (const [key, item] of Object.entries(value)) {
    const redacted = redactValue(item, depth + 1);
    if (redacted !== item) (copy ??= { ...value })[key] = redacted;
  }
  return copy ?? value;
}

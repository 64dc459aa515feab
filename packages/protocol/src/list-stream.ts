import { ListValidationError } from './errors.js';
import { parseListJson } from './list-json.js';

/**
 * A work list's JSON body read as it arrives, never held whole. The bytes are cut at the
 * array's top-level commas, and each run of whole entries is handed to JSON.parse as one
 * small array (native speed; it checks everything inside the run). What JSON.parse cannot
 * see across runs is checked here: the opening '[', no empty entry between commas, the
 * closing ']' and nothing but whitespace after it. Only the entry in progress is carried from
 * one chunk to the next, and it may not exceed MAX_ENTRY_BYTES.
 */

/** Whole entries parsed from one stretch of the body. */
export interface ListSegment {
  /** Index in the list of the first entry. */
  first: number;
  /** The entries as a JSON array text (what was parsed: e.g. to read exact integers from). */
  text: string;
  values: unknown[];
}

/** Longest entry accepted (a pull entry has at most 16 server URLs: far below this). */
export const MAX_ENTRY_BYTES = 1024 * 1024;

/** Longest body that is not an array we still read to say what it is (`null` counts as no entries). */
const MAX_OTHER_BYTES = 64 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const EMPTY = Buffer.alloc(0);

const isJsonSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

type Phase = 'start' | 'array' | 'after' | 'other';

export class ListStreamParser {
  private phase: Phase = 'start';
  /** Bytes not yet parsed: the entry in progress (after the last cut), or a non-array body. */
  private pending: Buffer = EMPTY;
  /** Where the scan resumes in `pending`, and its state there. */
  private scanAt = 0;
  private depth = 0;
  private inString = false;
  /** A comma was cut before the current segment: it must not be empty. */
  private afterComma = false;
  private entries = 0;

  /** Entries parsed so far. */
  get count(): number {
    return this.entries;
  }

  /** The next bytes of the body; returns the entries they complete, in order. */
  write(chunk: Uint8Array): ListSegment[] {
    const buf =
      this.pending.length === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([this.pending, chunk]);
    this.pending = buf;
    const out: ListSegment[] = [];
    if (this.phase === 'start') this.findStart();
    if (this.phase === 'array') this.scan(out);
    if (this.phase === 'after') this.checkTrailer();
    if (this.phase === 'other' && this.pending.length > MAX_OTHER_BYTES) {
      throw new ListValidationError(null, 'expected a JSON array of entries');
    }
    return out;
  }

  /** The body ended: the last entries, or a ListValidationError if it is not a whole list. */
  end(): ListSegment[] {
    switch (this.phase) {
      case 'after':
        return [];
      case 'array':
        throw new ListValidationError(null, `malformed JSON: the list ends inside entry ${this.entries}`);
      default:
        // Empty, `null` or not an array: the whole-body parser says what it is.
        parseListJson(this.pending.toString('utf8'));
        return [];
    }
  }

  private findStart(): void {
    const buf = this.pending;
    let i = 0;
    while (i < buf.length && isJsonSpace(buf[i]!)) i++;
    if (i === buf.length) {
      this.pending = EMPTY; // leading whitespace: nothing to keep
      return;
    }
    if (buf[i] !== OPEN_BRACKET) {
      this.phase = 'other';
      return;
    }
    this.phase = 'array';
    this.depth = 1;
    this.pending = buf.subarray(i + 1);
    this.scanAt = 0;
  }

  /** Walk `pending` from scanAt, cutting at top-level commas and at the closing bracket. */
  private scan(out: ListSegment[]): void {
    const buf = this.pending;
    const length = buf.length;
    let i = this.scanAt;
    let depth = this.depth;
    let lastComma = -1;
    let closed = -1;
    if (this.inString) {
      const close = stringEnd(buf, i);
      i = close < 0 ? length : close + 1;
      this.inString = close < 0;
    }
    while (i < length && !this.inString) {
      const c = buf[i]!;
      if (c === QUOTE) {
        const close = stringEnd(buf, i + 1);
        if (close < 0) {
          this.inString = true;
          i = length;
          break;
        }
        i = close + 1;
        continue;
      }
      if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (--depth === 0) {
          closed = i;
          break;
        }
      } else if (c === COMMA && depth === 1) lastComma = i;
      i++;
    }
    this.depth = depth;
    this.scanAt = i;
    if (closed >= 0) {
      this.emit(out, buf, closed, true);
      this.phase = 'after';
      this.pending = buf.subarray(closed + 1);
      return;
    }
    if (lastComma >= 0) {
      this.emit(out, buf, lastComma, false);
      this.afterComma = true;
      this.pending = buf.subarray(lastComma + 1);
      this.scanAt -= lastComma + 1;
    }
    if (this.pending.length > MAX_ENTRY_BYTES) {
      throw new ListValidationError(this.entries, `entry is larger than ${MAX_ENTRY_BYTES} bytes`);
    }
  }

  /** Parse the entries in buf[0, end) (end: a top-level comma, or the closing bracket). */
  private emit(out: ListSegment[], buf: Buffer, end: number, last: boolean): void {
    const inner = buf.toString('utf8', 0, end);
    const text = `[${inner}]`;
    let values: unknown[];
    try {
      values = JSON.parse(text) as unknown[];
    } catch (err) {
      throw new ListValidationError(null, `malformed JSON: ${(err as Error).message} (at or after entry ${this.entries})`);
    }
    // JSON.parse sees `[]` for an empty stretch: `[,`, `,,` or `,]` in the body.
    if (values.length === 0 && (!last || this.afterComma)) {
      throw new ListValidationError(null, `malformed JSON: empty entry at ${this.entries}`);
    }
    if (values.length > 0) out.push({ first: this.entries, text, values });
    this.entries += values.length;
  }

  private checkTrailer(): void {
    const buf = this.pending;
    for (let i = 0; i < buf.length; i++) {
      if (!isJsonSpace(buf[i]!)) throw new ListValidationError(null, 'malformed JSON: unexpected data after the list');
    }
    this.pending = EMPTY;
  }
}

/** Index of the quote closing a string whose text starts at `from`, or -1 if not in `buf` yet. */
function stringEnd(buf: Buffer, from: number): number {
  for (;;) {
    const q = buf.indexOf(QUOTE, from);
    if (q < 0) return -1;
    let b = q - 1;
    while (b >= 0 && buf[b] === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q; // an even run of backslashes escapes only themselves
    from = q + 1;
  }
}

/** Validates the entries of one segment, naming a wrong one by its index in the list. */
export type ListValidator<E> = (segment: ListSegment) => E[];

/**
 * A whole list body (JSON text) through the streaming parser and `validate`. Throws a
 * ListValidationError for malformed JSON, a body that is not an array (`null` is no entries)
 * or the first wrong entry.
 */
export function parseWholeList<E>(body: string, validate: ListValidator<E>): E[] {
  if (typeof body !== 'string') parseListJson(body); // throws: names what it got instead
  const parser = new ListStreamParser();
  const entries: E[] = [];
  for (const segment of [...parser.write(Buffer.from(body)), ...parser.end()]) for (const entry of validate(segment)) entries.push(entry);
  return entries;
}

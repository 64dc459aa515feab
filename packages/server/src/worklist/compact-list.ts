import type { ListEntries } from './work-list.js';
import type { ListItem, ListKind } from './list-wire.js';

/**
 * A list's entries as the primary holds them: one row per entry across typed-array columns
 * (the hash's 16 bytes, the size, a mount number into a table of the few distinct mounts,
 * and the kind's own field: a pull's server-list index or a trash entry's block_mtime), about
 * 36 bytes an entry where an item of strings and a tuple cost well over 100. `at(i)` builds
 * the entry's item when it comes up (dispatch, persistence), so everything downstream keeps
 * reading items.
 */
export class CompactList implements ListEntries<ListItem> {
  constructor(
    readonly kind: ListKind,
    readonly length: number,
    private readonly columns: Columns,
    private readonly mountNames: readonly string[],
  ) {}

  /** A list of `items` (e.g. resumed ones, already validated). */
  static of(kind: ListKind, items: ListEntries<ListItem>): CompactList {
    const builder = new CompactListBuilder(kind);
    for (let i = 0; i < items.length; i++) builder.push(items.at(i)!);
    return builder.finish();
  }

  /** Entry `i`; a negative `i` counts from the end, as Array's at() does. */
  at(index: number): ListItem | undefined {
    const i = index < 0 ? index + this.length : index;
    if (!(i >= 0 && i < this.length)) return undefined;
    const { hashes, sizes, mounts, field } = this.columns;
    const locator = `${hashes.toString('hex', i * HASH_BYTES, (i + 1) * HASH_BYTES)}+${sizes[i]}`;
    const m = mounts[i]!;
    const mount = m === NO_MOUNT ? null : this.mountNames[m]!;
    const value = field[i]!;
    return typeof value === 'bigint' ? [locator, value.toString(), mount] : [locator, value, mount];
  }
}

const HASH_BYTES = 16;
const HASH_CHARS = 32;
const NO_MOUNT = 0xffffffff;
const PLUS = 0x2b;
const DIGIT_0 = 0x30;
/** Longest size hint read (more digits could not be a safe integer). */
const MAX_SIZE_DIGITS = 16;
/** Value of each lowercase hex digit by char code; 255 for anything else. */
const HEX_VALUE = new Uint8Array(128).fill(255);
for (let d = 0; d < 16; d++) HEX_VALUE['0123456789abcdef'.charCodeAt(d)] = d;
const UINT64_RE = /^[0-9]{1,20}$/;
const FIRST_CAPACITY = 16_384;

interface Columns {
  hashes: Buffer;
  /** Sizes may exceed 2^32 (the validator allows any safe integer; the pull then fails). */
  sizes: Float64Array;
  mounts: Uint32Array;
  /** Pull: server-list index; trash: block_mtime in ns. */
  field: Uint32Array | BigUint64Array;
}

function allocate(kind: ListKind, capacity: number): Columns {
  return {
    hashes: Buffer.alloc(capacity * HASH_BYTES),
    sizes: new Float64Array(capacity),
    mounts: new Uint32Array(capacity),
    field: kind === 'pull' ? new Uint32Array(capacity) : new BigUint64Array(capacity),
  };
}

/** Columns holding the first `n` rows of `from`, in arrays of `capacity` rows. */
function resize(kind: ListKind, from: Columns, n: number, capacity: number): Columns {
  const to = allocate(kind, capacity);
  from.hashes.copy(to.hashes, 0, 0, n * HASH_BYTES);
  to.sizes.set(from.sizes.subarray(0, n));
  to.mounts.set(from.mounts.subarray(0, n));
  (to.field as Uint32Array).set((from.field as Uint32Array).subarray(0, n));
  return to;
}

/** The 32 hex digits at the start of `locator` as 16 bytes at `to[at]`; false if they are not. */
function writeHash(locator: string, to: Buffer, at: number): boolean {
  if (locator.length <= HASH_CHARS || locator.charCodeAt(HASH_CHARS) !== PLUS) return false;
  for (let k = 0; k < HASH_BYTES; k++) {
    const hi = HEX_VALUE[locator.charCodeAt(2 * k)] ?? 255;
    const lo = HEX_VALUE[locator.charCodeAt(2 * k + 1)] ?? 255;
    if ((hi | lo) > 15) return false;
    to[at + k] = (hi << 4) | lo;
  }
  return true;
}

/** The size after `HASH+` (up to the next '+' or the end), or -1 if it is not a safe integer. */
function readSize(locator: string): number {
  let size = 0;
  let i = HASH_CHARS + 1;
  for (; i < locator.length; i++) {
    const c = locator.charCodeAt(i);
    if (c === PLUS) break;
    const d = c - DIGIT_0;
    if (d < 0 || d > 9 || i - HASH_CHARS > MAX_SIZE_DIGITS) return -1;
    size = size * 10 + d;
  }
  return i === HASH_CHARS + 1 || !Number.isSafeInteger(size) ? -1 : size;
}

/** Fills a CompactList item by item (an upload's batches as they arrive); push throws on an item it cannot hold. */
export class CompactListBuilder {
  private columns: Columns;
  private capacity = FIRST_CAPACITY;
  private n = 0;
  private readonly mountIndex = new Map<string, number>();

  constructor(private readonly kind: ListKind) {
    this.columns = allocate(kind, this.capacity);
  }

  get length(): number {
    return this.n;
  }

  /**
   * Append `item`: `HASH+SIZE`, maybe followed by hints (dropped: the primary keeps none).
   * Decoded by hand, char by char: this runs for every entry of every list the primary takes.
   */
  push(item: ListItem): void {
    const [locator, field, mount] = item;
    const value = this.fieldValue(field);
    if (value === null) throw new Error(`entry ${this.n}: bad ${this.kind === 'pull' ? 'server list' : 'block_mtime'}`);
    if (this.n === this.capacity) {
      this.capacity *= 2;
      this.columns = resize(this.kind, this.columns, this.n, this.capacity);
    }
    const i = this.n;
    const { hashes, sizes, mounts, field: fields } = this.columns;
    // The row is written as it is read; a bad locator throws before the row is counted.
    if (!writeHash(locator, hashes, i * HASH_BYTES)) throw new Error(`entry ${i}: not a HASH+SIZE locator`);
    const size = readSize(locator);
    if (size < 0) throw new Error(`entry ${i}: not a HASH+SIZE locator`);
    sizes[i] = size;
    mounts[i] = mount === null ? NO_MOUNT : this.mountNumber(mount);
    if (fields instanceof BigUint64Array) fields[i] = value as bigint;
    else fields[i] = value as number;
    this.n++;
  }

  /** The list, its columns cut to its length. */
  finish(): CompactList {
    if (this.n < this.capacity) this.columns = resize(this.kind, this.columns, this.n, this.n);
    this.capacity = this.n;
    return new CompactList(this.kind, this.n, this.columns, [...this.mountIndex.keys()]);
  }

  private fieldValue(field: number | string): number | bigint | null {
    if (this.kind === 'pull') return typeof field === 'number' && Number.isInteger(field) && field >= 0 && field < NO_MOUNT ? field : null;
    if (typeof field !== 'string' || !UINT64_RE.test(field)) return null;
    const value = BigInt(field);
    return value < 2n ** 64n ? value : null;
  }

  private mountNumber(mount: string): number {
    let i = this.mountIndex.get(mount);
    if (i === undefined) this.mountIndex.set(mount, (i = this.mountIndex.size));
    return i;
  }
}

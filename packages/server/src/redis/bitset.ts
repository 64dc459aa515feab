/**
 * A fixed-size set of ordinals, laid out exactly as a Redis bitmap (bit n is byte n>>3, most
 * significant bit first) so it can be written with one SET and read back with GET.
 */
export class Bitset {
  readonly bytes: Buffer;
  private count = 0;

  constructor(
    readonly size: number,
    from?: Buffer | null,
  ) {
    this.bytes = Buffer.alloc(Math.ceil(size / 8));
    if (from) from.copy(this.bytes, 0, 0, Math.min(from.length, this.bytes.length));
    if (from) for (let i = 0; i < size; i++) if (this.has(i)) this.count++;
  }

  has(n: number): boolean {
    return ((this.bytes[n >> 3] ?? 0) & (0x80 >> (n & 7))) !== 0;
  }

  /** Returns true if the bit was newly set. */
  set(n: number): boolean {
    if (n < 0 || n >= this.size || this.has(n)) return false;
    this.bytes[n >> 3]! |= 0x80 >> (n & 7);
    this.count++;
    return true;
  }

  /** How many bits are set. */
  get cardinality(): number {
    return this.count;
  }

  /** A copy of the bytes as they stand now (a snapshot for a full write). */
  snapshot(): Buffer {
    return Buffer.from(this.bytes);
  }
}

/**
 * The driver-neutral contract every Volume driver must pass, on the model of Arvados' generic
 * volume tests: put/get, overwrite with the same and with different content, stat and mtimes,
 * touch, index with and without a prefix, the trash rules, untrash, empty trash, read-only
 * refusal, concurrent puts of one block, and a corrupt stored copy (found, and repaired by the
 * one write path). It talks to the volume only through the Volume interface; whatever is
 * specific to a driver (making a fresh volume, damaging a stored copy behind its back) comes
 * from the harness. Run it from a test file:
 *
 *   runVolumeContract('directory', { create, readOnlyTwin, corrupt });
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, test } from 'node:test';
import { HashMismatchError, InvalidLocatorError, NotFoundError, WriteFailedError } from '../../packages/server/src/errors.ts';
import { trashRefusal, TRASH_SKIP } from '../../packages/server/src/trash/trash-rules.ts';
import { type BlockStat, type TrashGuard, type Volume, WHOLE_READ_MAX_BYTES } from '../../packages/server/src/volume/volume.ts';
import { VolumeSet } from '../../packages/server/src/volume/volume-set.ts';
import { collect } from './volume-fixtures.ts';

export interface VolumeContractHarness {
  /** A new, initialised, empty, writable volume (a fresh directory, a fresh bucket, ...). */
  create(): Promise<Volume>;
  /** A read-only volume (initialised) over the same storage as `volume`. */
  readOnlyTwin(volume: Volume): Promise<Volume>;
  /** Replaces the stored bytes of `hash` on `volume` behind its back (a damaged disk or object). */
  corrupt(volume: Volume, hash: string, bytes: Buffer): Promise<void>;
  /**
   * The driver checks the MD5 itself and refuses to commit bytes that do not hash to the name
   * (HashMismatchError; S3: not every server checks Content-MD5), instead of storing them.
   */
  refusesContentMismatch?: boolean;
}

interface Block {
  hash: string;
  data: Buffer;
}

function block(size = 1000): Block {
  const data = randomBytes(size);
  return { hash: createHash('md5').update(data).digest('hex'), data };
}

/** Stores `data` under `hash` through beginWrite/commit, as the write path does after verifying. */
async function put(volume: Volume, hash: string, data: Buffer): Promise<BlockStat> {
  const pending = await volume.beginWrite(hash);
  try {
    await new Promise<void>((resolve, reject) => {
      pending.stream.once('error', reject);
      pending.stream.end(data, () => resolve());
    });
    return await pending.commit();
  } finally {
    await pending.discard();
  }
}

async function get(volume: Volume, hash: string): Promise<{ data: Buffer; size: number; mtimeNs: bigint }> {
  const { stream, size, mtimeNs } = await volume.openRead(hash);
  return { data: await buffer(stream), size, mtimeNs };
}

async function indexed(volume: Volume, prefix = ''): Promise<string[]> {
  return (await collect(volume.index(prefix))).map((e) => e.hash).sort();
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);
/** The trash list rule (block_mtime must match, older than blobSigningTTL), judged an hour from now with a 1 s TTL. */
const trashRule =
  (expectedMtimeNs: bigint | null): TrashGuard =>
  (stat) =>
    trashRefusal(stat.mtimeNs, expectedMtimeNs, Date.now() + 3_600_000, 1000);
const ACCEPT: TrashGuard = () => null;
const isReadOnlyRefusal = (err: unknown): boolean => err instanceof WriteFailedError && /read-only/.test(err.message);
/** mtimes agree "about now": object stores keep whole seconds, clocks of two hosts differ a little. */
const ABOUT_NOW_NS = 60n * 1_000_000_000n;

export function runVolumeContract(driver: string, harness: VolumeContractHarness): void {
  describe(`Volume contract: ${driver}`, () => {
    test('identity: uuid, driver, deviceId; availableBytes is a number or null (unknown), never invented', async () => {
      const v = await harness.create();
      assert.equal(v.driver, driver);
      assert.match(v.uuid, /^[a-z0-9]{5}-nyw5e-[a-z0-9]{15}$/);
      assert.ok(v.deviceId.length > 0);
      assert.equal(v.readOnly, false);
      const free = await v.availableBytes();
      assert.ok(free === null || (Number.isSafeInteger(free) && free >= 0), `availableBytes: ${free}`);
    });

    test('put then get: same bytes, size and mtime from stat, openRead and index agree', async () => {
      const v = await harness.create();
      for (const size of [0, 1, 100_000, 3 * 1024 * 1024 + 7]) {
        const b = block(size);
        const before = BigInt(Date.now()) * 1_000_000n;
        const committed = await put(v, b.hash, b.data);
        assert.equal(committed.size, size);
        const st = await v.stat(b.hash);
        assert.deepEqual(st, committed, 'commit returns the stored stat');
        assert.ok(st!.mtimeNs > before - ABOUT_NOW_NS && st!.mtimeNs < before + ABOUT_NOW_NS, 'mtime is about now');
        const r = await get(v, b.hash);
        assert.ok(r.data.equals(b.data), `${size} bytes read back`);
        assert.equal(r.size, size);
        assert.equal(r.mtimeNs, st!.mtimeNs);
        const [entry] = (await collect(v.index(b.hash))).filter((e) => e.hash === b.hash);
        assert.deepEqual(entry, { hash: b.hash, size, mtimeNs: st!.mtimeNs });
        assert.equal(await v.verifyStored(b.hash), 'intact');
      }
    });

    test('absent blocks: stat null, openRead/touch/trashIf/untrash NotFoundError, verifyStored missing; bad hashes rejected', async () => {
      const v = await harness.create();
      const { hash } = block();
      assert.equal(await v.stat(hash), null);
      await assert.rejects(v.openRead(hash), NotFoundError);
      await assert.rejects(v.touch(hash), NotFoundError);
      await assert.rejects(v.trashIf(hash, ACCEPT, 60, nowSeconds()), NotFoundError);
      await assert.rejects(v.untrash(hash), NotFoundError);
      assert.equal(await v.verifyStored(hash), 'missing');
      for (const bad of ['../../etc/passwd', hash.toUpperCase(), hash.slice(1), `${hash}/x`]) {
        await assert.rejects(v.stat(bad), InvalidLocatorError);
        await assert.rejects(v.openRead(bad), InvalidLocatorError);
        await assert.rejects(v.beginWrite(bad), InvalidLocatorError);
      }
      await assert.rejects(collect(v.index('../')), InvalidLocatorError);
    });

    test('readWhole: the stored bytes and the mtime of that copy; absent, other-size and bad input told apart', async () => {
      const v = await harness.create();
      for (const size of [1, 4096, WHOLE_READ_MAX_BYTES]) {
        const b = block(size);
        const committed = await put(v, b.hash, b.data);
        const read = await v.readWhole(b.hash, size);
        assert.ok(typeof read === 'object', `${size}: read`);
        try {
          assert.ok(read.data.equals(b.data), `${size} bytes read whole`);
          assert.equal(await read.mtimeNs(), committed.mtimeNs);
        } finally {
          await read.release();
        }
        assert.equal(await v.readWhole(b.hash, size - 1), 'other-size', 'shorter hint');
        assert.equal(await v.readWhole(b.hash, 0), 'other-size', 'a hint of 0 bytes');
        if (size < WHOLE_READ_MAX_BYTES) assert.equal(await v.readWhole(b.hash, size + 1), 'other-size', 'longer hint');
      }
      assert.equal(await v.readWhole(block().hash, 1000), 'absent');
      await assert.rejects(v.readWhole('../../etc/passwd', 10), InvalidLocatorError);
      await assert.rejects(v.readWhole(block().hash, WHOLE_READ_MAX_BYTES + 1), RangeError);
    });

    test('readWhole hands out what is stored (the caller verifies), and the mtime of the copy it read', async () => {
      const v = await harness.create();
      const b = block(2000);
      const committed = await put(v, b.hash, b.data);
      const bad = Buffer.from(b.data).fill(7, 0, 10);
      await harness.corrupt(v, b.hash, bad);
      const read = await v.readWhole(b.hash, b.data.length);
      assert.ok(typeof read === 'object');
      try {
        assert.ok(read.data.equals(bad));
        const st = await v.stat(b.hash);
        assert.equal(await read.mtimeNs(), st!.mtimeNs);
        assert.ok(st!.mtimeNs >= committed.mtimeNs);
      } finally {
        await read.release();
      }
    });

    test('a write is invisible until commit; discard is idempotent and leaves nothing', async () => {
      const v = await harness.create();
      const b = block(200_000);
      const pending = await v.beginWrite(b.hash);
      await new Promise<void>((resolve) => pending.stream.write(b.data.subarray(0, 100_000), () => resolve()));
      assert.equal(await v.stat(b.hash), null);
      assert.deepEqual(await indexed(v), []);
      await pending.discard();
      await pending.discard();
      assert.equal(await v.stat(b.hash), null);
      assert.deepEqual(await indexed(v), []);
    });

    test('overwrite with the same content: one copy, same bytes', async () => {
      const v = await harness.create();
      const b = block(50_000);
      await put(v, b.hash, b.data);
      await put(v, b.hash, b.data);
      assert.ok((await get(v, b.hash)).data.equals(b.data));
      assert.deepEqual(await indexed(v), [b.hash]);
    });

    test('overwrite with different content: the last commit wins whole (the caller verifies content, the volume stores it)', async () => {
      const v = await harness.create();
      const b = block(50_000);
      const other = randomBytes(70_000);
      await put(v, b.hash, b.data);
      if (harness.refusesContentMismatch) {
        await assert.rejects(put(v, b.hash, other), HashMismatchError);
        assert.equal(await v.verifyStored(b.hash), 'intact', 'a refused commit leaves the stored copy alone');
        await harness.corrupt(v, b.hash, other);
      } else {
        await put(v, b.hash, other);
      }
      const r = await get(v, b.hash);
      assert.ok(r.data.equals(other));
      assert.equal((await v.stat(b.hash))?.size, other.length);
      assert.equal(await v.verifyStored(b.hash), 'corrupt');
      await put(v, b.hash, b.data);
      assert.equal(await v.verifyStored(b.hash), 'intact');
      assert.deepEqual(await indexed(v), [b.hash]);
    });

    test('touch: mtime never goes back, and stat, index and the touch result agree', async () => {
      const v = await harness.create();
      const b = block();
      const first = await put(v, b.hash, b.data);
      const touched = await v.touch(b.hash);
      assert.ok(touched.mtimeNs >= first.mtimeNs);
      assert.equal(touched.size, b.data.length);
      assert.deepEqual(await v.stat(b.hash), touched);
      const [entry] = await collect(v.index(b.hash));
      assert.equal(entry?.mtimeNs, touched.mtimeNs);
      assert.ok((await get(v, b.hash)).data.equals(b.data), 'content unchanged');
    });

    test('index: every block once, with and without a prefix of every length', async () => {
      const v = await harness.create();
      const blocks = Array.from({ length: 12 }, () => block(100));
      for (const b of blocks) await put(v, b.hash, b.data);
      const all = blocks.map((b) => b.hash).sort();
      assert.deepEqual(await indexed(v), all);
      assert.deepEqual(await indexed(v, ''), all);
      const sample = blocks[0]!.hash;
      for (let n = 1; n <= 32; n++) {
        const prefix = sample.slice(0, n);
        assert.deepEqual(
          await indexed(v, prefix),
          all.filter((h) => h.startsWith(prefix)),
          `prefix ${prefix}`,
        );
      }
      const unused = [...'0123456789abcdef'].map((c) => c + c + c + c).find((p) => !all.some((h) => h.startsWith(p)))!;
      assert.deepEqual(await indexed(v, unused), []);
    });

    test('trash rules: the guard sees the stored copy; a refusal keeps it, an acceptance hides it from stat, get and index', async () => {
      const v = await harness.create();
      const b = block();
      const st = await put(v, b.hash, b.data);
      assert.equal(await v.trashIf(b.hash, trashRule(st.mtimeNs + 1n), 60, nowSeconds()), TRASH_SKIP.mtimeMismatch);
      assert.equal(
        await v.trashIf(b.hash, (s) => trashRefusal(s.mtimeNs, st.mtimeNs, Date.now(), 3_600_000), 60, nowSeconds()),
        TRASH_SKIP.tooYoung,
      );
      let seen: BlockStat | null = null;
      const guard: TrashGuard = (s) => {
        seen = s;
        return trashRule(st.mtimeNs)(s);
      };
      assert.deepEqual(await v.stat(b.hash), st, 'refusals leave the copy');
      assert.equal(await v.trashIf(b.hash, guard, 60, nowSeconds()), null);
      assert.deepEqual(seen, st, 'the guard judged the stored copy');
      assert.equal(await v.stat(b.hash), null);
      await assert.rejects(v.openRead(b.hash), NotFoundError);
      assert.deepEqual(await indexed(v), []);
      await assert.rejects(v.trashIf(b.hash, ACCEPT, 60, nowSeconds()), NotFoundError);
    });

    test('untrash restores the block with its bytes; without a trash copy it is NotFoundError', async () => {
      const v = await harness.create();
      const b = block(20_000);
      await put(v, b.hash, b.data);
      assert.equal(await v.trashIf(b.hash, ACCEPT, 3600, nowSeconds()), null);
      await v.untrash(b.hash);
      assert.ok((await get(v, b.hash)).data.equals(b.data));
      assert.deepEqual(await indexed(v), [b.hash]);
      assert.equal(await v.verifyStored(b.hash), 'intact');
    });

    test('empty trash deletes expired trash only, yielding what it deleted; lifetime 0 deletes at once', async () => {
      const v = await harness.create();
      const [a, b, keep, gone] = [block(), block(), block(), block()];
      for (const x of [a!, b!, keep!, gone!]) await put(v, x.hash, x.data);
      const now = nowSeconds();
      assert.equal(await v.trashIf(a!.hash, ACCEPT, 10, now), null);
      assert.equal(await v.trashIf(b!.hash, ACCEPT, 1000, now), null);
      assert.equal(await v.trashIf(gone!.hash, ACCEPT, 0, now), null);
      await assert.rejects(v.untrash(gone!.hash), NotFoundError, 'lifetime 0 leaves no trash copy');
      assert.deepEqual(await collect(v.emptyTrash(now + 9)), []);
      assert.deepEqual(await collect(v.emptyTrash(now + 11)), [{ hash: a!.hash, deadline: now + 10 }]);
      assert.deepEqual(await collect(v.emptyTrash(now + 11)), []);
      await assert.rejects(v.untrash(a!.hash), NotFoundError, 'an emptied copy cannot come back');
      await v.untrash(b!.hash);
      assert.deepEqual(await indexed(v), [b!.hash, keep!.hash].sort());
    });

    test('read-only: reads, stat, verify and index work; every write is refused without touching the storage', async () => {
      const v = await harness.create();
      const b = block();
      const st = await put(v, b.hash, b.data);
      const ro = await harness.readOnlyTwin(v);
      assert.equal(ro.readOnly, true);
      assert.deepEqual(await ro.stat(b.hash), st);
      assert.ok((await get(ro, b.hash)).data.equals(b.data));
      assert.equal(await ro.verifyStored(b.hash), 'intact');
      assert.deepEqual(await indexed(ro), [b.hash]);
      await assert.rejects(ro.beginWrite(block().hash), isReadOnlyRefusal);
      await assert.rejects(ro.touch(b.hash), isReadOnlyRefusal);
      await assert.rejects(ro.trashIf(b.hash, ACCEPT, 0, nowSeconds()), isReadOnlyRefusal);
      await assert.rejects(ro.untrash(b.hash), isReadOnlyRefusal);
      assert.deepEqual(await collect(ro.emptyTrash(nowSeconds() + 10 ** 9)), []);
      assert.equal(await ro.removeAbandonedWrites(0), 0);
      assert.deepEqual(await v.stat(b.hash), st, 'the block is untouched');
    });

    test('concurrent puts of one block leave one whole copy', async () => {
      const v = await harness.create();
      const b = block(2 * 1024 * 1024);
      const results = await Promise.all(Array.from({ length: 5 }, () => put(v, b.hash, b.data)));
      for (const r of results) assert.equal(r.size, b.data.length);
      assert.ok((await get(v, b.hash)).data.equals(b.data));
      assert.deepEqual(await indexed(v), [b.hash]);
      assert.equal(await v.verifyStored(b.hash), 'intact');
      const set = new VolumeSet([v]);
      const stored = await Promise.all(
        Array.from({ length: 4 }, () => set.store(b.hash, Readable.from([b.data]), { expectedSize: b.data.length })),
      );
      assert.ok(stored.every((r) => r.volume === v && r.stat.size === b.data.length));
      assert.deepEqual(await indexed(v), [b.hash]);
    });

    test('a corrupt stored copy: verifyStored says so, reads are not verified, the write path replaces it and a real copy is only touched', async () => {
      const v = await harness.create();
      const b = block(300_000);
      await put(v, b.hash, b.data);
      const bad = Buffer.from(b.data);
      bad[bad.length - 1]! ^= 0xff; // same size: only the hash can tell
      await harness.corrupt(v, b.hash, bad);
      assert.equal(await v.verifyStored(b.hash), 'corrupt');
      assert.ok((await get(v, b.hash)).data.equals(bad), 'openRead hands out what is stored; the caller verifies');
      const set = new VolumeSet([v]);
      const repaired = await set.store(b.hash, Readable.from([b.data]), { expectedSize: b.data.length });
      assert.equal(repaired.touchedExisting, false);
      assert.deepEqual(repaired.corruptCopy, { volume: v, replaced: true });
      assert.equal(await v.verifyStored(b.hash), 'intact');
      assert.ok((await get(v, b.hash)).data.equals(b.data));
      const again = await set.store(b.hash, Readable.from([b.data]), { expectedSize: b.data.length });
      assert.equal(again.touchedExisting, true, 'an intact copy is touched, not rewritten');
      assert.equal(again.corruptCopy, null);
    });

    test('removeAbandonedWrites never removes a block, and an abandoned write never becomes one', async () => {
      const v = await harness.create();
      const b = block();
      await put(v, b.hash, b.data);
      const abandoned = block(100_000);
      const pending = await v.beginWrite(abandoned.hash);
      await new Promise<void>((resolve) => pending.stream.write(abandoned.data, () => resolve()));
      const removed = await v.removeAbandonedWrites(0);
      assert.ok(Number.isSafeInteger(removed) && removed >= 0);
      await pending.discard();
      assert.deepEqual(await indexed(v), [b.hash]);
      assert.equal(await v.verifyStored(b.hash), 'intact');
    });
  });
}

import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { rendezvousOrder } from '@keepstore/protocol';
import {
  BadRequestError,
  FullError,
  HashCollisionError,
  HashMismatchError,
  NotFoundError,
  TooLargeError,
  WriteFailedError,
} from '../../packages/server/src/errors.ts';
import { DirectoryVolume } from '../../packages/server/src/volume/directory/directory-volume.ts';
import type { Volume } from '../../packages/server/src/volume/volume.ts';
import { VolumeSet } from '../../packages/server/src/volume/volume-set.ts';
import { exists, failingSource, listFiles, makeTempDir, makeVolume, placeBlock, randomBlock, waitFor } from '../helpers/volume-fixtures.ts';
import { MD5_COLLISION } from '../helpers/md5-collision.ts';

let base: string;
before(async () => {
  base = await makeTempDir();
});
after(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

let counter = 0;
/** `n` fresh writable volumes (unique names across tests). */
async function volumes(n: number, extra: Parameters<typeof makeVolume>[2] = {}): Promise<DirectoryVolume[]> {
  const out: DirectoryVolume[] = [];
  for (let i = 0; i < n; i++) out.push(await makeVolume(base, `v${++counter}`, extra));
  return out;
}

async function allFiles(vols: readonly DirectoryVolume[]): Promise<string[]> {
  const lists = await Promise.all(vols.map(async (v) => ((await exists(v.root)) ? listFiles(v.root) : [])));
  return lists.flat();
}

/** The root directory of a volume the set hands back (all volumes here are directories). */
function rootOf(v: Volume | undefined): string {
  assert.ok(v instanceof DirectoryVolume);
  return v.root;
}

test('list is in uuid order; get; duplicate uuids rejected', async () => {
  const [a, b, c] = await volumes(3);
  const set = new VolumeSet([c!, a!, b!]);
  assert.deepEqual(
    set.list.map((v) => v.uuid),
    [a!.uuid, b!.uuid, c!.uuid],
  );
  assert.equal(set.get(b!.uuid), b);
  assert.equal(set.get('nope'), undefined);
  assert.throws(() => new VolumeSet([a!, a!]), /duplicate/);
});

test('store then locate and read: the block lands on the first volume in rendezvous order', async () => {
  const vols = await volumes(4);
  const set = new VolumeSet(vols);
  for (let i = 0; i < 8; i++) {
    const { data, hash } = randomBlock(10_000 + i);
    const first = rendezvousOrder(hash, vols)[0]!;
    assert.equal(set.order(hash)[0], first);
    assert.deepEqual(
      (await set.writeTargets(hash, data.length)).map((v) => v.uuid),
      set.order(hash).map((v) => v.uuid),
    );
    const res = await set.store(hash, Readable.from([data]), { expectedSize: data.length });
    assert.equal(res.volume, first);
    assert.equal(res.touchedExisting, false);
    assert.equal(res.stat.size, data.length);
    const loc = await set.locate(hash);
    assert.equal(loc?.volume, first);
    assert.deepEqual(loc?.stat, res.stat);
    const rd = await first.openRead(hash);
    assert.ok(Buffer.concat(await rd.stream.toArray()).equals(data));
  }
});

test('storage-class priority beats the hash order for writes', async () => {
  const [low, high] = [...(await volumes(1)), ...(await volumes(1, { priority: 10 }))];
  const set = new VolumeSet([low!, high!]);
  for (let i = 0; i < 5; i++) {
    const { data, hash } = randomBlock();
    assert.equal((await set.store(hash, Readable.from([data]), { expectedSize: null })).volume, high);
  }
});

test('the empty block can be stored', async () => {
  const set = new VolumeSet(await volumes(1));
  const res = await set.store('d41d8cd98f00b204e9800998ecf8427e', Readable.from([]), { expectedSize: 0 });
  assert.equal(res.stat.size, 0);
});

test('while a block streams in, only a temp file exists; nothing under the block name', async () => {
  const vols = await volumes(1);
  const set = new VolumeSet(vols);
  const { data, hash } = randomBlock(200_000);
  const source = new PassThrough();
  const done = set.store(hash, source, { expectedSize: data.length });
  source.write(data.subarray(0, 100_000));
  const dir = path.join(vols[0]!.root, hash.slice(0, 3));
  await waitFor(async () => (await fs.readdir(dir).catch(() => [])).some((n) => n.startsWith('tmp')));
  assert.equal(await set.locate(hash), null);
  assert.equal(await exists(path.join(dir, hash)), false);
  source.end(data.subarray(100_000));
  await done;
  assert.deepEqual(await listFiles(vols[0]!.root), [`${hash.slice(0, 3)}/${hash}`]);
});

test('hash mismatch, size mismatch, too large: rejected and nothing left behind', async () => {
  const vols = await volumes(2);
  const set = new VolumeSet(vols);
  const { data, hash } = randomBlock();
  const wrong = randomBlock().hash;
  await assert.rejects(set.store(wrong, Readable.from([data]), { expectedSize: null }), HashMismatchError);
  await assert.rejects(
    set.store(hash, Readable.from([data]), { expectedSize: data.length + 1 }),
    (err: unknown) => err instanceof BadRequestError && /size mismatch/.test(err.message),
  );
  const big = Readable.from(
    (function* () {
      for (let i = 0; i < 65; i++) yield Buffer.alloc(1024 * 1024, i);
    })(),
  );
  await assert.rejects(set.store(wrong, big, { expectedSize: null }), TooLargeError);
  assert.deepEqual(await allFiles(vols), []);
});

test('a known size bounds the body: an endless source stops one chunk past it with "size mismatch" (not 64 MiB later)', async () => {
  const vols = await volumes(1);
  const set = new VolumeSet(vols);
  const { data, hash } = randomBlock(30);
  let pulled = 0;
  const endless = new Readable({
    read() {
      pulled += 64 * 1024;
      this.push(pulled === 64 * 1024 ? Buffer.concat([data, Buffer.alloc(64 * 1024 - 30)]) : Buffer.alloc(64 * 1024));
    },
  });
  await assert.rejects(
    set.store(hash, endless, { expectedSize: data.length }),
    (err: unknown) => err instanceof BadRequestError && err.message === 'size mismatch: expected 30, got more',
  );
  assert.ok(pulled <= 1024 * 1024, `read ${pulled} bytes of the source`);
  assert.deepEqual(await allFiles(vols), []);
});

test('a source that fails mid-stream: its own error, no block, no temp file', async () => {
  const vols = await volumes(1);
  const set = new VolumeSet(vols);
  const { data, hash } = randomBlock(100_000);
  const boom = Object.assign(new Error('client went away'), { code: 'ECONNRESET' });
  await assert.rejects(
    set.store(hash, failingSource(data.subarray(0, 50_000), boom), { expectedSize: data.length }),
    (err) => err === boom,
  );
  assert.deepEqual(await allFiles(vols), []);
});

test('an abort signal stops the transfer and removes the temp file', async () => {
  const vols = await volumes(1);
  const set = new VolumeSet(vols);
  const { data, hash } = randomBlock(100_000);
  const source = new PassThrough();
  const ac = new AbortController();
  const done = set.store(hash, source, { expectedSize: data.length, signal: ac.signal });
  source.write(data.subarray(0, 10_000));
  const dir = path.join(vols[0]!.root, hash.slice(0, 3));
  await waitFor(async () => (await fs.readdir(dir).catch(() => [])).length > 0);
  ac.abort();
  await assert.rejects(done, { name: 'AbortError' });
  assert.deepEqual(await allFiles(vols), []);
});

test('an identical block already stored (on any writable volume) is touched, not rewritten', async () => {
  const vols = await volumes(3);
  const set = new VolumeSet(vols);
  const { data, hash } = randomBlock();
  const holder = set.order(hash)[2]!; // last in order: the write target is another volume
  const p = await placeBlock(rootOf(holder), hash, data);
  await fs.utimes(p, new Date('2001-01-01'), new Date('2001-01-01'));
  const before = await fs.stat(p, { bigint: true });
  const res = await set.store(hash, Readable.from([data]), { expectedSize: data.length });
  assert.equal(res.touchedExisting, true);
  assert.equal(res.volume, holder);
  const afterPut = await fs.stat(p, { bigint: true });
  assert.ok(afterPut.mtimeNs > before.mtimeNs);
  assert.equal(afterPut.ino, before.ino, 'same inode: not rewritten');
  assert.equal(res.stat.mtimeNs, afterPut.mtimeNs);
  assert.deepEqual(await allFiles(vols), [`${hash.slice(0, 3)}/${hash}`]);
});

test('noStoredCopy (a pull that just found none): stored copies are not looked at; the verified bytes are committed', async () => {
  const vols = await volumes(2);
  const set = new VolumeSet(vols);
  const { data, hash } = randomBlock();
  const target = set.order(hash)[0]!;
  const p = await placeBlock(rootOf(target), hash, data); // appeared after the pull looked
  const before = await fs.stat(p, { bigint: true });
  const res = await set.store(hash, Readable.from([data]), { expectedSize: data.length, noStoredCopy: true });
  assert.equal(res.touchedExisting, false);
  assert.equal(res.volume, target);
  assert.notEqual((await fs.stat(p, { bigint: true })).ino, before.ino, 'replaced by the new file');
  assert.ok((await fs.readFile(p)).equals(data));
  await assert.rejects(
    set.store(hash, Readable.from([Buffer.from('other bytes')]), { expectedSize: 11, noStoredCopy: true }),
    HashMismatchError,
  );
  assert.ok((await fs.readFile(p)).equals(data), 'a wrong body still never replaces it');
});

test('a real MD5 collision (stored copy hashes to its name, other bytes): HashCollisionError, stored file untouched', async () => {
  const vols = await volumes(2);
  const set = new VolumeSet(vols);
  const { hash, a, b } = MD5_COLLISION;
  const p = await placeBlock(rootOf(set.order(hash)[1]), hash, a);
  await assert.rejects(
    set.store(hash, Readable.from([b]), { expectedSize: null }),
    (err: unknown) => err instanceof HashCollisionError && err.status === 500,
  );
  assert.ok((await fs.readFile(p)).equals(a));
  assert.deepEqual(await allFiles(vols), [`${hash.slice(0, 3)}/${hash}`]);
});

test('a corrupt stored copy (other bytes, not hashing to its name) is replaced in place by the verified bytes', async () => {
  const vols = await volumes(2);
  const set = new VolumeSet(vols);
  const { data, hash } = randomBlock();
  const holder = set.order(hash)[1]!; // not the first target: the write goes where the bad copy is
  const p = await placeBlock(rootOf(holder), hash, Buffer.from('something else'));
  const res = await set.store(hash, Readable.from([data]), { expectedSize: null });
  assert.equal(res.volume, holder);
  assert.equal(res.touchedExisting, false);
  assert.deepEqual(res.corruptCopy, { volume: holder, replaced: true });
  assert.ok((await fs.readFile(p)).equals(data));
  assert.deepEqual(await allFiles(vols), [`${hash.slice(0, 3)}/${hash}`]);
});

test('read-only volumes are never written or touched; the block goes to a writable one', async () => {
  const [ro] = await volumes(1, { readOnly: true });
  const [rw] = await volumes(1);
  const set = new VolumeSet([ro!, rw!]);
  const { data, hash } = randomBlock();
  const p = await placeBlock(ro!.root, hash, data);
  await fs.utimes(p, new Date('2001-01-01'), new Date('2001-01-01'));
  assert.deepEqual(await set.writeTargets(hash, 10), [rw]);
  const res = await set.store(hash, Readable.from([data]), { expectedSize: data.length });
  assert.equal(res.volume, rw);
  assert.equal(res.touchedExisting, false);
  assert.equal((await fs.stat(p)).mtime.getUTCFullYear(), 2001);
  assert.equal((await set.locate(hash))?.volume.uuid !== undefined, true);

  const onlyRo = new VolumeSet([ro!]);
  await assert.rejects(onlyRo.store(randomBlock().hash, Readable.from([data]), { expectedSize: null }), FullError);
});

test('all volumes full: FullError (507) before reading anything', async () => {
  const vols = await volumes(2);
  const set = new VolumeSet(vols);
  const { data, hash } = randomBlock();
  const source = Readable.from([data]);
  await assert.rejects(
    set.store(hash, source, { expectedSize: Number.MAX_SAFE_INTEGER }),
    (err: unknown) => err instanceof FullError && err.status === 507,
  );
  assert.equal(source.readableEnded, false, 'the caller still owns the untouched source');
  assert.deepEqual(await set.writeTargets(hash, Number.MAX_SAFE_INTEGER), []);
});

test('only: writes to that volume; unknown, read-only or full are errors', async () => {
  const vols = await volumes(3);
  const [ro] = await volumes(1, { readOnly: true });
  const set = new VolumeSet([...vols, ro!]);
  const { data, hash } = randomBlock();
  const last = set.order(hash).filter((v) => !v.readOnly)[2]!;
  // A copy elsewhere does not satisfy a pull aimed at a specific mount.
  await placeBlock(rootOf(set.order(hash).filter((v) => !v.readOnly)[0]), hash, data);
  const res = await set.store(hash, Readable.from([data]), { expectedSize: data.length, only: last.uuid });
  assert.equal(res.volume, last);
  assert.equal(res.touchedExisting, false);
  const again = await set.store(hash, Readable.from([data]), { expectedSize: data.length, only: last.uuid });
  assert.equal(again.touchedExisting, true);
  await assert.rejects(set.store(hash, Readable.from([data]), { expectedSize: null, only: 'zzzzz-nyw5e-nonexistent0000' }), NotFoundError);
  await assert.rejects(set.store(hash, Readable.from([data]), { expectedSize: null, only: ro!.uuid }), WriteFailedError);
  await assert.rejects(set.store(hash, Readable.from([data]), { expectedSize: Number.MAX_SAFE_INTEGER, only: last.uuid }), FullError);
});

test('a vanished volume root: writes fail over or fail with 503; reads elsewhere keep working', async () => {
  const vols = await volumes(2);
  const errors: string[] = [];
  const set = new VolumeSet(vols, { onError: (v) => errors.push(v.uuid) });
  const { data, hash } = randomBlock();
  const [first, second] = set.order(hash);
  await placeBlock(rootOf(second), hash, data);
  await fs.rm(rootOf(first), { recursive: true });
  assert.equal((await set.locate(hash))?.volume, second);

  // Single volume: a precise 503 naming the volume, and the root is not recreated.
  const alone = new VolumeSet([first!]);
  const other = randomBlock();
  await assert.rejects(alone.store(other.hash, Readable.from([other.data]), { expectedSize: null }), (err: unknown) => {
    assert.ok(err instanceof WriteFailedError, String(err));
    assert.match(err.message, new RegExp(first!.uuid));
    assert.ok(!err.message.includes(base));
    return true;
  });
  assert.equal(await exists(rootOf(first)), false);

  // A file where the root directory should be: same.
  await fs.writeFile(rootOf(first), 'not a directory');
  await assert.rejects(alone.store(other.hash, Readable.from([other.data]), { expectedSize: null }), WriteFailedError);
  assert.equal(await set.locate(other.hash), null);
  assert.equal((await set.locate(hash))?.volume, second);

  // Several volumes: nothing was read yet when the first failed, so the next one takes it.
  const cases = [];
  for (let i = 0; i < 6; i++) cases.push(randomBlock());
  for (const blk of cases) {
    const res = await set.store(blk.hash, Readable.from([blk.data]), { expectedSize: null });
    assert.equal(res.volume, second);
  }
  assert.deepEqual(errors, []);
});

test('locate skips a volume whose stat fails with something other than ENOENT', async () => {
  const vols = await volumes(2);
  const seen: unknown[] = [];
  const set = new VolumeSet(vols, { onError: (_v, err) => seen.push(err) });
  const { data, hash } = randomBlock();
  const [first, second] = set.order(hash);
  await placeBlock(rootOf(second), hash, data);
  // A symlink loop under the block's name makes stat fail with ELOOP (chmod is no use as root).
  const dir = path.join(rootOf(first), hash.slice(0, 3));
  await fs.mkdir(dir, { recursive: true });
  await fs.symlink(path.join(dir, hash), path.join(dir, hash));
  assert.equal((await set.locate(hash))?.volume, second);
  assert.equal(seen.length, 1);
  assert.equal((seen[0] as { code?: string }).code, 'ELOOP');
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buffer } from 'node:stream/consumers';
import { FullError, InvalidLocatorError, NotFoundError, WriteFailedError } from '../../packages/server/src/errors.ts';
import { DirectoryVolume } from '../../packages/server/src/volume/directory/directory-volume.ts';
import { FileSink, SINK_COALESCE_BYTES } from '../../packages/server/src/volume/directory/file-sink.ts';
import { mapWriteError } from '../../packages/server/src/volume/directory/fs-errors.ts';
import type { PendingWrite } from '../../packages/server/src/volume/volume.ts';
import { exists, listFiles, makeTempDir, makeVolume, placeBlock, randomBlock, collect } from '../helpers/volume-fixtures.ts';

let base: string;
before(async () => {
  base = await makeTempDir();
});
after(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

async function writeBlock(pending: PendingWrite, data: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    pending.stream.once('error', reject);
    pending.stream.end(data, (err?: Error | null) => (err ? reject(err) : resolve()));
  });
}

test('init creates a writable root, rejects a missing read-only root and a file as root', async () => {
  const vol = await makeVolume(base, 'init-a');
  assert.ok((await fs.stat(vol.root)).isDirectory());
  assert.equal(vol.deviceId, `directory:${path.resolve(base, 'init-a')}`);
  assert.equal(vol.uuid, 'zzzzz-nyw5e-000000000init-a');

  const ro = new DirectoryVolume({ ...specOf(vol), root: path.join(base, 'nope'), readOnly: true });
  await assert.rejects(ro.init(), /not accessible/);
  assert.equal(await exists(path.join(base, 'nope')), false, 'read-only init creates nothing');

  const filePath = path.join(base, 'a-file');
  await fs.writeFile(filePath, 'x');
  const onFile = new DirectoryVolume({ ...specOf(vol), root: filePath });
  await assert.rejects(onFile.init());
  const roFile = new DirectoryVolume({ ...specOf(vol), root: filePath, readOnly: true });
  await assert.rejects(roFile.init(), /not a directory/);
});

test('write then read round trip, with layout, stat and nanosecond mtime', async () => {
  const vol = await makeVolume(base, 'rt');
  const { data, hash } = randomBlock(3 * 1024 * 1024 + 17);
  const pending = await vol.beginWrite(hash);
  assert.equal(path.dirname(pending.path), path.join(vol.root, hash.slice(0, 3)));
  assert.match(path.basename(pending.path), new RegExp(`^tmp${hash}-[0-9a-f]+$`));
  await writeBlock(pending, data);
  const stat = await pending.commit();
  await pending.discard(); // no-op after commit

  const onDisk = await fs.stat(path.join(vol.root, hash.slice(0, 3), hash), { bigint: true });
  assert.deepEqual(stat, { size: data.length, mtimeNs: onDisk.mtimeNs });
  assert.deepEqual(await vol.stat(hash), stat);
  assert.deepEqual(await listFiles(vol.root), [`${hash.slice(0, 3)}/${hash}`]);

  const r = await vol.openRead(hash);
  assert.equal(r.size, data.length);
  assert.equal(r.mtimeNs, onDisk.mtimeNs);
  assert.ok((await buffer(r.stream)).equals(data));
});

test('readWhole: the mtime is that of the copy read, even once a new copy replaced it; a directory or FIFO under the name is no block', async () => {
  const vol = await makeVolume(base, 'whole');
  const { data, hash } = randomBlock(4096);
  const file = await placeBlock(vol.root, hash, data);
  const old = await fs.stat(file, { bigint: true });
  const read = await vol.readWhole(hash, data.length);
  assert.ok(typeof read === 'object');
  try {
    const replacement = `${file}.new`;
    await fs.writeFile(replacement, data);
    await fs.utimes(replacement, new Date(Date.now() + 60_000), new Date(Date.now() + 60_000));
    await fs.rename(replacement, file);
    assert.notEqual((await fs.stat(file, { bigint: true })).mtimeNs, old.mtimeNs);
    assert.equal(await read.mtimeNs(), old.mtimeNs, 'the copy read, not the one there now');
    assert.ok(read.data.equals(data));
  } finally {
    await read.release();
  }

  // One read per block, not a second one only to find the end of the file.
  const handle = await fs.open(file, 'r');
  const proto = Object.getPrototypeOf(handle) as { read: (...args: unknown[]) => Promise<unknown> };
  await handle.close();
  const fileRead = proto.read;
  let reads = 0;
  proto.read = function (this: unknown, ...args: unknown[]) {
    reads++;
    return fileRead.apply(this, args);
  };
  try {
    const again = await vol.readWhole(hash, data.length);
    assert.ok(typeof again === 'object');
    await again.release();
  } finally {
    proto.read = fileRead;
  }
  assert.equal(reads, 1, 'one read');

  const dirBlock = randomBlock(10);
  await fs.mkdir(path.join(vol.root, dirBlock.hash.slice(0, 3), dirBlock.hash), { recursive: true });
  assert.equal(await vol.readWhole(dirBlock.hash, 10), 'absent');
  assert.equal(await vol.stat(dirBlock.hash), null, 'as stat says');

  const fifoBlock = randomBlock(10);
  await fs.mkdir(path.join(vol.root, fifoBlock.hash.slice(0, 3)), { recursive: true });
  execFileSync('mkfifo', [path.join(vol.root, fifoBlock.hash.slice(0, 3), fifoBlock.hash)]);
  assert.equal(await vol.readWhole(fifoBlock.hash, 10), 'absent', 'a FIFO is no block (and does not block the read)');
});

test('absent blocks: stat null, openRead/touch/trashIf NotFoundError; bad hashes rejected', async () => {
  const vol = await makeVolume(base, 'absent');
  const { hash } = randomBlock();
  assert.equal(await vol.stat(hash), null);
  await assert.rejects(vol.openRead(hash), NotFoundError);
  await assert.rejects(vol.touch(hash), NotFoundError);
  await assert.rejects(
    vol.trashIf(hash, () => null, 0, 1000),
    NotFoundError,
  );
  assert.equal(await vol.verifyStored(hash), 'missing');
  for (const bad of ['../../etc/passwd', hash.toUpperCase(), hash.slice(1), `${hash}x`]) {
    await assert.rejects(vol.stat(bad), InvalidLocatorError);
    await assert.rejects(vol.beginWrite(bad), InvalidLocatorError);
  }
  await assert.rejects(async () => {
    for await (const _ of vol.index('../')) void _;
  }, InvalidLocatorError);
});

test('a block being written is never visible under its name; discard removes the temp', async () => {
  const vol = await makeVolume(base, 'partial');
  const { data, hash } = randomBlock(SINK_COALESCE_BYTES * 2);
  const pending = await vol.beginWrite(hash);
  // One full write batch (the sink writes in batches of SINK_COALESCE_BYTES): on disk now.
  await new Promise<void>((resolve) => pending.stream.write(data.subarray(0, SINK_COALESCE_BYTES), () => resolve()));
  assert.equal((await fs.stat(pending.path)).size, SINK_COALESCE_BYTES);
  assert.equal(await vol.stat(hash), null);
  assert.deepEqual(await collect(vol.index('')), []);
  await pending.discard();
  await pending.discard(); // idempotent
  assert.deepEqual(await listFiles(vol.root), []);
  await assert.rejects(pending.commit(), /discarded/);
});

test('verifyStored reads the copy through MD5: intact, corrupt (same size, one bit), truncated', async () => {
  const vol = await makeVolume(base, 'same');
  const { data, hash } = randomBlock(600_000);
  const p = await placeBlock(vol.root, hash, data);
  assert.equal(await vol.verifyStored(hash), 'intact');
  const changed = Buffer.from(data);
  changed.writeUInt8(changed.readUInt8(599_999) ^ 1, 599_999);
  await fs.writeFile(p, changed);
  assert.equal(await vol.verifyStored(hash), 'corrupt');
  await fs.writeFile(p, data.subarray(1));
  assert.equal(await vol.verifyStored(hash), 'corrupt');
});

test('touch moves the mtime forward without rewriting the file', async () => {
  const vol = await makeVolume(base, 'touch');
  const { data, hash } = randomBlock();
  const p = await placeBlock(vol.root, hash, data);
  await fs.utimes(p, new Date('2001-01-01'), new Date('2001-01-01'));
  const before = await fs.stat(p, { bigint: true });
  const st = await vol.touch(hash);
  const afterTouch = await fs.stat(p, { bigint: true });
  assert.ok(st.mtimeNs > before.mtimeNs);
  assert.equal(st.mtimeNs, afterTouch.mtimeNs);
  assert.equal(afterTouch.ino, before.ino);
  assert.ok(Math.abs(Number(st.mtimeNs / 1_000_000n) - Date.now()) < 5000);
});

test('a read-only volume refuses every write with WriteFailedError', async () => {
  const ro = await makeVolume(base, 'ro', { readOnly: true });
  const { data, hash } = randomBlock();
  await placeBlock(ro.root, hash, data);
  for (const op of [
    () => ro.beginWrite(hash),
    () => ro.touch(hash),
    () => ro.trashIf(hash, () => null, 10, 1000),
    () => ro.untrash(hash),
  ]) {
    await assert.rejects(op(), (err: unknown) => err instanceof WriteFailedError && err.message === 'volume is read-only');
  }
  assert.equal((await ro.stat(hash))?.size, data.length, 'still readable');
  assert.equal(await ro.removeAbandonedWrites(0), 0);
});

test('a vanished root: WriteFailedError naming the volume and errno, not the path', async () => {
  const v = await makeVolume(base, 'gone');
  await fs.rm(v.root, { recursive: true });
  const { hash } = randomBlock();
  await assert.rejects(v.beginWrite(hash), (err: unknown) => {
    assert.ok(err instanceof WriteFailedError);
    assert.equal(err.status, 503);
    assert.match(err.message, /zzzzz-nyw5e-00000000000gone/);
    assert.match(err.message, /ENOENT/);
    assert.ok(!err.message.includes(base), 'no filesystem path in the message');
    return true;
  });
  assert.equal(await exists(v.root), false, 'the root is not recreated');
  await assert.rejects(v.availableBytes(), (err: Error) => /statfs failed: ENOENT/.test(err.message) && !err.message.includes(base));
  assert.equal(await v.stat(hash), null);
  await assert.rejects(collect(v.index('')), /ENOENT/);

  await fs.writeFile(v.root, 'not a dir');
  await assert.rejects(v.beginWrite(hash), (err: unknown) => err instanceof WriteFailedError && /ENOTDIR/.test(err.message));
});

test('availableBytes reports the filesystem space', async () => {
  const v = await makeVolume(base, 'free');
  const s = await fs.statfs(v.root);
  const free = await v.availableBytes();
  assert.ok(free !== null && free > 0);
  assert.ok(Math.abs(free - s.bavail * s.bsize) < 1024 * 1024 * 1024);
});

test('a block directory removed behind our back is made again; a root removed after writes is not', async () => {
  const v = await makeVolume(base, 'dirs-again');
  const { data, hash } = randomBlock();
  const write = async () => {
    const pending = await v.beginWrite(hash);
    await writeBlock(pending, data);
    await pending.commit();
  };
  await write(); // the volume now knows the block's directory
  await fs.rm(path.join(v.root, hash.slice(0, 3)), { recursive: true });
  await write();
  assert.deepEqual(await listFiles(v.root), [`${hash.slice(0, 3)}/${hash}`]);

  await fs.rm(v.root, { recursive: true });
  await assert.rejects(v.beginWrite(hash), (err: unknown) => err instanceof WriteFailedError && /ENOENT/.test(err.message));
  assert.equal(await exists(v.root), false, 'the root is not recreated');
});

test('ENOSPC while writing maps to FullError (real /dev/full)', async (t) => {
  if (!(await exists('/dev/full'))) return t.skip('no /dev/full');
  const fh = await fs.open('/dev/full', 'w');
  const sink = new FileSink(fh, (err) => mapWriteError('zzzzz-nyw5e-000000000000001', 'a'.repeat(32), err));
  try {
    await assert.rejects(
      new Promise((resolve, reject) => {
        sink.once('error', reject);
        sink.end(Buffer.alloc(1000), (err?: Error | null) => (err ? reject(err) : resolve(undefined)));
      }),
      (err: unknown) => err instanceof FullError && err.status === 507 && /ENOSPC/.test(err.message),
    );
  } finally {
    await fh.close();
  }
});

test('index: prefix filter, temp and trash skipped, exact nanosecond mtimes', async () => {
  const v = await makeVolume(base, 'index');
  const hashes = ['abc' + '0'.repeat(29), 'abc' + '1'.repeat(29), 'abd' + '2'.repeat(29), 'f00' + '3'.repeat(29)];
  for (const h of hashes) await placeBlock(v.root, h, Buffer.from(h));
  await fs.writeFile(path.join(v.root, 'abc', `tmp${hashes[0]}-1234`), 'partial');
  await fs.writeFile(path.join(v.root, 'abc', `${'abc' + '9'.repeat(29)}.trash.12345`), 'trashed');
  await fs.writeFile(path.join(v.root, 'abc', 'README'), 'not a block');
  await fs.writeFile(path.join(v.root, 'full'), 'stray file in root');

  const all = await collect(v.index(''));
  assert.deepEqual(all.map((e) => e.hash).sort(), hashes);
  for (const e of all) {
    const st = await fs.stat(path.join(v.root, e.hash.slice(0, 3), e.hash), { bigint: true });
    assert.equal(e.mtimeNs, st.mtimeNs);
    assert.equal(e.size, 32);
    assert.equal(typeof e.mtimeNs, 'bigint');
  }
  assert.deepEqual((await collect(v.index('ab'))).map((e) => e.hash).sort(), hashes.slice(0, 3));
  assert.deepEqual((await collect(v.index('abc'))).map((e) => e.hash).sort(), hashes.slice(0, 2));
  assert.deepEqual(
    (await collect(v.index('abc1'))).map((e) => e.hash),
    [hashes[1]],
  );
  assert.deepEqual(
    (await collect(v.index(hashes[3]!))).map((e) => e.hash),
    [hashes[3]],
  );
  assert.deepEqual(await collect(v.index('0')), []);
  assert.deepEqual(await collect(v.index('eee')), [], 'missing directory is just empty');
});

test('index streams: stopping early is fine and many blocks come through', async () => {
  const v = await makeVolume(base, 'many');
  const n = 300;
  for (let i = 0; i < n; i++) {
    const h = i.toString(16).padStart(3, '0') + 'e'.repeat(29);
    await placeBlock(v.root, h, Buffer.from([i & 255]));
  }
  assert.equal((await collect(v.index(''))).length, n);
  let seen = 0;
  for await (const _ of v.index('')) {
    void _;
    if (++seen === 5) break;
  }
  assert.equal(seen, 5);
});

function specOf(v: DirectoryVolume) {
  return {
    uuid: v.uuid,
    root: v.root,
    readOnly: v.readOnly,
    replication: v.replication,
    storageClasses: v.storageClasses,
    priority: v.priority,
  };
}

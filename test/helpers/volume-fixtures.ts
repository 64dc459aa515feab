/**
 * Shared fixtures for the volume tests: real temp directories, real files, no fs mocks.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { DirectoryVolume } from '../../packages/server/src/volume/directory/directory-volume.ts';
import type { DirectoryVolumeSpec as VolumeSpec } from '../../packages/server/src/volume/directory/config.ts';

export function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

/** Random content and its hash. */
export function randomBlock(size = 1000): { data: Buffer; hash: string } {
  const data = randomBytes(size);
  return { data, hash: md5(data) };
}

export async function makeTempDir(label = 'keepstore-vol-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), label));
}

/** A volume rooted at `<base>/<name>`, initialised. */
export async function makeVolume(base: string, name: string, spec: Partial<VolumeSpec> = {}): Promise<DirectoryVolume> {
  const root = path.join(base, name);
  if (spec.readOnly) await fs.mkdir(root, { recursive: true });
  const vol = new DirectoryVolume({
    uuid: `zzzzz-nyw5e-${name.padStart(15, '0')}`,
    root,
    readOnly: false,
    replication: 1,
    storageClasses: ['default'],
    priority: 0,
    ...spec,
  });
  await vol.init();
  return vol;
}

/** Places a block file directly (bypassing the volume: works on read-only volumes too). */
export async function placeBlock(root: string, hash: string, data: Buffer): Promise<string> {
  const dir = path.join(root, hash.slice(0, 3));
  await fs.mkdir(dir, { recursive: true });
  const p = path.join(dir, hash);
  await fs.writeFile(p, data);
  return p;
}

/** Every file (not directory) under `root`, relative paths, sorted. */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (e.isFile()) out.push(path.relative(root, path.join(e.parentPath ?? e.path, e.name)));
  }
  return out.sort();
}

/** A Readable that yields `data` in `chunk`-byte pieces, then fails with `error`. */
export function failingSource(data: Buffer, error: Error, chunk = 4096): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset < data.length) {
        this.push(data.subarray(offset, offset + chunk));
        offset += chunk;
      } else {
        this.destroy(error);
      }
    },
  });
}

/** Polls `fn` until it returns true (no fixed sleeps). */
export async function waitFor(fn: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!(await fn())) {
    if (Date.now() - start > timeoutMs) throw new Error('waitFor timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

/** Everything an async iterable yields (an index, an emptied trash), in order. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/**
 * A fresh clone must build, start and pass its tests with nothing beside it: no file of the
 * repository may read or link the workspace it was developed in (a `shared` directory next to
 * the clone). Three test files once read their vectors from there and failed in a clone.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/keepstore-process.ts';

const SKIP = new Set(['.git', 'node_modules', 'dist', 'data', 'bench-results', 'tmp']);
// Spelled in two pieces so that this file does not match itself.
const OUTSIDE = [`..${'/'}shared`, `/work${'/'}shared`];
// The workspace's own reference documents: citing one sends a reader to a file a clone lacks.
const WORKSPACE_DOCS = ['DESIGN', 'PROTOCOL', 'STYLE'].map((name) => `${name}${'.'}md`);

function* files(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else if (entry.isFile()) yield full;
  }
}

test('no file of the repository refers to a directory outside it', () => {
  const offenders: string[] = [];
  let scanned = 0;
  for (const file of files(REPO_ROOT)) {
    scanned++;
    const text = fs.readFileSync(file, 'utf8');
    for (const needle of OUTSIDE) if (text.includes(needle)) offenders.push(`${path.relative(REPO_ROOT, file)}: ${needle}`);
  }
  assert.ok(scanned > 100, `only ${scanned} files scanned`);
  assert.deepEqual(offenders, []);
});

test('no file cites a reference document of the workspace that the repository does not hold', () => {
  const all = [...files(REPO_ROOT)];
  const held = new Set(all.map((file) => path.basename(file)));
  const offenders: string[] = [];
  for (const file of all) {
    const text = fs.readFileSync(file, 'utf8');
    for (const doc of WORKSPACE_DOCS) if (!held.has(doc) && text.includes(doc)) offenders.push(`${path.relative(REPO_ROOT, file)}: ${doc}`);
  }
  assert.deepEqual(offenders, []);
});

test('the protocol vectors the tests use are in the repository', () => {
  const vectors = path.join(REPO_ROOT, 'test/fixtures/keep-vectors.json');
  assert.ok(fs.existsSync(vectors));
  assert.match(fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/README.md'), 'utf8'), /keep-vectors\.json/);
});

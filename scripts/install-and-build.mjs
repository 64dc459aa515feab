#!/usr/bin/env node
// Runs before `npm start` and `npm test` (prestart, pretest) so that each works alone on a
// fresh clone: `npm ci` when node_modules is missing or older than package-lock.json (npm
// writes node_modules/.package-lock.json at every install), then `tsc -b` (incremental: a
// second or two when nothing changed). No dependencies of its own: it runs before any exist.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

function mtimeMs(file) {
  try {
    return statSync(path.join(root, file)).mtimeMs;
  } catch {
    return null;
  }
}

function run(what, command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`${what} failed${result.error ? `: ${result.error.message}` : ''}`);
    process.exit(result.status ?? 1);
  }
}

const installed = mtimeMs('node_modules/.package-lock.json');
const lock = mtimeMs('package-lock.json');
if (installed === null || (lock !== null && installed < lock)) {
  console.error(installed === null ? 'node_modules missing: npm ci' : 'package-lock.json is newer than node_modules: npm ci');
  // Under `npm start`/`npm test`, npm_execpath is the npm that runs us: use the same one.
  const npm = process.env.npm_execpath;
  if (npm) run('npm ci', process.execPath, [npm, 'ci', '--no-audit', '--no-fund']);
  else run('npm ci', 'npm', ['ci', '--no-audit', '--no-fund']);
}
run('build (tsc -b)', process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-b']);

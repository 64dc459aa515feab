#!/usr/bin/env node
// Runs the test tiers with node:test. Node 20 expands no globs, so the files are listed here.
// Usage: node scripts/run-tests.mjs [lint] [unit] [inprocess] [integration] [cluster]
// (default: all of them; `lint` is scripts/lint.mjs: biome, format check and layering).
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const asked = process.argv.slice(2);
const tiers = asked.length ? asked : ['lint', 'unit', 'inprocess', 'integration', 'cluster'];
// The guard rails first: a lint or layering failure stops the run before the slow tiers.
if (tiers.includes('lint')) {
  const lint = spawnSync(process.execPath, [path.join(root, 'scripts', 'lint.mjs')], { cwd: root, stdio: 'inherit' });
  if (lint.status !== 0) process.exit(lint.status ?? 1);
}
const testTiers = tiers.filter((tier) => tier !== 'lint');
if (testTiers.length === 0) process.exit(0);
const files = testTiers.flatMap((tier) => {
  const dir = path.join(root, 'test', tier);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => path.join('test', tier, f));
});
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// Integration files start real multi-process servers; two at a time suits a 2-core machine.
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);

#!/usr/bin/env node
// Runs the test tiers with node:test. Node 20 expands no globs, so the files are listed here.
// Usage: node scripts/run-tests.mjs [unit] [integration] [cluster]   (default: all three)
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const tiers = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'integration', 'cluster'];
const files = tiers.flatMap((tier) => {
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

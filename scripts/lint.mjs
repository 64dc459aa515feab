#!/usr/bin/env node
// The guard rails that `npm run lint` and `npm test` run: biome's linter and format check
// (biome.json), then the layering rules (.dependency-cruiser.cjs). Every step runs even when
// an earlier one fails, so one run shows everything; exits non-zero if any step failed.
// Needs the build (the layering check resolves @keepstore/protocol through its dist/).
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

const steps = [
  ['lint and format check (biome)', bin('biome'), ['ci', '--error-on-warnings', '.']],
  [
    'layering (dependency-cruiser)',
    bin('depcruise'),
    ['--config', '.dependency-cruiser.cjs', '--output-type', 'err', 'packages/server/src', 'packages/protocol/src'],
  ],
];

let failed = 0;
for (const [what, command, args] of steps) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.error(`\n${what}: FAILED${result.error ? ` (${result.error.message})` : ''}\n`);
  }
}
if (failed) process.exit(1);

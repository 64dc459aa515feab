#!/usr/bin/env node
// Committed launcher: npm links a workspace bin only if its target exists at install time,
// so this file stays in git and loads the build output (run `npm run build` first).
import { main } from '../dist/cli.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`keepstore: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);

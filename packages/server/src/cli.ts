import { parseArgs } from 'node:util';
import { runPrimary } from './cluster/primary.js';

const USAGE = `usage: keepstore [--config FILE]
       keepstore fleet --redis URL [--key-prefix PREFIX]

  --config FILE   JSON or YAML config (default: $KEEPSTORE_CONFIG, else built-in defaults)
`;

/** The `keepstore` command: runs the primary in the foreground (or a subcommand). */
export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`keepstore: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.positionals.length > 0) {
    process.stderr.write(`keepstore: unknown command ${parsed.positionals[0]}\n${USAGE}`);
    return 2;
  }
  return runPrimary(parsed.values.config);
}

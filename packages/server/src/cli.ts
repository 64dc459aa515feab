import { parseArgs } from 'node:util';
import { runPrimary } from './cluster/primary.js';
import { runFleet } from './redis/fleet-command.js';

const USAGE = `usage: keepstore [--config FILE]
       keepstore fleet --redis URL [--key-prefix PREFIX] [--json]

  --config FILE   JSON or YAML config (default: $KEEPSTORE_CONFIG, else built-in defaults)

  fleet           print every live keepstore publishing heartbeats to that Redis, URL first,
                  with its workers, volumes and pull/trash queues (queued/running/done/failed)
  --redis URL     redis://host:port[/db]
  --key-prefix P  the servers' redis.keyPrefix (default "keepstore:")
  --json          the heartbeat records as JSON instead of a table
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
        redis: { type: 'string' },
        'key-prefix': { type: 'string' },
        json: { type: 'boolean' },
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
  if (parsed.positionals[0] === 'fleet' && parsed.positionals.length === 1) {
    const url = parsed.values.redis;
    if (!url) {
      process.stderr.write(`keepstore fleet: --redis URL is required\n${USAGE}`);
      return 2;
    }
    const keyPrefix = parsed.values['key-prefix'] ?? 'keepstore:';
    return runFleet({ url, keyPrefix, json: parsed.values.json ?? false, out: process.stdout, err: process.stderr });
  }
  if (parsed.positionals.length > 0) {
    process.stderr.write(`keepstore: unknown command ${parsed.positionals[0]}\n${USAGE}`);
    return 2;
  }
  return runPrimary(parsed.values.config);
}

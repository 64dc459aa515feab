import { parseArgs } from 'node:util';
import { runPrimary } from './primary/main.js';
import { ConfigError, loadConfig } from './config/load.js';
import { runFleet } from './redis/fleet-command.js';
import type { RedisTarget } from './redis/redis-client.js';

const USAGE = `usage: keepstore [--config FILE]
       keepstore fleet (--redis URL [--cluster] | --config FILE) [--key-prefix PREFIX] [--json]

  --config FILE   JSON or YAML config (default: $KEEPSTORE_CONFIG, else built-in defaults)

  fleet           print every live keepstore publishing heartbeats to that Redis, URL first,
                  with its workers, volumes and pull/trash queues (queued/running/done/failed)
  --redis URL     redis://host:port[/db]
  --cluster       URL is a node of a Redis Cluster: every master is scanned
  --config FILE   with fleet: use that keepstore config's redis section (any of its forms:
                  url, sentinels, cluster) and its keyPrefix
  --key-prefix P  the servers' redis.keyPrefix (default "keepstore:", or the config's)
  --json          the heartbeat records as JSON instead of a table
`;

/** Which Redis `fleet` reads (and its default prefix), or what is wrong with the options. */
function fleetTarget(values: { redis?: string; config?: string; cluster?: boolean }): { target: RedisTarget; keyPrefix: string } | string {
  if (values.config !== undefined) {
    if (values.redis !== undefined) return 'give --redis or --config, not both';
    try {
      const { redis } = loadConfig(values.config);
      return redis ? { target: redis, keyPrefix: redis.keyPrefix } : `${values.config} has no redis section`;
    } catch (err) {
      if (err instanceof ConfigError) return err.message;
      throw err;
    }
  }
  const url = values.redis;
  if (!url) return '--redis URL is required (or --config FILE)';
  if (!values.cluster) return { target: { url }, keyPrefix: 'keepstore:' };
  const node = new URL(url);
  const password = node.password ? decodeURIComponent(node.password) : undefined;
  return { target: { cluster: [{ host: node.hostname, port: Number(node.port || 6379) }], password }, keyPrefix: 'keepstore:' };
}

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
        cluster: { type: 'boolean' },
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
    const where = fleetTarget(parsed.values);
    if (typeof where === 'string') {
      process.stderr.write(`keepstore fleet: ${where}\n${USAGE}`);
      return 2;
    }
    const keyPrefix = parsed.values['key-prefix'] ?? where.keyPrefix;
    return runFleet({ target: where.target, keyPrefix, json: parsed.values.json ?? false, out: process.stdout, err: process.stderr });
  }
  if (parsed.positionals.length > 0) {
    process.stderr.write(`keepstore: unknown command ${parsed.positionals[0]}\n${USAGE}`);
    return 2;
  }
  return runPrimary(parsed.values.config);
}

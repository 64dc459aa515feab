import { parseArgs } from 'node:util';
import { runPrimary } from './primary/main.js';
import { ConfigError, loadConfig } from './config/load.js';
import { runFleet } from './redis/fleet-command.js';
import type { RedisTarget } from './redis/redis-client.js';

const USAGE = `usage: keepstore [--config FILE]
       keepstore fleet (--redis URL [--cluster] | --config FILE) [--key-prefix PREFIX] [--json | --watch [--interval SECONDS]]

  --config FILE   JSON or YAML config (default: $KEEPSTORE_CONFIG, else built-in defaults)

  fleet           print every live keepstore publishing heartbeats to that Redis, URL first,
                  with its workers, volumes and pull/trash queues (queued/running/done/failed)
  --redis URL     redis://host:port[/db]
  --cluster       URL is a node of a Redis Cluster: every master is scanned
  --config FILE   with fleet: use that keepstore config's redis section (any of its forms:
                  url, sentinels, cluster) and its keyPrefix
  --key-prefix P  the servers' redis.keyPrefix (default "keepstore:", or the config's)
  --json          the heartbeat records as JSON instead of a table
  --watch         on a terminal: redraw the fleet with a progress bar per pull and trash list
                  until Ctrl-C (not a terminal: the table, once)
  --interval S    seconds between redraws with --watch (default 2; 0.2 to 3600)
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

/** The redraw period of `fleet --watch` in ms (null: no watch), or what is wrong with the options. */
function watchInterval(values: { watch?: boolean; interval?: string; json?: boolean }): number | null | string {
  if (!values.watch) return values.interval === undefined ? null : '--interval needs --watch';
  if (values.json) return 'give --json or --watch, not both';
  if (values.interval === undefined) return 2_000;
  const seconds = Number(values.interval);
  if (values.interval.trim() === '' || !Number.isFinite(seconds) || seconds < 0.2 || seconds > 3600) {
    return `--interval must be a number of seconds from 0.2 to 3600, got ${JSON.stringify(values.interval)}`;
  }
  return Math.round(seconds * 1000);
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
        watch: { type: 'boolean' },
        interval: { type: 'string' },
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
    const watchMs = watchInterval(parsed.values);
    if (typeof watchMs === 'string') {
      process.stderr.write(`keepstore fleet: ${watchMs}\n${USAGE}`);
      return 2;
    }
    const keyPrefix = parsed.values['key-prefix'] ?? where.keyPrefix;
    const json = parsed.values.json ?? false;
    return runFleet({ target: where.target, keyPrefix, json, watchMs, out: process.stdout, err: process.stderr });
  }
  if (parsed.positionals.length > 0) {
    process.stderr.write(`keepstore: unknown command ${parsed.positionals[0]}\n${USAGE}`);
    return 2;
  }
  return runPrimary(parsed.values.config);
}

import type { WriteStream } from 'node:tty';
import { describeError } from '../log/logger.js';
import { readFleet } from './fleet-reader.js';
import { fleetScreen } from './fleet-screen.js';
import type { HeartbeatRecord } from './heartbeat-record.js';
import type { RedisClient } from './redis-client.js';

// Terminal control: the alternate screen keeps the user's scrollback as it was; the cursor is
// hidden while drawing. Both are undone on the way out.
const ENTER = '\x1b[?1049h\x1b[?25l';
const LEAVE = '\x1b[?25h\x1b[?1049l';
const HOME = '\x1b[H';
const CLEAR_LINE_END = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';

export interface WatchOptions {
  keyPrefix: string;
  intervalMs: number;
  out: WriteStream;
}

/**
 * `keepstore fleet --watch` on a terminal: read the heartbeats and redraw the screen every
 * `intervalMs` (and on a resize) until SIGINT (Ctrl-C) or SIGTERM, then restore the terminal
 * and resolve 0. A Redis error mid-watch is shown on the screen, over the last figures read.
 */
export function watchFleet(redis: RedisClient, opts: WatchOptions): Promise<number> {
  const { out } = opts;
  let records: HeartbeatRecord[] = [];
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const draw = (error?: string): void => {
    const lines = fleetScreen(records, { now: Date.now(), intervalMs: opts.intervalMs, columns: out.columns || 80, error });
    out.write(`${HOME}${lines.map((l) => l.slice(0, out.columns || 80) + CLEAR_LINE_END).join('\n')}\n${CLEAR_BELOW}`);
  };
  const tick = async (): Promise<void> => {
    let error: string | undefined;
    try {
      records = await readFleet(redis, opts.keyPrefix);
    } catch (err) {
      error = describeError(err).message;
    }
    if (stopped) return;
    draw(error);
    timer = setTimeout(() => void tick(), opts.intervalMs);
  };

  return new Promise((resolve) => {
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      out.off('resize', onResize);
      out.write(LEAVE);
      resolve(0);
    };
    const onResize = (): void => draw();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    out.on('resize', onResize);
    out.write(ENTER);
    void tick();
  });
}

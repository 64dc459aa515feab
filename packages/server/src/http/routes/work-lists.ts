import { constants } from 'node:buffer';
import { Router, type Request } from 'express';
import {
  ListStreamParser,
  ListValidationError,
  pullListValidator,
  trashListValidator,
  type ListSegment,
  type ListValidator,
} from '@keepstore/protocol';
import { BadRequestError, TooLargeError } from '../../errors.js';
import { requireToken } from '../middleware/auth.js';
import type { AppContext } from '../app-context.js';

/**
 * Longest list body accepted. The body is parsed as it arrives and never held whole, but
 * reading it still takes a worker's time: a body this long holds about 4 million typical
 * entries (see maxListEntries), and anything longer is refused.
 */
const MAX_LIST_BYTES = constants.MAX_STRING_LENGTH;

/** Entries shown by the debug log line `KIND list entries`. */
const DEBUG_ENTRIES = 1000;

/**
 * The validated entries of a list body, run by run, as it arrives. Throws a BadRequestError
 * naming the first wrong entry (or malformed JSON), a TooLargeError past MAX_LIST_BYTES or
 * `maxEntries` entries. Reading pauses while the consumer is busy (IPC backpressure).
 */
async function* validatedEntries<E>(req: Request, validate: ListValidator<E>, maxEntries: number): AsyncGenerator<E[]> {
  // A declared length over the limit is refused before a byte is read.
  const declared = Number(req.get('Content-Length') ?? 0);
  if (declared > MAX_LIST_BYTES) throw new TooLargeError('list too large');
  const parser = new ListStreamParser();
  const check = (segments: ListSegment[]): E[] => {
    if (parser.count > maxEntries) throw new TooLargeError(`list too large: more than ${maxEntries} entries (maxListEntries)`);
    return segments.flatMap(validate);
  };
  let total = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > MAX_LIST_BYTES) throw new TooLargeError('list too large');
      const entries = check(parser.write(chunk));
      if (entries.length > 0) yield entries;
    }
    const entries = check(parser.end());
    if (entries.length > 0) yield entries;
  } catch (err) {
    if (err instanceof ListValidationError) throw new BadRequestError(err.message);
    throw err;
  }
}

/**
 * `entries` passed through, the first DEBUG_ENTRIES of them logged at debug level as `show` has
 * them; `entries` themselves (no extra step per run) when debug is off.
 */
function debugLogged<E>(ctx: AppContext, kind: string, entries: AsyncIterable<E[]>, show: (e: E) => unknown): AsyncIterable<E[]> {
  return ctx.log.isDebugEnabled() ? logFirst(ctx, kind, entries, show) : entries;
}

async function* logFirst<E>(ctx: AppContext, kind: string, entries: AsyncIterable<E[]>, show: (e: E) => unknown): AsyncGenerator<E[]> {
  let shown = 0;
  for await (const run of entries) {
    if (shown < DEBUG_ENTRIES) {
      const part = run.slice(0, DEBUG_ENTRIES - shown);
      shown += part.length;
      ctx.log.debug(`${kind} list entries`, { entries: part.map(show) });
    }
    yield run;
  }
}

/**
 * PUT /pull and PUT /trash (admin): parse and validate here in the worker as the body streams
 * in (never in the primary, which sits on every connection's accept path), hand the entries
 * to the primary batch by batch, and answer 200 only once the primary has made the whole list
 * the current one. A list refused on the way (400, 413) leaves the current list as it was.
 */
export function workListRoutes(ctx: AppContext): Router {
  const router = Router();
  const admin = requireToken(ctx.config.systemRootToken);
  router.put('/pull', admin, async (req, res) => {
    const valid = validatedEntries(req, pullListValidator(), ctx.config.maxListEntries);
    const accepted = await ctx.primary.uploadList({ kind: 'pull', entries: debugLogged(ctx, 'pull', valid, (e) => e) });
    ctx.log.info('pull list received', { requestId: res.locals['requestId'], count: accepted });
    res.type('text/plain').send(`Received ${accepted} pull requests\n`);
  });
  router.put('/trash', admin, async (req, res) => {
    const valid = validatedEntries(req, trashListValidator(), ctx.config.maxListEntries);
    const show = (e: { blockMtime: bigint }) => ({ ...e, blockMtime: e.blockMtime.toString() });
    const accepted = await ctx.primary.uploadList({ kind: 'trash', entries: debugLogged(ctx, 'trash', valid, show) });
    ctx.log.info('trash list received', { requestId: res.locals['requestId'], count: accepted });
    res.type('text/plain').send(`Received ${accepted} trash requests\n`);
  });
  return router;
}

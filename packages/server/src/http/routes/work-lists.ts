import { constants } from 'node:buffer';
import { Router, type Request } from 'express';
import { ListValidationError, parsePullList, parseTrashList } from '@keepstore/protocol';
import { BadRequestError, TooLargeError } from '../../errors.js';
import { requireToken } from '../middleware/auth.js';
import type { AppContext } from '../app-context.js';

/**
 * A million-entry list is ~150 MB of JSON; refuse anything far beyond that. The body is
 * decoded into one string for the parser, so the limit is the longest string Node can hold
 * (just under 512 MiB): one byte more and the decode itself fails (a 500, after the whole body
 * was held in memory). UTF-8 never has fewer bytes than characters, so this many bytes fit.
 */
export const MAX_LIST_BYTES = constants.MAX_STRING_LENGTH;

/** The request body as one string; 413 beyond `maxBytes`. */
export async function readBody(req: Request, maxBytes = MAX_LIST_BYTES): Promise<string> {
  const what = maxBytes === MAX_LIST_BYTES ? 'list too large' : 'body too large';
  // A declared length over the limit is refused before a byte is read.
  const declared = Number(req.get('Content-Length') ?? 0);
  if (declared > maxBytes) throw new TooLargeError(what);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) throw new TooLargeError(what);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

function parse<T>(parser: (body: string) => T, body: string): T {
  try {
    return parser(body);
  } catch (err) {
    if (err instanceof ListValidationError) throw new BadRequestError(err.message);
    throw err;
  }
}

/**
 * PUT /pull and PUT /trash (admin): parse and validate here in the worker (never in the
 * primary, which sits on every connection's accept path), hand the list to the primary, and
 * answer 200 only once the primary has made it the current list.
 */
export function workListRoutes(ctx: AppContext): Router {
  const router = Router();
  const admin = requireToken(ctx.config.systemRootToken);
  router.put('/pull', admin, async (req, res) => {
    const entries = parse(parsePullList, await readBody(req));
    ctx.log.info('pull list received', { requestId: res.locals['requestId'], count: entries.length });
    if (ctx.log.isDebugEnabled()) ctx.log.debug('pull list entries', { entries: entries.slice(0, 1000) });
    const accepted = await ctx.primary.uploadList({ kind: 'pull', entries });
    res.type('text/plain').send(`Received ${accepted} pull requests\n`);
  });
  router.put('/trash', admin, async (req, res) => {
    const entries = parse(parseTrashList, await readBody(req));
    ctx.log.info('trash list received', { requestId: res.locals['requestId'], count: entries.length });
    if (ctx.log.isDebugEnabled()) {
      ctx.log.debug('trash list entries', { entries: entries.slice(0, 1000).map((e) => ({ ...e, blockMtime: e.blockMtime.toString() })) });
    }
    const accepted = await ctx.primary.uploadList({ kind: 'trash', entries });
    res.type('text/plain').send(`Received ${accepted} trash requests\n`);
  });
  return router;
}

import { Router, type Request } from 'express';
import { ListValidationError } from '@keepstore/protocol';
import { BadRequestError, TooLargeError } from '../../errors.js';
import type { ListKindSpec } from '../../worklist/list-kind-spec.js';
import { KIND_NAMES, LIST_KINDS } from '../../worklist/list-kinds.js';
import { uploadList } from '../../worklist/list-uploader.js';
import { requireToken } from '../middleware/auth.js';
import type { WorkerContext } from '../worker-context.js';

/** A million-entry list is ~150 MB of JSON; refuse anything far beyond that. */
const MAX_LIST_BYTES = 1024 * 1024 * 1024; // 1 GiB

async function readBody(req: Request): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > MAX_LIST_BYTES) throw new TooLargeError('list too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

function parse<E>(spec: ListKindSpec<E>, body: string): E[] {
  try {
    return spec.parse(body);
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
export function workListRoutes(ctx: WorkerContext): Router {
  const router = Router();
  const admin = requireToken(ctx.config.systemRootToken);
  for (const kind of KIND_NAMES) {
    const spec = LIST_KINDS[kind];
    router.put(`/${kind}`, admin, async (req, res) => {
      const entries = parse(spec, await readBody(req));
      ctx.log.info(`${kind} list received`, { requestId: res.locals['requestId'], count: entries.length });
      if (ctx.log.isDebugEnabled()) ctx.log.debug(`${kind} list entries`, { entries: entries.slice(0, 1000).map((e) => spec.logEntry(e)) });
      const accepted = await uploadList(ctx.rpc, ctx.sendToPrimary, spec, entries);
      res.type('text/plain').send(`Received ${accepted} ${kind} requests\n`);
    });
  }
  return router;
}

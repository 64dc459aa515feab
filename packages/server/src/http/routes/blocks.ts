import { hash as oneShotHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { Router, type Request, type Response } from 'express';
import { EMPTY_BLOCK_HASH, MAX_BLOCK_SIZE, parseLocator, type Locator } from '@keepstore/protocol';
import {
  BadRequestError,
  ClientGoneError,
  CorruptBlockError,
  InvalidLocatorError,
  MethodNotAllowedError,
  NotFoundError,
  TooLargeError,
} from '../../errors.js';
import { BlockVerifier } from '../block-verifier.js';
import { checkReadPermission, responseLocator } from '../permission.js';
import { reportCorruptCopy, trashCorruptCopy } from '../../metrics/corrupt-copy.js';
import { WHOLE_READ_MAX_BYTES } from '../../volume/volume.js';
import type { AppContext } from '../app-context.js';

export function locatorParam(req: Request): Locator {
  try {
    return parseLocator(String(req.params['locator'] ?? ''));
  } catch {
    throw new InvalidLocatorError();
  }
}

/**
 * GET/HEAD: find the block, check its hash as it is read (HEAD reads it to verify too). A
 * block of up to WHOLE_READ_MAX_BYTES is read whole first (see sendWhole); a larger one is
 * streamed through the check.
 */
async function readBlock(ctx: AppContext, req: Request, res: Response, head: boolean): Promise<void> {
  const loc = locatorParam(req);
  if (!head && loc.size === null && loc.hash !== EMPTY_BLOCK_HASH) throw new MethodNotAllowedError('no size hint');
  checkReadPermission(ctx.config, req, loc);
  res.setHeader('Content-Type', 'application/octet-stream');
  if (loc.hash === EMPTY_BLOCK_HASH) {
    res.setHeader('Content-Length', '0');
    res.status(200).end();
    return;
  }
  // HEAD without a size hint: the stored copy's size decides how it is read.
  const located = loc.size === null ? await ctx.volumes.locate(loc.hash) : null;
  const size = loc.size ?? located?.stat.size;
  if (size === undefined) throw new NotFoundError();
  if (size <= WHOLE_READ_MAX_BYTES) {
    await sendWhole(ctx, loc.hash, size, res, head);
    return;
  }
  const found = located ?? (await ctx.volumes.locate(loc.hash));
  if (!found || found.stat.size !== size) throw new NotFoundError();
  const { stream, mtimeNs } = await found.volume.openRead(loc.hash);
  try {
    const verify = new BlockVerifier(loc.hash);
    if (head) {
      await pipeline(stream, verify, new Writable({ write: (_c, _e, cb) => cb() }));
      res.setHeader('Content-Length', String(size));
      res.status(200).end();
      return;
    }
    res.setHeader('Content-Length', String(size));
    res.status(200);
    await pipeline(stream, verify, responseSink(res));
  } catch (err) {
    // Damaged data on disk is an operator's problem, not the client's: say where it is, and
    // take the copy out of the index so the balancer replaces it (see metrics/corrupt-copy.ts).
    if (err instanceof CorruptBlockError) {
      await trashCorruptCopy(ctx, found.volume, loc.hash, mtimeNs, { requestId: res.locals['requestId'] });
    }
    throw err;
  }
}

/**
 * A small block is read whole (directory volume: open, one read, close), checked, then sent
 * with one write: no stat, no read stream, no transform and pipeline per request; a corrupt
 * copy is a clean 502 before any byte is sent, and a client that stops reading holds only this
 * one buffer.
 */
async function sendWhole(ctx: AppContext, hash: string, size: number, res: Response, head: boolean): Promise<void> {
  const found = await ctx.volumes.readWhole(hash, size);
  if (!found) throw new NotFoundError();
  const { volume, block } = found;
  if (md5Hex(block.data) !== hash) {
    const mtimeNs = await block.mtimeNs().finally(() => block.release());
    await trashCorruptCopy(ctx, volume, hash, mtimeNs, { requestId: res.locals['requestId'] });
    throw new CorruptBlockError();
  }
  void block.release(); // the close need not hold up the answer
  res.setHeader('Content-Length', String(size));
  res.status(200).end(head ? undefined : block.data);
}

/**
 * A Writable that forwards into `res`. Unlike piping into `res` itself, a failure leaves `res`
 * alone (pipeline() would destroy it): when nothing has been sent yet (a corrupt block that
 * fits in one read chunk) the error handler can still answer 502 instead of hanging up.
 * When the client goes away, the sink fails so the pipeline stops reading the file.
 */
function responseSink(res: Response): Writable {
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (res.write(chunk)) cb();
      else res.once('drain', () => cb());
    },
    final(cb) {
      res.end();
      cb();
    },
  });
  const onClose = (): void => {
    if (!res.writableFinished) sink.destroy(new ClientGoneError());
  };
  res.once('close', onClose);
  sink.once('close', () => res.off('close', onClose));
  return sink;
}

/** MD5 in one call: no Hash object per request. */
function md5Hex(data: Buffer): string {
  return oneShotHash('md5', data, 'hex');
}

function contentLength(req: Request): number | null {
  const header = req.get('Content-Length');
  if (header === undefined) return null;
  if (!/^\d+$/.test(header)) throw new BadRequestError('invalid Content-Length');
  return Number(header);
}

/** PUT: stream the body through MD5 into a temp file; see VolumeSet.store for the rest. */
async function writeBlock(ctx: AppContext, req: Request, res: Response): Promise<void> {
  const loc = locatorParam(req);
  const length = contentLength(req);
  if ((length ?? 0) > MAX_BLOCK_SIZE) throw new TooLargeError();
  const result = await ctx.volumes.store(loc.hash, req, { expectedSize: length });
  const { volume, stat, corruptCopy } = result;
  if (corruptCopy) {
    reportCorruptCopy(ctx, corruptCopy.volume.uuid, loc.hash, 'PUT', corruptCopy.replaced ? 'replaced' : 'left in place', {
      requestId: res.locals['requestId'],
    });
  }
  res.setHeader('X-Keep-Replicas-Stored', String(volume.replication));
  res.setHeader('X-Keep-Storage-Classes-Confirmed', volume.storageClasses.map((c) => `${c}=${volume.replication}`).join(', '));
  res
    .type('text/plain')
    .status(200)
    .send(`${responseLocator(ctx.config, req, `${loc.hash}+${stat.size}`)}\n`);
}

/** The block handlers by method; they read the locator from `req.params.locator`. */
export type BlockHandlers = Record<'GET' | 'HEAD' | 'PUT', (req: Request, res: Response) => Promise<void>>;

export function blockHandlers(ctx: AppContext): BlockHandlers {
  return {
    GET: (req, res) => readBlock(ctx, req, res, false),
    HEAD: (req, res) => readBlock(ctx, req, res, true),
    PUT: (req, res) => writeBlock(ctx, req, res),
  };
}

/** Routes for block data: GET, HEAD and PUT by locator. */
export function blockRoutes(handlers: BlockHandlers): Router {
  const router = Router();
  router.head('/:locator', handlers.HEAD);
  router.get('/:locator', handlers.GET);
  router.put('/:locator', handlers.PUT);
  return router;
}

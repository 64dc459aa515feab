import { Router, type Request, type Response } from 'express';
import { BadRequestError, ClientGoneError, NotFoundError } from '../../errors.js';
import type { Volume } from '../../volume/volume.js';
import { requireToken } from '../middleware/auth.js';
import type { AppContext } from '../app-context.js';

const PREFIX_RE = /^[0-9a-f]{0,32}$/;

function prefixOf(req: Request): string {
  const fromPath = req.params['prefix'];
  const fromQuery = req.query['prefix'];
  // `?prefix=a&prefix=b` parses to an array: refuse it rather than fall back to the whole index.
  if (fromQuery !== undefined && typeof fromQuery !== 'string') throw new BadRequestError('invalid prefix: given more than once');
  const prefix = typeof fromPath === 'string' ? fromPath : (fromQuery ?? '');
  if (!PREFIX_RE.test(prefix)) throw new BadRequestError('invalid prefix');
  return prefix;
}

/**
 * Stream `HASH+SIZE MTIME_NS` lines, then the empty line that tells the client the listing is
 * complete. A failure mid-way destroys the response without that line (the error handler does).
 */
async function streamIndex(res: Response, volumes: readonly Volume[], prefix: string): Promise<void> {
  res.type('text/plain').status(200);
  for (const volume of volumes) {
    for await (const entry of volume.index(prefix)) {
      if (!res.write(`${entry.hash}+${entry.size} ${entry.mtimeNs}\n`)) await drained(res);
    }
  }
  res.end('\n');
}

/**
 * Resolves when `res` can take more; rejects when the client has gone away instead (a bare
 * once('drain') would wait forever then, keeping the directory walk and its handle open).
 */
function drained(res: Response): Promise<void> {
  if (res.destroyed) return Promise.reject(new ClientGoneError());
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      res.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      res.off('drain', onDrain);
      reject(new ClientGoneError());
    };
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

/** GET /index[/PREFIX] and GET /mounts/UUID/blocks, admin only. */
export function indexRoutes(ctx: AppContext): Router {
  const router = Router();
  const admin = requireToken(ctx.config.systemRootToken);
  router.get(['/index', '/index/:prefix'], admin, (req, res) => streamIndex(res, ctx.volumes.list, prefixOf(req)));
  router.get('/mounts/:uuid/blocks', admin, (req, res) => {
    const volume = ctx.volumes.get(String(req.params['uuid']));
    if (!volume) throw new NotFoundError('mount not found');
    return streamIndex(res, [volume], prefixOf(req));
  });
  return router;
}

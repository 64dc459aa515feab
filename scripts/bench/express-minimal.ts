/**
 * Reference server for bench-serve: a minimal express 5 app (one route, no middleware, no
 * logging) in front of the shared block work (reference-blocks.ts), in node:cluster workers.
 * Usage: node --import tsx scripts/bench/express-minimal.ts --root DIR --port N --workers N
 */
import http from 'node:http';
import express from 'express';
import { blockHash, handleBlock, runCluster } from './reference-blocks.ts';

runCluster((root) => {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.all('/:locator', (req, res, next) => {
    const hash = blockHash(req.path);
    if (hash) handleBlock(root, hash, req, res);
    else next();
  });
  return http.createServer(app);
});

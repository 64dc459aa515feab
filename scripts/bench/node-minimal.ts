/**
 * Reference server for bench-serve: node:http alone in front of the shared block work
 * (reference-blocks.ts), in node:cluster workers. No framework, no logging.
 * Usage: node --import tsx scripts/bench/node-minimal.ts --root DIR --port N --workers N
 */
import http from 'node:http';
import { blockHash, handleBlock, runCluster } from './reference-blocks.ts';

runCluster((root) =>
  http.createServer((req, res) => {
    const hash = blockHash(req.url);
    if (hash) handleBlock(root, hash, req, res);
    else res.writeHead(404).end();
  }),
);

import type { Request } from 'express';
import { TooLargeError } from '../errors.js';

/**
 * A small request body (a JSON object of settings) as one string; 413 `body too large` beyond
 * `maxBytes`, refused before a byte is read when the declared length is already over it.
 */
export async function readBody(req: Request, maxBytes: number): Promise<string> {
  const declared = Number(req.get('Content-Length') ?? 0);
  if (declared > maxBytes) throw new TooLargeError('body too large');
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) throw new TooLargeError('body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

import type { RequestHandler } from 'express';

/** CORS on every response; a preflight OPTIONS is answered here with 200 and no body. */
export const cors: RequestHandler = (req, res, next) => {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, PUT, OPTIONS');
  res.setHeader(
    'Access-Control-Allow-Headers',
    'Authorization, Content-Length, Content-Type, X-Keep-Desired-Replicas, X-Keep-Storage-Classes, X-Request-Id',
  );
  res.setHeader('Access-Control-Expose-Headers', 'X-Keep-Replicas-Stored, X-Keep-Storage-Classes-Confirmed, X-Request-Id');
  res.setHeader('Access-Control-Max-Age', '86400');
  if (req.method === 'OPTIONS') {
    res.status(200).end();
    return;
  }
  next();
};

import { S3Client } from '@aws-sdk/client-s3';

/** What the client needs from an S3 volume's config (durations in ms). */
export interface S3ClientOptions {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  usePathStyle: boolean;
  connectTimeout: number;
  readTimeout: number;
}

/** Attempts per S3 request (the SDK retries throttling, 5xx and network errors with backoff). */
export const S3_MAX_ATTEMPTS = 3;

/** Connections kept open to the S3 server per worker (one block transfer uses one or two). */
const MAX_SOCKETS = 64;

/**
 * One S3 client per volume. Choices that matter on S3-compatible servers:
 * - checksums only WHEN_REQUIRED: recent SDKs otherwise add a CRC32 aws-chunked trailer to every
 *   upload, which many servers (and s3rver) reject; our own MD5 check is what decides anyway;
 * - an empty endpoint means AWS (region required), a set one is used as is;
 * - empty keys leave credentials to the SDK's default chain (env, profile, IMDS...);
 * - the body is signed as UNSIGNED-PAYLOAD (see below);
 * - connectTimeout bounds the TCP/TLS connect; readTimeout bounds the wait for response headers
 *   and any silence on the socket afterwards (a stalled body), so no request waits forever.
 */
export function createS3Client(o: S3ClientOptions): S3Client {
  const client = new S3Client({
    region: o.region,
    ...(o.endpoint !== '' ? { endpoint: o.endpoint } : {}),
    forcePathStyle: o.usePathStyle,
    ...(o.accessKeyId !== '' || o.secretAccessKey !== ''
      ? { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } }
      : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: S3_MAX_ATTEMPTS,
    requestHandler: {
      connectionTimeout: o.connectTimeout,
      requestTimeout: o.readTimeout,
      throwOnRequestTimeout: true,
      socketTimeout: o.readTimeout,
      httpAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
      httpsAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
    },
  });
  // Sign requests without a SHA-256 of the body (as Arvados does): a block's bytes are already
  // hashed twice (our MD5, and Content-MD5 per request, which the server checks), and over
  // plain http the SDK would otherwise hash every byte once more before sending it.
  client.middlewareStack.add(
    (next) => (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      return next(args);
    },
    { step: 'build', name: 'keepUnsignedPayload' },
  );
  return client;
}

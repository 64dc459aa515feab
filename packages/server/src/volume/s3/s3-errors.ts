import { KeepError, NotFoundError, VolumeUnavailableError } from '../../errors.js';

interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

function shape(err: unknown): SdkErrorShape {
  return typeof err === 'object' && err !== null ? (err as SdkErrorShape) : {};
}

/** The object (not the bucket) does not exist: GetObject's NoSuchKey, HeadObject's bare 404. */
export function isMissingObject(err: unknown): boolean {
  const { name, $metadata } = shape(err);
  if (name === 'NoSuchKey' || name === 'NotFound') return true;
  return $metadata?.httpStatusCode === 404 && name !== 'NoSuchBucket';
}

/** A short, secret-free description of an SDK error for logs and 503 messages. */
export function describeS3Error(err: unknown): string {
  const { name, message, $metadata } = shape(err);
  const status = typeof $metadata?.httpStatusCode === 'number' ? ` (HTTP ${$metadata.httpStatusCode})` : '';
  const text = typeof message === 'string' && message !== '' && message !== name ? `: ${message}` : '';
  return `${typeof name === 'string' ? name : 'Error'}${status}${text}`;
}

/**
 * Maps an S3 failure to the error tree: a missing object is NotFoundError (404); anything else
 * (unreachable, SlowDown after the SDK's retries, a timeout, a 5xx, refused credentials) is
 * VolumeUnavailableError (503) for this request only. KeepErrors and client aborts pass as is.
 */
export function mapS3Error(volumeUuid: string, op: string, err: unknown): Error {
  if (err instanceof KeepError) return err;
  if (isMissingObject(err)) return new NotFoundError();
  if (shape(err).name === 'AbortError') return err as Error;
  return new VolumeUnavailableError(`volume ${volumeUuid}: S3 ${op} failed: ${describeS3Error(err)}`);
}

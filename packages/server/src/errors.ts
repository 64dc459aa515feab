/**
 * Every error that crosses a boundary (HTTP, IPC, a volume) is a KeepError with a stable
 * `code` and the HTTP `status` it maps to. The error middleware answers `status` with
 * `message` as a one-line plain-text body, so messages must never contain tokens or keys.
 */
export class KeepError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidLocatorError extends KeepError {
  constructor(message = 'invalid locator') {
    super(message, 'KEEP_INVALID_LOCATOR', 400);
  }
}

export class BadRequestError extends KeepError {
  constructor(message: string) {
    super(message, 'KEEP_BAD_REQUEST', 400);
  }
}

export class HashMismatchError extends KeepError {
  constructor(message = 'hash verification failed') {
    super(message, 'KEEP_HASH_MISMATCH', 400);
  }
}

export class UnauthorizedError extends KeepError {
  constructor(message = 'Unauthorized') {
    super(message, 'KEEP_UNAUTHORIZED', 401);
  }
}

export class ForbiddenError extends KeepError {
  constructor(message = 'Forbidden') {
    super(message, 'KEEP_FORBIDDEN', 403);
  }
}

export class NotFoundError extends KeepError {
  constructor(message = 'Not Found') {
    super(message, 'KEEP_NOT_FOUND', 404);
  }
}

export class MethodNotAllowedError extends KeepError {
  constructor(message = 'Method Not Allowed') {
    super(message, 'KEEP_METHOD_NOT_ALLOWED', 405);
  }
}

export class TooLargeError extends KeepError {
  constructor(message = 'block too large') {
    super(message, 'KEEP_TOO_LARGE', 413);
  }
}

export class ClientGoneError extends KeepError {
  constructor(message = 'client disconnected') {
    super(message, 'KEEP_CLIENT_GONE', 499);
  }
}

/** One client address already holds its maxRequestsPerClient block requests. */
export class TooManyRequestsError extends KeepError {
  constructor(message = 'too many requests from this address') {
    super(message, 'KEEP_TOO_MANY_REQUESTS', 429);
  }
}

/** No progress for requestIdleTimeout: the connection is cut (recorded as 408, never sent). */
export class IdleTimeoutError extends KeepError {
  constructor(message = 'idle timeout') {
    super(message, 'KEEP_IDLE_TIMEOUT', 408);
  }
}

export class HashCollisionError extends KeepError {
  constructor(message = 'hash collision') {
    super(message, 'KEEP_HASH_COLLISION', 500);
  }
}

/** Stored bytes no longer match their hash (HEAD/GET of a damaged copy). */
export class CorruptBlockError extends KeepError {
  constructor(message = 'stored block is corrupt') {
    super(message, 'KEEP_CORRUPT_BLOCK', 502);
  }
}

export class WriteFailedError extends KeepError {
  constructor(message = 'write failed') {
    super(message, 'KEEP_WRITE_FAILED', 503);
  }
}

/** A volume's backing store cannot be reached or refuses service (e.g. S3 down or throttling). */
export class VolumeUnavailableError extends KeepError {
  constructor(message = 'volume unavailable') {
    super(message, 'KEEP_VOLUME_UNAVAILABLE', 503);
  }
}

export class OverloadedError extends KeepError {
  constructor(message = 'server busy') {
    super(message, 'KEEP_OVERLOADED', 503);
  }
}

export class FullError extends KeepError {
  constructor(message = 'no writable volume with enough space') {
    super(message, 'KEEP_FULL', 507);
  }
}

export class InvalidSignatureError extends KeepError {
  constructor(message = 'invalid signature') {
    super(message, 'KEEP_INVALID_SIGNATURE', 400);
  }
}

export class ExpiredSignatureError extends KeepError {
  constructor(message = 'expired signature') {
    super(message, 'KEEP_EXPIRED_SIGNATURE', 401);
  }
}

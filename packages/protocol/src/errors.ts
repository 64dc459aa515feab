/**
 * Errors raised by the pure protocol code. They carry a stable `code` but no HTTP status:
 * mapping to a response is the server's job (its error middleware), not the protocol's.
 */
export class ProtocolError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A locator that breaks the rules of docs/api.md "Locators"; the message is the 400 body, `invalid locator`. */
export class InvalidLocatorError extends ProtocolError {
  constructor(message = 'invalid locator', code = 'INVALID_LOCATOR') {
    super(message, code);
  }
}

/**
 * A pull or trash list that cannot be accepted. `index` is the offending entry (0-based), or
 * null when the body as a whole is wrong (malformed JSON, not an array). The message is
 * `entry INDEX: REASON`, or just REASON when there is no index.
 */
export class ListValidationError extends ProtocolError {
  readonly index: number | null;
  readonly reason: string;

  constructor(index: number | null, reason: string) {
    super(index === null ? reason : `entry ${index}: ${reason}`, 'INVALID_LIST');
    this.index = index;
    this.reason = reason;
  }
}

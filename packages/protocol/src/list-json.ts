import { ListValidationError } from './errors.js';

/** Longest piece of caller input echoed in an error message (the message is one log/HTTP line). */
const MAX_ECHO = 100;

/** `s` as a JSON string literal for an error message, cut short when it is long. */
export function quoteForMessage(s: string): string {
  return JSON.stringify(s.length > MAX_ECHO ? `${s.slice(0, MAX_ECHO)}...` : s);
}

/** How a JSON value reads in an error message: `null`, `a string`, `an array`, ... */
export function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'object':
      return 'an object';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    default:
      return `a ${typeof value}`;
  }
}

/**
 * Parses the JSON body of a work list into its entries: `null` and `[]` both mean "no
 * entries"; malformed JSON or anything but an array is a ListValidationError with no index.
 */
export function parseListJson(body: string): unknown[] {
  if (typeof body !== 'string') {
    throw new ListValidationError(null, `expected the list as JSON text, got ${describeJsonType(body)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    throw new ListValidationError(null, `malformed JSON: ${(err as Error).message}`);
  }
  if (value === null) return [];
  if (!Array.isArray(value)) {
    throw new ListValidationError(null, `expected a JSON array of entries, got ${describeJsonType(value)}`);
  }
  return value;
}

/**
 * Signature redaction (packages/server/src/log/redact.ts) and the logger that applies it to
 * every line: no `+A` hint survives in a message, a field, a nested list entry or an error,
 * at any level, in either format; the caller's objects are left as they were.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import winston from 'winston';
import { createLogger } from '../../packages/server/src/log/logger.ts';
import { redactSignatures, redactValue } from '../../packages/server/src/log/redact.ts';
import { redactPath } from '../../packages/server/src/http/middleware/access-log.ts';

const LOCATOR = 'acbd18db4cc2f85cedef654fccc4a4d8+3';
const SIG = `+A${'a'.repeat(40)}@${'0'.repeat(8)}`;
const SIGNED = `${LOCATOR}${SIG}`;

test('redactSignatures removes every hint, plain or percent-encoded, and leaves other hints', () => {
  assert.equal(redactSignatures(`request to http://keep1/${SIGNED} failed`), `request to http://keep1/${LOCATOR} failed`);
  assert.equal(redactSignatures(`${SIGNED}+K@zzzzz`), `${LOCATOR}+K@zzzzz`);
  assert.equal(redactSignatures(`/${LOCATOR}%2BA${'b'.repeat(40)}@12345678?x=1`), `/${LOCATOR}?x=1`);
  assert.equal(redactSignatures(`"${SIGNED}", "${SIGNED}"`), `"${LOCATOR}", "${LOCATOR}"`);
  assert.equal(redactSignatures('nothing to hide'), 'nothing to hide');
});

test('the access log path uses the same function (after percent-decoding)', () => {
  assert.equal(redactPath(`/${LOCATOR}+%41${'c'.repeat(40)}@12345678?api_token=x`), `/${LOCATOR}`);
});

test('redactValue copies what it changes and returns everything else as is', () => {
  const entries = [
    { locator: SIGNED, servers: ['http://a'] },
    { locator: LOCATOR, servers: ['http://b'] },
  ];
  const redacted = redactValue({ count: 2, entries }) as { entries: Array<{ locator: string }> };
  assert.deepEqual(
    redacted.entries.map((e) => e.locator),
    [LOCATOR, LOCATOR],
  );
  assert.equal(entries[0]!.locator, SIGNED, 'the caller still has its own entry');
  assert.equal(redacted.entries[1], entries[1], 'an unchanged entry is not copied');
  const clean = { a: 1, b: ['x'] };
  assert.equal(redactValue(clean), clean);
});

for (const format of ['json', 'text'] as const) {
  test(`every ${format} line at debug level is redacted: message, fields, nested entries, errors`, () => {
    const log = createLogger({ level: 'debug', format, role: 'worker', worker: 0 });
    const out: string[] = [];
    log.clear().add(
      new winston.transports.Stream({
        stream: new Writable({
          write: (c: Buffer, _e, cb) => {
            out.push(c.toString());
            cb();
          },
        }),
      }),
    );
    log.debug(`pulling ${SIGNED}`, { locator: SIGNED, entries: [{ locator: SIGNED, blockMtime: '1' }], nested: { deeper: [SIGNED] } });
    log.error('failed', { error: new Error(`GET /${SIGNED} refused`) });
    const text = out.join('');
    assert.equal(out.length, 2);
    assert.ok(text.includes(LOCATOR));
    assert.ok(!text.includes(SIG.slice(1)), text);
    assert.doesNotMatch(text, /\+A[0-9a-f]{40}/);
  });
}

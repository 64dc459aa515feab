/**
 * Admin and management token checks: the comparison is constant-time over fixed-length
 * digests (so a wrong length is just "another token", never a throw or an early exit), and a
 * repeated `api_token` query parameter is taken when its copies agree.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Request } from 'express';
import { sameToken } from '../../packages/protocol/src/index.ts';
import { requestToken, requireToken } from '../../packages/server/src/http/middleware/auth.ts';

const TOKEN = 'v2/zzzzz-gj3su-000000000000000/secretsecret';

/** Just what the auth middleware reads of a request. */
function fakeRequest(query: Record<string, unknown>, headers: Record<string, string> = {}): Request {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { query, get: (name: string) => lower[name.toLowerCase()] } as unknown as Request;
}

/** The error requireToken passes to next(), or undefined when it lets the request through. */
function check(expected: string, req: Request): { status?: number; message: string } | undefined {
  let passed: unknown = 'not called';
  requireToken(expected)(req, {} as never, (err?: unknown) => (passed = err));
  assert.notEqual(passed, 'not called');
  return passed as { status?: number; message: string } | undefined;
}

describe('sameToken', () => {
  it('is true for the same token only', () => {
    assert.equal(sameToken(TOKEN, TOKEN), true);
    assert.equal(sameToken(TOKEN.slice(0, -1) + 'x', TOKEN), false);
    assert.equal(sameToken('', TOKEN), false);
  });

  it('compares tokens of any length without throwing (timingSafeEqual needs equal lengths: digests have them)', () => {
    for (const given of ['a', TOKEN.slice(0, 10), TOKEN + TOKEN, 'x'.repeat(10_000), 'é€😀']) {
      assert.equal(sameToken(given, TOKEN), false, given.slice(0, 20));
    }
  });
});

describe('requireToken', () => {
  it('401 without a token, 403 with another one of any length, through with the right one', () => {
    assert.equal(check(TOKEN, fakeRequest({}))?.status, 401);
    for (const other of ['short', TOKEN + 'longer', TOKEN.toUpperCase()]) {
      assert.equal(check(TOKEN, fakeRequest({}, { Authorization: `Bearer ${other}` }))?.status, 403, other);
    }
    assert.equal(check(TOKEN, fakeRequest({}, { Authorization: `Bearer ${TOKEN}` })), undefined);
  });
});

describe('the api_token query parameter', () => {
  it('given twice with the same value is that token', () => {
    assert.equal(requestToken(fakeRequest({ api_token: [TOKEN, TOKEN] })), TOKEN);
    assert.equal(check(TOKEN, fakeRequest({ api_token: [TOKEN, TOKEN] })), undefined);
  });

  it('given twice with different values is a 400, whatever the order', () => {
    for (const values of [
      [TOKEN, 'other'],
      ['other', TOKEN],
      [TOKEN, ''],
    ]) {
      assert.throws(() => requestToken(fakeRequest({ api_token: values })), { status: 400, message: 'conflicting api_token parameters' });
    }
  });
});

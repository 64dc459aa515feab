import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { extractToken } from '../../packages/protocol/src/index.ts';

const basic = (userPass: string) => `Basic ${Buffer.from(userPass).toString('base64')}`;
const TOKEN = 'v2/zzzzz-gj3su-000000000000000/secretsecret';

describe('extractToken sources', () => {
  it('reads Bearer and OAuth2, scheme case-insensitive', () => {
    assert.equal(extractToken({ authorization: 'Bearer abc' }), 'abc');
    assert.equal(extractToken({ authorization: 'OAuth2 abc' }), 'abc');
    assert.equal(extractToken({ authorization: 'bearer abc' }), 'abc');
    assert.equal(extractToken({ authorization: 'OAUTH2   abc  ' }), 'abc');
  });

  it('reads the password of Basic auth', () => {
    assert.equal(extractToken({ authorization: basic('arvados:s3cr3t') }), 's3cr3t');
    assert.equal(extractToken({ authorization: basic('x:a:b') }), 'a:b');
    assert.equal(extractToken({ authorization: basic(`user:${TOKEN}`) }), TOKEN);
  });

  it('reads the api_token query parameter', () => {
    assert.equal(extractToken({ apiTokenQuery: 'q' }), 'q');
  });

  it('reads the arvados_api_token cookie, base64url (Arvados) or percent-encoded', () => {
    // Go's base64.URLEncoding, as Arvados' EncodeTokenCookie writes it: url alphabet, padded.
    const raw = Buffer.from(TOKEN).toString('base64url');
    const b64 = raw.padEnd(Math.ceil(raw.length / 4) * 4, '=');
    assert.equal(extractToken({ cookieHeader: `a=b; arvados_api_token=${b64}; c=d` }), TOKEN);
    assert.equal(extractToken({ cookieHeader: `arvados_api_token=${encodeURIComponent(TOKEN)}` }), TOKEN);
    assert.equal(extractToken({ cookieHeader: 'arvados_api_token=plaintoken123' }), 'plaintoken123');
    // A raw token that happens to be valid base64url still passes through: it does not decode to token text.
    const plain = 'fault-test-user-token-0123456789';
    assert.equal(extractToken({ cookieHeader: `arvados_api_token=${plain}` }), plain);
    assert.equal(extractToken({ cookieHeader: 'arvados_api_token="quoted"' }), 'quoted');
  });

  it('returns undefined when there is nothing', () => {
    assert.equal(extractToken({}), undefined);
    assert.equal(extractToken({ authorization: '', apiTokenQuery: '', cookieHeader: '' }), undefined);
    assert.equal(extractToken({ authorization: 'Bearer ', cookieHeader: 'other=1' }), undefined);
    assert.equal(extractToken({ cookieHeader: 'arvados_api_token=' }), undefined);
  });

  it('ignores unknown schemes and broken Basic credentials', () => {
    assert.equal(extractToken({ authorization: 'Digest abc' }), undefined);
    assert.equal(extractToken({ authorization: 'Bearer' }), undefined);
    assert.equal(extractToken({ authorization: 'Basic !!!notbase64' }), undefined);
    assert.equal(extractToken({ authorization: basic('nocolon') }), undefined);
    assert.equal(extractToken({ authorization: basic('user:') }), undefined);
  });
});

describe('extractToken order', () => {
  const all = {
    authorization: 'Bearer header',
    apiTokenQuery: 'query',
    cookieHeader: 'arvados_api_token=cookie',
  };

  it('prefers the Authorization header', () => {
    assert.equal(extractToken(all), 'header');
    assert.equal(extractToken({ ...all, authorization: basic('u:basicpw') }), 'basicpw');
  });

  it('falls back to the query, then the cookie', () => {
    assert.equal(extractToken({ ...all, authorization: undefined }), 'query');
    assert.equal(extractToken({ ...all, authorization: 'Digest x', apiTokenQuery: '' }), 'cookie');
    assert.equal(extractToken({ cookieHeader: all.cookieHeader }), 'cookie');
  });

  it('falls through an empty header token', () => {
    assert.equal(extractToken({ ...all, authorization: 'Bearer   ' }), 'query');
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ListValidationError, MAX_PULL_SERVERS, ProtocolError, parsePullList } from '../../packages/protocol/src/index.ts';

const LOC = 'acbd18db4cc2f85cedef654fccc4a4d8+3';
const SERVERS = ['http://keep1.example:25107', 'https://keep2.example:25107'];
const MOUNT = 'zzzzz-nyw5e-000000000000001';

const ok = { locator: LOC, servers: SERVERS, mount_uuid: MOUNT };
const body = (...entries: unknown[]) => JSON.stringify(entries);

/** Asserts that parsing `text` fails with exactly `message` and the given index. */
function rejects(text: string, index: number | null, message: string): void {
  assert.throws(
    () => parsePullList(text),
    (err: unknown) => {
      assert.ok(err instanceof ListValidationError);
      assert.ok(err instanceof ProtocolError);
      assert.equal(err.code, 'INVALID_LIST');
      assert.equal(err.index, index);
      assert.equal(err.message, message);
      assert.equal(err.message, index === null ? err.reason : `entry ${index}: ${err.reason}`);
      return true;
    },
  );
}

describe('parsePullList: accepted lists', () => {
  it('parses the docs/api.md example', () => {
    assert.deepEqual(parsePullList(body(ok)), [
      { locator: LOC, hash: 'acbd18db4cc2f85cedef654fccc4a4d8', size: 3, servers: SERVERS, mountUuid: MOUNT },
    ]);
  });

  it('treats null and [] as an empty list', () => {
    assert.deepEqual(parsePullList('null'), []);
    assert.deepEqual(parsePullList(' [ ] '), []);
  });

  it('keeps the locator as sent, hints included', () => {
    const loc = `${LOC}+K@zzzzz`;
    assert.equal(parsePullList(body({ ...ok, locator: loc }))[0]!.locator, loc);
  });

  it('maps a missing, null or empty mount_uuid to null', () => {
    const entries = parsePullList(body({ locator: LOC, servers: SERVERS }, { ...ok, mount_uuid: null }, { ...ok, mount_uuid: '' }));
    assert.deepEqual(
      entries.map((e) => e.mountUuid),
      [null, null, null],
    );
  });

  it('strips a trailing slash from server URLs and keeps their order', () => {
    const entries = parsePullList(body({ ...ok, servers: ['https://b.example/', 'http://a.example:80/'] }));
    assert.deepEqual(entries[0]!.servers, ['https://b.example', 'http://a.example:80']);
  });

  it('accepts IP addresses, IPv6, paths and mixed-case schemes', () => {
    const servers = ['http://10.0.0.1:25107', 'http://[::1]:25107/', 'https://proxy.example/keep/', 'HTTP://Keep1.Example:1'];
    assert.deepEqual(parsePullList(body({ ...ok, servers }))[0]!.servers, [
      'http://10.0.0.1:25107',
      'http://[::1]:25107',
      'https://proxy.example/keep',
      'HTTP://Keep1.Example:1',
    ]);
  });

  it('ignores unknown fields', () => {
    assert.equal(parsePullList(body({ ...ok, extra: { anything: true } })).length, 1);
  });

  it('keeps entries in order', () => {
    const other = { ...ok, locator: '37b51d194a7513e45b56f6524f2d51f2+3' };
    assert.deepEqual(
      parsePullList(body(ok, other)).map((e) => e.hash),
      ['acbd18db4cc2f85cedef654fccc4a4d8', '37b51d194a7513e45b56f6524f2d51f2'],
    );
  });
});

describe('parsePullList: rejected lists name the entry and the reason', () => {
  it('malformed JSON', () => {
    assert.throws(
      () => parsePullList('[{"locator":'),
      (err: unknown) => {
        assert.ok(err instanceof ListValidationError);
        assert.equal(err.index, null);
        assert.match(err.message, /^malformed JSON: /);
        return true;
      },
    );
    assert.throws(() => parsePullList(''), /^ListValidationError: malformed JSON/);
  });

  it('not an array', () => {
    rejects('{"locator":"x"}', null, 'expected a JSON array of entries, got an object');
    rejects('"text"', null, 'expected a JSON array of entries, got a string');
    rejects('5', null, 'expected a JSON array of entries, got a number');
  });

  it('an entry that is not an object', () => {
    rejects(body(ok, 'x'), 1, 'entry 1: expected an object, got a string');
    rejects(body(ok, ok, null), 2, 'entry 2: expected an object, got null');
    rejects(body([ok]), 0, 'entry 0: expected an object, got an array');
  });

  it('locator missing, not a string, invalid, or without a size hint', () => {
    rejects(body(ok, { servers: SERVERS }), 1, 'entry 1: missing locator');
    rejects(body({ ...ok, locator: 5 }), 0, 'entry 0: locator must be a string, got a number');
    rejects(body(ok, ok, ok, { ...ok, locator: 'xyz' }), 3, 'entry 3: invalid locator "xyz"');
    rejects(
      body(ok, ok, ok, ok, { ...ok, locator: 'acbd18db4cc2f85cedef654fccc4a4d8' }),
      4,
      'entry 4: locator "acbd18db4cc2f85cedef654fccc4a4d8" has no size hint',
    );
    rejects(
      body({ ...ok, locator: 'acbd18db4cc2f85cedef654fccc4a4d8+Abcdef+1234' }),
      0,
      'entry 0: invalid locator "acbd18db4cc2f85cedef654fccc4a4d8+Abcdef+1234"',
    );
  });

  it('cuts a huge locator short in the message', () => {
    assert.throws(
      () => parsePullList(body({ ...ok, locator: 'x'.repeat(10_000) })),
      (err: unknown) => {
        assert.ok(err instanceof ListValidationError);
        assert.ok(err.message.length < 200, err.message);
        return true;
      },
    );
  });

  it('servers missing, not an array, or empty', () => {
    rejects(body({ locator: LOC }), 0, 'entry 0: servers must be a non-empty array of URLs, got null');
    rejects(body({ ...ok, servers: 'http://a.example' }), 0, 'entry 0: servers must be a non-empty array of URLs, got a string');
    rejects(body(ok, { ...ok, servers: [] }), 1, 'entry 1: servers must not be empty');
  });

  it('a server that is not a string or not an http(s) URL', () => {
    rejects(body({ ...ok, servers: ['http://a.example', 7] }), 0, 'entry 0: servers[1] must be a string, got a number');
    for (const bad of [
      'ftp://a.example',
      'keep1:25107',
      'http://',
      'http//a.example',
      '',
      'mailto:x@y',
      'http:a.example',
      'http://a.example:99999',
      'http://a b.example',
    ]) {
      rejects(body({ ...ok, servers: [bad] }), 0, `entry 0: servers[0] ${JSON.stringify(bad)} is not an http:// or https:// URL`);
    }
  });

  it('a server with credentials: refused without echoing them', () => {
    for (const bad of [
      'http://user:pass@keep1.example:25107',
      'http://user@keep1.example',
      'https://:secret@keep1.example/',
      'http://@keep1.example',
    ]) {
      rejects(
        body(ok, { ...ok, servers: ['http://a.example', bad] }),
        1,
        'entry 1: servers[1] must not carry credentials (user:password@)',
      );
    }
  });

  it('a server with a query or a fragment (it would swallow the locator)', () => {
    for (const bad of [
      'http://keep1.example/?api_token=secret',
      'http://keep1.example?',
      'http://keep1.example#x',
      'https://keep1.example/keep#',
    ]) {
      rejects(body({ ...ok, servers: [bad] }), 0, 'entry 0: servers[0] must not have a query or a fragment');
    }
  });

  it(`more than ${MAX_PULL_SERVERS} servers in one entry`, () => {
    const many = Array.from({ length: MAX_PULL_SERVERS + 1 }, (_, i) => `http://keep${i}.example`);
    assert.equal(parsePullList(body({ ...ok, servers: many.slice(0, MAX_PULL_SERVERS) }))[0]!.servers.length, MAX_PULL_SERVERS);
    rejects(
      body(ok, { ...ok, servers: many }),
      1,
      `entry 1: servers has ${MAX_PULL_SERVERS + 1} URLs, at most ${MAX_PULL_SERVERS} are allowed`,
    );
    // A million servers are refused from the count alone (no URL of them is looked at).
    rejects(
      body({ ...ok, servers: new Array(1_000_000).fill(7) }),
      0,
      `entry 0: servers has 1000000 URLs, at most ${MAX_PULL_SERVERS} are allowed`,
    );
  });

  it('a mount_uuid that is not a string', () => {
    rejects(body({ ...ok, mount_uuid: 1 }), 0, 'entry 0: mount_uuid must be a string, got a number');
    rejects(body({ ...ok, mount_uuid: {} }), 0, 'entry 0: mount_uuid must be a string, got an object');
  });

  it('reports the first bad entry', () => {
    rejects(body(ok, { ...ok, servers: [] }, { ...ok, locator: 'bad' }), 1, 'entry 1: servers must not be empty');
  });
});

describe('parsePullList: size', () => {
  it('parses 200 000 entries (its time is reported, not asserted: see bench:pull for speed)', (t) => {
    const entries = Array.from({ length: 200_000 }, (_, i) => ({
      locator: `${i.toString(16).padStart(32, '0')}+${i}`,
      servers: [`http://keep${i % 7}.example:25107`],
      mount_uuid: MOUNT,
    }));
    const text = JSON.stringify(entries);
    const start = performance.now();
    const parsed = parsePullList(text);
    const ms = performance.now() - start;
    assert.equal(parsed.length, 200_000);
    assert.equal(parsed[199_999]!.size, 199_999);
    t.diagnostic(`parsed in ${ms.toFixed(0)} ms`);
  });
});

/**
 * HTTP/1.1 wire behaviour of the real server over raw sockets: `Expect: 100-continue` is
 * answered before the body (413 over 64 MiB, 507 with no room, 100 Continue otherwise), a
 * client that writes a whole oversized body before reading still gets its 413 (lingering
 * close, no reset), and a client that half-closes after a complete PUT gets its answer.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT_TOKEN, startKeepstore, volumeUuid, type Keepstore } from '../helpers/keepstore-process.ts';
import { makeBlock } from '../helpers/keep-http.ts';
import { rawConnect } from '../helpers/raw-http.ts';

const MAX = 64 * 1024 * 1024;

const putHead = (hash: string, length: number, extra = ''): string =>
  `PUT /${hash} HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\n${extra}\r\n`;

describe('a server with room', () => {
  let ks: Keepstore;
  before(async () => {
    ks = await startKeepstore({ workers: 1, volumeCount: 1 });
  });
  after(() => ks?.destroy());

  test('Expect: 100-continue over 64 MiB: 413 at once, no 100 Continue, the body never sent', async () => {
    const conn = await rawConnect(ks.port);
    await conn.write(putHead(makeBlock(10).hash, MAX + 1, 'Expect: 100-continue\r\n'));
    const { text, error } = await conn.closed;
    assert.equal(error, null, 'a clean close');
    assert.match(text, /^HTTP\/1\.1 413 /, text);
    assert.doesNotMatch(text, /100 Continue/);
    assert.match(text, /\r\nconnection: close\r\n/i);
  });

  test('Expect: 100-continue within the limits: 100 Continue, then the body, then 200', async () => {
    const b = makeBlock(100_000);
    const conn = await rawConnect(ks.port);
    await conn.write(putHead(b.hash, b.data.length, 'Expect: 100-continue\r\n'));
    await conn.waitForText(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    await conn.write(b.data);
    const text = await conn.waitForText(/\r\n\r\n[0-9a-f]{32}\+100000\n$/);
    assert.match(text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    conn.socket.destroy();
  });

  test('Expect: 100-continue on a list upload (any route that reads a body): 100 Continue, then the answer', async () => {
    const conn = await rawConnect(ks.port);
    await conn.write(
      `PUT /pull HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ROOT_TOKEN}\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n`,
    );
    await conn.waitForText(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    await conn.write('[]');
    const text = await conn.waitForText(/Received 0 pull requests\n$/);
    assert.match(text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    conn.socket.destroy();
  });

  test('a client that writes a whole oversized body before reading still gets its 413, not a reset', async () => {
    const conn = await rawConnect(ks.port);
    conn.socket.pause(); // not reading until the body is out
    await conn.write(putHead(makeBlock(10).hash, MAX + 1));
    const chunk = Buffer.alloc(1024 * 1024, 1);
    for (let sent = 0; sent < MAX + 1; sent += chunk.length) await conn.write(chunk.subarray(0, Math.min(chunk.length, MAX + 1 - sent)));
    conn.socket.resume();
    conn.socket.end();
    const { text, error } = await conn.closed;
    assert.equal(error, null, 'no reset');
    assert.match(text, /^HTTP\/1\.1 413 /, text);
    assert.match(text, /block too large\n$/);
  });

  test('a client that half-closes after a complete PUT body gets its answer', async () => {
    const b = makeBlock(5000);
    const conn = await rawConnect(ks.port);
    await conn.write(putHead(b.hash, b.data.length));
    conn.socket.end(b.data);
    const { text, error } = await conn.closed;
    assert.equal(error, null);
    assert.match(text, /^HTTP\/1\.1 200 /, `answer: ${JSON.stringify(text)}`);
    assert.ok(text.endsWith(`\r\n\r\n${b.locator}\n`), text);
  });
});

describe('a server with no room (every volume read-only)', () => {
  let dir: string;
  let ks: Keepstore;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'keepstore-noroom-'));
    await fs.mkdir(path.join(dir, 'ro'));
    ks = await startKeepstore({
      dir,
      workers: 1,
      config: { volumes: [{ uuid: volumeUuid(0), root: path.join(dir, 'ro'), readOnly: true }] },
    });
  });
  after(async () => {
    await ks?.destroy();
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('Expect: 100-continue: 507 before the body, no 100 Continue', async () => {
    const b = makeBlock(1000);
    const conn = await rawConnect(ks.port);
    await conn.write(putHead(b.hash, b.data.length, 'Expect: 100-continue\r\n'));
    const { text } = await conn.closed;
    assert.match(text, /^HTTP\/1\.1 507 /, text);
    assert.doesNotMatch(text, /100 Continue/);
  });
});

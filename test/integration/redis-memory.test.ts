/**
 * Redis memory per 1 000 000 persisted entries, pull and trash, with realistic entries
 * (random block hashes, a third of them 64 MiB, mounts on a quarter of the pull entries, a
 * handful of server lists), measured as the growth of INFO used_memory on a private
 * redis-server. The figures go into the README's fleet sizing; the bound is the layout
 * before deflated chunks (about 53 MB per million pull entries, 66 MB per million trash).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.ts';
import { Bitset } from '../../packages/server/src/redis/bitset.ts';
import type { ListItem } from '../../packages/server/src/redis/list-codec.ts';
import { ListWriter } from '../../packages/server/src/redis/list-writer.ts';
import { listKeys } from '../../packages/server/src/redis/redis-keys.ts';
import type { ListKind } from '../../packages/server/src/worklist/list-wire.ts';

const N = 1_000_000;
const MB = 1e6;
let server: RedisServer;
let redis: Redis;

before(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url);
});
after(async () => {
  redis.disconnect();
  await server.stop();
});

function entries(kind: ListKind): ListItem[] {
  const items: ListItem[] = new Array(N);
  for (let i = 0; i < N; i++) {
    const locator = `${randomBytes(16).toString('hex')}+${i % 3 === 0 ? 67_108_864 : 1 + ((i * 7919) % 67_108_864)}`;
    items[i] =
      kind === 'pull'
        ? [locator, i % 6, i % 4 === 0 ? 'zzzzz-nyw5e-000000000000001' : null]
        : [locator, String(1_707_249_451_308_502_672n + BigInt(i) * 1_000_003n), null];
  }
  return items;
}

async function usedMemory(): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))![1]);
}

for (const [kind, bound] of [['pull', 53], ['trash', 66]] as const) {
  test(`a 1 000 000-entry ${kind} list with half its entries done takes less Redis memory than the plain-text layout (${bound} MB)`, async () => {
    const items = entries(kind);
    const serverLists = kind === 'pull' ? Array.from({ length: 6 }, (_, j) => [`http://keep${j}.example:25107`, `http://keep${j + 1}.example:25107`]) : [];
    const before = await usedMemory();
    const writer = new ListWriter(redis, listKeys(`mem${kind}:`, 'zzzzz-bi6l4-000000000000001', kind));
    const gen = await writer.allocate();
    assert.ok(await writer.write(gen, { kind, items, serverLists, acceptedAt: Date.now() }, () => false));
    const done = new Bitset(N);
    for (let i = 0; i < N; i += 2) done.set(i);
    await writer.writeDone(gen, done.snapshot());
    await writer.makeCurrent(gen);
    const mb = ((await usedMemory()) - before) / MB;
    console.log(`# redis memory per 1 000 000 ${kind} entries: ${mb.toFixed(1)} MB`);
    assert.ok(mb < bound, `${mb.toFixed(1)} MB`);
  });
}

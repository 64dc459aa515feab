/**
 * The Redis list store on a private redis-server, in-process: generations written and read
 * back, progress, resume of the unfinished part, atomic replace under concurrent readers, and
 * a million-entry list persisted and resumed without stalling the event loop, the layout
 * before hash tags migrated, and Redis memory per million entries measured.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { captureLogger } from '../helpers/capture-logger.ts';
import { itemsOf } from '../helpers/list-items.ts';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.ts';
import { waitFor } from '../helpers/keepstore-process.ts';
import { Bitset } from '../../packages/server/src/redis/bitset.ts';
import { CHUNK_ENCODING, unpackChunk, type ListItem } from '../../packages/server/src/redis/list-codec.ts';
import { ListPersister } from '../../packages/server/src/redis/list-persister.ts';
import { readCurrentList } from '../../packages/server/src/redis/list-reader.ts';
import { ListWriter } from '../../packages/server/src/redis/list-writer.ts';
import { legacyListKeys, listKeys, type ListKeys } from '../../packages/server/src/redis/redis-keys.ts';
import { migrateLegacyLayout } from '../../packages/server/src/redis/legacy-migration.ts';
import { loadUnfinished } from '../../packages/server/src/redis/resume.ts';
import type { ListKind, ListSnapshot } from '../../packages/server/src/worklist/list-wire.ts';

const UUID = 'zzzzz-bi6l4-000000000000009';
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

/** Fresh keys per test: a random prefix, as in a shared Redis. */
function freshKeys(kind: 'pull' | 'trash' = 'pull'): ListKeys {
  return listKeys(`t${randomBytes(4).toString('hex')}:`, UUID, kind);
}

/** Entry i of list `tag`: the tag is in the locator, so a mix of two lists is visible. */
function pullList(tag: number, size: number): ListSnapshot & { items: ListItem[] } {
  const items: ListItem[] = Array.from({ length: size }, (_, i) => [
    `${tag.toString(16).padStart(8, '0')}${i.toString(16).padStart(24, '0')}+${i}`,
    i % 2,
    i % 3 === 0 ? 'zzzzz-nyw5e-000000000000001' : null,
  ]);
  return { kind: 'pull', items, serverLists: [['http://a:1'], ['http://b:1', 'http://a:1']], acceptedAt: Date.now() };
}

function persister(keys: ListKeys, flushDelayMs = 20): ListPersister {
  return new ListPersister('pull', new ListWriter(redis, keys), captureLogger().log, { isUp: () => true, flushDelayMs });
}

test('a list and its progress are persisted; resume yields the unfinished entries in order', async () => {
  const keys = freshKeys();
  const p = persister(keys);
  const list = pullList(1, 25_000); // three chunks
  p.accepted(list, 1);
  for (const ordinal of [0, 5, 10_001, 24_999]) p.finished(1, ordinal);
  p.finished(2, 7); // another list generation: ignored
  await waitFor(async () => (await redis.bitcount(keys.generation(p.currentGeneration ?? 'none').done)) === 4, 5_000, 'progress flushed');
  const stored = await readCurrentList(redis, keys, 'pull');
  assert.deepEqual(stored!.items, list.items);
  assert.deepEqual(stored!.serverLists, list.serverLists);

  const resumed = await loadUnfinished(redis, keys, 'pull');
  assert.equal(resumed!.total, 25_000);
  assert.equal(resumed!.finished, 4);
  assert.equal(resumed!.map.length, 24_996);
  assert.deepEqual(itemsOf(resumed!.snapshot.items).slice(0, 4), [list.items[1], list.items[2], list.items[3], list.items[4]]);

  // Progress of the resumed (installed) list lands on the persisted ordinals.
  const q = persister(keys);
  q.resumed(resumed!.snapshot, 5, resumed!.generation, resumed!.map);
  q.finished(5, 0); // persisted ordinal 1
  await q.stop();
  const again = await loadUnfinished(redis, keys, 'pull');
  assert.equal(again!.finished, 5);
  assert.equal(again!.snapshot.items.at(0)![0], list.items[2]![0]);
  await p.stop();
});

test('an empty list clears: it is persisted as a generation of zero entries', async () => {
  const keys = freshKeys('trash');
  const p = new ListPersister('trash', new ListWriter(redis, keys), captureLogger().log, { isUp: () => true });
  p.accepted(
    {
      kind: 'trash',
      items: [['acbd18db4cc2f85cedef654fccc4a4d8+3', '1707249451308502672', null] as ListItem],
      serverLists: [],
      acceptedAt: 1,
    },
    1,
  );
  p.accepted({ kind: 'trash', items: [], serverLists: [], acceptedAt: 2 }, 2);
  await p.stop();
  const stored = await readCurrentList(redis, keys, 'trash');
  assert.equal(stored!.items.length, 0);
  assert.equal(await redis.scard(keys.generations), 1, 'the older generation was collected');
});

test('replace is atomic under concurrent readers: every read is one whole list', async () => {
  const keys = freshKeys();
  const p = persister(keys);
  const sizes = [12_000, 31_000, 20_500];
  const sizeOf = (tag: number): number => sizes[tag % sizes.length]!;
  let writing = true;
  const seen = new Set<number>();
  let reads = 0;
  const reader = async (): Promise<void> => {
    const r = new Redis(server.url);
    try {
      while (writing) {
        const got = await readCurrentList(r, keys, 'pull', 20);
        if (!got) continue;
        const tag = parseInt(got.items[0]![0].slice(0, 8), 16);
        assert.equal(got.items.length, sizeOf(tag), `list ${tag} read whole`);
        for (const [i, item] of got.items.entries()) {
          assert.equal(item[0], pullList(tag, 1).items[0]![0].slice(0, 8) + i.toString(16).padStart(24, '0') + `+${i}`);
        }
        seen.add(tag);
        reads++;
      }
    } finally {
      r.disconnect();
    }
  };
  /** The naive way (pointer, then the entries) never mixes either: the old generation vanishes whole. */
  const naiveReader = async (): Promise<void> => {
    const r = new Redis(server.url);
    try {
      while (writing) {
        const gen = await r.get(keys.current);
        if (gen === null) continue;
        const chunks = await Promise.all(
          (await r.lrangeBuffer(keys.generation(gen).entries, 0, -1)).map((c) => unpackChunk(c, CHUNK_ENCODING)),
        );
        const tags = new Set(chunks.flatMap((c) => c.split('\n').map((line) => line.slice(0, 8))));
        assert.ok(tags.size <= 1, `one list per read, saw ${[...tags].join(', ')}`);
      }
    } finally {
      r.disconnect();
    }
  };
  const readers = [reader(), reader(), naiveReader()];
  for (let tag = 1; tag <= 12; tag++) {
    p.accepted(pullList(tag, sizeOf(tag)), tag);
    // Some lists are replaced mid-write (cancelled), some are let through.
    if (tag % 3 === 0)
      await waitFor(async () => (await redis.get(keys.current)) !== null && p.currentGeneration !== null && !p.needsSync, 10_000, 'write');
    await new Promise((r) => setTimeout(r, tag % 2 ? 5 : 60));
  }
  await p.stop();
  // The readers go on with the last list: wait for a few whole reads rather than assume a pace.
  await waitFor(() => reads >= 5, 20_000, 'five whole reads');
  writing = false;
  await Promise.all(readers);
  assert.ok(seen.size >= 2, `readers saw several lists: ${[...seen].join(', ')}`);
  const final = await readCurrentList(redis, keys, 'pull');
  assert.equal(parseInt(final!.items[0]![0].slice(0, 8), 16), 12, 'the last list wins');
  assert.equal(await redis.scard(keys.generations), 1, 'cancelled and replaced generations were deleted');
  const prefix = keys.current.slice(
    0,
    keys.current.indexOf(':gen') >= 0 ? keys.current.indexOf(':gen') : keys.current.length - 'current'.length,
  );
  const genKeys = (await redis.keys(`${prefix}gen:*`)).sort();
  const gen = (await redis.get(keys.current))!;
  assert.deepEqual(genKeys, [keys.generation(gen).entries, keys.generation(gen).meta, keys.generation(gen).servers].sort());
});

test('a 1 000 000-entry list is persisted and resumed in batches without stalling the event loop', async () => {
  const keys = freshKeys();
  const n = 1_000_000;
  const items: ListItem[] = new Array(n);
  const salt = randomBytes(4).toString('hex');
  for (let i = 0; i < n; i++)
    items[i] = [`${salt}${i.toString(16).padStart(24, '0')}+${i % 67_108_864}`, i % 4, i % 2 ? 'zzzzz-nyw5e-000000000000001' : null];
  const list: ListSnapshot = {
    kind: 'pull',
    items,
    serverLists: [['http://a:1'], ['http://b:1'], ['http://c:1'], ['http://a:1', 'http://b:1']],
    acceptedAt: Date.now(),
  };
  // A 10 ms ticker: if the write or the read ran as one synchronous block it would barely tick.
  const lag = { max: 0, ticks: 0, last: performance.now() };
  const reset = (): void => {
    Object.assign(lag, { max: 0, ticks: 0, last: performance.now() });
  };
  const ticker = setInterval(() => {
    const now = performance.now();
    lag.max = Math.max(lag.max, now - lag.last - 10);
    lag.ticks++;
    lag.last = now;
  }, 10);
  try {
    const { log, lines } = captureLogger();
    const p = new ListPersister('pull', new ListWriter(redis, keys), log, { isUp: () => true });
    for (let i = 0; i < n; i += 3) p.finished(1, i); // not this list yet: ignored
    reset();
    let started = performance.now();
    p.accepted(list, 1);
    for (let i = 0; i < n; i += 3) p.finished(1, i); // a third done while it is being written
    await waitFor(() => p.currentGeneration !== null && !p.needsSync, 60_000, '1M list persisted');
    const persist = { ms: performance.now() - started, ...lag };
    await p.stop();

    reset();
    started = performance.now();
    const resumed = await loadUnfinished(redis, keys, 'pull');
    const resume = { ms: performance.now() - started, ...lag };
    assert.equal(resumed!.total, n);
    assert.equal(resumed!.finished, Math.ceil(n / 3));
    assert.deepEqual(resumed!.snapshot.items.at(0), items[1]);
    assert.deepEqual(resumed!.snapshot.items.at(-1), items[n - 2]);
    const memory = (await redis.info('memory')).match(/used_memory_human:(\S+)/)?.[1];
    const show = (f: typeof persist): string =>
      `${f.ms.toFixed(0)} ms (event loop ticked ${f.ticks} times, longest stall ${f.max.toFixed(0)} ms)`;
    console.log(`# 1M-entry list: persisted in ${show(persist)}, resumed in ${show(resume)}; redis used_memory ${memory}`);
    assert.ok(lines.some((l) => l.message === 'list persisted to redis' && l['entries'] === n));
    const gen = (await redis.get(keys.current))!;
    assert.equal(await redis.llen(keys.generation(gen).entries), n / 10_000, 'written as 100 chunks of 10 000');
    // The loop turned all along. The longest stall is reported, not asserted: on a loaded
    // 2-core machine it is GC of a heap holding several million-entry arrays, and CPU
    // contention, not one long task of ours (each batch is a few ms of work).
    for (const f of [persist, resume]) assert.ok(f.ticks >= f.ms / 100, `the event loop kept turning: ${show(f)}`);
  } finally {
    clearInterval(ticker);
  }
});

test('Bitset from a Redis bitmap agrees with BITCOUNT and GETBIT', async () => {
  const key = `t${randomBytes(4).toString('hex')}:bits`;
  for (const n of [0, 7, 8, 1000, 99_999]) await redis.setbit(key, n, 1);
  const bits = new Bitset(100_000, await redis.getBuffer(key));
  assert.equal(bits.cardinality, await redis.bitcount(key));
  for (const n of [0, 7, 8, 1000, 99_999]) assert.ok(bits.has(n));
  assert.ok(!bits.has(1));
});

test('a list of the layout before hash tags is migrated once, with its progress, and the old keys deleted', async () => {
  const prefix = `t${randomBytes(4).toString('hex')}:`;
  const legacy = legacyListKeys(prefix, UUID, 'pull');
  const writer = new ListWriter(redis, legacy);
  const list = pullList(5, 12_000);
  const old = await writer.allocate();
  await writer.write(old, list, () => false);
  const done = new Bitset(list.items.length);
  for (const i of [0, 3, 11_999]) done.set(i);
  await writer.writeDone(old, done.snapshot());
  await writer.makeCurrent(old);
  // As the layout before wrote it: plain-text chunks, no `encoding` in the meta.
  const g = legacy.generation(old);
  const plain = await Promise.all((await redis.lrangeBuffer(g.entries, 0, -1)).map((c) => unpackChunk(c, CHUNK_ENCODING)));
  await redis.del(g.entries);
  await redis.rpush(g.entries, ...plain);
  await redis.hdel(g.meta, 'encoding');
  const aborted = await writer.allocate(); // a write a crash left behind
  await writer.write(aborted, pullList(6, 10), () => false);

  const moved = await migrateLegacyLayout(redis, prefix, UUID);
  assert.deepEqual(
    moved.map((m) => [m.kind, m.entries, m.finished]),
    [['pull', 12_000, 3]],
  );
  const resumed = (await loadUnfinished(redis, listKeys(prefix, UUID, 'pull'), 'pull'))!;
  assert.equal(resumed.total, 12_000);
  assert.equal(resumed.finished, 3);
  assert.deepEqual(
    itemsOf(resumed.snapshot.items),
    list.items.filter((_, i) => !done.has(i)),
  );
  assert.deepEqual(resumed.snapshot.serverLists, list.serverLists);
  const [, left] = await redis.scan('0', 'MATCH', `${prefix}server:${UUID}:*`, 'COUNT', 10_000);
  assert.deepEqual(left, [], 'no key of the old layout is left');
  assert.deepEqual(await migrateLegacyLayout(redis, prefix, UUID), [], 'once');
});

/*
 * Redis memory per 1 000 000 persisted entries, pull and trash, with realistic entries
 * (random block hashes, a third of them 64 MiB, mounts on a quarter of the pull entries, a
 * handful of server lists), measured as the sum of MEMORY USAGE of the list's keys (the growth
 * of INFO used_memory agreed within 0.1 MB on an empty Redis). The figures go into
 * the README's fleet sizing; the bound is the layout before deflated chunks (about 53 MB per
 * million pull entries, 66 MB per million trash entries).
 */
const N = 1_000_000;
const MB = 1e6;

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

/** Bytes Redis uses for every key under `prefix` (MEMORY USAGE, exact: SAMPLES 0). */
async function memoryUnder(prefix: string): Promise<number> {
  let bytes = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) bytes += Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
  } while (cursor !== '0');
  return bytes;
}

for (const [kind, bound] of [
  ['pull', 53],
  ['trash', 66],
] as const) {
  test(`a 1 000 000-entry ${kind} list with half its entries done takes less Redis memory than the plain-text layout (${bound} MB)`, async () => {
    const items = entries(kind);
    const serverLists =
      kind === 'pull' ? Array.from({ length: 6 }, (_, j) => [`http://keep${j}.example:25107`, `http://keep${j + 1}.example:25107`]) : [];
    const prefix = `mem${randomBytes(4).toString('hex')}:`;
    const writer = new ListWriter(redis, listKeys(prefix, 'zzzzz-bi6l4-000000000000001', kind));
    const gen = await writer.allocate();
    assert.ok(await writer.write(gen, { kind, items, serverLists, acceptedAt: Date.now() }, () => false));
    const done = new Bitset(N);
    for (let i = 0; i < N; i += 2) done.set(i);
    await writer.writeDone(gen, done.snapshot());
    await writer.makeCurrent(gen);
    const mb = (await memoryUnder(prefix)) / MB;
    console.log(`# redis memory per 1 000 000 ${kind} entries: ${mb.toFixed(1)} MB`);
    assert.ok(mb < bound, `${mb.toFixed(1)} MB`);
  });
}

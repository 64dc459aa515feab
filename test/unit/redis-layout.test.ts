import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Bitset } from '../../packages/server/src/redis/bitset.ts';
import { formatFleet } from '../../packages/server/src/redis/fleet-table.ts';
import type { HeartbeatRecord } from '../../packages/server/src/redis/heartbeat-record.ts';
import { parseHeartbeat } from '../../packages/server/src/redis/heartbeat-record.ts';
import { decodeChunk, encodeChunk, type ListItem } from '../../packages/server/src/redis/list-codec.ts';
import { heartbeatKey, heartbeatPattern, legacyListKeys, listKeys } from '../../packages/server/src/redis/redis-keys.ts';

const UUID = 'zzzzz-bi6l4-000000000000001';
const MOUNT = 'zzzzz-nyw5e-000000000000002';

test('pull chunks round-trip, null mounts included', () => {
  const items: ListItem[] = [
    ['acbd18db4cc2f85cedef654fccc4a4d8+3', 0, null],
    ['37b51d194a7513e45b56f6524f2d51f2+3', 12, MOUNT],
  ];
  const out: ListItem[] = [];
  decodeChunk('pull', encodeChunk(items, 0, 2), out);
  assert.deepEqual(out, items);
});

test('trash chunks keep block_mtime as an exact decimal string (beyond 2^53)', () => {
  const items: ListItem[] = [['acbd18db4cc2f85cedef654fccc4a4d8+3', '1707249451308502672', MOUNT]];
  const out: ListItem[] = [];
  decodeChunk('trash', encodeChunk(items, 0, 1), out);
  assert.deepEqual(out, items);
});

test('a chunk can be a slice of the list; an empty chunk decodes to nothing', () => {
  const items: ListItem[] = Array.from({ length: 5 }, (_, i) => [`${String(i).repeat(32)}+1`, i, null] as ListItem);
  const out: ListItem[] = [];
  decodeChunk('pull', encodeChunk(items, 1, 3), out);
  assert.deepEqual(out, items.slice(1, 3));
  decodeChunk('pull', '', out);
  assert.equal(out.length, 2);
});

test('a line without its fields still decodes to one entry (one the resume validation refuses), never to a shorter list', () => {
  const out: ListItem[] = [];
  decodeChunk('pull', 'no tabs here\nacbd18db4cc2f85cedef654fccc4a4d8+3\t0\t', out);
  assert.deepEqual(out, [
    ['no tabs here', -1, null],
    ['acbd18db4cc2f85cedef654fccc4a4d8+3', 0, null],
  ]);
  const trash: ListItem[] = [];
  decodeChunk('trash', 'junk', trash);
  assert.deepEqual(trash, [['junk', '', null]]);
});

test('Bitset uses the Redis bitmap layout (bit 0 is the high bit of byte 0)', () => {
  const bits = new Bitset(20);
  assert.equal(bits.set(0), true);
  assert.equal(bits.set(0), false, 'a bit is set once');
  bits.set(9);
  bits.set(19);
  assert.equal(bits.set(20), false, 'out of range is ignored');
  assert.deepEqual([...bits.snapshot()], [0x80, 0x40, 0x10]);
  assert.equal(bits.cardinality, 3);
  const copy = new Bitset(20, Buffer.from([0x80, 0x40, 0x10, 0xff]));
  assert.equal(copy.cardinality, 3, 'bits beyond size in a longer Redis string are ignored');
  assert.ok(copy.has(9) && !copy.has(10));
  assert.equal(new Bitset(10, null).cardinality, 0);
});

test('keys are namespaced by prefix and server uuid (a hash tag: one Cluster slot per server), generations by number', () => {
  const k = listKeys('ks:', UUID, 'pull');
  assert.equal(k.current, `ks:server:{${UUID}}:pull:current`);
  assert.equal(k.generations, `ks:server:{${UUID}}:pull:generations`);
  assert.equal(k.sequence, `ks:server:{${UUID}}:sequence`);
  assert.equal(listKeys('ks:', UUID, 'trash').sequence, k.sequence, 'one sequence: generation numbers never collide');
  assert.deepEqual(k.generation('7'), {
    meta: `ks:server:{${UUID}}:pull:gen:7:meta`,
    entries: `ks:server:{${UUID}}:pull:gen:7:entries`,
    servers: `ks:server:{${UUID}}:pull:gen:7:servers`,
    done: `ks:server:{${UUID}}:pull:gen:7:done`,
  });
  assert.equal(heartbeatKey('ks:', UUID), `ks:heartbeat:{${UUID}}`);
  assert.equal(legacyListKeys('ks:', UUID, 'pull').current, `ks:server:${UUID}:pull:current`, 'the layout before hash tags, to migrate');
  assert.equal(heartbeatPattern('ks:'), 'ks:heartbeat:*');
  assert.equal(heartbeatPattern('a*b?[c]:'), 'a\\*b\\?\\[c\\]:heartbeat:*', 'glob characters in a prefix are literal');
});

function record(url: string, uuid: string, queued: number): HeartbeatRecord {
  const q = { queued, inProgress: 1, done: 2, failed: 3, listSize: queued + 6, listAgeSeconds: 4, enabled: true };
  return {
    url,
    uuid,
    host: 'keep-host',
    pid: 1,
    startedAt: new Date().toISOString(),
    updatedAt: new Date(Date.now() - 2_000).toISOString(),
    heartbeatIntervalMs: 5_000,
    volumes: [{ uuid: MOUNT, readOnly: false, freeBytes: 2 * 1024 ** 3 }],
    workers: { configured: 2, listening: 2, restarts: 0 },
    pullQueue: q,
    trashQueue: { ...q, enabled: false },
    persisted: { pull: '3', trash: null },
  };
}

test('the fleet table: URL first, sorted by URL, queues as queued/running/done/failed', () => {
  const text = formatFleet([record('http://keep2:25107', 'zzzzz-bi6l4-000000000000002', 5), record('http://keep1:25107', UUID, 10)]);
  const lines = text.trimEnd().split('\n');
  assert.match(lines[0]!, /^URL\s+UUID\s+WORKERS\s+VOLUMES\s+PULL/);
  assert.match(
    lines[1]!,
    /^http:\/\/keep1:25107\s+zzzzz-bi6l4-000000000000001\s+2\/2\s+1 \(2\.0 GiB free\)\s+10\/1\/2\/3\s+10\/1\/2\/3 \(off\)\s+-\s+-\s+2s$/,
  );
  assert.match(lines[2]!, /^http:\/\/keep2:25107 /);
  assert.equal(lines[3], '2 live keepstores');
  assert.match(lines[0]!, /\s+PULL PROGRESS\s+TRASH PROGRESS\s+SEEN$/);
  // A record with progress (a current server): finished/total, rates, time left, state.
  const progress = { total: 1000, done: 500, failed: 20, entriesPerSecond: 12.5, bytesPerSecond: 4718592, etaSeconds: 39 };
  const current = record('http://keep3:25107', 'zzzzz-bi6l4-000000000000003', 480);
  current.pullQueue = { ...current.pullQueue, paused: true, progress };
  current.trashQueue = { ...current.trashQueue, enabled: true, throttled: true, progress: { ...progress, etaSeconds: 3725 } };
  const row = formatFleet([current]).split('\n')[1]!;
  assert.match(row, /\s520\/1000 12\.5\/s 4\.5 MiB\/s eta 39s paused\s+520\/1000 12\.5\/s 4\.5 MiB\/s eta 1h02m throttled\s+2s$/);
  assert.equal(formatFleet([]).trimEnd().split('\n')[1], '0 live keepstores');
});

test('heartbeat records that are not ours are ignored', () => {
  assert.equal(parseHeartbeat(null), null);
  assert.equal(parseHeartbeat('not json'), null);
  assert.equal(parseHeartbeat('{"uuid":"x"}'), null);
  assert.equal(parseHeartbeat(JSON.stringify(record('http://a', UUID, 1)))?.url, 'http://a');
});

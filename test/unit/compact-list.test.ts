/** The primary's compact list form: every item comes back as it went in (hints aside). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompactList, CompactListBuilder } from '../../packages/server/src/worklist/compact-list.ts';
import type { ListItem } from '../../packages/server/src/worklist/list-wire.ts';
import { itemsOf } from '../helpers/list-items.ts';

const hash = (i: number): string => i.toString(16).padStart(32, 'f');
const MOUNT = 'zzzzz-nyw5e-000000000000001';

test('pull: 40 000 items (past two growths) read back exactly, mounts and server lists included', () => {
  const items: ListItem[] = Array.from({ length: 40_000 }, (_, i) => [`${hash(i)}+${i * 977}`, i % 7, i % 3 === 0 ? MOUNT : null]);
  items.push([`${hash(1)}+${2 ** 40}`, 0, `${MOUNT}x`]); // sizes may exceed 32 bits
  const list = CompactList.of('pull', items);
  assert.equal(list.length, items.length);
  assert.deepEqual(itemsOf(list), items);
  assert.equal(list.at(items.length), undefined);
  assert.deepEqual(list.at(-1), items.at(-1));
  assert.equal(list.at(-items.length - 1), undefined);
});

test('trash: block_mtime keeps all its digits; hints are dropped from a locator', () => {
  const items: ListItem[] = [
    [`${hash(2)}+3`, '9223372036854775807', null],
    [`${hash(3)}+4+Afoo@12345678`, '0', MOUNT],
  ];
  const list = CompactList.of('trash', items);
  assert.deepEqual(itemsOf(list), [
    [`${hash(2)}+3`, '9223372036854775807', null],
    [`${hash(3)}+4`, '0', MOUNT],
  ]);
});

test('an item it cannot hold is refused by its position', () => {
  const pull = new CompactListBuilder('pull');
  pull.push([`${hash(1)}+1`, 0, null]);
  assert.throws(() => pull.push([`${hash(1)}`, 0, null]), /entry 1: not a HASH\+SIZE locator/);
  assert.throws(() => pull.push([`${hash(1)}+`, 0, null]), /entry 1: not a HASH\+SIZE locator/);
  assert.throws(() => pull.push([`${hash(1).toUpperCase()}+1`, 0, null]), /entry 1: not a HASH\+SIZE locator/);
  assert.throws(() => pull.push([`${hash(1)}+1x`, 0, null]), /entry 1: not a HASH\+SIZE locator/);
  assert.throws(() => pull.push([`${hash(1)}+1`, -1, null]), /entry 1: bad server list/);
  const trash = new CompactListBuilder('trash');
  assert.throws(() => trash.push([`${hash(1)}+1`, '1e9', null]), /entry 0: bad block_mtime/);
  assert.deepEqual(itemsOf(pull.finish()), [[`${hash(1)}+1`, 0, null]]);
});

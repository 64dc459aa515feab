import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rendezvousOrder } from '../../packages/protocol/src/index.ts';

const HASH = 'acbd18db4cc2f85cedef654fccc4a4d8';
const uuid = (n: number) => `zzzzz-nyw5e-00000000000000${n}`;

// md5(HASH + uuid.slice(12)), computed with `printf %s ... | md5sum`:
//   ...000000000000000  7dbe5843ff5e4573e44c96a7752dda6a
//   ...000000000000001  28a8a441cb0409bae5576ebb7b84b813
//   ...000000000000002  3a0bc450a1f8f7c386d783850343d6c4
//   ...000000000000003  bd8cfa27a7b561a9e2f6d31a5c869c53
// so with equal priorities the order is 1, 2, 0, 3.
const volumes = [0, 1, 2, 3].map((n) => ({ uuid: uuid(n), priority: 1, n }));

describe('rendezvousOrder', () => {
  it('orders equal priorities by md5 ascending', () => {
    assert.deepEqual(
      rendezvousOrder(HASH, volumes).map((v) => v.n),
      [1, 2, 0, 3],
    );
  });

  it('does not depend on the input order', () => {
    const shuffled = [volumes[3]!, volumes[0]!, volumes[2]!, volumes[1]!];
    assert.deepEqual(
      rendezvousOrder(HASH, shuffled).map((v) => v.n),
      [1, 2, 0, 3],
    );
  });

  it('puts higher priority first', () => {
    const withPriority = volumes.map((v) => ({ ...v, priority: v.n === 3 ? 10 : v.n === 0 ? -1 : 1 }));
    assert.deepEqual(
      rendezvousOrder(HASH, withPriority).map((v) => v.n),
      [3, 1, 2, 0],
    );
  });

  it('returns a new array and keeps the caller objects', () => {
    const result = rendezvousOrder(HASH, volumes);
    assert.notEqual(result, volumes);
    assert.deepEqual(
      volumes.map((v) => v.n),
      [0, 1, 2, 3],
    );
    assert.ok(result.every((v) => volumes.includes(v)));
  });

  it('gives another order for another hash', () => {
    const a = rendezvousOrder(HASH, volumes)
      .map((v) => v.n)
      .join();
    const others = ['37b51d194a7513e45b56f6524f2d51f2', 'd41d8cd98f00b204e9800998ecf8427e', '0cc175b9c0f1b6a831c399e269772661'];
    assert.ok(
      others.some(
        (h) =>
          rendezvousOrder(h, volumes)
            .map((v) => v.n)
            .join() !== a,
      ),
    );
  });

  it('handles empty input', () => {
    assert.deepEqual(rendezvousOrder(HASH, []), []);
  });
});

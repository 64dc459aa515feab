import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from '../../packages/protocol/src/index.ts';

describe('parseDuration', () => {
  const cases: Array<[string | number, number]> = [
    ['0', 0],
    ['90s', 90_000],
    ['5m', 300_000],
    ['336h', 1_209_600_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['500ms', 500],
    ['1.1s', 1100],
    ['336h0m0s', 1_209_600_000],
    ['.5s', 500],
    ['1500us', 1.5],
    ['2000000ns', 2],
    ['1\u00b5s', 0.001],
    [' 10s ', 10_000],
    [30, 30_000],
    [0.25, 250],
    [0, 0],
  ];
  for (const [input, ms] of cases) {
    it(`${JSON.stringify(input)} -> ${ms} ms`, () => assert.equal(parseDuration(input), ms));
  }

  const bad: Array<[string | number, RegExp]> = [
    ['', /empty/],
    ['5', /missing unit/],
    ['1.5', /missing unit/],
    ['abc', /unexpected text/],
    ['5x', /unknown unit "x"/],
    ['5 s', /unexpected text/],
    ['-5s', /negative/],
    ['1h-5m', /unexpected text/],
    ['.s', /unexpected text/],
    [-1, /not negative/],
    [Number.NaN, /finite/],
    [Number.POSITIVE_INFINITY, /finite/],
  ];
  for (const [input, message] of bad) {
    it(`rejects ${JSON.stringify(input)} ${String(input)}`, () => {
      assert.throws(
        () => parseDuration(input),
        (err: unknown) => {
          assert.ok(err instanceof Error);
          assert.match(err.message, message);
          assert.match(err.message, /invalid duration/);
          return true;
        },
      );
    });
  }
});

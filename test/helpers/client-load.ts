/**
 * Client traffic against a keepstore until stopped: three loops, each PUTting a fresh block
 * and GETting it back with the signed locator. Tests run it through an outage or a failover
 * to show the data path never waits for Redis.
 */
import { md5, makeBlock, send } from './pull-helpers.ts';
import type { Keepstore } from './keepstore-process.ts';

export interface LoadResult {
  /** When each PUT+GET pair succeeded (ms since the epoch). */
  okAt: number[];
  failures: string[];
}

/** Start the loops; the caller registers stop() as a cleanup (a failed assertion must not leave them running). */
export function clientLoad(ks: Keepstore): { stop(): Promise<LoadResult> } {
  let running = true;
  const okAt: number[] = [];
  const failures: string[] = [];
  const loop = async (): Promise<void> => {
    while (running) {
      const block = makeBlock(8 * 1024);
      try {
        const put = await send(`${ks.url}/${block.hash}`, 'PUT', block.data, { Authorization: 'Bearer client-token' });
        if (put.status !== 200) throw new Error(`PUT ${put.status} ${put.text}`);
        const get = await fetch(`${ks.url}/${put.text.trim()}`, { headers: { Authorization: 'Bearer client-token' } });
        const body = Buffer.from(await get.arrayBuffer());
        if (get.status !== 200 || md5(body) !== block.hash) throw new Error(`GET ${get.status}, ${body.length} bytes`);
        okAt.push(Date.now());
      } catch (err) {
        failures.push((err as Error).message);
        await new Promise((r) => setTimeout(r, 50)); // a dead server must not make this spin
      }
    }
  };
  const loops = [loop(), loop(), loop()];
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { okAt, failures };
    },
  };
}

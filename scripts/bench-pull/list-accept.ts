/**
 * (c) Accepting big lists: time from the start of PUT /pull to its 200, and the primary's RSS
 * growth (peak while accepting, and after it settled). The entries point at a peer that never
 * answers, so only a few pulls start and the rest stays queued, as with a real backlog.
 */
import net from 'node:net';
import { adminHeaders } from '../../test/helpers/keepstore-process.ts';
import { getStatus, putPullList } from '../../test/helpers/pull-helpers.ts';
import { rssBytes, samplePeakRss } from './proc.ts';
import { log, startBenchKeepstore } from './harness.ts';

export interface ListAcceptResult {
  entries: number;
  bodyBytes: number;
  msTo200: number;
  primaryPeakGrowth: number;
  primarySettledGrowth: number;
}

/** A TCP server that accepts connections and never answers (pulls hang until the connect timeout). */
function silentServer(): Promise<{ url: string; close(): void }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  return new Promise((resolve) =>
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => {
          for (const s of sockets) s.destroy();
          srv.close();
        },
      });
    }),
  );
}

function listBody(n: number, server: string): string {
  const parts = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    parts[i] = `{"locator":"${i.toString(16).padStart(32, '0')}+${4096 + (i % 1000)}","servers":["${server}"]}`;
  }
  return `[${parts.join(',')}]`;
}

/** Accept lists of each size in turn on one fresh keepstore (2 workers), each replacing the last. */
export async function measureListAccept(sizes: number[]): Promise<ListAcceptResult[]> {
  const silent = await silentServer();
  const target = await startBenchKeepstore(2, 2, { pullConnectTimeout: '600s' });
  const out: ListAcceptResult[] = [];
  try {
    const primary = target.proc.pid!;
    for (const n of sizes) {
      const body = listBody(n, silent.url);
      await new Promise((r) => setTimeout(r, 1000)); // let the previous list's garbage settle
      const before = rssBytes(primary)!;
      const sampler = samplePeakRss([primary], 10);
      const started = performance.now();
      const res = await putPullList(target, body, adminHeaders, 120_000);
      const msTo200 = performance.now() - started;
      if (res.status !== 200) throw new Error(`PUT /pull of ${n}: ${res.status} ${res.text}`);
      await new Promise((r) => setTimeout(r, 2000));
      const peak = sampler.stop().get(primary)!;
      const settled = rssBytes(primary)!;
      const q = (await getStatus(target)).pullQueue;
      if (q.listSize !== n) throw new Error(`status shows ${q.listSize} entries, not ${n}`);
      log(
        `list of ${n}: 200 after ${msTo200.toFixed(0)} ms; primary RSS ${(before / 2 ** 20).toFixed(0)} -> peak ${(peak / 2 ** 20).toFixed(0)}, settled ${(settled / 2 ** 20).toFixed(0)} MiB`,
      );
      out.push({
        entries: n,
        bodyBytes: Buffer.byteLength(body),
        msTo200,
        primaryPeakGrowth: peak - before,
        primarySettledGrowth: settled - before,
      });
    }
    await putPullList(target, []);
  } finally {
    silent.close();
    await target.destroy();
  }
  return out;
}

/**
 * (c) Accepting big lists: time from the start of PUT /pull to its 200, the primary's RSS
 * growth (peak while accepting, and after it settled) and the growth of all workers' RSS
 * together (the sum of each worker's peak growth). Each entry names three servers that never
 * answer, so only a few pulls start and the rest stays queued, as with a real backlog.
 */
import net from 'node:net';
import { adminHeaders } from '../../test/helpers/keepstore-process.ts';
import { getStatus, putPullList } from '../../test/helpers/pull-helpers.ts';
import { rssBytes, samplePeakRss } from './proc.ts';
import { log, startBenchKeepstore, workerPids } from './harness.ts';

export interface ListAcceptResult {
  entries: number;
  bodyBytes: number;
  msTo200: number;
  primaryPeakGrowth: number;
  primarySettledGrowth: number;
  workersPeakGrowth: number;
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

function listBody(n: number, servers: readonly string[]): string {
  const parts = new Array<string>(n);
  const serversJson = JSON.stringify(servers);
  for (let i = 0; i < n; i++) {
    parts[i] = `{"locator":"${i.toString(16).padStart(32, '0')}+${4096 + (i % 1000)}","servers":${serversJson}}`;
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
    const workers = await workerPids(target);
    // Three replicas' worth of peers: distinct URLs, all the same silent server.
    const servers = ['127.0.0.1', 'localhost', '[::ffff:127.0.0.1]'].map((host) => silent.url.replace('127.0.0.1', host));
    for (const n of sizes) {
      const body = listBody(n, servers);
      await new Promise((r) => setTimeout(r, 1000)); // let the previous list's garbage settle
      const before = rssBytes(primary)!;
      const workersBefore = workers.map((pid) => rssBytes(pid) ?? 0);
      const sampler = samplePeakRss([primary, ...workers], 10);
      const started = performance.now();
      const res = await putPullList(target, body, adminHeaders, 120_000);
      const msTo200 = performance.now() - started;
      if (res.status !== 200) throw new Error(`PUT /pull of ${n}: ${res.status} ${res.text}`);
      await new Promise((r) => setTimeout(r, 2000));
      const peaks = sampler.stop();
      const peak = peaks.get(primary)!;
      const workersPeakGrowth = workers.reduce((sum, pid, i) => sum + (peaks.get(pid)! - workersBefore[i]!), 0);
      const settled = rssBytes(primary)!;
      const q = (await getStatus(target)).pullQueue;
      if (q.listSize !== n) throw new Error(`status shows ${q.listSize} entries, not ${n}`);
      log(
        `list of ${n}: 200 after ${msTo200.toFixed(0)} ms; primary RSS ${(before / 2 ** 20).toFixed(0)} -> peak ${(peak / 2 ** 20).toFixed(0)}, settled ${(settled / 2 ** 20).toFixed(0)} MiB; workers +${(workersPeakGrowth / 2 ** 20).toFixed(0)} MiB`,
      );
      out.push({
        entries: n,
        bodyBytes: Buffer.byteLength(body),
        msTo200,
        primaryPeakGrowth: peak - before,
        primarySettledGrowth: settled - before,
        workersPeakGrowth,
      });
    }
    await putPullList(target, []);
  } finally {
    silent.close();
    await target.destroy();
  }
  return out;
}

/**
 * A steady client GET load at a fixed rate (open loop: a request is sent every 1/rate s whether
 * or not the earlier ones are done, so a slow server shows as latency, not as a lower rate),
 * each a signed GET of one of the given blocks. Latency runs from the moment the request was
 * due to the end of its body.
 */
import http from 'node:http';

export interface LoadFigures {
  p50Ms: number;
  p99Ms: number;
  /** Body bytes received per second over the window. */
  bytesPerSecond: number;
  errors: number;
  sent: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** GET `urls` round robin at `rate` per second for `seconds`; resolves once every request has ended. */
export async function steadyGets(
  urls: readonly string[],
  rate: number,
  seconds: number,
  headers: Record<string, string>,
): Promise<LoadFigures> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const latencies: number[] = [];
  let bytes = 0;
  let errors = 0;
  const inFlight: Array<Promise<void>> = [];
  const started = performance.now();
  const total = Math.round(rate * seconds);
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(
      new Promise<void>((resolve) => {
        const failed = (): void => {
          errors++;
          resolve();
        };
        const req = http.get(urls[i % urls.length]!, { agent, headers }, (res) => {
          res.on('data', (c: Buffer) => (bytes += c.length));
          res.on('end', () => {
            if (res.statusCode === 200) latencies.push(performance.now() - due);
            else errors++;
            resolve();
          });
          res.on('error', failed);
        });
        req.on('error', failed);
        req.setTimeout(60_000, () => req.destroy(new Error('timeout')));
      }),
    );
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), bytesPerSecond: bytes / elapsed, errors, sent: total };
}

/**
 * Markdown tables for bench-serve: our ratios to each reference, worker scaling, throughput
 * and latency per server, memory. `servers` lists the servers measured, ours first.
 */

export interface RunResult {
  reqPerSec: number;
  bytesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  /** Load generator CPU, seconds, over the measured run. */
  loadgenCpuSec: number;
  /** Server processes' CPU, seconds, over the measured run. */
  serverCpuSec: number;
  durationSec: number;
  /** Peak RSS per process label, bytes, the server's main process first. */
  rss: Map<string, number>;
}

export interface Row {
  name: string;
  workers: number;
  /** Per server name; null: that server cannot do this row (nginx without its DAV module). */
  results: Map<string, RunResult | null>;
}

const MiB = 1024 * 1024;
const f0 = (n: number): string => n.toFixed(0);
const f1 = (n: number): string => n.toFixed(1);
const f2 = (n: number): string => n.toFixed(2);
const pct = (cpuSec: number, sec: number): string => `${f0((100 * cpuSec) / sec)}%`;
/** req/s: two decimals below 10 (64 MiB rows), whole numbers above. */
const rate = (r: RunResult): string => (r.reqPerSec < 10 ? f2(r.reqPerSec) : f0(r.reqPerSec));

function table(head: string[], lines: string[][]): string {
  return [head, head.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function ratio(a: RunResult | null | undefined, b: RunResult | null | undefined): string {
  return a && b && b.reqPerSec > 0 ? `${f2(a.reqPerSec / b.reqPerSec)}x` : 'n/a';
}

/** The headline: our req/s and ours / each reference, per row and worker count. */
export function ratioTable(rows: Row[], servers: string[]): string {
  const [ours, ...refs] = servers as [string, ...string[]];
  const head = ['Row', 'Workers', `${ours} req/s`, ...refs.map((s) => `${ours} / ${s}`)];
  const lines = rows.map((row) => {
    const o = row.results.get(ours);
    return [row.name, String(row.workers), o ? rate(o) : 'n/a', ...refs.map((s) => ratio(o, row.results.get(s)))];
  });
  return table(head, lines);
}

/** 1 -> 2 worker gain per row, every server side by side. */
export function scalingTable(rows: Row[], servers: string[]): string {
  const head = ['Row', ...servers.map((s) => `${s} gain (1w -> 2w req/s)`)];
  const names = [...new Set(rows.map((r) => r.name))];
  const lines = names.flatMap((name) => {
    const one = rows.find((r) => r.name === name && r.workers === 1);
    const two = rows.find((r) => r.name === name && r.workers === 2);
    if (!one || !two) return [];
    return [
      [
        name,
        ...servers.map((s) => {
          const [a, b] = [one.results.get(s), two.results.get(s)];
          return a && b ? `${ratio(b, a)} (${rate(a)} -> ${rate(b)})` : 'n/a';
        }),
      ],
    ];
  });
  return table(head, lines);
}

/** Every measured run: rates, latency, server CPU (200% = both cores) and load generator CPU. */
export function throughputTable(rows: Row[], servers: string[]): string {
  const head = ['Row', 'Workers', 'Server', 'req/s', 'MiB/s', 'p50 ms', 'p99 ms', 'server CPU', 'load generator CPU'];
  const lines = rows.flatMap((row) =>
    servers.map((s) => {
      const r = row.results.get(s);
      if (!r) return [row.name, String(row.workers), s, 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a'];
      const flag = r.non2xx + r.errors > 0 ? ` (${r.non2xx} non-2xx, ${r.errors} errors)` : '';
      return [
        row.name,
        String(row.workers),
        s,
        `${rate(r)}${flag}`,
        f1(r.bytesPerSec / MiB),
        f1(r.p50Ms),
        f1(r.p99Ms),
        pct(r.serverCpuSec, r.durationSec),
        pct(r.loadgenCpuSec, r.durationSec),
      ];
    }),
  );
  return table(head, lines);
}

/** Peak RSS while each row ran, MiB: "main process / workers" per server. */
export function memoryTable(rows: Row[], servers: string[]): string {
  const cell = (rss: Map<string, number> | undefined): string => {
    if (!rss) return 'n/a';
    const [main, ...workers] = [...rss.values()].map((v) => f0(v / MiB));
    return `${main ?? '?'} / ${workers.join(', ')}`;
  };
  const lines = rows.map((row) => [row.name, String(row.workers), ...servers.map((s) => cell(row.results.get(s)?.rss))]);
  return table(['Row', 'Workers', ...servers], lines);
}

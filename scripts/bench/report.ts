/** Markdown tables for bench-serve: throughput and latency, worker scaling, memory. */

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
  /** Peak RSS per process label, bytes. */
  rss: Map<string, number>;
}

export interface Row {
  name: string;
  workers: number;
  ours: RunResult;
  nginx: RunResult | null; // null: nginx cannot do this row (no DAV module)
}

const MiB = 1024 * 1024;
const f0 = (n: number): string => n.toFixed(0);
const f1 = (n: number): string => n.toFixed(1);
const f2 = (n: number): string => n.toFixed(2);
const pct = (cpuSec: number, sec: number): string => `${f0((100 * cpuSec) / sec)}%`;

function cells(r: RunResult | null): string[] {
  if (!r) return ['n/a', 'n/a', 'n/a', 'n/a', 'n/a'];
  const flag = r.non2xx + r.errors > 0 ? ` (${r.non2xx} non-2xx, ${r.errors} errors)` : '';
  return [`${f0(r.reqPerSec)}${flag}`, f1(r.bytesPerSec / MiB), f1(r.p50Ms), f1(r.p99Ms), pct(r.serverCpuSec, r.durationSec)];
}

export function throughputTable(rows: Row[]): string {
  const head =
    '| Row | Workers | ours req/s | ours MiB/s | ours p50 ms | ours p99 ms | ours CPU | nginx req/s | nginx MiB/s | nginx p50 ms | nginx p99 ms | nginx CPU | ours / nginx | load generator CPU (ours run / nginx run) |\n' +
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|';
  const lines = rows.map((row) => {
    const ratio = row.nginx ? `${f2(row.ours.reqPerSec / row.nginx.reqPerSec)}x` : 'n/a';
    const lg = `${pct(row.ours.loadgenCpuSec, row.ours.durationSec)} / ${row.nginx ? pct(row.nginx.loadgenCpuSec, row.nginx.durationSec) : 'n/a'}`;
    return `| ${row.name} | ${row.workers} | ${cells(row.ours).join(' | ')} | ${cells(row.nginx).join(' | ')} | ${ratio} | ${lg} |`;
  });
  return [head, ...lines].join('\n');
}

/** 1 -> 2 worker gain per row, ours and nginx side by side. */
export function scalingTable(rows: Row[]): string {
  const head =
    '| Row | ours 1w req/s | ours 2w req/s | ours gain | nginx 1w req/s | nginx 2w req/s | nginx gain | ours gains at least as much |\n|---|---|---|---|---|---|---|---|';
  const names = [...new Set(rows.map((r) => r.name))];
  const lines = names.flatMap((name) => {
    const one = rows.find((r) => r.name === name && r.workers === 1);
    const two = rows.find((r) => r.name === name && r.workers === 2);
    if (!one || !two) return [];
    const ours = two.ours.reqPerSec / one.ours.reqPerSec;
    const ng = one.nginx && two.nginx ? two.nginx.reqPerSec / one.nginx.reqPerSec : null;
    const ngCells =
      one.nginx && two.nginx && ng !== null ? [f0(one.nginx.reqPerSec), f0(two.nginx.reqPerSec), `${f2(ng)}x`] : ['n/a', 'n/a', 'n/a'];
    const verdict = ng === null ? 'n/a' : ours >= ng ? 'yes' : 'no';
    return [`| ${name} | ${f0(one.ours.reqPerSec)} | ${f0(two.ours.reqPerSec)} | ${f2(ours)}x | ${ngCells.join(' | ')} | ${verdict} |`];
  });
  return [head, ...lines].join('\n');
}

function rssCell(rss: Map<string, number> | undefined, main: string): [string, string] {
  if (!rss) return ['n/a', 'n/a'];
  const workers = [...rss.entries()].filter(([k]) => k !== main).map(([, v]) => f0(v / MiB));
  return [f0((rss.get(main) ?? 0) / MiB), workers.join(', ')];
}

/** Peak RSS per process while each row ran, MiB. */
export function memoryTable(rows: Row[]): string {
  const head = '| Row | Workers | ours primary | ours workers | nginx master | nginx workers |\n|---|---|---|---|---|---|';
  const lines = rows.map((row) => {
    const [op, ow] = rssCell(row.ours.rss, 'primary');
    const [np, nw] = rssCell(row.nginx?.rss, 'master');
    return `| ${row.name} | ${row.workers} | ${op} | ${ow} | ${np} | ${nw} |`;
  });
  return [head, ...lines].join('\n');
}

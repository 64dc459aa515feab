/**
 * npm run bench:serve -- serving speed of keepstore-ts next to three references on the same
 * machine: nginx, node-minimal and express-minimal.
 *
 * Starts our server (the real launcher, as an operator would), nginx (Debian package, installed
 * if missing) and the two minimal Node servers (bench/node-minimal.ts, bench/express-minimal.ts:
 * the same verified read and durable write as ours, nothing else) on the same volume directory,
 * and drives each with the same load generator (wrk, Debian package, its own process, CPU time
 * reported) on the same blocks: GET and PUT of 4 KiB, 1 MiB and 64 MiB (a new block every PUT),
 * with 1 and 2 workers (nginx: worker_processes 1 and 2). Prints, and writes to
 * bench-results/serve.md: ours / each reference, the 1 -> 2 worker gain of every server, and per
 * run req/s, MiB/s, p50/p99 latency, server and load generator CPU, peak RSS per process.
 *
 * Options: --duration SEC (per measured run, default 4), --repeat N (measured runs per row and
 * server, the best is reported; default 2), --rows A,B (rows whose name contains A or B, e.g.
 * "GET 4,PUT 1 MiB"), --workers 1,2, --servers nginx,node-minimal,express-minimal (the
 * references to run next to ours; default all three).
 *
 * --s3: the S3 rows instead (bench/s3.ts): GET and PUT of 1 MiB and 64 MiB through keepstore-ts
 * on an S3 volume next to the same transfers made directly on the S3 server (s3rver, or the
 * store of KEEPSTORE_TEST_S3_ENDPOINT), with the ratio; written to bench-results/serve-s3.md.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile, readFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { signLocator } from '@keepstore/protocol';
import { startKeepstore, BENCH_SIGNING_KEY } from './bench/keepstore.ts';
import { ensureCommand } from './bench/apt.ts';
import { ensureNginx, startNginx } from './bench/nginx.ts';
import { childPids, cpuSeconds, samplePeakRss } from './bench/proc-stats.ts';
import { startReference } from './bench/reference.ts';
import { memoryTable, ratioTable, scalingTable, throughputTable, type Row, type RunResult } from './bench/report.ts';
import { runS3Rows, s3Table } from './bench/s3.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');
const WRK_SCRIPT = path.join(import.meta.dirname, 'bench/wrk.lua');
const KiB = 1024;
const MiB = 1024 * KiB;
const TOKEN = 'bench-client-token';
const TTL_SECONDS = 1209600; // blobSigningTTL default, 336h
const WARMUP_SECONDS = 1;

interface RowSpec {
  name: string;
  method: 'GET' | 'PUT';
  size: number;
  connections: number;
  /**
   * Measured runs last this many times --duration: a 64 MiB request can take seconds on a busy
   * machine, and wrk counts only the requests finished within the run.
   */
  durationScale?: number;
}

const ROWS: RowSpec[] = [
  { name: 'GET 4 KiB', method: 'GET', size: 4 * KiB, connections: 32 },
  { name: 'GET 1 MiB', method: 'GET', size: MiB, connections: 16 },
  { name: 'GET 64 MiB', method: 'GET', size: 64 * MiB, connections: 4, durationScale: 3 },
  { name: 'PUT 4 KiB', method: 'PUT', size: 4 * KiB, connections: 32 },
  { name: 'PUT 1 MiB', method: 'PUT', size: MiB, connections: 16 },
  { name: 'PUT 64 MiB', method: 'PUT', size: 64 * MiB, connections: 4, durationScale: 3 },
];

const REFERENCES = ['nginx', 'node-minimal', 'express-minimal'] as const;
type Reference = (typeof REFERENCES)[number];

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string' },
    rows: { type: 'string' },
    workers: { type: 'string' },
    servers: { type: 'string' },
    repeat: { type: 'string' },
    s3: { type: 'boolean' },
  },
});
const DURATION = Number(args.duration ?? 4);
/** Measured runs per row and server; the best one is reported (filters out bursts of other load). */
const REPEAT = Number(args.repeat ?? 2);
const WORKER_COUNTS = (args.workers ?? '1,2').split(',').map(Number);
const rowPatterns = args.rows?.split(',').filter(Boolean);
const pickRow = (name: string): boolean => !rowPatterns || rowPatterns.some((p) => name.includes(p));
const rows = ROWS.filter((r) => pickRow(r.name));
const references = (args.servers?.split(',') ?? [...REFERENCES]) as Reference[];
for (const s of references) {
  if (!REFERENCES.includes(s)) throw new Error(`--servers: unknown server ${s} (known: ${REFERENCES.join(', ')})`);
}
const SERVERS = ['ours', ...references];
const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Write a random block straight into the volume layout; returns its signed locator. */
async function placeBlock(root: string, size: number): Promise<{ hash: string; path: string }> {
  const data = randomBytes(size);
  const hash = createHash('md5').update(data).digest('hex');
  const expiry = Math.floor(Date.now() / 1000) + 24 * 3600;
  await mkdir(path.join(root, hash.slice(0, 3)), { recursive: true });
  await writeFile(path.join(root, hash.slice(0, 3), hash), data);
  return { hash, path: `/${signLocator(`${hash}+${size}`, TOKEN, expiry, TTL_SECONDS, BENCH_SIGNING_KEY)}` };
}

/** Remove every block except `keep` (what the PUT rows stored), so the disk does not fill. */
async function removeOtherBlocks(root: string, keep: Set<string>): Promise<void> {
  for (const dir of await readdir(root)) {
    for (const name of await readdir(path.join(root, dir)).catch(() => [])) {
      if (!keep.has(name)) await rm(path.join(root, dir, name), { force: true });
    }
  }
}

interface LoadJob {
  url: string;
  method: 'GET' | 'PUT';
  connections: number;
  durationSec: number;
  headers: Record<string, string>;
  putSize?: number;
}

type LoadResult = Omit<RunResult, 'serverCpuSec' | 'rss'>;

/**
 * PUT bodies for one wrk run: a random prefix and the MD5s of prefix + 16-digit counter for
 * enough counters to never repeat a block (a repeat would take keepstore's dedupe path).
 */
async function putFiles(dir: string, size: number, count: number): Promise<{ hashes: string; prefix: string }> {
  const prefix = randomBytes(size - 16);
  const state = createHash('md5').update(prefix);
  const lines: string[] = [];
  for (let i = 1; i <= count; i++) lines.push(state.copy().update(String(i).padStart(16, '0')).digest('hex'));
  const base = path.join(dir, `put-${size}-${Date.now()}`);
  await writeFile(`${base}.hashes`, `${lines.join('\n')}\n`);
  await writeFile(`${base}.prefix`, prefix);
  return { hashes: `${base}.hashes`, prefix: `${base}.prefix` };
}

/**
 * One wrk run (a single thread: at most one core for the generator), under bash so that
 * `times` reports wrk's CPU time. wrk, not autocannon: autocannon decodes every response body
 * into a string, which caps it near 40 MiB/s on 1 MiB GETs with a whole core busy.
 */
async function runWrk(job: LoadJob, dir: string): Promise<LoadResult> {
  const mode =
    job.method === 'PUT'
      ? ['put', ...Object.values(await putFiles(dir, job.putSize!, job.putSize! <= 64 * KiB ? 400_000 : 40_000))]
      : ['get'];
  const headers = Object.entries(job.headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  const wrkArgs = [
    '-t1',
    `-c${job.connections}`,
    `-d${job.durationSec}s`,
    '--timeout',
    '60s',
    ...headers,
    '-s',
    WRK_SCRIPT,
    job.url,
    '--',
    ...mode,
  ];
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', ['-c', 'wrk "$@" && times', 'bench', ...wrkArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (text += c));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}: ${text}`))));
  });
  const lines = out.trim().split('\n');
  const w = JSON.parse(lines.find((l) => l.startsWith('{'))!) as Record<string, number>;
  const [user, sys] = lines
    .at(-1)!
    .split(' ')
    .map((t) => {
      const m = /^(\d+)m([\d.]+)s$/.exec(t);
      return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
    });
  const durationSec = w['durationUs']! / 1e6;
  const requests = w['requests']!;
  return {
    reqPerSec: requests / durationSec,
    bytesPerSec: (job.method === 'PUT' ? requests * job.putSize! : w['bytesRead']!) / durationSec,
    p50Ms: w['p50Us']! / 1000,
    p99Ms: w['p99Us']! / 1000,
    non2xx: w['non2xx']!,
    errors: w['errors']!,
    loadgenCpuSec: (user ?? 0) + (sys ?? 0),
    durationSec,
  };
}

type Procs = () => Promise<Array<{ label: string; pid: number }>>;

/** A server under test. */
interface Target {
  url: string;
  procs: Procs;
}

function jobFor(target: Target, spec: RowSpec, blockPath: string | undefined, durationSec: number): LoadJob {
  return {
    url: spec.method === 'GET' ? `${target.url}${blockPath}` : target.url,
    method: spec.method,
    connections: spec.connections,
    durationSec,
    headers: { Authorization: `Bearer ${TOKEN}` },
    ...(spec.method === 'PUT' ? { putSize: spec.size } : {}),
  };
}

/** One measured run against `target`, with the server's CPU time and peak RSS per process. */
async function measureOnce(target: Target, spec: RowSpec, blockPath: string | undefined, dir: string): Promise<RunResult> {
  const pids = await target.procs();
  const cpu = async (): Promise<number> => (await Promise.all(pids.map((p) => cpuSeconds(p.pid)))).reduce((a, b) => a + b, 0);
  const before = await cpu();
  const { result, peak } = await samplePeakRss(
    target.procs,
    runWrk(jobFor(target, spec, blockPath, DURATION * (spec.durationScale ?? 1)), dir),
  );
  return { ...result, serverCpuSec: (await cpu()) - before, rss: peak };
}

/**
 * One row on every server: a warm-up each, then REPEAT measured runs alternating between them
 * (so a burst of outside load hits all alike), keeping each server's best run. A null target
 * cannot do the row (nginx PUT without the DAV module).
 */
async function measureRow(
  targets: Map<string, Target | null>,
  spec: RowSpec,
  blockPath: string | undefined,
  dir: string,
): Promise<Map<string, RunResult | null>> {
  const able = [...targets].filter((e): e is [string, Target] => e[1] !== null);
  for (const [, t] of able) await runWrk(jobFor(t, spec, blockPath, WARMUP_SECONDS), dir);
  const best = new Map<string, RunResult | null>([...targets.keys()].map((name) => [name, null]));
  for (let i = 0; i < REPEAT; i++) {
    for (const [name, t] of able) {
      const run = await measureOnce(t, spec, blockPath, dir);
      const prev = best.get(name);
      if (!prev || run.reqPerSec > prev.reqPerSec) best.set(name, run);
    }
  }
  return best;
}

/** A server under test that can be stopped. */
type Running = Target & { stop(): Promise<void> };

/** Start every server of SERVERS with `workers` workers on the same volume, on free ports. */
async function startServers(workers: number, dir: string, root: string, dav: boolean): Promise<Map<string, Running>> {
  const started = new Map<string, Running>();
  try {
    const ks = await startKeepstore({ repoRoot: REPO_ROOT, dir, volumeRoot: root, port: await freePort(), workers });
    started.set('ours', { url: ks.url, procs: () => ks.processes(), stop: () => ks.stop() });
    for (const name of references) {
      if (name === 'nginx') {
        const ng = await startNginx({ dir: path.join(dir, `nginx-${workers}`), volumeRoot: root, port: await freePort(), workers, dav });
        const procs: Procs = async () => [
          { label: 'master', pid: ng.proc.pid! },
          ...(await childPids(ng.proc.pid!)).map((pid, i) => ({ label: `worker ${i}`, pid })),
        ];
        started.set(name, { url: ng.url, procs, stop: () => ng.stop() });
      } else {
        const ref = await startReference(name, { repoRoot: REPO_ROOT, volumeRoot: root, port: await freePort(), workers });
        started.set(name, { url: ref.url, procs: () => ref.processes(), stop: () => ref.stop() });
      }
    }
    return started;
  } catch (err) {
    for (const s of started.values()) await s.stop();
    throw err;
  }
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg()[0] ?? 0;
  const nginxInfo = references.includes('nginx') ? ensureNginx(log) : null;
  ensureCommand('wrk', 'wrk', log);
  if (nginxInfo && !nginxInfo.dav) log('this nginx has no DAV module: the PUT rows have no nginx column (n/a)');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'keepstore-bench-'));
  const root = path.join(dir, 'vol0');
  await mkdir(root, { recursive: true });
  const blocks = new Map<number, { hash: string; path: string }>();
  for (const spec of rows.filter((r) => r.method === 'GET')) blocks.set(spec.size, await placeBlock(root, spec.size));
  const keep = new Set([...blocks.values()].map((b) => b.hash));
  const results: Row[] = [];
  try {
    for (const workers of WORKER_COUNTS) {
      // All servers run side by side on the same volume; the idle ones cost nothing.
      const servers = await startServers(workers, dir, root, nginxInfo?.dav ?? false);
      try {
        for (const spec of rows) {
          log(`${workers} worker(s): ${spec.name}`);
          const targets = new Map(
            [...servers].map(([name, t]): [string, Target | null] => [
              name,
              name === 'nginx' && spec.method === 'PUT' && !nginxInfo?.dav ? null : t,
            ]),
          );
          results.push({ name: spec.name, workers, results: await measureRow(targets, spec, blocks.get(spec.size)?.path, dir) });
          if (spec.method === 'PUT') await removeOtherBlocks(root, keep);
        }
      } finally {
        for (const s of servers.values()) await s.stop();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const ordered = rows.flatMap((spec) => WORKER_COUNTS.flatMap((w) => results.filter((r) => r.name === spec.name && r.workers === w)));
  const report = await render(ordered, nginxInfo, [loadBefore, os.loadavg()[0] ?? 0]);
  await mkdir(path.join(REPO_ROOT, 'bench-results'), { recursive: true });
  await writeFile(path.join(REPO_ROOT, 'bench-results/serve.md'), report);
  process.stdout.write(report);
}

async function render(ordered: Row[], nginxInfo: { dav: boolean; version: string } | null, load: number[]): Promise<string> {
  const cpuModel = /model name\s*:\s*(.*)/.exec(await readFile('/proc/cpuinfo', 'utf8').catch(() => ''))?.[1] ?? 'unknown CPU';
  const conns = rows.map((r) => `${r.name}: ${r.connections}, ${DURATION * (r.durationScale ?? 1)} s`).join('; ');
  const nginx = nginxInfo ? ` · nginx ${nginxInfo.version}${nginxInfo.dav ? ' (PUT via dav_methods)' : ' (no DAV module: PUT n/a)'}` : '';
  return `# bench:serve results

${new Date().toISOString()} · ${os.availableParallelism()} cores (${cpuModel}) · Node ${process.version}${nginx}
Best of ${REPEAT} measured runs per row and server (the servers alternating), after ${WARMUP_SECONDS} s of warm-up each;
wrk, one thread; connections and length of a measured run per row: ${conns}.
Same blocks, same files, same load generator for every server. keepstore-ts ("ours") runs with
blob signing on (signed locators, MD5 verified on every GET, MD5 + fsync + rename on every PUT)
and logs every request at info. node-minimal (node:http) and express-minimal (express 5, one
route) do the same block work in node:cluster workers (open, read, MD5 check, send; PUT: MD5,
check, temp + fsync + rename + directory fsync) with no auth, no signatures, no logging. nginx
serves with sendfile, logs every request, and writes PUTs without fsync.
CPU columns: the server's processes together over the run (200% = both cores); the load
generator runs on the same cores (100% = one core).
Load average (1 min) before / after the bench: ${load.map((l) => l.toFixed(1)).join(' / ')} (anything well above 0 means
other processes shared the cores and the figures are low and noisy).

## Ours / each reference (req/s)

${ratioTable(ordered, SERVERS)}

## 1 -> 2 workers

${scalingTable(ordered, SERVERS)}

## Throughput and latency

${throughputTable(ordered, SERVERS)}

## Peak RSS per process while the row ran (MiB, main process / workers)

${memoryTable(ordered, SERVERS)}
`;
}

/** The S3 rows: one keepstore (the largest --workers count) on an S3 volume vs direct S3. */
async function mainS3(): Promise<void> {
  const loadBefore = os.loadavg()[0] ?? 0;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'keepstore-bench-s3-'));
  const workers = Math.max(...WORKER_COUNTS);
  try {
    const s3Rows = await runS3Rows({
      repoRoot: REPO_ROOT,
      dir,
      port: await freePort(),
      workers,
      seconds: 2 * DURATION,
      pick: pickRow,
      log,
    });
    const report = `# bench:serve S3 results

${new Date().toISOString()} · ${os.availableParallelism()} cores · Node ${process.version} · keepstore-ts with ${workers} workers
Each row: ${2 * DURATION} s per client (direct and via keepstore alternating in two halves), after 1 s of warm-up.
Load average (1 min) before / after: ${loadBefore.toFixed(1)} / ${(os.loadavg()[0] ?? 0).toFixed(1)}.

${s3Table(s3Rows)}
`;
    await mkdir(path.join(REPO_ROOT, 'bench-results'), { recursive: true });
    await writeFile(path.join(REPO_ROOT, 'bench-results/serve-s3.md'), report);
    process.stdout.write(report);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await (args.s3 ? mainS3() : main());

/**
 * The S3 rows of bench-serve: GET and PUT of 1 MiB and 64 MiB blocks through keepstore-ts (one
 * S3 volume) next to the same transfers made directly on the S3 server by a plain SDK client
 * (what keepstore itself costs on top of S3). Both clients run in this process with the same
 * concurrency and the same bodies; every PUT is a new block (a repeat would only be touched).
 * The S3 server: s3rver in its own process, or the store of KEEPSTORE_TEST_S3_ENDPOINT.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { signLocator } from '@keepstore/protocol';
import { rawClient, s3Bucket, s3ServerKinds } from '../../test/helpers/s3-server.ts';
import { BENCH_SIGNING_KEY, startKeepstore } from './keepstore.ts';

const MiB = 1024 * 1024;
const TOKEN = 'bench-client-token';
const TTL_SECONDS = 1209600;

interface S3RowSpec {
  name: string;
  method: 'GET' | 'PUT';
  size: number;
  concurrency: number;
}

const S3_ROWS: S3RowSpec[] = [
  { name: 'S3 GET 1 MiB', method: 'GET', size: MiB, concurrency: 4 },
  { name: 'S3 GET 64 MiB', method: 'GET', size: 64 * MiB, concurrency: 2 },
  { name: 'S3 PUT 1 MiB', method: 'PUT', size: MiB, concurrency: 4 },
  { name: 'S3 PUT 64 MiB', method: 'PUT', size: 64 * MiB, concurrency: 2 },
];

export interface S3Result {
  requests: number;
  seconds: number;
}

export interface S3Row {
  name: string;
  ours: S3Result;
  direct: S3Result;
}

/** New blocks of `size` bytes: a random prefix and a 16-digit counter, MD5 from a saved state. */
function blockMaker(size: number): () => { hash: string; chunks: Buffer[] } {
  const prefix = randomBytes(size - 16);
  const state = createHash('md5').update(prefix);
  let n = 0;
  return () => {
    const tail = Buffer.from(String(++n).padStart(16, '0'));
    return { hash: state.copy().update(tail).digest('hex'), chunks: [prefix, tail] };
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** One request to keepstore; resolves when the whole answer was read (and dropped). */
function keepRequest(url: string, method: string, chunks: Buffer[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    const length = chunks.reduce((a, c) => a + c.length, 0);
    const req = http.request(
      url,
      { method, agent, headers: { Authorization: `Bearer ${TOKEN}`, ...(method === 'PUT' ? { 'Content-Length': String(length) } : {}) } },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${method} ${res.statusCode}`))));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

async function drain(stream: Readable): Promise<void> {
  for await (const _ of stream) void _;
}

/** `concurrency` loops of `once` for `seconds`; counts completed requests. */
async function run(seconds: number, concurrency: number, once: () => Promise<void>): Promise<S3Result> {
  const start = Date.now();
  const end = start + seconds * 1000;
  let requests = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        await once();
        requests++;
      }
    }),
  );
  return { requests, seconds: (Date.now() - start) / 1000 };
}

export async function runS3Rows(opts: {
  repoRoot: string;
  dir: string;
  port: number;
  workers: number;
  seconds: number;
  /** Which rows to run, by name. */
  pick: (name: string) => boolean;
  log: (l: string) => void;
}): Promise<S3Row[]> {
  const { kind, start } = s3ServerKinds()[0]!;
  const server = (await start())!;
  const bucket = await s3Bucket(server);
  const client: S3Client = rawClient(server);
  opts.log(`S3 rows on ${kind} (${server.endpoint})`);
  const ks = await startKeepstore({
    repoRoot: opts.repoRoot,
    dir: opts.dir,
    port: opts.port,
    workers: opts.workers,
    volumes: [
      {
        uuid: 'zzzzz-nyw5e-0000000000000s3',
        driver: 's3',
        bucket: bucket.name,
        endpoint: server.endpoint,
        region: server.region,
        accessKeyId: server.accessKeyId,
        secretAccessKey: server.secretAccessKey,
        usePathStyle: server.usePathStyle,
      },
    ],
  });
  const rows: S3Row[] = [];
  try {
    for (const spec of S3_ROWS.filter((r) => opts.pick(r.name))) {
      opts.log(spec.name);
      const next = blockMaker(spec.size);
      const put = (b: { hash: string; chunks: Buffer[] }) => keepRequest(`${ks.url}/${b.hash}`, 'PUT', b.chunks);
      let ours: () => Promise<void>;
      let direct: () => Promise<void>;
      if (spec.method === 'GET') {
        const b = next();
        await put(b);
        const signed = signLocator(`${b.hash}+${spec.size}`, TOKEN, Math.floor(Date.now() / 1000) + 3600, TTL_SECONDS, BENCH_SIGNING_KEY);
        ours = () => keepRequest(`${ks.url}/${signed}`, 'GET');
        direct = async () => drain((await client.send(new GetObjectCommand({ Bucket: bucket.name, Key: b.hash }))).Body as Readable);
      } else {
        ours = () => put(next());
        direct = async () => {
          const b = next();
          await client.send(
            new PutObjectCommand({ Bucket: bucket.name, Key: `direct/${b.hash}`, Body: Readable.from(b.chunks), ContentLength: spec.size }),
          );
        };
      }
      await run(1, spec.concurrency, direct); // warm-up both
      await run(1, spec.concurrency, ours);
      // Alternate, so a burst of outside load hits both alike.
      const d1 = await run(opts.seconds / 2, spec.concurrency, direct);
      const o1 = await run(opts.seconds / 2, spec.concurrency, ours);
      const d2 = await run(opts.seconds / 2, spec.concurrency, direct);
      const o2 = await run(opts.seconds / 2, spec.concurrency, ours);
      const sum = (a: S3Result, b: S3Result): S3Result => ({ requests: a.requests + b.requests, seconds: a.seconds + b.seconds });
      rows.push({ name: spec.name, ours: sum(o1, o2), direct: sum(d1, d2) });
    }
  } finally {
    await ks.stop();
    await bucket.remove().catch(() => undefined);
    client.destroy();
    await server.stop();
  }
  return rows;
}

/** Markdown: MiB/s and req/s through keepstore and direct, and the ratio. */
export function s3Table(rows: S3Row[], sizeOf = (name: string) => (name.includes('64 MiB') ? 64 * MiB : MiB)): string {
  const head =
    '| Row | via keepstore-ts req/s | via keepstore-ts MiB/s | direct req/s | direct MiB/s | keepstore / direct |\n|---|---|---|---|---|---|';
  const lines = rows.map((r) => {
    const rate = (x: S3Result) => x.requests / x.seconds;
    const mib = (x: S3Result) => (rate(x) * sizeOf(r.name)) / MiB;
    return `| ${r.name} | ${rate(r.ours).toFixed(1)} | ${mib(r.ours).toFixed(1)} | ${rate(r.direct).toFixed(1)} | ${mib(r.direct).toFixed(1)} | ${(rate(r.ours) / rate(r.direct)).toFixed(2)}x |`;
  });
  return [head, ...lines].join('\n');
}

/**
 * docker-compose.yml against the configs it mounts (no Docker engine needed): every keepstore
 * config is valid for our schema, listens where the port mapping and healthcheck point, knows
 * its service name as publicUrl, has its data volume mounted at its volume root, and shares
 * the signing key, tokens and Redis with the others. `docker-compose config -q` runs when the
 * binary is installed (CI installs it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { configFromObject } from '../../packages/server/src/config/load.ts';
import { listenHostPort, type KeepstoreConfig } from '../../packages/server/src/config/config.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const compose = YAML.parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};

/** `host:container[:mode]` mounts of a service: container path -> host path or named volume. */
function mounts(service: Service): Map<string, string> {
  return new Map(
    (service.volumes ?? []).map((v) => {
      const [source, target] = v.split(':');
      return [target!, source!];
    }),
  );
}

/** The keepstore services: those started with --config. */
const keepstores = Object.entries(compose.services).filter(([, s]) => s.command?.includes('--config'));

function loadMounted(name: string, service: Service): { config: KeepstoreConfig; raw: Record<string, unknown>; file: string } {
  const m = mounts(service);
  const inContainer = service.command![service.command!.indexOf('--config') + 1]!;
  const hostFile = m.get(inContainer);
  assert.ok(hostFile, `${name}: the --config file ${inContainer} is mounted`);
  const file = path.resolve(ROOT, hostFile);
  assert.ok(existsSync(file), `${name}: ${hostFile} exists`);
  const raw = YAML.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  // The key file is a container path: validate against the host file mounted there.
  const keyFile = raw['blobSigningKeyFile'] as string | undefined;
  const forHost = { ...raw };
  if (keyFile !== undefined) {
    const hostKey = m.get(keyFile);
    assert.ok(hostKey, `${name}: blobSigningKeyFile ${keyFile} is mounted`);
    forHost['blobSigningKeyFile'] = path.resolve(ROOT, hostKey);
  }
  return { config: configFromObject(forHost, path.dirname(file), file), raw, file };
}

test('Redis plus four keepstores, each built from the Dockerfile and waiting for a healthy Redis', () => {
  assert.ok(compose.services['redis'], 'a redis service');
  assert.match(compose.services['redis']!.image ?? '', /^redis:/);
  assert.equal(keepstores.length, 4);
  for (const [name, s] of keepstores) {
    assert.ok(s.build, `${name} is built from the repo`);
    assert.equal(s.depends_on?.['redis']?.condition, 'service_healthy', `${name} waits for redis`);
  }
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /^FROM node:20-slim/m);
  assert.match(dockerfile, /npm ci/);
  assert.match(dockerfile, /npm run build/);
  assert.match(dockerfile, /ENTRYPOINT \["node", "packages\/server\/bin\/keepstore\.js"\]/);
});

test('each config is valid and matches its service: port mapping, publicUrl, healthcheck, volume', () => {
  const hostPorts = new Set<string>();
  const dataVolumes = new Set<string>();
  for (const [name, service] of keepstores) {
    const { config } = loadMounted(name, service);
    const { host, port } = listenHostPort(config.listen);
    assert.equal(host, '0.0.0.0', `${name} listens on every interface inside its container`);
    const mapped = (service.ports ?? []).map((p) => p.split(':'));
    assert.ok(
      mapped.some(([, container]) => Number(container) === port),
      `${name}: the container port is ${port}`,
    );
    for (const [hostPort] of mapped) {
      assert.ok(!hostPorts.has(hostPort!), `host port ${hostPort} used once`);
      hostPorts.add(hostPort!);
    }
    assert.equal(config.publicUrl, `http://${name}:${port}`, `${name}: peers reach it by service name`);

    const probe = service.healthcheck!.test.join(' ');
    assert.ok(probe.includes(`http://127.0.0.1:${port}/_health/ping`), `${name}: healthcheck pings the listen port`);
    assert.ok(probe.includes(`Bearer ${config.managementToken}`), `${name}: healthcheck sends the management token`);
    assert.notEqual(config.managementToken, '');

    const m = mounts(service);
    for (const volume of config.volumes) {
      if (volume.driver !== 'directory') continue; // s3: checked by the object store test
      const source = m.get(volume.root);
      assert.ok(source, `${name}: volume root ${volume.root} is a mount`);
      assert.ok(source in compose.volumes, `${name}: ${source} is a named volume`);
      assert.ok(!dataVolumes.has(source), `${source} belongs to one keepstore only`);
      dataVolumes.add(source);
    }
  }
});

test('the S3 keepstore: its bucket is on the MinIO service, created by a one-shot service it waits for', () => {
  const s3 = keepstores.flatMap(([name, s]) =>
    loadMounted(name, s)
      .config.volumes.filter((v) => v.driver === 's3')
      .map((v) => ({ name, service: s, volume: v })),
  );
  assert.equal(s3.length, 1, 'one keepstore with an S3 volume');
  const { name, service, volume } = s3[0]!;
  if (volume.driver !== 's3') return;
  const host = new URL(volume.endpoint).hostname;
  const store = compose.services[host];
  assert.ok(store, `${name}: the endpoint names the ${host} service`);
  assert.match(store.image ?? '', /^minio\/minio:/);
  assert.ok(store.healthcheck, `${host} has a healthcheck`);
  assert.equal(volume.usePathStyle, true, 'MinIO by service name needs path-style addressing');
  assert.equal(volume.accessKeyId, store.environment?.['MINIO_ROOT_USER']);
  assert.equal(volume.secretAccessKey, store.environment?.['MINIO_ROOT_PASSWORD']);
  const [initName, init] = Object.entries(compose.services).find(([, s]) => (s.entrypoint ?? []).join(' ').includes(' mb '))!;
  assert.ok(init, 'a service creates the bucket');
  assert.equal(init.depends_on?.[host]?.condition, 'service_healthy', `${initName} waits for a healthy ${host}`);
  const script = init.entrypoint!.join(' ');
  assert.ok(script.includes(`http://${host}:${new URL(volume.endpoint).port}`), `${initName} talks to the endpoint of the volume`);
  assert.match(script, new RegExp(`mb (--ignore-existing )?\\w+/${volume.bucket}\\b`), `${initName} creates bucket ${volume.bucket}`);
  assert.equal(service.depends_on?.[initName]?.condition, 'service_completed_successfully', `${name} starts once the bucket exists`);
});

test('the keepstores share the signing key, tokens and Redis, and differ in uuids', () => {
  const configs = keepstores.map(([name, s]) => loadMounted(name, s).config);
  const same = <T>(pick: (c: KeepstoreConfig) => T, what: string): void =>
    assert.equal(new Set(configs.map((c) => JSON.stringify(pick(c)))).size, 1, `one ${what}`);
  for (const c of configs) assert.ok(c.blobSigning && c.blobSigningKey.length >= 32, 'signing on with a real key');
  same((c) => c.blobSigningKey, 'signing key');
  same((c) => c.systemRootToken, 'system root token');
  same((c) => c.managementToken, 'management token');
  same((c) => c.redis, 'redis config (url, prefix)');
  assert.equal(new Set(configs.map((c) => c.uuid)).size, configs.length, 'distinct server uuids (their Redis namespaces)');
  assert.equal(new Set(configs.flatMap((c) => c.volumes.map((v) => v.uuid))).size, configs.length, 'distinct volume uuids');

  const url = new URL(configs[0]!.redis!.url!);
  assert.ok(url.hostname in compose.services, `the Redis URL names the ${url.hostname} service`);
  assert.equal(url.port || '6379', '6379');
});

test('docker-compose config -q accepts the file', (t) => {
  const probe = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
  if (probe.error) return t.skip('docker-compose is not installed (CI installs it)');
  const result = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
});

/**
 * Config validation (packages/server/src/config): defaults, errors that name the field,
 * durations, the signing key file, and paths resolved against the config file's directory.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, configFromObject, loadConfig } from '../../packages/server/src/config/load.ts';
import { listenHostPort } from '../../packages/server/src/config/config.ts';
import type { ResolvedVolume } from '../../packages/server/src/volume/volume-config.ts';

const UUID0 = 'zzzzz-nyw5e-000000000000000';
const UUID1 = 'zzzzz-nyw5e-000000000000001';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'keepstore-config-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** The ConfigError message for `raw`; fails the test if it is accepted. */
function rejection(raw: unknown): string {
  try {
    configFromObject(raw, dir, path.join(dir, 'c.json'));
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail(`accepted ${JSON.stringify(raw)}`);
}

/** The root of a directory volume (the driver these configs use). */
function rootOf(v: ResolvedVolume | undefined): string {
  assert.ok(v?.driver === 'directory');
  return v.root;
}

describe('defaults', () => {
  test('an empty config serves ./data on 127.0.0.1:25107 with signing off', () => {
    const c = configFromObject({}, '/srv/keep');
    assert.equal(c.listen, '127.0.0.1:25107');
    assert.equal(c.workers, os.availableParallelism());
    assert.equal(c.blobSigning, false);
    assert.equal(c.blobSigningKey, '');
    assert.equal(c.systemRootToken, '');
    assert.equal(c.managementToken, '');
    assert.equal(c.blobSigningTTL, 336 * 3600 * 1000);
    assert.equal(c.blobTrash, true);
    assert.equal(c.blobTrashLifetime, 336 * 3600 * 1000);
    assert.equal(c.blobTrashCheckInterval, 24 * 3600 * 1000);
    assert.equal(c.pullConcurrency, 4);
    assert.equal(c.pullConnectTimeout, 5000);
    assert.equal(c.pullIdleTimeout, 20_000);
    assert.equal(c.trashConcurrency, 4);
    assert.equal(c.maxListEntries, 4_000_000);
    assert.deepEqual(c.log, { level: 'info', format: 'json' });
    assert.equal(c.source, null);
    assert.equal(c.redis, undefined);
    assert.equal(c.volumes.length, 1);
    const v = c.volumes[0]!;
    assert.equal(v.uuid, UUID0);
    assert.equal(rootOf(v), '/srv/keep/data');
    assert.equal(v.driver, 'directory');
    assert.equal(v.readOnly, false);
    assert.equal(v.replication, 1);
    assert.deepEqual(v.storageClasses, ['default']);
    assert.equal(v.priority, 0);
  });

  test('volume fields default individually', () => {
    const c = configFromObject({ volumes: [{ uuid: UUID1, root: '/a', readOnly: true }] });
    assert.deepEqual(
      { ...c.volumes[0] },
      {
        uuid: UUID1,
        root: '/a',
        driver: 'directory',
        readOnly: true,
        replication: 1,
        storageClasses: ['default'],
        priority: 0,
        blobSigningTTL: 336 * 3600_000,
        blobTrashLifetime: 336 * 3600_000,
      },
    );
  });

  test('s3 volume: every field defaults as documented; a custom endpoint gets region us-east-1', () => {
    const c = configFromObject({ volumes: [{ uuid: UUID1, driver: 's3', bucket: 'keep', endpoint: 'http://127.0.0.1:9000/' }] });
    assert.deepEqual(
      { ...c.volumes[0] },
      {
        uuid: UUID1,
        driver: 's3',
        readOnly: false,
        replication: 1,
        storageClasses: ['default'],
        priority: 0,
        blobSigningTTL: 336 * 3600_000,
        blobTrashLifetime: 336 * 3600_000,
        bucket: 'keep',
        endpoint: 'http://127.0.0.1:9000',
        region: 'us-east-1',
        accessKeyId: '',
        secretAccessKey: '',
        usePathStyle: false,
        prefixLength: 0,
        indexPageSize: 1000,
        connectTimeout: 60_000,
        readTimeout: 600_000,
        raceWindow: 24 * 3600_000,
        unsafeDelete: false,
      },
    );
    const aws = configFromObject({ volumes: [{ uuid: UUID1, driver: 's3', bucket: 'keep', region: 'eu-west-1', readTimeout: '30s' }] });
    assert.equal((aws.volumes[0] as { region: string }).region, 'eu-west-1');
    assert.equal((aws.volumes[0] as { readTimeout: number }).readTimeout, 30_000);
  });

  test('the result is frozen, volumes included', () => {
    const c = configFromObject({});
    assert.ok(Object.isFrozen(c));
    assert.ok(Object.isFrozen(c.volumes));
    assert.ok(Object.isFrozen(c.volumes[0]));
    assert.throws(() => {
      (c as { workers: number }).workers = 9;
    }, TypeError);
  });

  test('no file and no KEEPSTORE_CONFIG: built-in defaults, ./data against the cwd', () => {
    const c = loadConfig(undefined, {});
    assert.equal(c.source, null);
    assert.equal(rootOf(c.volumes[0]), path.resolve('data'));
  });

  test('storage-class priority: the highest of the volume classes', () => {
    const c = configFromObject({
      storageClasses: { hot: { priority: 10 }, cold: { priority: -5 } },
      volumes: [
        { uuid: UUID0, root: '/a', storageClasses: ['cold', 'hot'] },
        { uuid: UUID1, root: '/b', storageClasses: ['cold'] },
      ],
    });
    assert.deepEqual(
      c.volumes.map((v) => v.priority),
      [10, -5],
    );
  });

  test('listenHostPort splits host and port (IPv6 too)', () => {
    assert.deepEqual(listenHostPort('127.0.0.1:25107'), { host: '127.0.0.1', port: 25107 });
    assert.deepEqual(listenHostPort(':8080'), { host: '0.0.0.0', port: 8080 });
    assert.deepEqual(listenHostPort('[::1]:80'), { host: '::1', port: 80 });
  });
});

const UUID_S = 'zzzzz-bi6l4-000000000000001';

describe('the three redis forms', () => {
  test('url, sentinels (role master) and cluster are accepted, with their defaults', () => {
    const uuid = UUID_S;
    assert.deepEqual(configFromObject({ uuid, redis: { url: 'redis://r:6379/0' } }).redis, {
      url: 'redis://r:6379/0',
      keyPrefix: 'keepstore:',
      heartbeatInterval: 5000,
    });
    const sentinel = configFromObject({
      uuid,
      redis: { sentinels: [{ host: 's1', port: 26379 }], name: 'keep', role: 'master', sentinelPassword: 'x' },
    }).redis!;
    assert.deepEqual(sentinel.sentinels, [{ host: 's1', port: 26379 }]);
    assert.equal(sentinel.name, 'keep');
    const cluster = configFromObject({
      uuid,
      redis: {
        cluster: [
          { host: 'a', port: 7000 },
          { host: 'b', port: 7001 },
        ],
        password: 'p',
        tls: true,
      },
    }).redis!;
    assert.equal(cluster.cluster!.length, 2);
    assert.equal(configFromObject({ uuid, redis: { url: 'redis://r' } }).uuid, uuid);
    assert.equal(configFromObject({}).uuid, 'zzzzz-bi6l4-000000000000000', 'the default uuid without redis');
  });
});

describe('every error names the field', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['workers: 0', { workers: 0 }, /^\s*workers: /m],
    ['workers not an integer', { workers: 1.5 }, /^\s*workers: /m],
    ['workers as a string', { workers: 'two' }, /^\s*workers: /m],
    ['unknown top-level field', { wrokers: 2 }, /Unrecognized key: "wrokers"/],
    ['unknown volume field', { volumes: [{ uuid: UUID0, root: '/a', rot: '/b' }] }, /volumes\.0: .*"rot"/],
    ['bad volume uuid', { volumes: [{ uuid: 'not-a-uuid', root: '/a' }] }, /volumes\.0\.uuid: /],
    ['volume without root', { volumes: [{ uuid: UUID0 }] }, /volumes\.0\.root: /],
    ['empty volume root', { volumes: [{ uuid: UUID0, root: '' }] }, /volumes\.0\.root: /],
    ['unknown driver', { volumes: [{ uuid: UUID0, root: '/a', driver: 'nfs' }] }, /volumes\.0\.driver: /],
    ['s3 without bucket', { volumes: [{ uuid: UUID0, driver: 's3', endpoint: 'http://x:9000' }] }, /volumes\.0\.bucket: /],
    ['s3 on AWS without region', { volumes: [{ uuid: UUID0, driver: 's3', bucket: 'keep' }] }, /volumes\.0\.region: region is required/],
    [
      's3 prefixLength 33',
      { volumes: [{ uuid: UUID0, driver: 's3', bucket: 'keep', region: 'r', prefixLength: 33 }] },
      /volumes\.0\.prefixLength: /,
    ],
    [
      's3 endpoint not a URL',
      { volumes: [{ uuid: UUID0, driver: 's3', bucket: 'keep', endpoint: 'minio:9000' }] },
      /volumes\.0\.endpoint: /,
    ],
    [
      's3 endpoint with credentials (they would show in device_id)',
      { volumes: [{ uuid: UUID0, driver: 's3', bucket: 'keep', endpoint: 'http://AKID:s3cr3t@127.0.0.1:9000' }] },
      /volumes\.0\.endpoint: .*without credentials/,
    ],
    [
      's3 endpoint with a query',
      { volumes: [{ uuid: UUID0, driver: 's3', bucket: 'keep', endpoint: 'http://127.0.0.1:9000?x=1' }] },
      /volumes\.0\.endpoint: /,
    ],
    [
      's3 key id without secret',
      { volumes: [{ uuid: UUID0, driver: 's3', bucket: 'keep', region: 'r', accessKeyId: 'k' }] },
      /volumes\.0\.secretAccessKey: /,
    ],
    [
      's3 readTimeout 0',
      { volumes: [{ uuid: UUID0, driver: 's3', bucket: 'keep', region: 'r', readTimeout: '0s' }] },
      /volumes\.0\.readTimeout: /,
    ],
    [
      's3 field on a directory volume',
      { volumes: [{ uuid: UUID0, root: '/a', bucket: 'keep' }] },
      /volumes\.0: Unrecognized key: "bucket"/,
    ],
    ['replication 0', { volumes: [{ uuid: UUID0, root: '/a', replication: 0 }] }, /volumes\.0\.replication: /],
    ['no storage classes', { volumes: [{ uuid: UUID0, root: '/a', storageClasses: [] }] }, /volumes\.0\.storageClasses: /],
    ['no volumes', { volumes: [] }, /^\s*volumes: /m],
    [
      'duplicate volume uuid',
      {
        volumes: [
          { uuid: UUID0, root: '/a' },
          { uuid: UUID0, root: '/b' },
        ],
      },
      /volumes\.1\.uuid: duplicate/,
    ],
    ['listen without port', { listen: 'localhost' }, /^\s*listen: /m],
    ['listen port too big', { listen: '127.0.0.1:70000' }, /^\s*listen: .*65535/m],
    ['bad duration unit', { blobSigningTTL: '5x' }, /^\s*blobSigningTTL: .*"5x"/m],
    ['duration without unit', { blobTrashLifetime: '10' }, /^\s*blobTrashLifetime: /m],
    ['negative duration', { pullIdleTimeout: -1 }, /^\s*pullIdleTimeout: /m],
    ['duration of the wrong type', { pullConnectTimeout: true }, /^\s*pullConnectTimeout: /m],
    ['log level', { log: { level: 'loud' } }, /^\s*log\.level: /m],
    ['log format', { log: { format: 'xml' } }, /^\s*log\.format: /m],
    ['redis url', { uuid: UUID_S, redis: { url: 'http://x' } }, /^\s*redis\.url: /m],
    ['redis without uuid', { redis: { url: 'redis://x' } }, /^\s*uuid: required when redis is configured/m],
    ['redis with no form', { uuid: UUID_S, redis: {} }, /^\s*redis: set one of url, sentinels or cluster/m],
    [
      'redis with two forms',
      { uuid: UUID_S, redis: { url: 'redis://x', cluster: [{ host: 'a', port: 1 }] } },
      /^\s*redis\.cluster: set one of url, sentinels or cluster, not url and cluster/m,
    ],
    [
      'redis sentinels without name',
      { uuid: UUID_S, redis: { sentinels: [{ host: 'a', port: 26379 }] } },
      /^\s*redis\.name: required with sentinels/m,
    ],
    ['redis sentinels empty', { uuid: UUID_S, redis: { sentinels: [], name: 'm' } }, /^\s*redis\.sentinels: needs at least one sentinel/m],
    [
      'redis sentinel role other than master',
      { uuid: UUID_S, redis: { sentinels: [{ host: 'a', port: 1 }], name: 'm', role: 'slave' } },
      /^\s*redis\.role: /m,
    ],
    ['redis name without sentinels', { uuid: UUID_S, redis: { url: 'redis://x', name: 'm' } }, /^\s*redis\.name: only with sentinels/m],
    ['redis cluster without nodes', { uuid: UUID_S, redis: { cluster: [] } }, /^\s*redis\.cluster: needs at least one node/m],
    ['redis cluster node without port', { uuid: UUID_S, redis: { cluster: [{ host: 'a' }] } }, /^\s*redis\.cluster\.0\.port: /m],
    ['redis password with url', { uuid: UUID_S, redis: { url: 'redis://x', password: 'p' } }, /^\s*redis\.password: not with url/m],
    [
      'redis keyPrefix with a brace',
      { uuid: UUID_S, redis: { url: 'redis://x', keyPrefix: 'a{b}:' } },
      /^\s*redis\.keyPrefix: must not contain/m,
    ],
    ['pullConcurrency 0', { pullConcurrency: 0 }, /^\s*pullConcurrency: /m],
    ['maxListEntries 0', { maxListEntries: 0 }, /^\s*maxListEntries: /m],
    [
      'publicUrl with credentials (published in the heartbeat)',
      { publicUrl: 'http://admin:s3cr3t@keep.example:25107' },
      /^\s*publicUrl: must not carry credentials/m,
    ],
    ['pullConnectTimeout 0 (every pull would fail at once)', { pullConnectTimeout: 0 }, /^\s*pullConnectTimeout: must be more than 0/m],
    [
      'redis heartbeatInterval 0 (SET PX 0 is refused: the uuid never claimed, lists never persisted)',
      { uuid: UUID_S, redis: { url: 'redis://x', heartbeatInterval: '0s' } },
      /^\s*redis\.heartbeatInterval: must be more than 0/m,
    ],
    ['blobSigning not a boolean', { blobSigning: 'yes' }, /^\s*blobSigning: /m],
    ['key and key file', { blobSigningKey: 'k', blobSigningKeyFile: 'f' }, /blobSigningKeyFile: .*not both/],
    ['signing on without a key', { blobSigning: true }, /blobSigning.*blobSigningKey/],
  ];
  for (const [name, raw, re] of cases) {
    test(name, () => assert.match(rejection(raw), re));
  }

  test('the message names the file and lists every bad field at once', () => {
    const msg = rejection({ workers: 0, listen: 'nope', volumes: [{ uuid: 'x', root: '/a' }] });
    assert.match(msg, /c\.json/);
    assert.match(msg, /workers: /);
    assert.match(msg, /listen: /);
    assert.match(msg, /volumes\.0\.uuid: /);
  });

  test('a top-level value that is not an object', () => {
    assert.match(rejection([1, 2]), /\(top level\)/);
  });
});

describe('durations', () => {
  const ms = (v: unknown): number => configFromObject({ blobSigningTTL: v }).blobSigningTTL;
  test('Go-style strings and plain seconds become milliseconds', () => {
    assert.equal(ms('90s'), 90_000);
    assert.equal(ms('5m'), 300_000);
    assert.equal(ms('336h'), 1_209_600_000);
    assert.equal(ms('1h30m'), 5_400_000);
    assert.equal(ms('1.5h'), 5_400_000);
    assert.equal(ms('500ms'), 500);
    assert.equal(ms('0'), 0);
    assert.equal(ms(90), 90_000);
    assert.equal(ms(0.25), 250);
  });
});

describe('files', () => {
  test('relative roots and the key file resolve against the config file directory, not the cwd', async () => {
    const sub = path.join(dir, 'etc');
    await fs.mkdir(sub, { recursive: true });
    await fs.writeFile(path.join(sub, 'signing.key'), '  secret-key-from-file\n');
    const file = path.join(sub, 'keep.json');
    await fs.writeFile(
      file,
      JSON.stringify({
        blobSigning: true,
        blobSigningKeyFile: 'signing.key',
        volumes: [
          { uuid: UUID0, root: '../vol0' },
          { uuid: UUID1, root: '/abs/vol1' },
        ],
      }),
    );
    const c = loadConfig(file, {});
    assert.equal(c.source, file);
    assert.equal(c.blobSigningKey, 'secret-key-from-file'); // trimmed
    assert.equal(rootOf(c.volumes[0]), path.join(dir, 'vol0'));
    assert.equal(rootOf(c.volumes[1]), '/abs/vol1');
    assert.equal(JSON.stringify(c).includes('blobSigningKeyFile'), false);
  });

  test('an unreadable key file names blobSigningKeyFile', async () => {
    const file = path.join(dir, 'nokey.json');
    await fs.writeFile(file, JSON.stringify({ blobSigning: true, blobSigningKeyFile: 'missing.key' }));
    assert.throws(
      () => loadConfig(file, {}),
      (err: Error) => err instanceof ConfigError && /blobSigningKeyFile/.test(err.message) && /ENOENT/.test(err.message),
    );
  });

  test('YAML by extension', async () => {
    const file = path.join(dir, 'keep.yaml');
    await fs.writeFile(file, `workers: 3\nblobSigningTTL: 2h\nvolumes:\n  - uuid: ${UUID1}\n    root: y\n    readOnly: true\n`);
    const c = loadConfig(file, {});
    assert.equal(c.workers, 3);
    assert.equal(c.blobSigningTTL, 7_200_000);
    assert.equal(rootOf(c.volumes[0]), path.join(dir, 'y'));
    assert.equal(c.volumes[0]!.readOnly, true);
  });

  test('YAML errors name the field too', async () => {
    const file = path.join(dir, 'bad.yml');
    await fs.writeFile(file, 'workers: 0\n');
    assert.throws(
      () => loadConfig(file, {}),
      (err: Error) => err instanceof ConfigError && /workers: /.test(err.message) && err.message.includes(file),
    );
  });

  test('KEEPSTORE_CONFIG is used when no --config is given; --config wins', async () => {
    const a = path.join(dir, 'a.json');
    const b = path.join(dir, 'b.json');
    await fs.writeFile(a, JSON.stringify({ workers: 5 }));
    await fs.writeFile(b, JSON.stringify({ workers: 7 }));
    assert.equal(loadConfig(undefined, { KEEPSTORE_CONFIG: a }).workers, 5);
    assert.equal(loadConfig(b, { KEEPSTORE_CONFIG: a }).workers, 7);
  });

  test('a missing file and unparsable JSON are ConfigErrors naming the file', async () => {
    const missing = path.join(dir, 'nope.json');
    assert.throws(
      () => loadConfig(missing, {}),
      (err: Error) => err instanceof ConfigError && err.message.includes(missing),
    );
    const broken = path.join(dir, 'broken.json');
    await fs.writeFile(broken, '{"workers": 2,');
    assert.throws(
      () => loadConfig(broken, {}),
      (err: Error) => err instanceof ConfigError && err.message.includes(broken),
    );
  });
});

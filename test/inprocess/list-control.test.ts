// The list control routes in-process, through the fake primary: GET /pull and /trash relay
// the primary's report, POST /KIND/pause and /resume ask it once and answer its state, and
// input they do not take is refused before the primary is asked (GET and PUT /pull/limits too).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type InProcessApp, startInProcessApp } from '../helpers/in-process-app.ts';
import { bearer, request } from '../helpers/keep-http.ts';
import { ROOT_TOKEN } from '../helpers/keepstore-process.ts';

let app: InProcessApp;
const admin = bearer(ROOT_TOKEN);

before(async () => {
  app = await startInProcessApp();
});
after(() => app.close());

test('GET /trash is the primary report for the trash list; POST /trash/pause and /resume answer the state', async () => {
  app.primary.progress = { ...app.primary.progress, queued: 7 };
  const report = await request(`${app.url}/trash`, { headers: admin });
  assert.equal(report.status, 200);
  assert.match(report.headers['content-type'] as string, /^application\/json/);
  const body = JSON.parse(report.body.toString()) as { kind: string; paused: boolean; queued: number };
  assert.deepEqual([body.kind, body.paused, body.queued], ['trash', false, 7]);
  assert.deepEqual(app.primary.calls.at(-1), { method: 'list:progress', kind: 'trash' });

  const paused = await request(`${app.url}/trash/pause`, { method: 'POST', headers: admin });
  assert.equal(paused.status, 200);
  assert.deepEqual(JSON.parse(paused.body.toString()), { kind: 'trash', paused: true });
  assert.deepEqual(app.primary.calls.at(-1), { method: 'list:pause', kind: 'trash', paused: true });
  assert.deepEqual(app.primary.paused, { pull: false, trash: true });
  const resumed = await request(`${app.url}/trash/resume`, { method: 'POST', headers: admin });
  assert.deepEqual(JSON.parse(resumed.body.toString()), { kind: 'trash', paused: false });
});

test('a body or a query parameter: 400 naming it, and the primary is not asked', async () => {
  const calls = app.primary.calls.length;
  const withBody = await request(`${app.url}/pull/pause`, { method: 'POST', headers: admin, body: '{}' });
  assert.equal(withBody.status, 400);
  assert.equal(withBody.body.toString(), 'POST /pull/pause takes no body\n');
  const withQuery = await request(`${app.url}/pull?verbose=1`, { headers: admin });
  assert.equal(withQuery.status, 400);
  assert.equal(withQuery.body.toString(), 'unknown parameter "verbose": GET /pull takes none\n');
  const withToken = await request(`${app.url}/pull?api_token=${ROOT_TOKEN}`);
  assert.equal(withToken.status, 200, 'api_token is the one parameter taken');
  assert.equal(app.primary.calls.length, calls + 1);
  assert.deepEqual(app.primary.paused, { pull: false, trash: false });
});

test('GET and PUT /pull/limits refuse a query parameter (and GET a body) with a 400 naming it; nothing is asked or set', async () => {
  const calls = app.primary.calls.length;
  const before = { ...app.primary.status.pacing.limits };
  const getWithQuery = await request(`${app.url}/pull/limits?pullBandwidth=5`, { headers: admin });
  assert.equal(getWithQuery.status, 400);
  assert.equal(getWithQuery.body.toString(), 'unknown parameter "pullBandwidth": GET /pull/limits takes none\n');
  const getWithBody = await request(`${app.url}/trash/limits`, { headers: admin, body: '{"trashConcurrency": 2}' });
  assert.equal(getWithBody.status, 400);
  assert.equal(getWithBody.body.toString(), 'GET /trash/limits takes no body\n');
  const putWithQuery = await request(`${app.url}/pull/limits?pullConcurrency=2`, {
    method: 'PUT',
    headers: admin,
    body: '{"pullBandwidth": 1000}',
  });
  assert.equal(putWithQuery.status, 400);
  assert.equal(putWithQuery.body.toString(), 'unknown parameter "pullConcurrency": PUT /pull/limits takes none\n');
  assert.equal(app.primary.calls.length, calls);
  assert.deepEqual(app.primary.status.pacing.limits, before);
  const plain = await request(`${app.url}/pull/limits?api_token=${ROOT_TOKEN}`);
  assert.equal(plain.status, 200, 'api_token is the one parameter taken');
});

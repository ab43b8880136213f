// IoT Hub's service REST API (picohub-gateway) with Microsoft's azure-iothub 1.16.6, plus the refusals it must
// make. azure-iothub always uses port 443 and the system CA store, so: the hub serves HTTPS on 443 (root or
// CAP_NET_BIND_SERVICE; skipped with the reason otherwise, unless PICOHUB_REQUIRE_SERVICE=1), and the SDK half
// runs in a child Node (service_api_sdk.mjs) started with NODE_EXTRA_CA_CERTS = the hub's CA.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, picohubCli, withTimeout } from './harness.mjs';

let dir;
let port;
let ca;
let skip = false;
const { cli, cliJson } = picohubCli(() => dir);

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'picohub-svc-'));
  port = await freePort();
  const r = await cli('hub', 'start', '--port', String(port), '--json');
  assert.equal(r.code, 0, `hub start failed: ${r.stderr}`);
  const info = JSON.parse(r.stdout);
  ca = info.caFile;
  if (info.servicePort !== 443) {  // the gateway may run for AMQP alone when 443 is taken
    if (process.env.PICOHUB_REQUIRE_SERVICE === '1') assert.fail(`the service API did not start: ${info.serviceApiProblem}`);
    skip = `port 443 not available (${info.serviceApiProblem})`;
    console.log(`# skipping service API tests: ${skip}`);
  }
});

after(async () => {
  if (dir) {
    await cli('hub', 'stop');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function sas(policy, key, se = Math.floor(Date.now() / 1000) + 3600) {
  const sig = crypto.createHmac('sha256', Buffer.from(key, 'base64')).update(`localhost\n${se}`).digest('base64');
  return `SharedAccessSignature sr=localhost&sig=${encodeURIComponent(sig)}&skn=${policy}&se=${se}`;
}

// One HTTPS request to the gateway; resolves {status, body}.
function call(method, route, { auth, body, headers = {} } = {}) {
  return withTimeout(new Promise((resolve, reject) => {
    const req = https.request({ host: 'localhost', port: 443, method, path: `${route}?api-version=2021-04-12`,
      ca: fs.readFileSync(ca), headers: { Authorization: auth, 'Content-Type': 'application/json; charset=utf-8', ...headers } },
    (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  }), 15000, `${method} ${route}`);
}

async function policyKey(policy) {
  const cs = (await cliJson('hub', 'connection-string', '--policy', policy)).connectionString;
  return { cs, key: cs.split('SharedAccessKey=')[1] };
}

test('azure-iothub: registry, modules, twins with etags, methods, C2D over REST', async (t) => {
  if (skip) return t.skip(skip);
  const { cs } = await policyKey('iothubowner');
  const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'service_api_sdk.mjs');
  const r = await new Promise((resolve) => {
    execFile(process.execPath, [child], {
      timeout: 50000,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: ca, PICOHUB_SERVICE_CS: cs, PICOHUB_MQTT_PORT: String(port) },
    }, (error, stdout, stderr) => resolve({ error, stdout, stderr }));
  });
  console.log(r.stdout);
  assert.equal(r.error, null, `${r.stdout}\n${r.stderr}`);
});

test('refusals: wrong key, expired token, policy without the right, malformed JSON, oversized body, unknown route', async (t) => {
  if (skip) return t.skip(skip);
  const owner = await policyKey('iothubowner');
  const reader = await policyKey('registryRead');
  const good = sas('iothubowner', owner.key);

  const wrongKey = await call('GET', '/devices', { auth: sas('iothubowner', reader.key) });
  assert.equal(wrongKey.status, 401);
  assert.match(wrongKey.body.Message, /^ErrorCode:IotHubUnauthorizedAccess;/);
  assert.equal(wrongKey.type, 'application/json; charset=utf-8');
  assert.equal((await call('GET', '/devices', { auth: sas('iothubowner', owner.key, 1000) })).status, 401);

  assert.equal((await call('GET', '/devices', { auth: sas('registryRead', reader.key) })).status, 200);
  const denied = await call('PUT', '/devices/ro1', { auth: sas('registryRead', reader.key), body: '{"deviceId":"ro1"}' });
  assert.equal(denied.status, 401);
  assert.equal((await call('GET', '/devices/ro1', { auth: good })).status, 404, 'nothing was created');

  assert.equal((await call('PUT', '/devices/bad', { auth: good, body: '{"deviceId":' })).status, 400);
  const big = await call('PUT', '/devices/big', { auth: good, body: JSON.stringify({ deviceId: 'big', pad: 'x'.repeat(300 * 1024) }) })
    .catch((e) => ({ status: `connection error ${e.code}` }));
  assert.equal(big.status, 413);
  const unknown = await call('GET', '/nowhere/at/all', { auth: good });
  assert.equal(unknown.status, 404);
  assert.match(unknown.body.Message, /^ErrorCode:/);
  const stats = await call('GET', '/statistics/devices', { auth: good });
  assert.equal(stats.status, 200);
  assert.equal(typeof stats.body.totalDeviceCount, 'number');
});

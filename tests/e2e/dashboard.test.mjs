// The web dashboard (web/, served by picohub-gateway at /): its files with the right types, uPlot from npm,
// path traversal refused, and the page's own modules (web/js/sas.js + api.js, imported in Node) signing in
// with the service connection string and driving the REST calls and the live telemetry feed the page uses,
// against a hub whose gateway listens on a free port. The client half runs in a child Node started with
// NODE_EXTRA_CA_CERTS = the hub's CA (fetch() trusts only that), like service_api.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, picohubCli } from './harness.mjs';

let dir;
let info;
const { cli, cliJson } = picohubCli(() => dir);

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'picohub-dash-'));
  const [port, servicePort] = [await freePort(), await freePort()];
  const r = await cli('hub', 'start', '--port', String(port), '--service-port', String(servicePort), '--json');
  assert.equal(r.code, 0, `hub start failed: ${r.stderr}`);
  info = JSON.parse(r.stdout);
  assert.ok(info.gatewayPid, `the gateway did not start: ${info.serviceApiProblem}`);
  assert.equal(info.dashboardUrl, `https://localhost:${servicePort}/`);
});

after(async () => {
  if (dir) {
    await cli('hub', 'stop');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('dashboard: files, traversal refused, sign-in with the page modules, registry, live feed, C2D feedback, twin, method', async () => {
  const cs = async (policy) => (await cliJson('hub', 'connection-string', '--policy', policy)).connectionString;
  const [ownerCs, readerCs] = [await cs('iothubowner'), await cs('registryRead')];
  const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dashboard_client.mjs');
  const r = await new Promise((resolve) => {
    execFile(process.execPath, [child], {
      timeout: 50000,
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: info.caFile,
        PICOHUB_DASHBOARD_URL: info.dashboardUrl,
        PICOHUB_SERVICE_CS: ownerCs,
        PICOHUB_READER_CS: readerCs,
        PICOHUB_MQTT_PORT: String(info.port),
      },
    }, (error, stdout, stderr) => resolve({ error, stdout, stderr }));
  });
  console.log(r.stdout);
  assert.equal(r.error, null, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /all dashboard checks passed/);
});

// X.509 client certificates at the local hub (issue 11 §7), proven with Microsoft's Node device SDK
// (azure-iot-device + azure-iot-device-mqtt): an x509=true connection string, client.setOptions({cert, key}),
// telemetry seen by picohub monitor; a CA-signed device accepted; a certificate the hub does not know refused.
// The SDK builds an x509 client's endpoint from HostName only (no GatewayHostName), so the test hands it the
// same credentials with gatewayHostName set, as fromConnectionString would on the hub's real port 8883.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, picohubCli, require, withTimeout } from './harness.mjs';

const { Client, Message, X509AuthenticationProvider } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');
const { ConnectionString, NoRetry } = require('azure-iot-common');

let dir;
let port;
let ca;
const open = new Set();
const { cli, cliOk, cliJson } = picohubCli(() => dir);

// An x509=true connection string, with the endpoint this local hub listens on.
async function x509Client(cs, certFile, keyFile) {
  const cn = ConnectionString.parse(cs);
  assert.equal(cn.x509, 'true', `not an x509 connection string: ${cs}`);
  const provider = new X509AuthenticationProvider({ host: cn.HostName, deviceId: cn.DeviceId,
    gatewayHostName: `localhost:${port}` });
  const client = Client.fromAuthenticationProvider(provider, Mqtt);
  await withTimeout(client.setOptions({ cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8'),
    ca: fs.readFileSync(ca, 'utf8') }), 5000, 'setOptions');
  client.setRetryPolicy(new NoRetry());
  client.on('error', () => {});
  open.add(client);
  return client;
}

async function closeClient(client) {
  open.delete(client);
  await withTimeout(client.close().catch(() => {}), 10000, 'client.close');
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'picohub-e2e-x509-'));
  port = await freePort();
  const r = await cli('hub', 'start', '--port', String(port), '--json');
  assert.equal(r.code, 0, `hub start failed: ${r.stderr}`);
  ca = JSON.parse(r.stdout).caFile;
});

after(async () => {
  for (const c of [...open]) await closeClient(c);
  if (dir) {
    await cli('hub', 'stop');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a self-signed device (picohub device cert) sends telemetry with the Node SDK over X.509', async () => {
  const made = await cliJson('device', 'cert', 'node-x509', '--out', path.join(dir, 'certs'));
  assert.equal(made.device.authType, 'selfSigned');
  const client = await x509Client(made.connectionString, made.certFile, made.keyFile);
  await withTimeout(client.open(), 15000, 'open over X.509');
  for (let i = 1; i <= 3; ++i) {
    await withTimeout(client.sendEvent(new Message(JSON.stringify({ n: i, auth: 'x509' }))), 15000, `sendEvent ${i}`);
  }
  await closeClient(client);
  const seen = (await cliOk('monitor', '--device', 'node-x509', '--since', '10m', '--json', '--count', '3',
    '--timeout', '10')).trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(seen.length, 3);
  assert.deepEqual(seen.map((e) => JSON.parse(typeof e.body === 'string' ? e.body : JSON.stringify(e.body)).n), [1, 2, 3]);
  console.log(`# node-x509: 3 messages sent over X.509, 3 seen by picohub monitor`);
});

test('a CA-signed device is accepted and a certificate the hub does not know is refused', async () => {
  await cliOk('ca', 'create', 'node-ca', '--out', path.join(dir, 'ca'));
  const made = await cliJson('device', 'cert', 'node-ca-dev', '--out', path.join(dir, 'ca'),
    '--ca-cert', path.join(dir, 'ca', 'node-ca.crt'), '--ca-key', path.join(dir, 'ca', 'node-ca.key'));
  assert.equal(made.device.authType, 'certificateAuthority');
  const good = await x509Client(made.connectionString, made.certFile, made.keyFile);
  await withTimeout(good.open(), 15000, 'open CA-signed');
  await withTimeout(good.sendEvent(new Message('from a CA-signed device')), 15000, 'sendEvent CA-signed');
  await closeClient(good);

  // Another self-signed certificate presented for node-ca-dev: no registered CA signed it.
  const stranger = await cliJson('device', 'cert', 'stranger', '--out', path.join(dir, 'stranger'));
  await cliOk('device', 'delete', 'stranger');
  const bad = await x509Client(made.connectionString, stranger.certFile, stranger.keyFile);
  await assert.rejects(withTimeout(bad.open(), 15000, 'open with an unknown certificate'),
    (err) => /Unauthorized|not authorized|refused/i.test(`${err.name} ${err.message}`));
  await closeClient(bad);
  const log = fs.readFileSync(path.join(dir, 'mosquitto.log'), 'utf8');
  assert.match(log, /refused node-ca-dev: certificate 'CN=stranger' does not chain to a CA registered with the hub/);
});

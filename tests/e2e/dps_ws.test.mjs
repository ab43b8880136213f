// DPS over WebSockets (issue 11 §3 + §5) with Microsoft's Node provisioning client: azure-iot-provisioning-device-mqtt's
// MqttWs registers at wss://<dps host>/$iothub/websocket on the gateway's HTTPS port (a free one here: the SDK's
// URI with :443 replaced, nothing else), then azure-iot-device-mqtt's MqttWs sends one message as the assigned
// device on the same port. Both connections must reach the broker only through the gateway's bridge: every broker
// connection of the registration id (mosquitto.log) comes from a local port the gateway logged as a bridge.
// Needs PICOHUB_BIN and PICOHUB_MQTT_WS=1 (ctest dps_ws_e2e sets both; inside hub_cli_node_sdk_fidelity it skips).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, picohubCli } from './harness.mjs';

const skip = process.env.PICOHUB_MQTT_WS !== '1' && 'set PICOHUB_MQTT_WS=1 (ctest dps_ws_e2e does)';

let dir;
let port;
let servicePort;
let ca;
let scope;
const { cli, cliOk, cliJson } = picohubCli(() => dir);

// dps_node_client.mjs over WebSockets with the hub's CA trusted; resolves its JSON line.
function nodeRegisterWs(registrationId, key) {
  return new Promise((resolve) => {
    execFile(process.execPath, [new URL('./dps_node_client.mjs', import.meta.url).pathname, 'localhost', scope,
      registrationId, key, '--ws', String(servicePort)], { timeout: 50000, env: { ...process.env, NODE_EXTRA_CA_CERTS: ca } },
    (error, stdout, stderr) => {
      try { resolve(JSON.parse(stdout.trim().split('\n').pop())); } catch { resolve({ error: `no JSON: ${stdout} ${stderr}` }); }
    });
  });
}

// Local ports the broker saw `clientId` connect from (mosquitto.log), and those the gateway bridged from.
function brokerPorts(clientId) {
  const log = fs.readFileSync(path.join(dir, 'mosquitto.log'), 'utf8');
  const re = new RegExp(`New client connected from [^ ]*:(\\d+) as ${clientId} `, 'g');
  return [...log.matchAll(re)].map((m) => m[1]);
}
function bridgedPorts() {
  const log = fs.readFileSync(path.join(dir, 'gateway.log'), 'utf8');
  return new Set([...log.matchAll(/bridged to the broker from [^ ]*:(\d+)/g)].map((m) => m[1]));
}

before(async () => {
  if (skip) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'picohub-dpsws-'));
  port = await freePort();
  servicePort = await freePort();
  const r = await cli('hub', 'start', '--port', String(port), '--service-port', String(servicePort), '--amqp-port', '0',
                      '--json');
  assert.equal(r.code, 0, `hub start failed: ${r.stderr}`);
  ca = JSON.parse(r.stdout).caFile;
  scope = (await cliJson('dps', 'id-scope')).idScope;
});

after(async () => {
  if (!dir) return;
  await cli('hub', 'stop');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('Node DPS MqttWs: individual enrollment registers and sends over WebSockets only', { skip }, async () => {
  const enrollment = await cliJson('dps', 'enrollment', 'create', 'ws-node-1');
  const out = await nodeRegisterWs('ws-node-1', enrollment.primaryKey);
  assert.equal(out.error, undefined, out.error);
  assert.equal(out.registration.status, 'assigned');
  assert.equal(out.registration.substatus, 'initialAssignment');
  assert.equal(out.registration.assignedHub, `localhost:${port}`);
  assert.equal(out.registration.deviceId, 'ws-node-1');
  assert.equal(out.sent, 1);
  const device = await cliJson('device', 'show', 'ws-node-1');
  assert.equal(device.primaryKey, enrollment.primaryKey);
  assert.notEqual(device.lastActivityTime, null);
  // The registration id is the client id of both connections (DPS's and the hub's): 2 broker connections.
  const seen = brokerPorts('ws-node-1');
  const bridged = bridgedPorts();
  assert.equal(seen.length, 2, `broker connections of ws-node-1: ${seen}`);
  for (const p of seen) assert.ok(bridged.has(p), `broker connection from port ${p} did not come through the gateway`);
  console.log(`MqttWs DPS: assigned ws-node-1 to ${out.registration.assignedHub}; 1 message sent; ` +
              `${seen.length}/${seen.length} broker connections bridged from wss`);
});

test('Node DPS MqttWs: group enrollment with the derived key; a wrong key is refused', { skip }, async () => {
  const group = await cliJson('dps', 'enrollment', 'create', 'ws-line', '--group');
  const derived = crypto.createHmac('sha256', Buffer.from(group.primaryKey, 'base64')).update('ws-sensor-7')
    .digest('base64');
  const out = await nodeRegisterWs('ws-sensor-7', derived);
  assert.equal(out.error, undefined, out.error);
  assert.equal(out.registration.deviceId, 'ws-sensor-7');
  assert.equal(out.sent, 1);
  assert.equal((await cliJson('device', 'show', 'ws-sensor-7')).primaryKey, derived);
  const wrong = await nodeRegisterWs('ws-sensor-8', 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=');
  assert.notEqual(wrong.error, undefined, 'registration with a wrong key must fail');
  assert.notEqual((await cli('device', 'show', 'ws-sensor-8')).code, 0, 'no device was created');
});

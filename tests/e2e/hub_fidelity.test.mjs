// Fidelity of the picohub local hub, proven with Microsoft's Node device SDK (azure-iot-device 1.18.4 +
// azure-iot-device-mqtt 1.16.4) as an independent client, driven by the picohub CLI as the service side.
// Needs: PICOHUB_BIN (the picohub executable); PICOHUB_PLUGIN if the plugin is not beside it in the build tree.
// Every wait is bounded; the hub runs on a free loopback port in a temporary data directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bin, freePort, picohubCli, require, withTimeout } from './harness.mjs';

const { Client, ModuleClient, Message, SharedAccessSignatureAuthenticationProvider } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');
const { NoRetry } = require('azure-iot-common');

let dir;
let port;
let ca;
const open = new Set();
const { cli, cliOk, cliJson } = picohubCli(() => dir);

async function connectionString(id) {
  return (await cliJson('device', 'connection-string', id, '--gateway')).connectionString;
}

// Listeners are attached by `setup` BEFORE open(): a queued C2D flows right after CONNACK.
function makeClient(cs, setup = () => {}) {
  const client = Client.fromConnectionString(cs, Mqtt);
  return prepare(client, setup);
}
// setOptions is asynchronous (it first tries `ca` as a file path): wait for it before open().
async function prepare(client, setup) {
  await withTimeout(client.setOptions({ ca: fs.readFileSync(ca, 'utf8') }), 5000, 'setOptions');
  client.setRetryPolicy(new NoRetry());
  client.on('error', () => {});
  setup(client);
  open.add(client);
  return client;
}
async function closeClient(client) {
  open.delete(client);
  await withTimeout(client.close().catch(() => {}), 10000, 'client.close');
}

function waitFor(emitterFn, ms, what) {
  return withTimeout(new Promise(emitterFn), ms, what);
}

async function hubStart() {
  const r = await cli('hub', 'start', '--port', String(port), '--json');
  assert.equal(r.code, 0, `hub start failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'picohub-e2e-'));
  port = await freePort();
  const info = await hubStart();
  assert.equal(info.running, true);
  assert.equal(info.port, port);
  ca = info.caFile;
  for (const id of ['dev1', 'dev2', 'queue50', 'off1']) await cliOk('device', 'create', id);
});

after(async () => {
  for (const c of [...open]) await closeClient(c);
  if (dir) {
    await cli('hub', 'stop');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('telemetry with messageId, contentType and application properties is seen by picohub monitor --json', async () => {
  const client = await makeClient(await connectionString('dev1'));
  await withTimeout(client.open(), 15000, 'open dev1');
  const monitor = spawn(bin, ['monitor', '--device', 'dev1', '--json', '--count', '2', '--timeout', '30', '--data-dir', dir]);
  let out = '';
  monitor.stdout.on('data', (d) => { out += d; });
  await waitFor((resolve) => monitor.stderr.on('data', (d) => { if (String(d).includes('monitoring')) resolve(); }), 15000,
    'monitor ready');
  const exited = new Promise((resolve) => monitor.on('exit', resolve));
  const m1 = new Message(JSON.stringify({ temperature: 21.5 }));
  m1.messageId = 'msg-1';
  m1.contentType = 'application/json';
  m1.contentEncoding = 'utf-8';
  m1.properties.add('alert', 'high');
  await withTimeout(client.sendEvent(m1), 15000, 'sendEvent 1');
  await withTimeout(client.sendEvent(new Message('plain text')), 15000, 'sendEvent 2');
  const code = await withTimeout(exited, 35000, 'monitor exit');
  assert.equal(code, 0);
  const events = out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(events.length, 2);
  assert.equal(events[0].deviceId, 'dev1');
  assert.equal(events[0].systemProperties['message-id'], 'msg-1');
  assert.equal(events[0].systemProperties['content-type'], 'application/json');
  assert.equal(events[0].properties.alert, 'high');
  assert.deepEqual(events[0].payload, { temperature: 21.5 });
  assert.equal(events[1].payload, 'plain text');
  assert.ok(events[1].sequence > events[0].sequence);
  // The same messages can be replayed from the hub's log.
  const replay = (await cliOk('monitor', '--device', 'dev1', '--since', '10m', '--json', '--count', '2', '--timeout', '5'))
    .trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(replay.map((e) => e.systemProperties['message-id']), ['msg-1', events[1].systemProperties['message-id']]);
  await closeClient(client);
});

test('C2D sent by picohub c2d send arrives with its properties', async () => {
  let onMessage;
  const received = new Promise((resolve) => { onMessage = resolve; });
  const client = await makeClient(await connectionString('dev1'), (c) => c.on('message', (msg) => onMessage(msg)));
  await withTimeout(client.open(), 15000, 'open dev1');
  await cliOk('c2d', 'send', 'dev1', '--data', '{"led":"on"}', '--prop', 'color=blue', '--mid', 'c2d-1', '--cid', 'corr-1',
    '--ack', 'full', '--ct', 'application/json');
  const msg = await withTimeout(received, 15000, 'C2D message');
  assert.equal(msg.data.toString(), '{"led":"on"}');
  assert.equal(msg.messageId, 'c2d-1');
  assert.equal(msg.correlationId, 'corr-1');
  assert.equal(msg.properties.getValue('color'), 'blue');
  await closeClient(client);
});

test('twin: get, reported patch seen by picohub twin show, desired patch from picohub twin update', async () => {
  const client = await makeClient(await connectionString('dev1'));
  await withTimeout(client.open(), 15000, 'open dev1');
  const twin = await withTimeout(client.getTwin(), 15000, 'getTwin');
  assert.equal(typeof twin.properties.desired.$version, 'number');
  await withTimeout(new Promise((resolve, reject) =>
    twin.properties.reported.update({ firmware: '1.2.3', temp: 20 }, (e) => (e ? reject(e) : resolve()))), 15000, 'reported');
  const shown = await cliJson('twin', 'show', 'dev1');
  assert.equal(shown.properties.reported.firmware, '1.2.3');
  const desired = waitFor((resolve) => twin.on('properties.desired', (patch) => { if (patch.interval === 7) resolve(patch); }),
    15000, 'desired patch');
  // Give the SDK's desired-properties subscription a moment to be in place before patching.
  await new Promise((r) => setTimeout(r, 500));
  const updated = await cliJson('twin', 'update', 'dev1', '--desired', '{"interval":7}');
  assert.equal(updated.properties.desired.interval, 7);
  const patch = await desired;
  assert.equal(patch.$version, updated.properties.desired.$version);
  await closeClient(client);
});

test('direct method answered by the SDK is printed by picohub method invoke', async () => {
  const client = await makeClient(await connectionString('dev1'), (c) => c.onDeviceMethod('reboot', (request, response) => {
    response.send(201, { echoed: request.payload, ok: true }, () => {});
  }));
  await withTimeout(client.open(), 15000, 'open dev1');
  await new Promise((r) => setTimeout(r, 500));  // the methods subscription is sent right after CONNACK
  const result = await cliJson('method', 'invoke', 'dev1', 'reboot', '--payload', '{"delay":3}', '--timeout', '10');
  assert.equal(result.status, 201);
  assert.deepEqual(result.payload, { echoed: { delay: 3 }, ok: true });
  const human = await cliOk('method', 'invoke', 'dev1', 'reboot', '--timeout', '10');
  assert.match(human, /^status 201/);
  await closeClient(client);
  const offline = await cli('method', 'invoke', 'dev1', 'reboot', '--timeout', '5');
  assert.notEqual(offline.code, 0);
  assert.match(offline.stderr, /not online \(404103\)/);
});

async function assertRefused(client, what) {
  await assert.rejects(withTimeout(client.open(), 20000, `open ${what}`), (e) => {
    assert.match(`${e.name} ${e.message}`, /Not authorized|Unauthorized|Bad username/i, `${what}: ${e.name} ${e.message}`);
    return true;
  });
  open.delete(client);
}

test('wrong key, expired token, unknown device and disabled device are refused (CONNACK 5)', async () => {
  const cs = await connectionString('dev2');
  const wrongKey = cs.replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${Buffer.alloc(32, 7).toString('base64')}`);
  await assertRefused(await makeClient(wrongKey), 'wrong key');

  const expired = JSON.parse(await cliOk('sas-token', '--device', 'dev2', '--ttl=-900', '--json')).sas;
  const provider = SharedAccessSignatureAuthenticationProvider.fromSharedAccessSignature(expired);
  provider._credentials.gatewayHostName = `localhost:${port}`;
  await assertRefused(await prepare(Client.fromAuthenticationProvider(provider, Mqtt), () => {}), 'expired token');

  await assertRefused(await makeClient(cs.replace('DeviceId=dev2', 'DeviceId=ghost')), 'unknown device');

  await cliOk('device', 'disable', 'dev2');
  await assertRefused(await makeClient(cs), 'disabled device');
  await cliOk('device', 'enable', 'dev2');
  const ok = await makeClient(cs);
  await withTimeout(ok.open(), 15000, 'open re-enabled dev2');
  await closeClient(ok);
});

test('C2D to an offline device is delivered on its next connect', async () => {
  await cliOk('c2d', 'send', 'off1', '--data', 'while you were away', '--mid', 'offline-1', '--prop', 'k=v');
  const shown = await cliJson('device', 'show', 'off1');
  assert.equal(shown.c2dQueueDepth, 1);
  let onMessage;
  const received = new Promise((resolve) => { onMessage = resolve; });
  const client = await makeClient(await connectionString('off1'), (c) => c.on('message', (msg) => onMessage(msg)));
  await withTimeout(client.open(), 15000, 'open off1');
  const msg = await withTimeout(received, 15000, 'queued C2D');
  assert.equal(msg.messageId, 'offline-1');
  assert.equal(msg.data.toString(), 'while you were away');
  assert.equal(msg.properties.getValue('k'), 'v');
  await closeClient(client);
});

test('the C2D queue stops at 50: picohub c2d send fails with 403004', async () => {
  for (let i = 0; i < 50; i++) await cliOk('c2d', 'send', 'queue50', '--data', `m${i}`);
  const r = await cli('c2d', 'send', 'queue50', '--data', 'one too many');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /50 cloud-to-device messages waiting.*403004/);
  const j = await cli('c2d', 'send', 'queue50', '--data', 'one too many', '--json');
  assert.equal(JSON.parse(j.stdout).error.errorCode, 403004);
});

test('module identity: own connection string, telemetry with moduleId, module twin and module method', async () => {
  await cliOk('module', 'create', 'dev2', 'filter');
  const cs = (await cliJson('module', 'connection-string', 'dev2', 'filter', '--gateway')).connectionString;
  assert.match(cs, /;DeviceId=dev2;ModuleId=filter;SharedAccessKey=/);
  const client = ModuleClient.fromConnectionString(cs, Mqtt);
  await prepare(client, (c) => c.onMethod('ping', (request, response) => response.send(200, { pong: request.payload }, () => {})));
  await withTimeout(client.open(), 15000, 'open dev2/filter');
  const monitor = spawn(bin, ['monitor', '--device', 'dev2', '--json', '--count', '1', '--timeout', '30', '--data-dir', dir]);
  let out = '';
  monitor.stdout.on('data', (d) => { out += d; });
  await waitFor((resolve) => monitor.stderr.on('data', (d) => { if (String(d).includes('monitoring')) resolve(); }), 15000,
    'monitor ready');
  const exited = new Promise((resolve) => monitor.on('exit', resolve));
  await withTimeout(client.sendEvent(new Message('{"from":"module"}')), 15000, 'module sendEvent');
  assert.equal(await withTimeout(exited, 35000, 'monitor exit'), 0);
  const event = JSON.parse(out.trim());
  assert.equal(event.moduleId, 'filter');
  assert.equal(event.systemProperties['iothub-connection-module-id'], 'filter');

  const twin = await withTimeout(client.getTwin(), 15000, 'module getTwin');
  await withTimeout(new Promise((resolve, reject) =>
    twin.properties.reported.update({ stage: 'filtering' }, (e) => (e ? reject(e) : resolve()))), 15000, 'module reported');
  const moduleTwin = await cliJson('twin', 'show', 'dev2', '--module', 'filter');
  assert.equal(moduleTwin.moduleId, 'filter');
  assert.equal(moduleTwin.properties.reported.stage, 'filtering');
  const deviceTwin = await cliJson('twin', 'show', 'dev2');
  assert.equal(deviceTwin.properties.reported.stage, undefined);

  await new Promise((r) => setTimeout(r, 500));  // the methods subscription follows CONNACK
  const result = await cliJson('method', 'invoke', 'dev2', 'ping', '--module', 'filter', '--payload', '7', '--timeout', '10');
  assert.deepEqual(result, { status: 200, payload: { pong: 7 } });

  // Deleting the module disconnects it; it cannot connect again, not even with the device's key.
  await cliOk('module', 'delete', 'dev2', 'filter');
  await closeClient(client);
  const again = ModuleClient.fromConnectionString(cs, Mqtt);
  await prepare(again, () => {});
  await assertRefused(again, 'deleted module');
  const deviceKey = (await cliJson('device', 'show', 'dev2')).primaryKey;
  const withDeviceKey = ModuleClient.fromConnectionString(cs.replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${deviceKey}`), Mqtt);
  await prepare(withDeviceKey, () => {});
  await assertRefused(withDeviceKey, 'module with the device key');
});

test('kill -9 of mosquitto, then picohub hub start: devices, twin and queued C2D survive', async () => {
  const pid = Number(fs.readFileSync(path.join(dir, 'mosquitto.pid'), 'utf8'));
  process.kill(pid, 'SIGKILL');
  const status = await waitFor((resolve) => {
    const poll = async () => { const s = await cli('hub', 'status'); if (s.code !== 0) resolve(s); else setTimeout(poll, 200); };
    poll();
  }, 15000, 'hub seen as stopped');
  assert.match(status.stdout, /not running/);
  await hubStart();
  const devices = await cliJson('device', 'list');
  assert.deepEqual(devices.map((d) => d.deviceId).sort(), ['dev1', 'dev2', 'off1', 'queue50']);
  const twin = await cliJson('twin', 'show', 'dev1');
  assert.equal(twin.properties.reported.firmware, '1.2.3');
  assert.equal(twin.properties.desired.interval, 7);
  assert.equal((await cliJson('device', 'show', 'queue50')).c2dQueueDepth, 50);
  // And the queue is really delivered after the restart.
  const got = [];
  const all = new Promise((resolve) => { got.resolve = resolve; });
  const client = await makeClient(await connectionString('queue50'), (c) => c.on('message', (msg) => {
    got.push(msg.data.toString());
    if (got.length === 50) got.resolve();
  }));
  await withTimeout(client.open(), 15000, 'open queue50');
  await withTimeout(all, 30000, '50 queued messages');
  assert.equal(got[0], 'm0');
  assert.equal(got[49], 'm49');
  await closeClient(client);
});

// The client half of dashboard.test.mjs (run with NODE_EXTRA_CA_CERTS = the hub's CA). Uses the page's own
// modules for everything the page does; Microsoft's Node device SDK plays the device. Exits non-zero on the
// first failed check.
import assert from 'node:assert/strict';
import https from 'node:https';
import { require, withTimeout } from './harness.mjs';
import { parseServiceConnectionString, deviceToken, deviceConnectionString } from '../../web/js/sas.js';
import { HubApi } from '../../web/js/api.js';
import { numericFields, parsePayload } from '../../web/js/chart.js';

const { Client, Message, SharedAccessSignatureAuthenticationProvider } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');
const { NoRetry } = require('azure-iot-common');

const base = process.env.PICOHUB_DASHBOARD_URL.replace(/\/$/, '');
const mqttPort = process.env.PICOHUB_MQTT_PORT;
const step = (what) => console.log(`ok - ${what}`);

// A raw GET with the path sent exactly as written (fetch() would normalise "..").
function rawGet(pathAsSent, headers = {}) {
  const url = new URL(base);
  return withTimeout(new Promise((resolve, reject) => {
    const req = https.request({ host: url.hostname, port: url.port, path: pathAsSent, headers }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], text }));
    });
    req.on('error', reject);
    req.end();
  }), 10000, `GET ${pathAsSent}`);
}

async function expectFile(route, type, contains) {
  const res = await fetch(base + route);
  assert.equal(res.status, 200, route);
  assert.equal(res.headers.get('content-type'), type, route);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', route);
  const text = await res.text();
  if (contains) assert.ok(text.includes(contains), `${route} lacks ${contains}`);
}

async function files() {
  await expectFile('/', 'text/html; charset=utf-8', '/web/js/app.js');
  const page = await fetch(`${base}/`);
  assert.match(page.headers.get('content-security-policy'), /default-src 'self'/);
  await expectFile('/web/js/app.js', 'text/javascript; charset=utf-8', "from './api.js'");
  for (const m of ['api', 'sas', 'chart']) await expectFile(`/web/js/${m}.js`, 'text/javascript; charset=utf-8', 'export ');
  await expectFile('/web/dashboard.css', 'text/css; charset=utf-8');
  await expectFile('/vendor/uplot/uPlot.esm.js', 'text/javascript; charset=utf-8', 'export');
  await expectFile('/vendor/uplot/uPlot.min.css', 'text/css; charset=utf-8', '.uplot');
  assert.equal((await fetch(`${base}/web/js/missing.js`)).status, 404);
  step('index, page modules, CSS and uPlot served with their content types');

  for (const p of ['/web/../../hub.json', '/web/%2e%2e/%2e%2e/hub.json', '/web/js/..%2f..%2f..%2fhub.json',
    '/vendor/uplot/../../../package.json', '/vendor/uplot/%2E%2E/%2E%2E/%2E%2E/%2E%2E/hub.json', '/web/.picohub']) {
    const res = await rawGet(p);
    assert.equal(res.status, 403, `${p} → ${res.status}`);
    assert.ok(!res.text.includes('primaryKey') && !res.text.includes('"dependencies"'), `${p} leaked a file`);
  }
  step('path traversal refused (403, nothing served)');
}

async function feedRefusals(api) {
  const none = await fetch(`${base}/picohub/v1/telemetry`);
  assert.equal(none.status, 401);
  assert.match((await none.json()).Message, /^ErrorCode:IotHubUnauthorizedAccess;/);
  const reader = new HubApi(parseServiceConnectionString(process.env.PICOHUB_READER_CS), base);
  await assert.rejects(reader.openFeed({ onEvent() {} }), (e) => e.status === 401 && e.code === 'IotHubUnauthorizedAccess');
  const bad = await fetch(`${base}/picohub/v1/telemetry?deviceId=%23`, { headers: { Authorization: await api.authorization() } });
  assert.equal(bad.status, 400);
  step('feed refused without a token (401), with a registryRead token (401) and for a wildcard id (400)');
}

// The device connects with a SAS token alone (no key), at the hub's MQTT port.
async function openDevice(sas) {
  const provider = SharedAccessSignatureAuthenticationProvider.fromSharedAccessSignature(sas);
  provider._credentials.gatewayHostName = `localhost:${mqttPort}`;
  const client = Client.fromAuthenticationProvider(provider, Mqtt);
  client.setRetryPolicy(new NoRetry());
  client.on('error', () => {});
  await withTimeout(client.open(), 10000, 'device open');
  return client;
}

async function main() {
  await files();
  const service = parseServiceConnectionString(process.env.PICOHUB_SERVICE_CS);
  const api = new HubApi(service, base);
  await feedRefusals(api);

  const id = `dash-${process.pid}`;
  const created = await api.createDevice(id);
  const key = created.authentication.symmetricKey.primaryKey;
  assert.ok(key, 'the hub generated keys');
  const listed = (await api.listDevices()).find((d) => d.deviceId === id);
  assert.equal(listed.connectionState, 'Disconnected');
  await api.createModule(id, 'm1');
  assert.deepEqual((await api.listModules(id)).map((m) => m.moduleId), ['m1']);
  await api.deleteModule(id, 'm1');
  assert.deepEqual(await api.listModules(id), []);
  step('signed in with the page modules: device created, listed, module added and deleted');

  // The page's device SAS token (its "SAS token" button) is what the device connects with.
  const token = await deviceToken(service.hostName, id, key, 600);
  const device = await openDevice(token);
  // The SDK subscribes to methods in the background: the invoke below retries while the hub says not online.
  device.onDeviceMethod('getStatus', (req, res) => res.send(200, { ok: true, echo: req.payload }, () => {}));
  assert.equal(deviceConnectionString(service.hostName, id, key), `HostName=${service.hostName};DeviceId=${id};SharedAccessKey=${key}`);
  assert.equal((await api.getDevice(id)).connectionState, 'Connected');
  step('the device connected with the SAS token the page signed; the list shows it connected');

  const feedStop = new AbortController();
  let opened;
  const isOpen = new Promise((resolve) => { opened = resolve; });
  const received = [];
  let arrived;
  const gotEvent = new Promise((resolve) => { arrived = resolve; });
  const feedDone = api.openFeed({ deviceId: id, signal: feedStop.signal, onOpen: opened,
    onEvent: (record) => { received.push(record); arrived(record); } });
  await withTimeout(isOpen, 10000, 'feed open');
  const message = new Message(JSON.stringify({ temperature: 21.5, humidity: 40, env: { pressure: 1013 }, note: 'x' }));
  message.properties.add('level', 'high');
  message.messageId = 'tele-1';
  await withTimeout(device.sendEvent(message), 10000, 'sendEvent');
  const record = await withTimeout(gotEvent, 10000, 'telemetry on the feed');
  assert.equal(record.deviceId, id);
  assert.equal(record.properties.level, 'high');
  assert.equal(record.systemProperties['message-id'], 'tele-1');
  assert.deepEqual(numericFields(parsePayload(record.body)), { temperature: 21.5, humidity: 40, 'env.pressure': 1013 });
  feedStop.abort();
  await withTimeout(feedDone, 5000, 'feed end');
  step('live feed delivered the telemetry with its properties; the chart fields are temperature, humidity, env.pressure');

  const c2d = new Promise((resolve) => device.on('message', (msg) => {
    device.complete(msg, () => {});
    resolve(msg);
  }));
  await api.sendC2d(id, '{"led":"on"}', { properties: { color: 'red' }, ack: 'full', messageId: 'c2d-1' });
  const got = await withTimeout(c2d, 10000, 'C2D at the device');
  assert.equal(got.data.toString(), '{"led":"on"}');
  assert.equal(got.properties.getValue('color'), 'red');
  let feedback = [];
  for (let i = 0; i < 40 && !feedback.some((f) => f.originalMessageId === 'c2d-1'); ++i) {
    feedback = feedback.concat(await api.feedback());
    if (!feedback.length) await new Promise((r) => setTimeout(r, 250));
  }
  const ack = feedback.find((f) => f.originalMessageId === 'c2d-1');
  assert.ok(ack, `no feedback for c2d-1: ${JSON.stringify(feedback)}`);
  assert.equal(ack.statusCode, 'Success');
  assert.equal(ack.deviceId, id);
  step('C2D with a property reached the device; its feedback came back as Success');

  const twin = await api.updateDesired(id, { interval: 7 });
  assert.equal(twin.properties.desired.interval, 7);
  assert.equal((await api.getTwin(id)).properties.desired.interval, 7);
  step('twin desired update');

  let result;
  for (let i = 0; i < 50 && !result; ++i) {
    result = await api.invokeMethod(id, 'getStatus', { x: 1 }, 10).catch((e) => {
      if (e.code !== 'DeviceNotOnline') throw e;
      return new Promise((r) => setTimeout(r, 100));
    });
  }
  assert.deepEqual(result, { status: 200, payload: { ok: true, echo: { x: 1 } } });
  step('direct method invoked');

  await withTimeout(device.close(), 10000, 'device close');
  await api.deleteDevice(id);
  assert.ok(!(await api.listDevices()).some((d) => d.deviceId === id));
  step('device deleted');
  console.log('all dashboard checks passed');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

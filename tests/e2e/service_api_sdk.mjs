// Run by service_api.test.mjs with NODE_EXTRA_CA_CERTS = the hub's CA (azure-iothub gives no way to pass a CA):
// Microsoft's service SDK (azure-iothub 1.16.6) against picohub-gateway on https://localhost:443, with a Node
// device SDK device answering methods. Exits non-zero on the first failed assertion. Every wait is bounded.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { require, withTimeout } from './harness.mjs';

const { Registry, Client: ServiceClient } = require('azure-iothub');
const { Client, ModuleClient } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');
const { NoRetry } = require('azure-iot-common');

const cs = process.env.PICOHUB_SERVICE_CS;
const mqttPort = process.env.PICOHUB_MQTT_PORT;
const ca = fs.readFileSync(process.env.NODE_EXTRA_CA_CERTS, 'utf8');
const registry = Registry.fromConnectionString(cs);
const service = ServiceClient.fromConnectionString(cs);
// A service SAS for the connection string's policy, as azure-iothub signs it (sr = the raw host name).
function serviceSas(connectionString) {
  const f = Object.fromEntries(connectionString.split(';').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const se = Math.floor(Date.now() / 1000) + 3600;
  const sig = crypto.createHmac('sha256', Buffer.from(f.SharedAccessKey, 'base64')).update(`${f.HostName}\n${se}`).digest('base64');
  return `SharedAccessSignature sr=${f.HostName}&sig=${encodeURIComponent(sig)}&skn=${f.SharedAccessKeyName}&se=${se}`;
}
const step = (what) => console.log(`ok - ${what}`);

async function expectError(promise, name, what) {
  await assert.rejects(promise, (e) => { assert.equal(e.constructor.name, name, `${what}: ${e}`); return true; });
  step(what);
}

async function main() {
  const created = (await registry.create({ deviceId: 'svc1' })).responseBody;
  assert.equal(created.deviceId, 'svc1');
  assert.ok(created.authentication.symmetricKey.primaryKey.length > 20, 'keys generated for empty keys');
  step('Registry.create generates keys');
  assert.equal((await registry.get('svc1')).responseBody.deviceId, 'svc1');
  assert.ok((await registry.list()).responseBody.some((d) => d.deviceId === 'svc1'));
  step('Registry.get / list');
  const updated = (await registry.update({ deviceId: 'svc1', status: 'disabled' })).responseBody;
  assert.equal(updated.status, 'disabled');
  await registry.update({ deviceId: 'svc1', status: 'enabled' });
  step('Registry.update');
  await expectError(registry.create({ deviceId: 'svc1' }), 'DeviceAlreadyExistsError', 'create twice → DeviceAlreadyExistsError');
  await expectError(registry.get('nobody'), 'DeviceNotFoundError', 'get unknown → DeviceNotFoundError');

  await registry.addModule({ deviceId: 'svc1', moduleId: 'm1' });
  assert.equal((await registry.getModule('svc1', 'm1')).responseBody.moduleId, 'm1');
  assert.equal((await registry.getModulesOnDevice('svc1')).responseBody.length, 1);
  step('modules: add / get / list');

  const twin = (await registry.getTwin('svc1')).responseBody;
  const patched = (await registry.updateTwin('svc1', { properties: { desired: { color: 'red' } } }, twin.etag)).responseBody;
  assert.equal(patched.properties.desired.color, 'red');
  step('getTwin / updateTwin with the etag');
  await expectError(registry.updateTwin('svc1', { properties: { desired: { color: 'blue' } } }, twin.etag),
    'InvalidEtagError', 'updateTwin with a stale etag → 412 InvalidEtagError');
  const tagged = (await registry.updateTwin('svc1', { tags: { site: 'lab', floor: 2 } }, patched.etag)).responseBody;
  assert.deepEqual(tagged.tags, { site: 'lab', floor: 2 });
  assert.notEqual(tagged.etag, patched.etag);
  assert.deepEqual((await registry.getTwin('svc1')).responseBody.tags, { site: 'lab', floor: 2 });
  step('updateTwin tags: stored, new etag, read back');
  const moduleTwin = (await registry.getModuleTwin('svc1', 'm1')).responseBody;
  assert.equal(moduleTwin.moduleId, 'm1');
  step('getModuleTwin');

  // IoT Hub answers 404 DeviceNotOnline, which azure-iothub turns into a plain Error('Not found').
  await assert.rejects(service.invokeDeviceMethod('svc1', { methodName: 'ping', payload: {}, responseTimeoutInSeconds: 5, connectTimeoutInSeconds: 5 }),
    (e) => { assert.equal(e.message, 'Not found'); return true; });
  step('method to an offline device → 404 DeviceNotOnline');

  const deviceCs = `HostName=localhost;DeviceId=svc1;SharedAccessKey=${created.authentication.symmetricKey.primaryKey};GatewayHostName=localhost:${mqttPort}`;
  const device = Client.fromConnectionString(deviceCs, Mqtt);
  await withTimeout(device.setOptions({ ca }), 5000, 'setOptions');
  device.setRetryPolicy(new NoRetry());
  device.on('error', () => {});
  await withTimeout(device.open(), 15000, 'device open');
  device.onDeviceMethod('ping', (req, res) => res.send(200, { pong: req.payload }));
  device.onDeviceMethod('slow', () => {});
  const c2d = new Promise((resolve) => device.on('message', (m) => { device.complete(m, () => {}); resolve(m.data.toString()); }));
  await new Promise((r) => setTimeout(r, 500));  // the method subscription reaches the broker
  const result = (await service.invokeDeviceMethod('svc1', { methodName: 'ping', payload: { n: 1 }, responseTimeoutInSeconds: 10, connectTimeoutInSeconds: 5 })).result;
  assert.deepEqual(result, { status: 200, payload: { pong: { n: 1 } } });
  step('invokeDeviceMethod → {status, payload}');
  await expectError(service.invokeDeviceMethod('svc1', { methodName: 'slow', payload: null, responseTimeoutInSeconds: 5, connectTimeoutInSeconds: 5 }),
    'GatewayTimeoutError', 'method timeout → 504');

  const res = await fetch(`https://localhost/devices/svc1/messages/deviceBound?api-version=2021-04-12`, {
    method: 'POST', body: 'over-rest', headers: { Authorization: serviceSas(cs) },
  }).catch((e) => e);
  if (res instanceof Error) throw res;
  assert.equal(res.status, 204);
  assert.equal(await withTimeout(c2d, 10000, 'C2D over REST'), 'over-rest');
  step('C2D over REST received by the device SDK');
  await device.close();

  await registry.removeModule('svc1', 'm1');
  await registry.delete('svc1');
  await expectError(registry.get('svc1'), 'DeviceNotFoundError', 'removeModule / delete');
}

main().then(() => process.exit(0), (e) => { console.error(`not ok - ${e.stack || e}`); process.exit(1); });

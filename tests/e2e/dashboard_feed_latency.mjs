// One-off measurement (not a test): how long the dashboard's live feed takes to open and to deliver an event,
// with the page's own modules and the Node device SDK. Against a running hub whose gateway is on SERVICE_PORT:
//   PICOHUB_BIN=build/host/apps/cli/picohub NODE_EXTRA_CA_CERTS=DIR/ca.crt URL=https://localhost:SERVICE_PORT \
//   CS="<the service connection string: picohub hub connection-string --json>" MQTT=MQTT_PORT \
//   node tests/e2e/dashboard_feed_latency.mjs
import { require, withTimeout } from './harness.mjs';
import { parseServiceConnectionString, deviceToken } from '../../web/js/sas.js';
import { HubApi } from '../../web/js/api.js';
const { Client, Message, SharedAccessSignatureAuthenticationProvider } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');
const base = process.env.URL; const service = parseServiceConnectionString(process.env.CS);
const api = new HubApi(service, base);
const id = 'lat1'; const d = await api.createDevice(id);
const p = SharedAccessSignatureAuthenticationProvider.fromSharedAccessSignature(await deviceToken(service.hostName, id, d.authentication.symmetricKey.primaryKey, 600));
p._credentials.gatewayHostName = `localhost:${process.env.MQTT}`;
const c = Client.fromAuthenticationProvider(p, Mqtt); await c.open();
const stop = new AbortController(); let opened; const o = new Promise((r) => { opened = r; });
let waiter = null;
const t0 = performance.now();
const done = api.openFeed({ deviceId: id, signal: stop.signal, onOpen: () => { opened(); }, onEvent: () => waiter?.() });
await o; const openMs = performance.now() - t0;
const lat = [];
for (let i = 0; i < 100; ++i) {
  const got = new Promise((r) => { waiter = r; });
  const s = performance.now(); await c.sendEvent(new Message(JSON.stringify({ i })));
  await withTimeout(got, 5000, 'ev'); lat.push(performance.now() - s);
}
lat.sort((a, b) => a - b);
console.log(`feed open ${openMs.toFixed(1)} ms; send->event n=100 median ${lat[50].toFixed(2)} ms p90 ${lat[90].toFixed(2)} ms max ${lat[99].toFixed(2)} ms`);
stop.abort(); await done; await c.close(); await api.deleteDevice(id);

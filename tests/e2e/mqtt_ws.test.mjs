// MQTT over WebSockets through picohub-gateway (issue 11 §5) with Microsoft's Node device SDK: the MqttWs
// transport of azure-iot-device-mqtt sends telemetry (seen by `picohub monitor`) and receives a C2D from
// `picohub c2d send`. MqttWs always dials wss://<host>:443/$iothub/websocket; the only change here is that URI's
// port (a free one: the subclass below), so the test needs neither root nor the 443 lock. A plain HTTPS GET of
// the path without an upgrade gets 400. Needs PICOHUB_BIN and PICOHUB_MQTT_WS=1 (ctest's mqtt_ws_e2e sets both;
// inside hub_cli_node_sdk_fidelity, which runs every file of tests/e2e, it skips). Every wait is bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { bin, freePort, picohubCli, require, withTimeout } from './harness.mjs';

const skip = process.env.PICOHUB_MQTT_WS !== '1' && 'set PICOHUB_MQTT_WS=1 (ctest mqtt_ws_e2e does)';

let dir;
let servicePort;
let ca;
const open = new Set();
const { cli, cliOk, cliJson } = picohubCli(() => dir);

// The hub's CA for every TLS connection of this process (the WebSocket library opens its own).
function trustHubCa(caFile) {
  const all = [...tls.rootCertificates, fs.readFileSync(caFile, 'utf8')];
  const connect = tls.connect;
  tls.connect = (...args) => {
    const i = args.findIndex((a) => a && typeof a === 'object');
    if (i >= 0 && !args[i].ca) args[i] = { ...args[i], ca: all };
    return connect(...args);
  };
}

async function wsDevice(id, onMessage) {
  const { Client } = require('azure-iot-device');
  const { MqttWs } = require('azure-iot-device-mqtt');
  const { NoRetry } = require('azure-iot-common');
  // MqttWs with the gateway's free port instead of 443; everything else is the SDK's own.
  class MqttWsOnPort extends MqttWs {
    _getBaseTransportConfig(credentials) {
      const config = super._getBaseTransportConfig(credentials);
      config.uri = config.uri.replace(/:443\//, `:${servicePort}/`);
      return config;
    }
  }
  const cs = (await cliJson('device', 'connection-string', id)).connectionString;  // HostName=localhost only
  const client = Client.fromConnectionString(cs, MqttWsOnPort);
  await withTimeout(client.setOptions({ ca: fs.readFileSync(ca, 'utf8') }), 5000, 'setOptions');
  client.setRetryPolicy(new NoRetry());
  client.on('error', () => {});
  if (onMessage) client.on('message', (m) => onMessage(m, client));
  open.add(client);
  await withTimeout(client.open(), 15000, `device ${id} open over WebSockets`);
  return client;
}

before(async () => {
  if (skip) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'picohub-mqttws-'));
  const port = await freePort();
  servicePort = await freePort();
  const run = await cli('hub', 'start', '--port', String(port), '--service-port', String(servicePort), '--amqp-port',
                        '0', '--json');
  assert.equal(run.code, 0, `hub start failed: ${run.stderr}`);
  const started = JSON.parse(run.stdout);
  ca = started.caFile;
  assert.equal(started.webSocketUrl, `wss://localhost:${servicePort}/$iothub/websocket`);
  trustHubCa(ca);
});

after(async () => {
  for (const c of [...open]) await withTimeout(c.close().catch(() => {}), 10000, 'client.close').catch(() => {});
  if (dir) {
    await cli('hub', 'stop');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('MqttWs telemetry reaches the hub and a C2D reaches MqttWs', { skip }, async () => {
  await cliOk('device', 'create', 'wsnode');
  const count = 5;
  const monitor = spawn(bin, ['monitor', '--device', 'wsnode', '--count', String(count), '--timeout', '40', '--json',
                              '--data-dir', dir]);
  let seen = '';
  monitor.stdout.on('data', (d) => { seen += d; });
  const monitorDone = new Promise((resolve) => monitor.on('exit', resolve));
  await new Promise((r) => setTimeout(r, 1000));
  let received;
  const c2d = new Promise((resolve) => { received = resolve; });
  const client = await wsDevice('wsnode', (m, c) => { c.complete(m, () => {}); received(m); });
  const { Message } = require('azure-iot-device');
  for (let i = 1; i <= count; i++) {
    await withTimeout(client.sendEvent(new Message(JSON.stringify({ n: i, via: 'MqttWs' }))), 10000, `sendEvent ${i}`);
  }
  assert.equal(await withTimeout(monitorDone, 45000, 'monitor'), 0, `monitor: ${seen}`);
  const lines = seen.trim().split('\n').filter((l) => l.includes('"deviceId":"wsnode"'));
  assert.equal(lines.length, count, seen);
  await cliOk('c2d', 'send', 'wsnode', '--data', 'to MqttWs', '--mid', 'ws-1');
  const message = await withTimeout(c2d, 15000, 'C2D over WebSockets');
  assert.equal(message.data.toString(), 'to MqttWs');
  assert.equal(message.messageId, 'ws-1');
  console.log(`MqttWs: ${lines.length}/${count} telemetry messages seen by picohub monitor, C2D ws-1 received`);
});

test('a GET of /$iothub/websocket without an upgrade is answered 400', { skip }, async () => {
  const status = await withTimeout(new Promise((resolve, reject) => {
    https.get({ host: 'localhost', port: servicePort, path: '/$iothub/websocket', ca: fs.readFileSync(ca) },
              (res) => { res.resume(); resolve(res.statusCode); }).on('error', reject);
  }), 10000, 'GET');
  assert.equal(status, 400);
});

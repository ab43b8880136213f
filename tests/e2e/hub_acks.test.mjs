// The hub sees the device's PUBACK (mosquitto 2.0.11 + picohub's patch): with Microsoft's Node device SDK
// (azure-iot-device 1.18.4 + azure-iot-device-mqtt 1.16.4; it PUBACKs a C2D when its 'message' handler ran and
// connects with a persistent session, clean=false), a completed C2D is never delivered again, and desired-property
// patches keep arriving after `picohub hub stop` + `hub start` although the SDK does not subscribe again.
// Needs PICOHUB_BIN (ctest sets it). Every wait is bounded; the hub runs on a free loopback port in a temp dir.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, picohubCli, require, withTimeout } from './harness.mjs';

const { Client } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');
const { NoRetry, ExponentialBackOffWithJitter } = require('azure-iot-common');

let dir;
let port;
let ca;
const open = new Set();
const { cli, cliOk, cliJson } = picohubCli(() => dir);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function makeClient(id, { retry = false, setup = () => {} } = {}) {
  const cs = (await cliJson('device', 'connection-string', id, '--gateway')).connectionString;
  const client = Client.fromConnectionString(cs, Mqtt);
  await withTimeout(client.setOptions({ ca: fs.readFileSync(ca, 'utf8') }), 5000, 'setOptions');
  client.setRetryPolicy(retry ? new ExponentialBackOffWithJitter() : new NoRetry());
  client.on('error', () => {});
  setup(client);
  open.add(client);
  return client;
}
async function closeClient(client) {
  open.delete(client);
  await withTimeout(client.close().catch(() => {}), 10000, 'client.close');
}
async function until(what, ms, check) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await sleep(200);
  }
}
const depth = async (id) => (await cliJson('device', 'show', id)).c2dQueueDepth;
const connected = async (id) => (await cliJson('device', 'show', id)).connectionState === 'Connected';

async function hubStart() {
  const r = await cli('hub', 'start', '--port', String(port), '--json');
  assert.equal(r.code, 0, `hub start failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'picohub-acks-'));
  port = await freePort();
  ca = (await hubStart()).caFile;
  for (const id of ['ack1', 'twin1']) await cliOk('device', 'create', id);
});

after(async () => {
  for (const c of [...open]) await closeClient(c);
  if (dir) {
    await cli('hub', 'stop');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a C2D the SDK completed (PUBACK) leaves the queue and is never delivered again', async () => {
  const got = [];
  let first;
  const arrived = new Promise((resolve) => { first = resolve; });
  const client = await makeClient('ack1', { setup: (c) => c.on('message', (m) => { got.push(m.messageId); first(); }) });
  await withTimeout(client.open(), 15000, 'open ack1');
  await cliOk('c2d', 'send', 'ack1', '--data', 'once', '--mid', 'ack-1');
  await withTimeout(arrived, 15000, 'C2D ack-1');
  await until('queue empty after the PUBACK', 10000, async () => (await depth('ack1')) === 0);
  await closeClient(client);
  const again = await makeClient('ack1', { setup: (c) => c.on('message', (m) => got.push(m.messageId)) });
  await withTimeout(again.open(), 15000, 'reopen ack1');
  await sleep(1500);
  assert.deepEqual(got, ['ack-1']);
  await closeClient(again);
});

test('desired-property patches keep arriving after hub stop + hub start (persistent session)', async () => {
  const client = await makeClient('twin1', { retry: true });
  await withTimeout(client.open(), 15000, 'open twin1');
  const twin = await withTimeout(client.getTwin(), 15000, 'getTwin');
  const patches = [];
  twin.on('properties.desired', (p) => patches.push(p));
  await sleep(500);  // the desired-properties subscription follows getTwin
  await cliOk('twin', 'update', 'twin1', '--desired', '{"rate":1}');
  await until('first patch', 10000, () => patches.some((p) => p.rate === 1));

  await cliOk('hub', 'stop');
  await hubStart();
  await until('the SDK reconnected by itself', 40000, () => connected('twin1'));
  await sleep(500);
  const updated = await cliJson('twin', 'update', 'twin1', '--desired', '{"rate":2}');
  const patch = await until('patch after the restart', 10000, () => patches.find((p) => p.rate === 2));
  assert.equal(patch.$version, updated.properties.desired.$version);
  await closeClient(client);
});

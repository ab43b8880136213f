// The AMQP service endpoint (src/service/amqp) with Microsoft's own clients: azure-iothub 1.16.6 `Client.send` C2D
// received by a Node device SDK device, its feedback through `getFeedbackReceiver`, and @azure/event-hubs 6.0.4
// `EventHubConsumerClient` reading `picohub sim` telemetry from the Event Hub-compatible connection string. Plus
// the refusals (wrong key, expired token, policy without the right, unknown device, malformed addresses).
// The endpoint runs where users get it: in picohub-gateway, started by `picohub hub start --amqp-port N` (a free
// port here; --service-port 0 so this test never needs 443). Needs PICOHUB_BIN and PICOHUB_SERVICE_AMQP=1 (ctest's
// service_amqp_e2e sets both; inside hub_cli_node_sdk_fidelity, which runs every file of tests/e2e, it skips).
// The hub's CA is added to Node's TLS trust in-process (what NODE_EXTRA_CA_CERTS does at startup), because the CA
// only exists once the test started the hub. Every wait is bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { freePort, picohubCli, require, withTimeout } from './harness.mjs';

const skip = process.env.PICOHUB_SERVICE_AMQP !== '1' && 'set PICOHUB_SERVICE_AMQP=1 (ctest service_amqp_e2e does)';

let dir;
let amqpPort;
let started;
let hubJson;
const open = new Set();
const { cli, cliOk, cliJson } = picohubCli(() => dir);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// azure-iothub wraps a refused put-token: 'AMQP Transport: Could not connect' around an UnauthorizedError.
const unauthorized = (e) => [e?.constructor?.name, e?.amqpError?.constructor?.name].includes('UnauthorizedError') ||
  (console.log('not UnauthorizedError:', e), false);

function trustHubCa(caFile) {
  const ca = [...tls.rootCertificates, fs.readFileSync(caFile, 'utf8')];
  const connect = tls.connect;
  tls.connect = (...args) => {
    const i = args.findIndex((a) => a && typeof a === 'object');
    if (i >= 0 && !args[i].ca) args[i] = { ...args[i], ca };
    return connect(...args);
  };
}

const serviceCs = (policy = 'iothubowner', key) =>
  `HostName=localhost:${amqpPort};SharedAccessKeyName=${policy};SharedAccessKey=${key ?? hubJson.policies[policy].primaryKey}`;
const eventHubCs = (key) =>
  `Endpoint=sb://localhost:${amqpPort}/;SharedAccessKeyName=iothubowner;` +
  `SharedAccessKey=${key ?? hubJson.policies.iothubowner.primaryKey};EntityPath=localhost`;

async function device(id, onMessage) {
  const { Client } = require('azure-iot-device');
  const { Mqtt } = require('azure-iot-device-mqtt');
  const { NoRetry } = require('azure-iot-common');
  const cs = (await cliJson('device', 'connection-string', id, '--gateway')).connectionString;
  const client = Client.fromConnectionString(cs, Mqtt);
  client.setRetryPolicy(new NoRetry());
  client.on('error', () => {});
  if (onMessage) client.on('message', (m) => onMessage(m, client));
  open.add(client);
  await withTimeout(client.open(), 15000, `device ${id} open`);
  return client;
}

function serviceClient(cs) {
  const { Client } = require('azure-iothub');
  const client = Client.fromConnectionString(cs);
  open.add(client);
  return client;
}

before(async () => {
  if (skip) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'picohub-amqp-'));
  const port = await freePort();
  amqpPort = await freePort();
  const run = await cli('hub', 'start', '--port', String(port), '--amqp-port', String(amqpPort), '--service-port', '0',
                        '--json');
  assert.equal(run.code, 0, `hub start failed: ${run.stderr}`);
  started = JSON.parse(run.stdout);
  trustHubCa(started.caFile);
  // IoT Hub's default policies, registryRead among them (no ServiceConnect: the missing-right refusal).
  hubJson = JSON.parse(fs.readFileSync(path.join(dir, 'hub.json'), 'utf8'));
  assert.ok(hubJson.policies.registryRead, 'hub start writes the registryRead policy');
  for (const id of ['amqp1', 'amqp2', 'sim1']) await cliOk('device', 'create', id);
});

after(async () => {
  for (const c of [...open]) await withTimeout(c.close().catch(() => {}), 10000, 'close').catch(() => {});
  if (dir) {
    await cli('hub', 'stop');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('hub start runs the AMQP endpoint in picohub-gateway; hub.json keeps amqpPort; hub status reports it', { skip }, async () => {
  assert.equal(started.amqpPort, amqpPort);
  assert.equal(started.servicePort, null, '--service-port 0 turns the REST endpoint off');
  assert.equal(typeof started.gatewayPid, 'number');
  assert.equal(hubJson.amqpPort, amqpPort);
  assert.equal(hubJson.servicePort, 0);
  const status = await cliJson('hub', 'status');
  assert.equal(status.amqpPort, amqpPort);
  assert.equal(status.gatewayPid, started.gatewayPid);
  const text = await cliOk('hub', 'status');
  assert.match(text, new RegExp(`amqp +amqps://localhost:${amqpPort} `));
  const cs = await cliJson('hub', 'connection-string');
  assert.equal(cs.eventHubConnectionString.split(';')[0], `Endpoint=sb://localhost:${amqpPort}/`);
  if (process.getuid() === 0 && fs.statSync(dir).gid !== 0) {  // hub start shared the dir with the broker's group
    const uid = Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${started.gatewayPid}/status`, 'utf8'))[1]);
    assert.notEqual(uid, 0, 'the gateway is no longer root once its port is bound');
    assert.match(fs.readFileSync(path.join(dir, 'gateway.log'), 'utf8'), /runs as user \S+ \(uid \d+\) after binding/);
  }
});

test('a busy --amqp-port fails a second hub start with the port and the option named; the first hub is untouched', { skip }, async () => {
  const other = fs.mkdtempSync(path.join(os.tmpdir(), 'picohub-amqp-busy-'));
  const brokerPort = await freePort();
  try {
    const r = await new Promise((resolve) => execFile(process.env.PICOHUB_BIN,
      ['hub', 'start', '--data-dir', other, '--port', String(brokerPort), '--service-port', '0',
       '--amqp-port', String(amqpPort)], { timeout: 60000 },
      (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr })));
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, new RegExp(`AMQP endpoint cannot listen on 127\\.0\\.0\\.1:${amqpPort}: .*--amqp-port N`));
    assert.match(r.stderr, /the hub was not started/);
    assert.equal(fs.existsSync(path.join(other, 'mosquitto.pid')), false);
  } finally {
    await new Promise((resolve) => execFile(process.env.PICOHUB_BIN, ['hub', 'stop', '--data-dir', other], resolve));
    fs.rmSync(other, { recursive: true, force: true });
  }
  assert.equal((await cliJson('hub', 'status')).amqpPort, amqpPort);
});

test('azure-iothub Client.send reaches a device SDK device with ids, properties and ack; feedback comes back', { skip }, async () => {
  const { Message } = require('azure-iot-common');
  let got;
  const received = new Promise((resolve) => { got = resolve; });
  await device('amqp1', (m, client) => { client.complete(m, () => {}); got(m); });
  const service = serviceClient(serviceCs());
  await withTimeout(service.open(), 15000, 'service open');
  const msg = new Message('{"led":"on"}');
  msg.messageId = 'amqp-c2d-1';
  msg.correlationId = 'corr-7';
  msg.ack = 'full';
  msg.properties.add('color', 'red');
  const sent = await withTimeout(service.send('amqp1', msg), 15000, 'send');
  assert.equal(sent.result?.constructor?.name, 'MessageEnqueued');
  const m = await withTimeout(received, 15000, 'C2D at the device');
  assert.equal(m.data.toString(), '{"led":"on"}');
  assert.equal(m.messageId, 'amqp-c2d-1');
  assert.equal(m.correlationId, 'corr-7');
  assert.equal(m.properties.getValue('color'), 'red');

  const { result: receiver } = await withTimeout(service.getFeedbackReceiver(), 15000, 'feedback receiver');
  const batch = await withTimeout(new Promise((resolve) => receiver.on('message', (f) => resolve(f))), 15000, 'feedback');
  const records = JSON.parse(batch.data.toString());
  assert.ok(records.some((r) => r.originalMessageId === 'amqp-c2d-1' && r.deviceId === 'amqp1' && r.statusCode === 'Success'),
            JSON.stringify(records));
});

test('refusals: wrong key, expired token, a policy without ServiceConnect, unknown device', { skip }, async () => {
  const wrong = serviceClient(serviceCs('iothubowner', Buffer.alloc(32, 1).toString('base64')));
  await assert.rejects(withTimeout(wrong.open(), 15000, 'open with a wrong key'), unauthorized);

  const { SharedAccessSignature } = require('azure-iot-common');
  const { Client } = require('azure-iothub');
  const expiredSas = SharedAccessSignature.create(`localhost:${amqpPort}`, 'iothubowner',
    hubJson.policies.iothubowner.primaryKey, Math.floor(Date.now() / 1000) - 3600).toString();
  const expired = Client.fromSharedAccessSignature(`HostName=localhost:${amqpPort};SharedAccessSignature=${expiredSas}`);
  open.add(expired);
  await assert.rejects(withTimeout(expired.send('amqp2', 'x'), 15000, 'send with an expired token'),
                       unauthorized);

  const readOnly = serviceClient(serviceCs('registryRead'));
  await assert.rejects(withTimeout(readOnly.send('amqp2', 'x'), 15000, 'send without ServiceConnect'),
                       unauthorized);

  const service = serviceClient(serviceCs());
  await assert.rejects(withTimeout(service.send('no-such-device', 'x'), 15000, 'send to an unknown device'),
                       (e) => e.constructor.name === 'DeviceNotFoundError');
  assert.equal((await cliJson('device', 'show', 'amqp2')).c2dQueueDepth, 0, 'nothing was queued');
});

test('malformed addresses: an unknown node is refused, a bad `to` is rejected with the reason', { skip }, async () => {
  const rhea = require('rhea');
  const container = rhea.create_container();
  const { SharedAccessSignature } = require('azure-iot-common');
  const sas = SharedAccessSignature.create('localhost', 'iothubowner', hubJson.policies.iothubowner.primaryKey,
    Math.floor(Date.now() / 1000) + 600).toString();
  const connection = container.connect({ host: 'localhost', port: amqpPort, transport: 'tls',
    ca: fs.readFileSync(path.join(dir, 'ca.crt')), servername: 'localhost' });
  try {
    await withTimeout(new Promise((resolve, reject) => { connection.once('connection_open', resolve); connection.once('disconnected', reject); }), 10000, 'rhea open');
    const unknown = connection.open_receiver('/no/such/node');
    const closed = await withTimeout(new Promise((resolve) => unknown.once('receiver_close', (ctx) => resolve(ctx.receiver.error))), 10000, 'unknown node refused');
    assert.equal(closed.condition, 'amqp:not-found');

    const cbsReply = connection.open_receiver('$cbs');
    const cbs = connection.open_sender('$cbs');
    await withTimeout(new Promise((resolve) => cbs.once('sendable', resolve)), 10000, 'cbs sendable');
    const replied = new Promise((resolve) => cbsReply.once('message', (ctx) => resolve(ctx.message)));
    cbs.send({ message_id: 'put-1', reply_to: 'cbs', body: sas,
               application_properties: { operation: 'put-token', type: 'servicebus.windows.net:sastoken', name: 'localhost' } });
    const reply = await withTimeout(replied, 10000, 'put-token reply');
    assert.equal(reply.correlation_id, 'put-1');
    assert.equal(reply.application_properties['status-code'], 200);

    const c2d = connection.open_sender('/messages/devicebound');
    await withTimeout(new Promise((resolve) => c2d.once('sendable', resolve)), 10000, 'c2d sendable');
    const outcome = await withTimeout(new Promise((resolve) => {
      const delivery = c2d.send({ to: '/devices/amqp2/messages/events', body: rhea.message.data_section(Buffer.from('x')) });
      c2d.once('rejected', (ctx) => resolve({ rejected: ctx.delivery.remote_state.error, same: ctx.delivery === delivery }));
      c2d.once('accepted', () => resolve({ accepted: true }));
    }), 10000, 'bad to outcome');
    assert.equal(outcome.rejected?.condition, 'amqp:invalid-field', JSON.stringify(outcome));
    assert.match(outcome.rejected.description, /devices\/\{deviceId\}\/messages\/devicebound/);
  } finally {
    connection.close();
  }
});

test('@azure/event-hubs reads picohub sim telemetry with its properties from the Event Hub-compatible string', { skip }, async () => {
  const { EventHubConsumerClient, earliestEventPosition } = require('@azure/event-hubs');
  const consumer = new EventHubConsumerClient('$Default', eventHubCs());
  open.add(consumer);
  const ids = await withTimeout(consumer.getPartitionIds(), 15000, 'getPartitionIds');
  assert.deepEqual(ids, ['0', '1']);

  const cs = (await cliJson('device', 'connection-string', 'sim1', '--gateway')).connectionString;
  const sim = await new Promise((resolve) => execFile(process.env.PICOHUB_BIN,
    ['sim', '-c', cs, '--ca', path.join(dir, 'ca.crt'), '--count', '3', '--interval', '0', '--wait-c2d', '0'],
    { timeout: 30000 }, (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stderr })));
  assert.equal(sim.code, 0, sim.stderr);

  const events = [];
  const started = Date.now();
  let firstLatency;
  const subscription = consumer.subscribe({
    processEvents: async (batch) => {
      for (const e of batch) if (e.systemProperties['iothub-connection-device-id'] === 'sim1') events.push(e);
      if (events.length && firstLatency === undefined) firstLatency = Date.now() - started;
    },
    processError: async () => {},
  }, { startPosition: earliestEventPosition, maxWaitTimeInSeconds: 1 });
  try {
    const deadline = Date.now() + 20000;
    while (events.length < 3 && Date.now() < deadline) await sleep(100);
  } finally {
    await subscription.close();
  }
  assert.equal(events.length, 3, `events from sim1: ${events.length}`);
  const e = events[0];
  assert.match(JSON.stringify(e.body), /temperature/);
  assert.equal(e.contentType, 'application/json');
  assert.equal(e.systemProperties['iothub-message-source'], 'Telemetry');
  assert.ok(e.enqueuedTimeUtc instanceof Date);
  assert.equal(typeof e.sequenceNumber, 'number');
  assert.ok(events[1].sequenceNumber > e.sequenceNumber);
});

test('SASL PLAIN <policy>@sas.root.<hub> + the IoT Hub events address -> amqp:link:redirect to this listener; a bad token closes', { skip }, async () => {
  const rhea = require('rhea');
  const { SharedAccessSignature } = require('azure-iot-common');
  const sas = (key) => SharedAccessSignature.create('localhost/messages/events', 'iothubowner', key,
    Math.floor(Date.now() / 1000) + 600).toString();
  const connect = (password) => rhea.create_container().connect({
    host: 'localhost', port: amqpPort, transport: 'tls', ca: fs.readFileSync(path.join(dir, 'ca.crt')),
    servername: 'localhost', username: 'iothubowner@sas.root.localhost', password, reconnect: false });

  const good = connect(sas(hubJson.policies.iothubowner.primaryKey));
  try {
    const receiver = good.open_receiver('amqps://localhost/messages/events/$management');
    const error = await withTimeout(new Promise((resolve) => receiver.once('receiver_close', (ctx) => resolve(ctx.receiver.error))), 10000, 'redirect');
    assert.equal(error.condition, 'amqp:link:redirect');
    assert.equal(error.info.hostname, 'localhost');
    assert.equal(error.info.address, `amqps://localhost:${amqpPort}/localhost/$management`);
  } finally {
    good.close();
  }

  const bad = connect(sas(Buffer.alloc(32, 3).toString('base64')));
  const closed = await withTimeout(new Promise((resolve) => {
    bad.once('connection_close', (ctx) => resolve(ctx.connection.error));
    bad.once('connection_error', (ctx) => resolve(ctx.connection.error));
    bad.once('disconnected', () => resolve({ condition: 'disconnected' }));
  }), 10000, 'bad PLAIN token closes the connection');
  assert.equal(closed?.condition, 'amqp:unauthorized-access');
});

test('live: a device SDK message with application properties reaches a subscribed EventHubConsumerClient (latency logged)', { skip }, async () => {
  const { EventHubConsumerClient, latestEventPosition } = require('@azure/event-hubs');
  const { Message } = require('azure-iot-common');
  const consumer = new EventHubConsumerClient('$Default', eventHubCs());
  open.add(consumer);
  const seen = [];
  let attached = 0;
  const subscription = consumer.subscribe({
    processInitialize: async () => { attached += 1; },
    processEvents: async (batch) => {
      for (const e of batch) if (e.systemProperties['iothub-connection-device-id'] === 'amqp2') seen.push({ e, at: Date.now() });
    },
    processError: async () => {},
  }, { startPosition: latestEventPosition, maxWaitTimeInSeconds: 1 });
  try {
    const deadline = Date.now() + 10000;
    while (attached < 2 && Date.now() < deadline) await sleep(50);
    await sleep(500);  // '@latest' is resolved by the endpoint after the attach
    const client = await device('amqp2');
    const latencies = [];
    for (let i = 0; i < 5; i += 1) {
      const m = new Message(JSON.stringify({ i }));
      m.properties.add('alert', `level-${i}`);
      const sentAt = Date.now();
      await withTimeout(client.sendEvent(m), 10000, 'sendEvent');
      const until = Date.now() + 10000;
      while (seen.length <= i && Date.now() < until) await sleep(5);
      assert.ok(seen.length > i, `event ${i} not received`);
      latencies.push(seen[i].at - sentAt);
    }
    assert.equal(seen[0].e.properties.alert, 'level-0');
    const body = seen[4].e.body;  // the client parses a JSON data section itself, else hands over the bytes
    assert.deepEqual(body instanceof Uint8Array ? JSON.parse(Buffer.from(body).toString()) : body, { i: 4 });
    console.log(`# D2C -> EventHubConsumerClient latency (ms, device send to processEvents): ${latencies.join(', ')}`);
  } finally {
    await subscription.close();
  }
});

test('hub stop ends the gateway on SIGTERM cleanly with a receiver attached: both endpoints closed, "stopped" logged', { skip }, async () => {
  for (const c of [...open]) await withTimeout(c.close().catch(() => {}), 10000, 'close').catch(() => {});
  open.clear();
  // A partition receiver polling the hub when the stop comes (its poll timers once crashed the stop).
  const { EventHubConsumerClient, earliestEventPosition } = require('@azure/event-hubs');
  const consumer = new EventHubConsumerClient('$Default', eventHubCs());
  let attached = 0;
  const subscription = consumer.subscribe({
    processInitialize: async () => { attached += 1; },
    processEvents: async () => {},
    processError: async () => {},
  }, { startPosition: earliestEventPosition, maxWaitTimeInSeconds: 1 });
  const deadline = Date.now() + 10000;
  while (attached < 2 && Date.now() < deadline) await sleep(50);
  assert.equal(attached, 2, 'both partition receivers attached');
  await sleep(300);
  try {
    await cliOk('hub', 'stop');
  } finally {
    await withTimeout(subscription.close().then(() => consumer.close()), 10000, 'consumer close').catch(() => {});
  }
  const log = fs.readFileSync(path.join(dir, 'gateway.log'), 'utf8');
  assert.match(log, /AMQP on amqps:\/\/127\.0\.0\.1:\d+/);
  assert.match(log, /picohub-gateway: stopped \(SIGTERM\)/);
  await assert.rejects(new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: amqpPort, rejectUnauthorized: false });
    socket.once('secureConnect', () => { socket.destroy(); resolve(); });
    socket.once('error', reject);
  }), /ECONNREFUSED/);
});

// Microsoft's Node DPS client against the local hub's Device Provisioning Service (issue 11 §3): an individual
// enrollment and an enrollment group (the SDK's SymmetricKeySecurityClient signs with the key we give it: for the
// group, the key derived from the group key), each registered, assigned to this hub, and then a message sent as the
// assigned device with Microsoft's device client. A wrong key is refused (the SDK reports an error).
// Needs PICOHUB_BIN; skipped when the DPS packages are not installed yet (scripts/e2e-setup.sh installs them).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, picohubCli } from './harness.mjs';

const installed = fs.existsSync(new URL('./node_modules/azure-iot-provisioning-device-mqtt', import.meta.url));
let dir;
let port;
let ca;
let scope;
const { cli, cliOk, cliJson } = picohubCli(() => dir);

// Runs dps_node_client.mjs with the hub's CA trusted; resolves its JSON line.
function nodeRegister(registrationId, key) {
  return new Promise((resolve) => {
    execFile(process.execPath, [new URL('./dps_node_client.mjs', import.meta.url).pathname, `localhost:${port}`, scope,
      registrationId, key], { timeout: 50000, env: { ...process.env, NODE_EXTRA_CA_CERTS: ca } },
    (error, stdout, stderr) => {
      try { resolve(JSON.parse(stdout.trim().split('\n').pop())); } catch { resolve({ error: `no JSON: ${stdout} ${stderr}` }); }
    });
  });
}

before(async () => {
  if (!installed) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'picohub-dps-'));
  port = await freePort();
  const r = await cli('hub', 'start', '--port', String(port), '--json');
  assert.equal(r.code, 0, `hub start failed: ${r.stderr}`);
  ca = JSON.parse(r.stdout).caFile;
  scope = (await cliJson('dps', 'id-scope')).idScope;
});

after(async () => {
  if (!installed) return;
  await cli('hub', 'stop');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('Node DPS client: individual enrollment registers, then sends as the assigned device', { skip: !installed }, async () => {
  const enrollment = await cliJson('dps', 'enrollment', 'create', 'node-dev-1');
  const out = await nodeRegister('node-dev-1', enrollment.primaryKey);
  assert.equal(out.error, undefined, out.error);
  assert.equal(out.registration.status, 'assigned');
  assert.equal(out.registration.assignedHub, `localhost:${port}`);
  assert.equal(out.registration.deviceId, 'node-dev-1');
  assert.equal(out.sent, 1);
  const device = await cliJson('device', 'show', 'node-dev-1');
  assert.equal(device.primaryKey, enrollment.primaryKey);
  assert.notEqual(device.lastActivityTime, null);
});

test('Node DPS client: group enrollment with the derived key', { skip: !installed }, async () => {
  const group = await cliJson('dps', 'enrollment', 'create', 'node-line', '--group');
  const derived = crypto.createHmac('sha256', Buffer.from(group.primaryKey, 'base64')).update('node-sensor-9')
    .digest('base64');
  const out = await nodeRegister('node-sensor-9', derived);
  assert.equal(out.error, undefined, out.error);
  assert.equal(out.registration.deviceId, 'node-sensor-9');
  assert.equal(out.sent, 1);
  assert.equal((await cliJson('device', 'show', 'node-sensor-9')).primaryKey, derived);
});

test('Node DPS client: a wrong key is refused', { skip: !installed }, async () => {
  await cliOk('dps', 'enrollment', 'create', 'node-dev-2');
  const out = await nodeRegister('node-dev-2', 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=');
  assert.notEqual(out.error, undefined, 'registration with a wrong key must fail');
  assert.equal((await cli('device', 'show', 'node-dev-2')).code !== 0, true, 'no device was created');
});

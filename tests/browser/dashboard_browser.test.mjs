// The web dashboard in headless Chromium (Debian's chromium, driven by puppeteer-core), at desktop size and at
// 390×844: sign in with the service connection string, create a device, start the live feed, see `picohub sim`
// telemetry appear and the chart draw, send a C2D with a property that the sim prints, see its feedback, update
// the twin, and never scroll sideways. Screenshots go to $PICOHUB_ARTIFACTS (ctest: build/host/test-artifacts/
// dashboard). Skips, saying why, when chromium or puppeteer-core is missing (./run setup installs both).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const bin = process.env.PICOHUB_BIN;
const chromium = process.env.PICOHUB_CHROMIUM || '/usr/bin/chromium';
const artifacts = process.env.PICOHUB_ARTIFACTS || path.join(os.tmpdir(), 'picohub-dashboard-shots');
let puppeteer = null;
try {
  puppeteer = (await import('puppeteer-core')).default;
} catch { /* skipped below */ }
const skip = !fs.existsSync(chromium) ? `${chromium} is not installed (apt-get install chromium)`
  : !puppeteer ? 'puppeteer-core is not installed (scripts/browser-setup.sh)' : false;

let dir;
let hub;
let browser;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => { const p = server.address().port; server.close(() => resolve(p)); });
  });
}

function cli(...args) {
  return new Promise((resolve) => {
    execFile(bin, [...args, '--data-dir', dir], { timeout: 60000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

before(async () => {
  if (skip) return;
  assert.ok(bin && fs.existsSync(bin), 'set PICOHUB_BIN to the picohub executable (ctest does)');
  fs.mkdirSync(artifacts, { recursive: true });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'picohub-browser-'));
  const [port, servicePort] = [await freePort(), await freePort()];
  const r = await cli('hub', 'start', '--port', String(port), '--service-port', String(servicePort), '--json');
  assert.equal(r.code, 0, `hub start failed: ${r.stderr}`);
  hub = JSON.parse(r.stdout);
  assert.ok(hub.dashboardUrl, `no dashboard: ${hub.serviceApiProblem}`);
  hub.serviceCs = JSON.parse((await cli('hub', 'connection-string', '--json')).stdout).connectionString;
  // The hub's CA is not in the browser's store: a test profile may ignore certificate errors (the page is
  // still a secure context, so WebCrypto works as for a user who imported ca.crt).
  browser = await puppeteer.launch({ executablePath: chromium, headless: true,
    args: ['--no-sandbox', '--ignore-certificate-errors', '--disable-gpu'] });
});

after(async () => {
  await browser?.close();
  if (dir) {
    await cli('hub', 'stop');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const noSidewaysScroll = (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

// Runs `picohub sim` for the device: a few messages, then waits for one C2D; resolves with its output.
function runSim(cs) {
  return new Promise((resolve) => {
    const sim = spawn(bin, ['sim', '-c', `${cs};GatewayHostName=localhost:${hub.port}`, '--ca', hub.caFile,
      '-n', '4', '--interval', '300ms', '--wait-c2d', '1', '--c2d-timeout', '40s']);
    let out = '';
    sim.stdout.on('data', (c) => { out += c; });
    sim.stderr.on('data', (c) => { out += c; });
    sim.on('close', (code) => resolve({ code, out }));
  });
}

for (const [name, viewport] of [
  ['desktop', { width: 1280, height: 900 }],
  ['phone', { width: 390, height: 844, isMobile: true, hasTouch: true }],
]) {
  test(`dashboard in Chromium at ${viewport.width}x${viewport.height}`, { skip, timeout: 55000 }, async () => {
    // Closed even on failure: an open page keeps polling the hub-wide feedback queue and would take the next
    // test's records.
    const page = await browser.newPage();
    try {
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      await page.setViewport(viewport);
      await page.goto(hub.dashboardUrl, { waitUntil: 'networkidle0' });
      assert.ok(await noSidewaysScroll(page), 'sign-in page scrolls sideways');
      await page.type('#cs', hub.serviceCs);
      await page.click('#sign-in-form button');
      await page.waitForSelector('#app:not([hidden])', { timeout: 10000 });

      const id = `browser-${name}`;
      await page.type('#new-device-id', id);
      await page.click('#create-device button');
      await page.waitForFunction((i) => document.querySelector('#device-title')?.textContent === i, { timeout: 10000 }, id);
      const deviceCs = await page.$eval('#device-cs', (e) => e.value);
      assert.match(deviceCs, new RegExp(`^HostName=localhost;DeviceId=${id};SharedAccessKey=`));
      await page.click('#make-sas');
      await page.waitForFunction(() => document.querySelector('#device-sas').value.startsWith('SharedAccessSignature sr='));

      await page.click('#feed-toggle');
      await page.waitForFunction(() => document.querySelector('#feed-status').textContent.startsWith('live'), { timeout: 10000 });
      const sim = runSim(deviceCs);
      await page.waitForFunction(() => document.querySelectorAll('#events li').length >= 3, { timeout: 20000 });
      await page.waitForSelector('#chart canvas', { timeout: 10000 });
      const canvas = await page.$eval('#chart canvas', (c) => c.clientWidth);
      assert.ok(canvas > 100 && canvas <= viewport.width, `chart width ${canvas}`);
      assert.match(await page.$eval('#chart-status', (e) => e.textContent), /numeric field/);
      assert.ok(await noSidewaysScroll(page), 'telemetry view scrolls sideways');
      await page.screenshot({ path: path.join(artifacts, `${name}-telemetry.png`), fullPage: true });

      await page.$$eval('details', (ds) => ds.forEach((d) => { d.open = true; }));
      await page.$eval('#c2d-body', (e) => { e.value = `hello from the ${e.ownerDocument.title}`; });
      await page.$eval('#c2d-props', (e) => { e.value = 'color=red'; });
      await page.click('#c2d-form button[type=submit]');
      const { code, out } = await sim;
      assert.equal(code, 0, `picohub sim failed:\n${out}`);
      assert.match(out, /hello from the picohub dashboard/);
      assert.match(out, /color/);
      await page.waitForFunction(() => /Success/.test(document.querySelector('#feedback-list').textContent), { timeout: 15000 });

      await page.click('#twin-update');
      await page.waitForFunction(() => /desired version/.test(document.querySelector('#twin-result').textContent), { timeout: 10000 });
      assert.ok(await noSidewaysScroll(page), 'the full page scrolls sideways');
      await page.screenshot({ path: path.join(artifacts, `${name}-all.png`), fullPage: true });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
}

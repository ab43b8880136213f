// What every Node SDK end-to-end test file needs: the SDK packages, the picohub CLI against one data dir,
// bounded waits and a free loopback port. Every wait is bounded.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';

export const require = createRequire(import.meta.url);
if (!fs.existsSync(new URL('./node_modules/azure-iot-device-mqtt', import.meta.url))) {
  throw new Error('the Node SDK packages are not installed: run scripts/e2e-setup.sh (./run setup does)');
}

export const bin = process.env.PICOHUB_BIN;
if (!bin || !fs.existsSync(bin)) throw new Error('set PICOHUB_BIN to the picohub executable (ctest does)');

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms); }),
  ]);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => { const p = server.address().port; server.close(() => resolve(p)); });
  });
}

// The CLI bound to the data dir `dataDir()` returns (set in a test file's `before`).
export function picohubCli(dataDir) {
  // Resolves {code, stdout, stderr}; never rejects on a non-zero exit.
  const cli = (...args) => new Promise((resolve) => {
    execFile(bin, [...args, '--data-dir', dataDir()], { timeout: 60000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
  const cliOk = async (...args) => {
    const r = await cli(...args);
    assert.equal(r.code, 0, `picohub ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const cliJson = async (...args) => JSON.parse(await cliOk(...args, '--json'));
  return { cli, cliOk, cliJson };
}

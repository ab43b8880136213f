// The dashboard page: sign-in, device and module registry, live telemetry with a chart, C2D with feedback,
// twin and direct methods. Everything goes through HubApi (the hub's REST API and live feed). Untrusted text
// (ids, payloads) is only ever set as textContent.
import { HubApi } from './api.js';
import { TelemetryChart, parsePayload } from './chart.js';
import { deviceConnectionString, deviceToken, parseServiceConnectionString } from './sas.js';

const STORAGE_KEY = 'picohub.serviceConnectionString';
const MAX_EVENTS = 50;
const $ = (id) => document.getElementById(id);

let api = null;
let selected = null;    // the device shown in the detail card (REST device object)
let feed = null;        // AbortController of the running live feed
let chart = null;
let feedbackTimer = null;

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function showError(target, error) {
  $(target).textContent = error ? (error.code ? `${error.code}: ${error.message}` : String(error.message ?? error)) : '';
}

async function copyField(id) {
  const input = $(id);
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    input.select();
    document.execCommand('copy');
  }
}

// --- sign-in -------------------------------------------------------------------------------------------------

function signIn(text) {
  const service = parseServiceConnectionString(text);
  api = new HubApi(service);
  sessionStorage.setItem(STORAGE_KEY, text.trim());
  $('hub-name').textContent = `${service.hostName} as ${service.keyName}`;
  $('sign-in').hidden = true;
  $('app').hidden = false;
  $('sign-out').hidden = false;
  return refreshDevices();
}

function signOut() {
  stopFeed();
  sessionStorage.removeItem(STORAGE_KEY);
  location.reload();
}

// --- devices and modules -------------------------------------------------------------------------------------

async function refreshDevices() {
  showError('devices-error', null);
  try {
    const devices = await api.listDevices();
    $('device-list').replaceChildren(...devices.map(deviceItem));
    if (!devices.length) $('device-list').append(el('li', { className: 'muted', textContent: 'no devices yet' }));
    if (selected) {
      const fresh = devices.find((d) => d.deviceId === selected.deviceId);
      if (fresh) updateState(fresh); else closeDevice();
    }
  } catch (e) {
    showError('devices-error', e);
    if (e.status === 401) $('sign-out').textContent = 'Sign in again';
  }
}

function stateBadge(device) {
  const on = device.connectionState === 'Connected';
  return el('span', { className: `badge ${on ? 'on' : 'off'}`, textContent: on ? 'connected' : 'disconnected' });
}

function deviceItem(device) {
  const open = el('button', { type: 'button', className: 'link', textContent: device.deviceId });
  open.addEventListener('click', () => openDevice(device));
  const meta = el('span', { className: 'muted', textContent: `${device.status}, C2D queue ${device.cloudToDeviceMessageCount}` });
  return el('li', { className: selected?.deviceId === device.deviceId ? 'current' : '' }, open, stateBadge(device), meta);
}

async function createDevice(event) {
  event.preventDefault();
  showError('devices-error', null);
  const id = $('new-device-id').value.trim();
  try {
    const device = await api.createDevice(id);
    $('new-device-id').value = '';
    await refreshDevices();
    openDevice(device);
  } catch (e) {
    showError('devices-error', e);
  }
}

function updateState(device) {
  selected = device;
  const badge = stateBadge(device);
  $('device-state').className = badge.className;
  $('device-state').textContent = badge.textContent;
}

async function openDevice(device) {
  if (selected?.deviceId !== device.deviceId) {
    stopFeed();
    chart?.clear();
    $('events').replaceChildren();
    $('device-sas').value = '';
    $('sas-expiry').textContent = '';
    $('twin-view').textContent = '';
    $('method-result').textContent = '';
    $('c2d-result').textContent = '';
    $('feedback-list').replaceChildren();
  }
  updateState(device);
  $('device-card').hidden = false;
  $('device-title').textContent = device.deviceId;
  $('device-cs').value = deviceConnectionString(api.service.hostName, device.deviceId, device.authentication.symmetricKey.primaryKey);
  for (const li of $('device-list').children) li.classList.toggle('current', li.firstChild?.textContent === device.deviceId);
  await Promise.all([refreshModules(), loadTwin()]);
}

function closeDevice() {
  stopFeed();
  selected = null;
  $('device-card').hidden = true;
}

async function deleteDevice() {
  if (!selected || !confirm(`Delete device ${selected.deviceId}? Its twin and queued messages go with it.`)) return;
  try {
    await api.deleteDevice(selected.deviceId);
    closeDevice();
    await refreshDevices();
  } catch (e) {
    showError('devices-error', e);
  }
}

async function makeSas() {
  const ttl = Number($('sas-ttl').value);
  const key = selected.authentication.symmetricKey.primaryKey;
  $('device-sas').value = await deviceToken(api.service.hostName, selected.deviceId, key, ttl);
  $('sas-expiry').textContent = `expires ${new Date(Date.now() + ttl * 1000).toISOString()}`;
}

async function refreshModules() {
  const list = $('module-list');
  try {
    const modules = await api.listModules(selected.deviceId);
    list.replaceChildren(...modules.map(moduleItem));
    if (!modules.length) list.append(el('li', { className: 'muted', textContent: 'no modules' }));
  } catch (e) {
    list.replaceChildren(el('li', { className: 'error', textContent: e.message }));
  }
}

function moduleItem(mod) {
  const copy = el('button', { type: 'button', className: 'ghost', textContent: 'Copy connection string' });
  copy.addEventListener('click', () => navigator.clipboard.writeText(
    deviceConnectionString(api.service.hostName, mod.deviceId, mod.authentication.symmetricKey.primaryKey, mod.moduleId)));
  const remove = el('button', { type: 'button', className: 'danger', textContent: 'Delete' });
  remove.addEventListener('click', async () => {
    if (!confirm(`Delete module ${mod.moduleId}?`)) return;
    await api.deleteModule(mod.deviceId, mod.moduleId).catch((e) => alert(e.message));
    await refreshModules();
  });
  return el('li', {}, el('strong', { textContent: mod.moduleId }), stateBadge(mod), copy, remove);
}

async function createModule(event) {
  event.preventDefault();
  try {
    await api.createModule(selected.deviceId, $('new-module-id').value.trim());
    $('new-module-id').value = '';
    await refreshModules();
  } catch (e) {
    alert(e.message);
  }
}

// --- live telemetry ------------------------------------------------------------------------------------------

function eventItem(record) {
  const who = record.moduleId ? `${record.deviceId}/${record.moduleId}` : record.deviceId;
  const payload = parsePayload(record.body);
  const shown = {
    payload: payload ?? { bodyBase64: record.bodyBase64 },
    properties: record.properties ?? {},
    systemProperties: record.systemProperties ?? {},
  };
  return el('li', {}, el('div', { className: 'muted', textContent: `${record.enqueuedTime} ${who}` }),
    el('pre', { className: 'json', textContent: JSON.stringify(shown, null, 2) }));
}

function startFeed() {
  const deviceId = selected.deviceId;
  feed = new AbortController();
  $('feed-toggle').textContent = 'Stop live feed';
  $('feed-status').textContent = 'connecting…';
  api.openFeed({
    deviceId,
    signal: feed.signal,
    onOpen: () => { $('feed-status').textContent = `live: ${deviceId}`; },
    onEvent: (record) => {
      const list = $('events');
      list.prepend(eventItem(record));
      while (list.children.length > MAX_EVENTS) list.lastChild.remove();
      chart.add(record);
      if (selected?.connectionState !== 'Connected') refreshDevices();  // it sends, so it is connected now
    },
  }).then(() => {
    if (feed && !feed.signal.aborted) $('feed-status').textContent = 'the hub closed the feed';
  }, (e) => { $('feed-status').textContent = `feed failed: ${e.message}`; })
    .finally(() => { feed = null; $('feed-toggle').textContent = 'Start live feed'; });
}

function stopFeed() {
  feed?.abort();
  feed = null;
  $('feed-toggle').textContent = 'Start live feed';
  $('feed-status').textContent = '';
}

// --- C2D, twin, methods ----------------------------------------------------------------------------------------

function parseProperties(text) {
  const props = {};
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`property line "${line}" is not name=value`);
    props[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return props;
}

async function sendC2d(event) {
  event.preventDefault();
  const out = $('c2d-result');
  try {
    const messageId = crypto.randomUUID();
    await api.sendC2d(selected.deviceId, $('c2d-body').value, {
      properties: parseProperties($('c2d-props').value), ack: $('c2d-ack').value, messageId,
    });
    out.textContent = `queued, message id ${messageId}`;
    pollFeedback();
  } catch (e) {
    out.textContent = `not sent: ${e.message}`;
  }
}

// Feedback arrives when the device completes (or the hub expires) the message: poll for a minute after a send.
function pollFeedback(remaining = 20) {
  clearTimeout(feedbackTimer);
  feedbackTimer = setTimeout(async () => {
    try {
      const records = await api.feedback();
      for (const r of records) {
        $('feedback-list').prepend(el('li', {
          textContent: `${r.enqueuedTimeUtc ?? ''} ${r.deviceId}: ${r.statusCode} (message ${r.originalMessageId})`,
        }));
      }
    } catch { /* the next poll tries again */ }
    if (remaining > 1) pollFeedback(remaining - 1);
  }, 3000);
}

async function loadTwin() {
  try {
    const twin = await api.getTwin(selected.deviceId);
    $('twin-view').textContent = JSON.stringify(twin.properties, null, 2);
  } catch (e) {
    $('twin-view').textContent = e.message;
  }
}

async function updateDesired() {
  try {
    const patch = JSON.parse($('twin-desired').value);
    const twin = await api.updateDesired(selected.deviceId, patch);
    $('twin-view').textContent = JSON.stringify(twin.properties, null, 2);
    $('twin-result').textContent = `desired version ${twin.properties.desired.$version}`;
  } catch (e) {
    $('twin-result').textContent = `not updated: ${e.message}`;
  }
}

async function invokeMethod(event) {
  event.preventDefault();
  const out = $('method-result');
  out.textContent = 'waiting for the device…';
  try {
    const text = $('method-payload').value.trim();
    const result = await api.invokeMethod(selected.deviceId, $('method-name').value.trim(),
      text ? JSON.parse(text) : null, Number($('method-timeout').value));
    out.textContent = JSON.stringify(result, null, 2);
  } catch (e) {
    out.textContent = `${e.code ?? 'error'}: ${e.message}`;
  }
}

// --- wiring ----------------------------------------------------------------------------------------------------

function start() {
  chart = new TelemetryChart($('chart'), $('chart-status'));
  $('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    showError('sign-in-error', null);
    try {
      signIn($('cs').value).catch((e) => showError('sign-in-error', e));
    } catch (e) {
      showError('sign-in-error', e);
    }
  });
  $('sign-out').addEventListener('click', signOut);
  $('refresh').addEventListener('click', refreshDevices);
  $('create-device').addEventListener('submit', createDevice);
  $('delete-device').addEventListener('click', deleteDevice);
  $('make-sas').addEventListener('click', makeSas);
  $('create-module').addEventListener('submit', createModule);
  $('feed-toggle').addEventListener('click', () => (feed ? stopFeed() : startFeed()));
  $('feed-clear').addEventListener('click', () => { chart.clear(); $('events').replaceChildren(); });
  $('c2d-form').addEventListener('submit', sendC2d);
  $('twin-load').addEventListener('click', loadTwin);
  $('twin-update').addEventListener('click', updateDesired);
  $('method-form').addEventListener('submit', invokeMethod);
  for (const button of document.querySelectorAll('[data-copy]')) {
    button.addEventListener('click', () => copyField(button.dataset.copy));
  }
  const saved = sessionStorage.getItem(STORAGE_KEY);
  if (saved) {
    try {
      signIn(saved).catch((e) => showError('devices-error', e));
    } catch (e) {
      sessionStorage.removeItem(STORAGE_KEY);
      $('sign-in').hidden = false;
      showError('sign-in-error', e);
    }
  } else {
    $('sign-in').hidden = false;
  }
  // Connection states change on their own: refresh the list every 10 s while the tab is visible.
  setInterval(() => { if (api && !document.hidden) refreshDevices(); }, 10000);
}

start();

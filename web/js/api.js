// The dashboard's client of the hub's service API: IoT Hub's REST routes (docs/service-api.md) and the live
// telemetry feed (server-sent events read with fetch(), because EventSource cannot send an Authorization
// header). Every call carries a service SAS token from sas.js; there is no other way in. Browser and Node.
import { serviceToken } from './sas.js';

export const API_VERSION = '2021-04-12';
const TOKEN_TTL_S = 3600;

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// IoT Hub's error body {"Message":"ErrorCode:Name;text"} → ApiError(status, Name, text).
function apiError(status, text) {
  let message = text || `HTTP ${status}`;
  try {
    message = JSON.parse(text).Message ?? message;
  } catch { /* not JSON: keep the text */ }
  const m = /^ErrorCode:([^;]*);(.*)$/s.exec(message);
  return m ? new ApiError(status, m[1], m[2]) : new ApiError(status, `HTTP${status}`, message);
}

export class HubApi {
  // service: parseServiceConnectionString(...); baseUrl: '' in the page (same origin), https://host:port in tests.
  constructor(service, baseUrl = '') {
    this.service = service;
    this.baseUrl = baseUrl;
    this.token = null;
    this.tokenExpiry = 0;
  }

  async authorization() {
    const now = Date.now() / 1000;
    if (!this.token || this.tokenExpiry - now < 300) {
      this.token = await serviceToken(this.service, TOKEN_TTL_S, now);
      this.tokenExpiry = now + TOKEN_TTL_S;
    }
    return this.token;
  }

  // One REST call: JSON in, JSON out (null for 204). Throws ApiError with IoT Hub's error code.
  async request(method, path, { body, headers = {}, raw = false } = {}) {
    const sep = path.includes('?') ? '&' : '?';
    const res = await fetch(`${this.baseUrl}${path}${sep}api-version=${API_VERSION}`, {
      method,
      headers: {
        Authorization: await this.authorization(),
        ...(body !== undefined && !raw ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw apiError(res.status, text);
    return text ? JSON.parse(text) : null;
  }

  listDevices() { return this.request('GET', '/devices'); }
  getDevice(id) { return this.request('GET', `/devices/${enc(id)}`); }
  createDevice(id) { return this.request('PUT', `/devices/${enc(id)}`, { body: { deviceId: id } }); }
  deleteDevice(id) { return this.request('DELETE', `/devices/${enc(id)}`, { headers: { 'If-Match': '*' } }); }
  listModules(id) { return this.request('GET', `/devices/${enc(id)}/modules`); }
  createModule(id, moduleId) {
    return this.request('PUT', `/devices/${enc(id)}/modules/${enc(moduleId)}`, { body: { deviceId: id, moduleId } });
  }
  deleteModule(id, moduleId) {
    return this.request('DELETE', `/devices/${enc(id)}/modules/${enc(moduleId)}`, { headers: { 'If-Match': '*' } });
  }
  getTwin(id) { return this.request('GET', `/twins/${enc(id)}`); }
  // desired: the patch (null deletes a key); etag: the twin's etag, or '*' to overwrite whatever is there.
  updateDesired(id, desired, etag = '*') {
    return this.request('PATCH', `/twins/${enc(id)}`, { body: { properties: { desired } }, headers: { 'If-Match': `"${etag}"` } });
  }
  invokeMethod(id, methodName, payload, responseTimeoutInSeconds = 30) {
    return this.request('POST', `/twins/${enc(id)}/methods`, { body: { methodName, payload, responseTimeoutInSeconds } });
  }
  // C2D over REST (IoT Hub's HTTPS headers): properties → iothub-app-*, ack none|positive|negative|full.
  sendC2d(id, text, { properties = {}, ack = 'none', messageId, correlationId } = {}) {
    const headers = { 'Content-Type': 'text/plain; charset=utf-8', 'iothub-ack': ack };
    for (const [k, v] of Object.entries(properties)) headers[`iothub-app-${k}`] = String(v);
    if (messageId) headers['iothub-messageid'] = messageId;
    if (correlationId) headers['iothub-correlationid'] = correlationId;
    return this.request('POST', `/devices/${enc(id)}/messages/deviceBound`, { body: text, headers, raw: true });
  }
  // Feedback records the hub holds for acked C2D messages (each returned once); [] when none.
  async feedback() { return (await this.request('GET', '/messages/serviceBound/feedback')) ?? []; }

  // Live telemetry: calls onEvent(record) for each message ({deviceId, enqueuedTime, properties,
  // systemProperties, body, ...}), onOpen() once the hub is subscribed. Ends when `signal` aborts or the
  // server closes; resolves then, rejects with ApiError when refused.
  async openFeed({ deviceId, onEvent, onOpen = () => {}, signal }) {
    const query = deviceId ? `?deviceId=${enc(deviceId)}` : '';
    const res = await fetch(`${this.baseUrl}/picohub/v1/telemetry${query}`, {
      headers: { Authorization: await this.authorization(), Accept: 'text/event-stream' },
      signal,
    });
    if (!res.ok) throw apiError(res.status, await res.text());
    const parser = new SseParser((ev) => {
      if (ev.event !== 'telemetry') return;
      try { onEvent(JSON.parse(ev.data)); } catch { /* a record that is not JSON is skipped */ }
    });
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let opened = false;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (!opened) { opened = true; onOpen(); }
        parser.push(decoder.decode(value, { stream: true }));
      }
    } catch (e) {
      if (signal?.aborted) return;
      throw e;
    }
  }
}

function enc(s) { return encodeURIComponent(s); }

// Server-sent events from text chunks (the WHATWG event-stream rules the gateway's framing follows).
export class SseParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = '';
    this.reset();
  }
  reset() { this.event = ''; this.data = []; this.id = ''; }
  push(chunk) {
    this.buffer += chunk;
    let nl;
    while ((nl = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, nl);
      const width = this.buffer.startsWith('\r\n', nl) ? 2 : 1;
      if (this.buffer[nl] === '\r' && nl + 1 === this.buffer.length) break;  // a \r\n may be split: wait
      this.buffer = this.buffer.slice(nl + width);
      this.line(line);
    }
  }
  line(line) {
    if (line === '') {
      if (this.data.length) this.onEvent({ event: this.event || 'message', data: this.data.join('\n'), id: this.id });
      this.reset();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id') this.id = value;
  }
}

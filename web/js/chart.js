// The live chart: every numeric field of a device's telemetry payloads (nested keys as "a.b") over enqueued
// time, drawn with uPlot (served by the gateway from web/node_modules/uplot/dist; loaded on first use so the
// rest of the page works when it is not installed).
const MAX_POINTS = 300;
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#be185d', '#4b5563'];

// {"t":21.5,"env":{"hum":40},"ok":true,"name":"x"} → {"t":21.5,"env.hum":40}. Pure: the e2e test uses it too.
export function numericFields(payload, prefix = '', out = {}) {
  if (typeof payload === 'number' && Number.isFinite(payload)) {
    out[prefix || 'value'] = payload;
  } else if (payload && typeof payload === 'object' && !Array.isArray(payload)) {
    for (const [k, v] of Object.entries(payload)) numericFields(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

let uPlotModule = null;
async function loadUplot() {
  if (!uPlotModule) {
    uPlotModule = (await import('/vendor/uplot/uPlot.esm.js')).default;
    const css = document.createElement('link');
    css.rel = 'stylesheet';
    css.href = '/vendor/uplot/uPlot.min.css';
    document.head.append(css);
  }
  return uPlotModule;
}

export class TelemetryChart {
  constructor(container, status) {
    this.container = container;
    this.status = status;
    this.fields = [];
    this.times = [];
    this.values = new Map();  // field → array aligned with times (null where absent)
    this.plot = null;
    this.resizeObserver = new ResizeObserver(() => this.plot?.setSize(this.size()));
    this.resizeObserver.observe(container);
  }

  size() { return { width: Math.max(200, this.container.clientWidth), height: 220 }; }

  async add(record) {
    const fields = numericFields(parsePayload(record.body));
    const names = Object.keys(fields);
    if (!names.length) return;
    const t = Date.parse(record.enqueuedTime) / 1000 || Date.now() / 1000;
    let grown = false;
    for (const name of names) {
      if (!this.values.has(name)) {
        this.values.set(name, this.times.map(() => null));
        this.fields.push(name);
        grown = true;
      }
    }
    this.times.push(t);
    for (const name of this.fields) this.values.get(name).push(name in fields ? fields[name] : null);
    if (this.times.length > MAX_POINTS) {
      this.times.shift();
      for (const arr of this.values.values()) arr.shift();
    }
    await this.draw(grown);
  }

  async draw(rebuild) {
    let uPlot;
    try {
      uPlot = await loadUplot();
    } catch {
      this.status.textContent = 'chart unavailable: uPlot is not installed on the hub (./run setup)';
      return;
    }
    const data = [this.times, ...this.fields.map((f) => this.values.get(f))];
    if (this.plot && !rebuild) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    const series = [{}, ...this.fields.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true }))];
    this.plot = new uPlot({ ...this.size(), series, legend: { live: false }, scales: { x: { time: true } } }, data, this.container);
    this.status.textContent = `${this.fields.length} numeric field(s)`;
  }

  clear() {
    this.plot?.destroy();
    this.plot = null;
    this.fields = [];
    this.times = [];
    this.values.clear();
    this.status.textContent = 'no numeric fields yet';
  }
}

export function parsePayload(body) {
  if (typeof body !== 'string') return body ?? null;
  try { return JSON.parse(body); } catch { return body; }
}

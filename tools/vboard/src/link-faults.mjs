// Scripted faults on the virtual LAN, from the command line: `--fault link-down@5s:10s` pulls the cable 5 s into
// the run (emulated time, which follows the wall clock once the board talks to the hub) and plugs it back
// 10 s later. Times take ms, s or m ("1500ms", "5s", "1m"); a bare number is seconds.
const UNITS = { ms: 1, s: 1000, m: 60_000, '': 1000 };

function parseMs(text, whole) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|)$/.exec(text);
  if (!m) throw new Error(`--fault ${whole}: '${text}' is not a time like 5s or 1500ms`);
  return Number(m[1]) * UNITS[m[2]];
}

// "link-down@5s:10s" → { kind: 'link-down', atMs: 5000, forMs: 10000 }
export function parseFault(text) {
  const m = /^(link-down)@([^:]+):(.+)$/.exec(text);
  if (!m) throw new Error(`--fault ${text}: expected link-down@AT:FOR (e.g. link-down@5s:10s)`);
  return { kind: m[1], atMs: parseMs(m[2], text), forMs: parseMs(m[3], text) };
}

// Arms the faults on the EVB's scheduler (emulated time); `note` says when each one starts and ends.
export function scheduleFaults(faults, { chip, scheduler, note = () => {} }) {
  for (const fault of faults) {
    scheduler.after(fault.atMs * 1e6, () => {
      note(`fault: link down at ${(scheduler.nowNanos() / 1e6).toFixed(0)} ms emulated, for ${fault.forMs} ms`);
      chip.dropLink();
      scheduler.after(fault.forMs * 1e6, () => {
        note(`fault: link up at ${(scheduler.nowNanos() / 1e6).toFixed(0)} ms emulated`);
        chip.setLink(true);
      });
    });
  }
}

// Scripted faults, from the command line: `--fault KIND@AT[:FOR]`. AT counts emulated time from power-on (it
// follows the wall clock once the board talks to the hub); FOR is how long the fault lasts. Times take ms, s or
// m ("1500ms", "5s", "1m"); a bare number is seconds. One parser and one scheduler for every kind:
//
//   link-down@AT:FOR        the cable is pulled: PHY link bit clears, every bridged TCP connection is reset
//   tcp-reset@AT            every bridged TCP connection is reset once (both ends); the link stays up
//   dns-fail@AT:FOR         the DNS server answers SERVFAIL
//   dns-silent@AT:FOR       the DNS server answers nothing
//   sntp-silent@AT:FOR      the SNTP server answers nothing
//   sntp-behind@AT:FOR      the SNTP server answers with a clock 2 h behind (a misconfigured time server): tokens
//                           the board signs then are already expired for the hub
//   hub-unreachable@AT:FOR  the bridges refuse new connections (RST); open ones are reset at the start
//   hang@AT                 the main loop hangs: the core spins in place with interrupts masked (the watchdog
//                           is the way out)
const UNITS = { ms: 1, s: 1000, m: 60_000, '': 1000 };
const SNTP_BEHIND_MS = 2 * 60 * 60 * 1000;

export const FAULT_KINDS = {
  'link-down': { lasts: true, what: 'link down', over: 'link up' },
  'tcp-reset': { lasts: false, what: 'tcp reset of every bridged connection' },
  'dns-fail': { lasts: true, what: 'dns failing (SERVFAIL)', over: 'dns answering again' },
  'dns-silent': { lasts: true, what: 'dns silent', over: 'dns answering again' },
  'sntp-silent': { lasts: true, what: 'sntp silent', over: 'sntp answering again' },
  'sntp-behind': { lasts: true, what: 'sntp answering 2 h behind', over: 'sntp answering the right time again' },
  'hub-unreachable': { lasts: true, what: 'hub unreachable (bridges refuse connections)', over: 'hub reachable again' },
  hang: { lasts: false, what: 'hang: the core spins with interrupts masked' },
};

const GRAMMAR = Object.entries(FAULT_KINDS).map(([kind, { lasts }]) => `${kind}@AT${lasts ? ':FOR' : ''}`).join(', ');

function parseMs(text, whole) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|)$/.exec(text);
  if (!m) throw new Error(`--fault ${whole}: '${text}' is not a time like 5s or 1500ms`);
  return Number(m[1]) * UNITS[m[2]];
}

// "link-down@5s:10s" → { kind: 'link-down', atMs: 5000, forMs: 10000 }; "hang@20s" → { kind: 'hang', atMs: 20000 }
export function parseFault(text) {
  const m = /^([a-z-]+)@([^:]+)(?::(.+))?$/.exec(text);
  const spec = m ? FAULT_KINDS[m[1]] : undefined;
  if (!spec) throw new Error(`--fault ${text}: expected one of ${GRAMMAR} (e.g. link-down@5s:10s)`);
  if (spec.lasts !== (m[3] !== undefined)) {
    throw new Error(`--fault ${text}: ${m[1]} takes ${spec.lasts ? 'AT:FOR (e.g. 5s:10s)' : 'only AT (e.g. 5s)'}`);
  }
  const fault = { kind: m[1], atMs: parseMs(m[2], text) };
  if (spec.lasts) fault.forMs = parseMs(m[3], text);
  return fault;
}

// What each kind does when it starts and (for lasting ones) when it ends.
function actions(kind, { chip, lan, board }) {
  switch (kind) {
    case 'link-down': return [() => chip.dropLink(), () => chip.setLink(true)];
    case 'tcp-reset': return [() => chip.resetConnections()];
    case 'dns-fail': return [() => { lan.dns.failing = true; }, () => { lan.dns.failing = false; }];
    case 'dns-silent': return [() => { lan.dns.silent = true; }, () => { lan.dns.silent = false; }];
    case 'sntp-silent': return [() => { lan.sntp.silent = true; }, () => { lan.sntp.silent = false; }];
    case 'sntp-behind': return [() => { lan.sntp.faultSkewMs = -SNTP_BEHIND_MS; }, () => { lan.sntp.faultSkewMs = 0; }];
    case 'hub-unreachable': return [() => { lan.setBridgesRefusing(true); chip.resetConnections(); },
      () => lan.setBridgesRefusing(false)];
    case 'hang': return [() => board.hang()];
    default: throw new Error(`unknown fault ${kind}`);
  }
}

// Arms the faults on the EVB's scheduler (emulated time); `note` says when each one starts and ends.
// targets: { chip, lan, board (for hang), scheduler, note }
export function scheduleFaults(faults, { scheduler, note = () => {}, ...targets }) {
  const at = () => `${(scheduler.nowNanos() / 1e6).toFixed(0)} ms emulated`;
  for (const fault of faults) {
    const [start, end] = actions(fault.kind, targets);
    const { what, over } = FAULT_KINDS[fault.kind];
    scheduler.after(fault.atMs * 1e6, () => {
      note(`fault: ${what} at ${at()}${end ? `, for ${fault.forMs} ms` : ''}`);
      start();
      if (!end) return;
      scheduler.after(fault.forMs * 1e6, () => {
        note(`fault: ${over} at ${at()}`);
        end();
      });
    });
  }
}

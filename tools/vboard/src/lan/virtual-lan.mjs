// The virtual LAN 192.0.2.0/24, which exists only inside the harness: a router/DHCP server at .1, DNS at
// .53, SNTP at .123, named hosts (DNS answers) and TCP bridges to loopback ports. The board gets .10.
import { DhcpServer } from './dhcp-server.mjs';
import { DnsServer } from './dns-server.mjs';
import { SntpServer } from './sntp-server.mjs';
import { openBridge } from './tcp-bridge.mjs';

export const LAN = {
  router: '192.0.2.1', dns: '192.0.2.53', ntp: '192.0.2.123', board: '192.0.2.10', mask: '255.255.255.0',
  broadcast: '192.0.2.255',
};
const SERVICE_LATENCY_NANOS = 300_000;  // a LAN round trip plus the server's work: 0.3 ms

// "localhost=192.0.2.20" → [name, ip]
export function parseHost(text) {
  const m = /^([^=\s]+)=(192\.0\.2\.\d{1,3})$/.exec(text);
  if (!m) throw new Error(`--host ${text}: expected NAME=192.0.2.X`);
  return [m[1].toLowerCase(), m[2]];
}

export class VirtualLan {
  // options: { scheduler, hosts: [[name, ip]], bridges: [{ ip, port, target }], sntpSkewMs, leaseS, log, now }
  constructor({ scheduler, hosts = [], bridges = [], sntpSkewMs = 0, leaseS = 3600, log = () => {},
    now = () => Date.now() }) {
    this.scheduler = scheduler;
    this.log = log;
    this.bridges = bridges;
    this.chip = null;
    this.openConnections = 0;
    this.stats = { dhcpAcks: 0, dnsQueries: 0, sntpReplies: 0, tcpOpened: 0, tcpRefused: 0 };
    this.bridgesRefusing = false;  // the hub-unreachable fault
    this.dhcp = new DhcpServer({ serverIp: LAN.router, offerIp: LAN.board, mask: LAN.mask, router: LAN.router,
      dns: [LAN.dns], ntp: [LAN.ntp], leaseS, log });
    this.dns = new DnsServer({ names: new Map(hosts), log });
    this.sntp = new SntpServer({ now, skewMs: sntpSkewMs, log });
    this.present = new Set([LAN.router, LAN.dns, LAN.ntp, ...hosts.map(([, ip]) => ip), ...bridges.map((b) => b.ip)]);
  }

  attach(chip) {
    this.chip = chip;
  }

  // True while a bridged connection is open or opening.
  get busy() {
    return this.openConnections > 0;
  }

  // True once the board has talked to a real-time peer through a bridge: from then on its waits (replies,
  // keep-alives, CONNACK timeouts, reconnect back-off against a restarting hub) happen in wall-clock time.
  get realTime() {
    return this.stats.tcpOpened > 0;
  }

  arp(ip) {
    return this.present.has(ip);
  }

  sendUdp({ srcIp, srcPort, dstIp, dstPort, payload }) {
    const reply = this.#serve(dstIp, dstPort, payload);
    if (!reply) return;
    const toBroadcast = dstPort === 67;
    this.scheduler.after(SERVICE_LATENCY_NANOS, () => this.chip?.deliverUdp({
      srcIp: toBroadcast ? LAN.router : dstIp, srcPort: dstPort,
      dstIp: toBroadcast ? '255.255.255.255' : srcIp, dstPort: srcPort, payload: reply,
    }));
  }

  #serve(dstIp, dstPort, payload) {
    if (dstPort === 67 && (dstIp === '255.255.255.255' || dstIp === LAN.router || dstIp === LAN.broadcast)) {
      const reply = this.dhcp.handle(payload);
      if (reply && reply[242] === 5) this.stats.dhcpAcks++;
      return reply;
    }
    if (dstPort === 53 && dstIp === LAN.dns) {
      this.stats.dnsQueries++;
      return this.dns.handle(payload);
    }
    if (dstPort === 123 && dstIp === LAN.ntp) {
      const reply = this.sntp.handle(payload);
      if (reply) this.stats.sntpReplies++;
      return reply;
    }
    return null;
  }

  // Fault injection: while on, every bridged address answers a connection attempt with RST (hub unreachable).
  setBridgesRefusing(on) {
    this.bridgesRefusing = on;
  }

  // A port nobody listens on answers with RST; a bridged one opens the loopback connection.
  openTcp(endpoints, events) {
    const bridge = this.bridges.find((b) => b.ip === endpoints.dstIp && b.port === endpoints.dstPort);
    if (!bridge || this.bridgesRefusing) {
      this.stats.tcpRefused++;
      this.log(`TCP: ${endpoints.dstIp}:${endpoints.dstPort} refused (${bridge ? 'hub unreachable fault' : 'no bridge'})`);
      const cancel = this.scheduler.after(SERVICE_LATENCY_NANOS, () => events.reset());
      return { write() {}, end() {}, destroy: cancel, pause() {}, resume() {} };
    }
    this.stats.tcpOpened++;
    this.log(`TCP: ${endpoints.srcIp}:${endpoints.srcPort} → ${endpoints.dstIp}:${endpoints.dstPort} bridged to ` +
      `${bridge.target.host}:${bridge.target.port}`);
    return openBridge(bridge.target, events, {
      onOpen: () => { this.openConnections++; },
      onClose: () => { this.openConnections--; },
    });
  }
}

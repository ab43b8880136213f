// DHCP server (RFC 2131/2132) for the one board on the virtual LAN: DISCOVER → OFFER, REQUEST → ACK (or NAK
// for an address we did not offer). Replies are broadcast (the W5100S cannot take unicast to an IP it does
// not own yet).
const COOKIE = 0x63825363;
const TYPE = { DISCOVER: 1, OFFER: 2, REQUEST: 3, DECLINE: 4, ACK: 5, NAK: 6, RELEASE: 7, INFORM: 8 };

export function ipBytes(text) {
  return text.split('.').map(Number);
}

// options: Map code → Buffer. Returns null for anything that is not a well-formed BOOTP request.
export function parseDhcp(packet) {
  if (packet.length < 240 || packet[0] !== 1 || packet.readUInt32BE(236) !== COOKIE) return null;
  const options = new Map();
  for (let i = 240; i < packet.length;) {
    const code = packet[i];
    if (code === 255) break;
    if (code === 0) { i++; continue; }
    if (i + 2 > packet.length || i + 2 + packet[i + 1] > packet.length) return null;
    options.set(code, packet.subarray(i + 2, i + 2 + packet[i + 1]));
    i += 2 + packet[i + 1];
  }
  return { xid: packet.readUInt32BE(4), flags: packet.readUInt16BE(10), ciaddr: [...packet.subarray(12, 16)].join('.'),
    chaddr: packet.subarray(28, 44), type: options.get(53)?.[0] ?? 0, options };
}

export class DhcpServer {
  // config: { serverIp, offerIp, mask, router, dns: [ip], ntp: [ip], leaseS, log }
  constructor(config) {
    this.config = config;
    this.log = config.log ?? (() => {});
    this.leases = 0;
  }

  // Returns the reply datagram's payload, or null when the request gets no answer.
  handle(payload) {
    const request = parseDhcp(payload);
    if (!request) return null;
    const { offerIp } = this.config;
    switch (request.type) {
      case TYPE.DISCOVER:
        this.log(`DHCP: DISCOVER → OFFER ${offerIp}`);
        return this.#reply(request, TYPE.OFFER);
      case TYPE.REQUEST: {
        const wanted = request.options.get(50) ? [...request.options.get(50)].join('.') : request.ciaddr;
        const server = request.options.get(54);
        if (server && [...server].join('.') !== this.config.serverIp) return null;  // chose another server
        if (wanted !== offerIp) {
          this.log(`DHCP: REQUEST for ${wanted} → NAK`);
          return this.#reply(request, TYPE.NAK);
        }
        this.leases++;
        this.log(`DHCP: REQUEST → ACK ${offerIp} (lease ${this.config.leaseS} s)`);
        return this.#reply(request, TYPE.ACK);
      }
      default:
        return null;  // RELEASE, DECLINE, INFORM: nothing to say
    }
  }

  #reply(request, type) {
    const { serverIp, offerIp, mask, router, dns, ntp, leaseS } = this.config;
    const head = Buffer.alloc(240);
    head[0] = 2; head[1] = 1; head[2] = 6;
    head.writeUInt32BE(request.xid, 4);
    head.writeUInt16BE(request.flags, 10);
    if (type !== TYPE.NAK) Buffer.from(ipBytes(offerIp)).copy(head, 16);
    Buffer.from(ipBytes(serverIp)).copy(head, 20);
    request.chaddr.copy(head, 28);
    head.writeUInt32BE(COOKIE, 236);
    const options = [[53, [type]], [54, ipBytes(serverIp)]];
    if (type !== TYPE.NAK) {
      const u32 = (v) => [v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
      options.push([51, u32(leaseS)], [58, u32(Math.floor(leaseS / 2))], [59, u32(Math.floor((leaseS * 7) / 8))],
        [1, ipBytes(mask)], [3, ipBytes(router)], [6, dns.flatMap(ipBytes)], [42, ntp.flatMap(ipBytes)]);
    }
    const body = options.flatMap(([code, data]) => [code, data.length, ...data]);
    const packet = Buffer.concat([head, Buffer.from([...body, 255])]);
    return packet.length >= 300 ? packet : Buffer.concat([packet, Buffer.alloc(300 - packet.length)]);
  }
}

export { TYPE as DHCP_TYPE };

// SNTP server (RFC 4330): host time, optionally skewed; `silent` makes it ignore requests (a fault).
const NTP_UNIX_OFFSET = 2_208_988_800;

export function ntpTimestamp(unixMs) {
  const out = Buffer.alloc(8);
  const seconds = Math.floor(unixMs / 1000);
  out.writeUInt32BE((seconds + NTP_UNIX_OFFSET) >>> 0, 0);
  out.writeUInt32BE(Math.floor(((unixMs % 1000) / 1000) * 2 ** 32) >>> 0, 4);
  return out;
}

export function ntpToUnixMs(buffer, offset) {
  return (buffer.readUInt32BE(offset) - NTP_UNIX_OFFSET) * 1000 + Math.round((buffer.readUInt32BE(offset + 4) / 2 ** 32) * 1000);
}

export class SntpServer {
  constructor({ now = () => Date.now(), skewMs = 0, log = () => {} } = {}) {
    this.now = now;
    this.skewMs = skewMs;
    this.faultSkewMs = 0;  // set by the sntp-behind fault, on top of skewMs
    this.silent = false;
    this.log = log;
  }

  handle(packet) {
    if (this.silent || packet.length < 48) return null;
    const mode = packet[0] & 7;
    if (mode !== 3) return null;
    const version = (packet[0] >> 3) & 7;
    const reply = Buffer.alloc(48);
    reply[0] = (version << 3) | 4;  // LI 0, client's version, mode 4 (server)
    reply[1] = 1;                    // stratum 1: a primary reference
    reply[2] = packet[2];
    reply[3] = 0xec;                 // precision ~2^-20 s
    reply.write('VBRD', 12, 'latin1');
    const now = this.now() + this.skewMs + this.faultSkewMs;
    ntpTimestamp(now).copy(reply, 16);
    packet.copy(reply, 24, 40, 48);  // originate = the client's transmit timestamp
    ntpTimestamp(now).copy(reply, 32);
    ntpTimestamp(now).copy(reply, 40);
    this.log(`SNTP: time ${new Date(now).toISOString()}`);
    return reply;
  }
}

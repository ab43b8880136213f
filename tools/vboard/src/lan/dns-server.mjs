// DNS server (RFC 1035) answering A queries from a fixed name → address table; anything else is NXDOMAIN.
// Two faults: `failing` answers SERVFAIL, `silent` answers nothing.
export function parseQuestion(packet) {
  if (packet.length < 12 || (packet[2] & 0x80) !== 0 || packet.readUInt16BE(4) !== 1) return null;
  const labels = [];
  let i = 12;
  while (i < packet.length && packet[i] !== 0) {
    const length = packet[i];
    if (length > 63 || i + 1 + length > packet.length) return null;
    labels.push(packet.subarray(i + 1, i + 1 + length).toString('latin1'));
    i += 1 + length;
  }
  if (i + 5 > packet.length) return null;
  return { id: packet.readUInt16BE(0), flags: packet.readUInt16BE(2), name: labels.join('.'),
    type: packet.readUInt16BE(i + 1), klass: packet.readUInt16BE(i + 3), end: i + 5 };
}

export class DnsServer {
  // names: Map lower-case name → dotted IPv4; failing: a switch for the "DNS failure" fault (SERVFAIL).
  constructor({ names, log = () => {} }) {
    this.names = names;
    this.log = log;
    this.failing = false;
    this.silent = false;
  }

  handle(packet) {
    const q = parseQuestion(packet);
    if (!q) return null;
    if (this.silent) {
      this.log(`DNS: ${q.name} → no answer (silent)`);
      return null;
    }
    const address = this.names.get(q.name.toLowerCase());
    const found = address && q.type === 1 && q.klass === 1;
    const rcode = this.failing ? 2 : address ? 0 : 3;
    this.log(`DNS: ${q.name} → ${rcode === 0 ? (found ? address : 'no A record') : rcode === 3 ? 'NXDOMAIN' : 'SERVFAIL'}`);
    const header = Buffer.alloc(12);
    header.writeUInt16BE(q.id, 0);
    header.writeUInt16BE(0x8000 | 0x0400 | (q.flags & 0x0100) | 0x0080 | rcode, 2);  // QR, AA, RD copied, RA
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(rcode === 0 && found ? 1 : 0, 6);
    const question = packet.subarray(12, q.end);
    if (rcode !== 0 || !found) return Buffer.concat([header, question]);
    const answer = Buffer.alloc(16);
    answer.writeUInt16BE(0xc00c, 0);  // the name: a pointer to the question's
    answer.writeUInt16BE(1, 2);
    answer.writeUInt16BE(1, 4);
    answer.writeUInt32BE(60, 6);
    answer.writeUInt16BE(4, 10);
    Buffer.from(address.split('.').map(Number)).copy(answer, 12);
    return Buffer.concat([header, question, answer]);
  }
}

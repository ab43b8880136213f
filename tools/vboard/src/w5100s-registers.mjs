// W5100S register addresses, commands, states and reset values (facts: shared reference §3).
export const SOCKETS = 4;
export const VERSION = 0x51;

export const MR = 0x0000;
export const IR = 0x0015;
export const MR2 = 0x0030;
export const PHYSR = 0x003c;
export const MR_RESET = 0x80;
export const MR2_DEFAULT = 0x40;  // G_IEN: INTn driven

// Common registers whose reset value is not 0 (MR reads 0x03 after a reset; RTR 200 ms; RCR 8; 2 KiB each).
export const COMMON_RESET = [[MR, 0x03], [0x0017, 0x07], [0x0018, 0xd0], [0x0019, 0x08], [0x001a, 0x55],
  [0x001b, 0x55]];

// Socket register offsets from 0x0400 + 0x100 * n.
export const SN = {
  MR: 0x00, CR: 0x01, IR: 0x02, SR: 0x03, PORT: 0x04, DHAR: 0x06, DIPR: 0x0c, DPORT: 0x10, MSSR: 0x12,
  PROTO: 0x14, TOS: 0x15, TTL: 0x16, RXBUF_SIZE: 0x1e, TXBUF_SIZE: 0x1f, TX_FSR: 0x20, TX_RD: 0x22, TX_WR: 0x24,
  RX_RSR: 0x26, RX_RD: 0x28, RX_WR: 0x2a, IMR: 0x2c, FRAGR: 0x2d, MR2: 0x2f, KPALVTR: 0x30, RTR: 0x32, RCR: 0x34,
};
export const SN_MR_PROTOCOL = 0x0f;

export const CR = { OPEN: 0x01, LISTEN: 0x02, CONNECT: 0x04, DISCON: 0x08, CLOSE: 0x10, SEND: 0x20, RECV: 0x40 };
export const SN_IR = { SENDOK: 0x10, TIMEOUT: 0x08, RECV: 0x04, DISCON: 0x02, CON: 0x01 };
export const SR = {
  CLOSED: 0x00, INIT: 0x13, LISTEN: 0x14, SYNSENT: 0x15, SYNRECV: 0x16, ESTABLISHED: 0x17, FIN_WAIT: 0x18,
  CLOSING: 0x1a, TIME_WAIT: 0x1b, CLOSE_WAIT: 0x1c, LAST_ACK: 0x1d, UDP: 0x22, IPRAW: 0x32, MACRAW: 0x42,
};

export function ipText(ip32) {
  return [ip32 >>> 24, (ip32 >> 16) & 0xff, (ip32 >> 8) & 0xff, ip32 & 0xff].join('.');
}

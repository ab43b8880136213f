#include "w5100s_fake_chip.hpp"

#include <algorithm>

namespace picohub::w5100s::testing {
namespace {

// The fake's own copy of the datasheet numbers, independent of the driver's registers.hpp.
constexpr std::uint16_t MR = 0x0000, IR = 0x0015, RTR = 0x0017, RCR = 0x0019, RMSR = 0x001A, TMSR = 0x001B,
                        PHYSR = 0x003C, VERR = 0x0080;
constexpr std::uint16_t S_MR = 0x00, S_CR = 0x01, S_IR = 0x02, S_SR = 0x03, S_DIPR = 0x0C, S_DPORT = 0x10,
                        S_TX_FSR = 0x20, S_TX_RD = 0x22, S_TX_WR = 0x24, S_RX_RSR = 0x26, S_RX_RD = 0x28,
                        S_RX_WR = 0x2A;
constexpr std::uint8_t CLOSED = 0x00, INIT = 0x13, SYNSENT = 0x15, ESTABLISHED = 0x17, FIN_WAIT = 0x18,
                       CLOSE_WAIT = 0x1C, UDP = 0x22;
constexpr std::uint8_t SENDOK = 0x10, TIMEOUT = 0x08, RECV = 0x04, DISCON = 0x02, CON = 0x01;
constexpr std::uint16_t TX_MEM = 0x4000, RX_MEM = 0x6000, MEM_END = 0x8000;

bool socket_register(std::uint16_t address, int& s, std::uint16_t& offset) {
  if (address < 0x0400 || address >= 0x0800) return false;
  s = (address - 0x0400) >> 8;
  offset = address & 0xFF;
  return true;
}

}  // namespace

FakeChip::FakeChip() { reset_registers(); }

void FakeChip::ResetPin::write(bool high) {
  if (!high) {
    chip_.in_reset_ = true;
  } else if (chip_.in_reset_) {
    chip_.in_reset_ = false;
    chip_.reset_registers();
    chip_.mr_reset_reads_left_ = 0;
  }
}

void FakeChip::set_link(bool up) {
  link_up_ = up;
  mem_[PHYSR] = up ? 0x01 : 0x00;
}

void FakeChip::reset_registers() {
  std::fill(mem_.begin(), mem_.begin() + 0x0800, std::uint8_t{0});
  mem_[MR] = 0x03;
  set_u16(RTR, 0x07D0);
  mem_[RCR] = 0x08;
  mem_[RMSR] = 0x55;
  mem_[TMSR] = 0x55;
  mem_[PHYSR] = link_up_ ? 0x01 : 0x00;
  for (auto& socket : sockets_) {
    auto logs_tcp = std::move(socket.tcp_sent);
    auto logs_udp = std::move(socket.udp_sent);
    socket = Socket{};
    socket.tcp_sent = std::move(logs_tcp);
    socket.udp_sent = std::move(logs_udp);
  }
}

void FakeChip::transaction(std::span<const std::uint8_t> header, std::span<const std::uint8_t> data_out,
                           std::span<std::uint8_t> data_in) {
  if (header.size() != 3) return violation("SPI frame header is not opcode + 16-bit address");
  const bool write = header[0] == 0xF0;
  if (!write && header[0] != 0x0F) return violation("SPI frame opcode is neither 0xF0 nor 0x0F");
  if (write ? (data_out.empty() || !data_in.empty()) : (!data_out.empty() || data_in.empty()))
    return violation("SPI frame mixes or lacks data for its opcode");
  if (in_reset_) {
    std::fill(data_in.begin(), data_in.end(), std::uint8_t{0});
    return violation("SPI access while RSTn is low");
  }
  const auto address = static_cast<std::uint16_t>((header[1] << 8) | header[2]);
  const std::size_t length = write ? data_out.size() : data_in.size();
  if (address + length > MEM_END) return violation("SPI burst runs past the end of chip memory");
  if (address >= TX_MEM) check_memory_burst(address, length, write);
  if (absent) {
    std::fill(data_in.begin(), data_in.end(), std::uint8_t{0});
    return;
  }
  for (std::size_t i = 0; i < length; ++i) {
    const auto a = static_cast<std::uint16_t>(address + i);
    if (write) write_byte(a, data_out[i]);
    else data_in[i] = read_byte(a);
  }
}

void FakeChip::check_memory_burst(std::uint16_t address, std::size_t length, bool write) {
  memory_frames_.push_back({address, length, write});
  const bool tx = address < RX_MEM;
  for (int s = 0; s < 4; ++s) {
    const std::uint16_t start = base(s, tx);
    const std::uint16_t size = tx ? tx_size(s) : rx_size(s);
    if (address >= start && address < start + size) {
      if (address + length > start + size) violation("burst crosses the end of a socket's ring (no wrap split)");
      return;
    }
  }
  violation("burst outside every socket's buffer");
}

std::uint8_t FakeChip::read_byte(std::uint16_t address) {
  if (address == MR) {
    if (mr_reset_reads_left_ > 0) {
      --mr_reset_reads_left_;
      return static_cast<std::uint8_t>(mem_[MR] | 0x80);
    }
    return mem_[MR];
  }
  if (address == VERR) return version;
  if (address == IR) {
    std::uint8_t bits = mem_[IR] & 0xF0;
    for (int s = 0; s < 4; ++s)
      if (mem_[sreg(s, S_IR)] != 0) bits = static_cast<std::uint8_t>(bits | (1u << s));
    return bits;
  }
  int s = 0;
  std::uint16_t offset = 0;
  if (!socket_register(address, s, offset)) return mem_[address];
  const Socket& socket = sockets_[idx(s)];
  const auto hi = [](std::uint16_t v) { return static_cast<std::uint8_t>(v >> 8); };
  const auto lo = [](std::uint16_t v) { return static_cast<std::uint8_t>(v & 0xFF); };
  const auto in_flight = static_cast<std::uint16_t>(reg16(sreg(s, S_TX_WR)) - socket.tx_rd);
  const std::uint16_t free = socket.send_in_flight ? static_cast<std::uint16_t>(tx_size(s) - in_flight) : tx_size(s);
  switch (offset) {
    case S_CR: return commands_stick ? mem_[address] : 0;
    case S_TX_FSR: return hi(free);
    case S_TX_FSR + 1: return lo(free);
    case S_TX_RD: return hi(socket.tx_rd);
    case S_TX_RD + 1: return lo(socket.tx_rd);
    case S_RX_WR: return hi(socket.rx_wr);
    case S_RX_WR + 1: return lo(socket.rx_wr);
    case S_RX_RSR: {
      ++rsr_reads_;
      const std::uint8_t value = hi(received_size(s));
      if (!sockets_[idx(s)].tear_bytes.empty()) {
        auto bytes = std::move(sockets_[idx(s)].tear_bytes);
        sockets_[idx(s)].tear_bytes.clear();
        deliver(s, bytes);
      }
      return value;
    }
    case S_RX_RSR + 1: return lo(received_size(s));
    default: return mem_[address];
  }
}

void FakeChip::write_byte(std::uint16_t address, std::uint8_t value) {
  if (address == MR) {
    if (value & 0x80) {
      reset_registers();
      mr_reset_reads_left_ = soft_reset_reads;
      return;
    }
    mem_[MR] = value;
    return;
  }
  if (address == VERR || address == PHYSR) return violation("write to a read-only common register");
  if (address == IR) {
    mem_[IR] = static_cast<std::uint8_t>(mem_[IR] & ~(value & 0xF0));
    return;
  }
  int s = 0;
  std::uint16_t offset = 0;
  if (!socket_register(address, s, offset)) {
    mem_[address] = value;
    if ((address == RMSR || address == TMSR) && (tx_size(0) + tx_size(1) + tx_size(2) + tx_size(3) > 0x2000 ||
                                                 rx_size(0) + rx_size(1) + rx_size(2) + rx_size(3) > 0x2000))
      violation("socket buffer sizes exceed 8 KiB");
    return;
  }
  switch (offset) {
    case S_CR: mem_[address] = value; return command(s, value);
    case S_IR: mem_[address] = static_cast<std::uint8_t>(mem_[address] & ~value); return;
    case S_SR:
    case S_TX_FSR:
    case S_TX_FSR + 1:
    case S_TX_RD:
    case S_TX_RD + 1:
    case S_RX_RSR:
    case S_RX_RSR + 1:
    case S_RX_WR:
    case S_RX_WR + 1: return violation("write to a read-only socket register");
    default: mem_[address] = value;
  }
}

void FakeChip::command(int s, std::uint8_t cr) {
  Socket& socket = sockets_[idx(s)];
  std::uint8_t& sr = mem_[sreg(s, S_SR)];
  const std::uint8_t protocol = mem_[sreg(s, S_MR)] & 0x0F;
  switch (cr) {
    case 0x01:  // OPEN
      if (sr != CLOSED) return violation("OPEN on a socket that is not closed");
      if (protocol != 0x01 && protocol != 0x02) return violation("OPEN with Sn_MR neither TCP nor UDP");
      sr = protocol == 0x01 ? INIT : UDP;
      socket.tx_rd = socket.rx_wr = socket.rx_rd = pointer_after_open[idx(s)];
      set_u16(sreg(s, S_TX_WR), socket.tx_rd);
      set_u16(sreg(s, S_RX_RD), socket.rx_rd);
      socket.send_in_flight = socket.fin_sent = false;
      return;
    case 0x04:  // CONNECT
      if (sr != INIT) return violation("CONNECT outside SOCK_INIT");
      sr = SYNSENT;
      return;
    case 0x08:  // DISCON: the model's peer answers the FIN at once
      if (sr != ESTABLISHED && sr != CLOSE_WAIT) return violation("DISCON on a socket that is not connected");
      socket.fin_sent = true;
      if (linger_after_discon) {
        sr = FIN_WAIT;
        return;
      }
      sr = CLOSED;
      mem_[sreg(s, S_IR)] |= DISCON;
      return;
    case 0x10:  // CLOSE
      sr = CLOSED;
      socket.send_in_flight = false;
      return;
    case 0x20: return send(s);
    case 0x40: {  // RECV
      if (sr == CLOSED && received_size(s) == 0) return violation("RECV on a closed socket");
      const std::uint16_t rd = reg16(sreg(s, S_RX_RD));
      if (static_cast<std::uint16_t>(rd - socket.rx_rd) > received_size(s))
        return violation("RECV with Sn_RX_RD beyond the received data");
      socket.rx_rd = rd;
      if (received_size(s) > 0) mem_[sreg(s, S_IR)] |= RECV;
      return;
    }
    default: return violation("unknown or unsupported socket command");
  }
}

void FakeChip::send(int s) {
  Socket& socket = sockets_[idx(s)];
  const std::uint8_t sr = mem_[sreg(s, S_SR)];
  if (sr != ESTABLISHED && sr != CLOSE_WAIT && sr != UDP) return violation("SEND on a socket that cannot send");
  if (socket.send_in_flight) return violation("SEND while the previous SEND is still in flight");
  const std::uint16_t wr = reg16(sreg(s, S_TX_WR));
  const auto length = static_cast<std::uint16_t>(wr - socket.tx_rd);
  if (length > tx_size(s)) return violation("SEND of more bytes than the TX buffer holds");
  auto bytes = ring_read(s, true, socket.tx_rd, length);
  if (sr == UDP) {
    SentDatagram datagram;
    for (std::size_t i = 0; i < 4; ++i) datagram.ip[i] = mem_[sreg(s, S_DIPR) + i];
    datagram.port = reg16(sreg(s, S_DPORT));
    datagram.payload = std::move(bytes);
    socket.udp_sent.push_back(std::move(datagram));
  } else {
    socket.tcp_sent.insert(socket.tcp_sent.end(), bytes.begin(), bytes.end());
  }
  if (defer_sendok) {
    socket.send_in_flight = true;
    return;
  }
  socket.tx_rd = wr;
  mem_[sreg(s, S_IR)] |= SENDOK;
}

void FakeChip::complete_send(int s) {
  Socket& socket = sockets_[idx(s)];
  if (!socket.send_in_flight) return;
  socket.send_in_flight = false;
  socket.tx_rd = reg16(sreg(s, S_TX_WR));
  mem_[sreg(s, S_IR)] |= SENDOK;
}

void FakeChip::fail_send(int s) {
  Socket& socket = sockets_[idx(s)];
  if (!socket.send_in_flight) return;
  socket.send_in_flight = false;
  socket.tx_rd = reg16(sreg(s, S_TX_WR));
  mem_[sreg(s, S_IR)] |= TIMEOUT;
  if (mem_[sreg(s, S_SR)] != UDP) mem_[sreg(s, S_SR)] = CLOSED;  // TCP gives the connection up
}

void FakeChip::establish(int s) {
  if (mem_[sreg(s, S_SR)] != SYNSENT) return violation("test: establish() without a pending CONNECT");
  mem_[sreg(s, S_SR)] = ESTABLISHED;
  mem_[sreg(s, S_IR)] |= CON;
}

void FakeChip::refuse(int s) { mem_[sreg(s, S_SR)] = CLOSED; }

void FakeChip::time_out(int s) {
  mem_[sreg(s, S_SR)] = CLOSED;
  mem_[sreg(s, S_IR)] |= TIMEOUT;
}

void FakeChip::peer_close(int s) {
  if (mem_[sreg(s, S_SR)] != ESTABLISHED) return violation("test: peer_close() on a socket that is not established");
  mem_[sreg(s, S_SR)] = CLOSE_WAIT;
  mem_[sreg(s, S_IR)] |= DISCON;
}

std::size_t FakeChip::deliver(int s, std::span<const std::uint8_t> bytes) {
  Socket& socket = sockets_[idx(s)];
  const std::size_t room = rx_size(s) - received_size(s);
  const std::size_t n = std::min(room, bytes.size());
  ring_write(s, socket.rx_wr, bytes.first(n));
  socket.rx_wr = static_cast<std::uint16_t>(socket.rx_wr + n);
  if (n > 0) mem_[sreg(s, S_IR)] |= RECV;
  return n;
}

bool FakeChip::deliver_udp(int s, std::array<std::uint8_t, 4> ip, std::uint16_t port,
                           std::span<const std::uint8_t> payload) {
  if (static_cast<std::size_t>(rx_size(s) - received_size(s)) < payload.size() + 8)
    return false;  // the chip drops what does not fit
  std::vector<std::uint8_t> framed{ip[0],
                                   ip[1],
                                   ip[2],
                                   ip[3],
                                   static_cast<std::uint8_t>(port >> 8),
                                   static_cast<std::uint8_t>(port),
                                   static_cast<std::uint8_t>(payload.size() >> 8),
                                   static_cast<std::uint8_t>(payload.size())};
  framed.insert(framed.end(), payload.begin(), payload.end());
  return deliver(s, framed) == framed.size();
}

void FakeChip::raw_rx(int s, std::span<const std::uint8_t> bytes, std::uint16_t received) {
  Socket& socket = sockets_[idx(s)];
  ring_write(s, socket.rx_rd, bytes.first(std::min<std::size_t>(bytes.size(), rx_size(s))));
  socket.rx_wr = static_cast<std::uint16_t>(socket.rx_rd + received);
  mem_[sreg(s, S_IR)] |= RECV;
}

void FakeChip::deliver_during_next_rsr_read(int s, std::vector<std::uint8_t> bytes) {
  sockets_[idx(s)].tear_bytes = std::move(bytes);
}

std::uint16_t FakeChip::reg16(std::uint16_t address) const {
  return static_cast<std::uint16_t>((mem_[address] << 8) | mem_[address + 1u]);
}

std::uint8_t FakeChip::status(int s) const { return mem_[sreg(s, S_SR)]; }
std::uint8_t FakeChip::interrupts(int s) const { return mem_[sreg(s, S_IR)]; }

std::uint16_t FakeChip::received_size(int s) const {
  return static_cast<std::uint16_t>(sockets_[idx(s)].rx_wr - sockets_[idx(s)].rx_rd);
}

std::uint16_t FakeChip::tx_size(int s) const {
  return static_cast<std::uint16_t>(1024u << ((mem_[TMSR] >> (2 * s)) & 3));
}
std::uint16_t FakeChip::rx_size(int s) const {
  return static_cast<std::uint16_t>(1024u << ((mem_[RMSR] >> (2 * s)) & 3));
}

std::uint16_t FakeChip::base(int s, bool tx) const {
  unsigned address = tx ? TX_MEM : RX_MEM;
  for (int k = 0; k < s; ++k) address += tx ? tx_size(k) : rx_size(k);
  return static_cast<std::uint16_t>(address);
}

void FakeChip::ring_write(int s, std::uint16_t pointer, std::span<const std::uint8_t> bytes) {
  const std::uint16_t size = rx_size(s);
  for (std::size_t i = 0; i < bytes.size(); ++i) mem_[base(s, false) + ((pointer + i) & (size - 1u))] = bytes[i];
}

std::vector<std::uint8_t> FakeChip::ring_read(int s, bool tx, std::uint16_t pointer, std::size_t length) const {
  const std::uint16_t size = tx ? tx_size(s) : rx_size(s);
  std::vector<std::uint8_t> out(length);
  for (std::size_t i = 0; i < length; ++i) out[i] = mem_[base(s, tx) + ((pointer + i) & (size - 1u))];
  return out;
}

void FakeChip::set_u16(std::uint16_t address, std::uint16_t value) {
  mem_[address] = static_cast<std::uint8_t>(value >> 8);
  mem_[address + 1u] = static_cast<std::uint8_t>(value);
}

}  // namespace picohub::w5100s::testing

// The W5100S receive paths under libFuzzer. The chip sits on the network side, so its RX memory and its
// received-size counter are attacker-shaped: arbitrary ring content and Sn_RX_RSR values (including more than
// the ring holds) go through UdpSocket::receive and TcpSocket::receive with arbitrary caller buffer sizes.
// ASan catches any overrun of the caller's buffer; the fake chip records any frame the driver should never
// issue (a burst across a ring end, RECV past the received data), which aborts the run.
//
// Input: [flags][open pointer: 2][received: 2][buffer size: 2][ring bytes...]
//   flags bit0 = UDP (else TCP), bits 2:1 = socket, bits 4:3 = RX buffer size of that socket (1/2/4/1
//   KiB; the others keep 1 KiB each so the total stays within 8 KiB).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "drivers/w5100s/chip.hpp"
#include "drivers/w5100s/tcp_socket.hpp"
#include "drivers/w5100s/udp_socket.hpp"
#include "w5100s_fake_chip.hpp"

namespace {

using namespace picohub::w5100s;

bool bring_up(Chip& chip) {
  std::uint64_t now = 0;
  chip.begin_reset(now);
  for (int i = 0; i < 1000; ++i) {
    auto done = chip.poll_reset(++now);
    if (!done) return false;
    if (*done) return true;
  }
  return false;
}

BufferSizes sizes_with(int socket, std::uint8_t rx_kib) {
  BufferSizes sizes;
  sizes.rx_kib = {1, 1, 1, 1};
  sizes.rx_kib[static_cast<std::size_t>(socket)] = rx_kib;
  return sizes;
}

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

void check(const testing::FakeChip& fake) {
  if (fake.violations().empty()) return;
  std::fprintf(stderr, "fake chip: %s\n", fake.violations().front().c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 7) return 0;
  const bool udp = data[0] & 1;
  const int socket = (data[0] >> 1) & 3;
  const auto rx_kib = static_cast<std::uint8_t>(1u << (((data[0] >> 3) & 3) % 3));
  testing::FakeChip fake;
  fake.pointer_after_open[static_cast<std::size_t>(socket)] = be16(data + 1);
  Chip chip(fake, fake.reset_pin());
  if (!bring_up(chip) || !chip.set_buffer_sizes(sizes_with(socket, rx_kib))) std::abort();

  UdpSocket udp_socket(chip, socket);
  TcpSocket tcp_socket(chip, socket);
  if (udp) {
    if (!udp_socket.open(4000)) std::abort();
  } else {
    if (!tcp_socket.connect({10, 0, 0, 1}, 443, 50000)) std::abort();
    fake.establish(socket);
    if (!tcp_socket.poll_connect()) std::abort();
  }
  fake.raw_rx(socket, std::span<const std::uint8_t>(data + 7, size - 7), be16(data + 3));

  std::vector<std::uint8_t> out(be16(data + 5) % 2048);  // exact size: ASan sees one byte past the end
  for (int round = 0; round < 32; ++round) {
    if (udp) {
      auto datagram = udp_socket.receive(out);
      if (!datagram) break;
      if (datagram->size > out.size() || datagram->size > datagram->original_size) std::abort();
    } else {
      auto n = tcp_socket.receive(out);
      if (!n) break;
      if (*n > out.size() || (*n == 0 && !out.empty())) std::abort();
      if (out.empty()) break;
    }
    check(fake);
  }
  check(fake);
  return 0;
}

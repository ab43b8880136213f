#include "websocket/websocket_transport.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "websocket_test_util.hpp"

namespace picohub::websocket {
namespace {

using testing::bytes;
using testing::server_frame;

// The inner transport: bytes queued for read(), everything written kept; writes may be capped to test the
// short-write path.
class MemoryTransport final : public net::Transport {
 public:
  std::deque<std::uint8_t> incoming;
  std::vector<std::uint8_t> written;
  std::size_t write_budget = SIZE_MAX;  // bytes the peer takes before the next would_block
  bool connected = false, closed = false, peer_gone = false;

  Result<bool> poll_connect() override { return connected; }
  Result<std::size_t> read(std::span<std::uint8_t> out) override {
    if (incoming.empty()) {
      if (peer_gone) return fail(Errc::connection_closed, "closed");
      return fail(Errc::would_block, "nothing");
    }
    const std::size_t n = std::min(out.size(), incoming.size());
    std::copy_n(incoming.begin(), n, out.begin());
    incoming.erase(incoming.begin(), incoming.begin() + static_cast<std::ptrdiff_t>(n));
    return n;
  }
  Result<std::size_t> write(std::span<const std::uint8_t> data) override {
    const std::size_t n = std::min(data.size(), write_budget);
    if (n == 0) return fail(Errc::would_block, "full");
    if (write_budget != SIZE_MAX) write_budget -= n;
    written.insert(written.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
    return n;
  }
  void close() override { closed = true; }
  net::Wait wants() const override { return net::Wait::readable; }
  void push(const std::string& s) { incoming.insert(incoming.end(), s.begin(), s.end()); }
  void push(const std::vector<std::uint8_t>& v) { incoming.insert(incoming.end(), v.begin(), v.end()); }
};

// A client frame taken off the front of `wire`, unmasked.
struct ClientFrame {
  std::uint8_t first = 0;
  std::vector<std::uint8_t> payload;
};

ClientFrame take_client_frame(std::vector<std::uint8_t>& wire) {
  EXPECT_GE(wire.size(), 6U);
  EXPECT_NE(wire[1] & 0x80, 0) << "client frames are masked";
  std::size_t length = wire[1] & 0x7F, at = 2;
  if (length == 126) {
    length = static_cast<std::size_t>(wire[2] << 8 | wire[3]);
    at = 4;
  }
  Mask mask{wire[at], wire[at + 1], wire[at + 2], wire[at + 3]};
  at += 4;
  ClientFrame f{wire[0], std::vector<std::uint8_t>(wire.begin() + static_cast<std::ptrdiff_t>(at),
                                                   wire.begin() + static_cast<std::ptrdiff_t>(at + length))};
  apply_mask(f.payload, mask);
  wire.erase(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(at + length));
  return f;
}

class WebSocketTransportTest : public ::testing::Test {
 protected:
  MemoryTransport inner;
  testing::CountingEntropy entropy;
  std::array<std::uint8_t, 512> storage{};
  WebSocketTransport ws{inner, entropy, {"hub.example", 443, kIotHubPath, kMqttSubprotocol}, storage};

  std::string sent_key() {
    const std::string request(inner.written.begin(), inner.written.end());
    const auto at = request.find("Sec-WebSocket-Key: ") + 19;
    return request.substr(at, kKeyChars);
  }
  std::string switching(const std::string& key) {
    char accept[kAcceptChars];
    auto value = accept_value(key, accept);
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Accept: " +
           std::string(*value) + "\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n";
  }
  void open() {
    inner.connected = true;
    auto r = ws.poll_connect();
    ASSERT_TRUE(r);
    EXPECT_FALSE(*r);
    inner.push(switching(sent_key()));
    r = ws.poll_connect();
    ASSERT_TRUE(r) << r.error().what;
    ASSERT_TRUE(*r);
    inner.written.clear();
  }
  std::vector<std::uint8_t> read_some() {
    std::array<std::uint8_t, 4096> out{};
    auto n = ws.read(out);
    if (!n) return {};
    return {out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n)};
  }
};

TEST_F(WebSocketTransportTest, WaitsForTheInnerConnectionThenUpgrades) {
  auto r = ws.poll_connect();
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
  EXPECT_TRUE(inner.written.empty());
  open();
  EXPECT_TRUE(*ws.poll_connect());
}

TEST_F(WebSocketTransportTest, FramesRightAfterTheResponseAreNotLost) {
  inner.connected = true;
  ASSERT_TRUE(ws.poll_connect());
  inner.push(switching(sent_key()));
  inner.push(server_frame(Opcode::binary, {0x20, 0x02, 0x00, 0x00}));  // a CONNACK
  ASSERT_TRUE(*ws.poll_connect());
  EXPECT_EQ(read_some(), (std::vector<std::uint8_t>{0x20, 0x02, 0x00, 0x00}));
}

TEST_F(WebSocketTransportTest, RefusedUpgradeSaysWhatTheServerAnswered) {
  inner.connected = true;
  ASSERT_TRUE(ws.poll_connect());
  inner.push("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  auto r = ws.poll_connect();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::protocol_violation);
  EXPECT_EQ(ws.last_error_detail(), "HTTP/1.1 404 Not Found");
}

TEST_F(WebSocketTransportTest, WritesAreMaskedBinaryFramesWithAFreshMaskEach) {
  open();
  const auto a = bytes(10), b = bytes(300, 9);
  ASSERT_EQ(*ws.write(a), 10U);
  ASSERT_EQ(*ws.write(b), 300U);
  const std::vector<std::uint8_t> mask1(inner.written.begin() + 2, inner.written.begin() + 6);
  auto f1 = take_client_frame(inner.written);
  const std::vector<std::uint8_t> mask2(inner.written.begin() + 4, inner.written.begin() + 8);
  auto f2 = take_client_frame(inner.written);
  EXPECT_EQ(f1.first, 0x82);
  EXPECT_EQ(f1.payload, a);
  EXPECT_EQ(f2.payload, b);
  EXPECT_NE(mask1, mask2);
  EXPECT_TRUE(inner.written.empty());
}

TEST_F(WebSocketTransportTest, LargeWritesAreSplitAndShortInnerWritesFinishLater) {
  open();
  const auto data = bytes(1200, 3);
  std::size_t accepted = 0;
  int would_block = 0;
  for (int i = 0; i < 100 && accepted < data.size(); ++i) {
    inner.write_budget = 100;
    auto n = ws.write(std::span(data).subspan(accepted));
    if (!n) {
      ASSERT_EQ(n.error().code, Errc::would_block);
      EXPECT_EQ(ws.wants(), net::Wait::writable);
      ++would_block;
      continue;
    }
    EXPECT_LE(*n, storage.size() - kMaxHeaderBytes);
    accepted += *n;
  }
  inner.write_budget = SIZE_MAX;
  read_some();  // read() also sends what is left
  EXPECT_GT(would_block, 0);
  std::vector<std::uint8_t> received;
  while (!inner.written.empty()) {
    auto f = take_client_frame(inner.written);
    received.insert(received.end(), f.payload.begin(), f.payload.end());
  }
  EXPECT_EQ(received, data);
}

TEST_F(WebSocketTransportTest, PingIsAnsweredWithTheSamePayloadAndPongsAreIgnored) {
  open();
  inner.push(server_frame(Opcode::ping, {'p', '1'}));
  inner.push(server_frame(Opcode::pong, {}));
  inner.push(server_frame(Opcode::binary, {7}));
  EXPECT_EQ(read_some(), std::vector<std::uint8_t>{7});
  auto pong = take_client_frame(inner.written);
  EXPECT_EQ(pong.first, 0x8A);
  EXPECT_EQ(pong.payload, (std::vector<std::uint8_t>{'p', '1'}));
}

TEST_F(WebSocketTransportTest, ServerCloseIsRepliedToAndEndsTheStream) {
  open();
  inner.push(server_frame(Opcode::binary, {1, 2}));
  inner.push(server_frame(Opcode::close, {0x03, 0xE8}));
  EXPECT_EQ(read_some(), (std::vector<std::uint8_t>{1, 2}));
  auto closed = ws.read(std::span<std::uint8_t>(storage.data(), 10));
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code, Errc::connection_closed);
  auto reply = take_client_frame(inner.written);
  EXPECT_EQ(reply.first, 0x88);
  EXPECT_EQ(reply.payload, (std::vector<std::uint8_t>{0x03, 0xE8}));
  auto w = ws.write(bytes(3));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, Errc::connection_closed);
}

TEST_F(WebSocketTransportTest, BrokenServerFramesFailTheConnection) {
  open();
  inner.push(server_frame(Opcode::text, {'x'}));
  std::array<std::uint8_t, 64> out{};
  auto r = ws.read(out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::protocol_violation);
  EXPECT_FALSE(ws.write(bytes(3)));
}

TEST_F(WebSocketTransportTest, CloseSendsACloseFrameAndClosesTheInnerTransport) {
  open();
  ws.close();
  auto f = take_client_frame(inner.written);
  EXPECT_EQ(f.first, 0x88);
  EXPECT_EQ(f.payload, (std::vector<std::uint8_t>{0x03, 0xE8}));
  EXPECT_TRUE(inner.closed);
}

TEST_F(WebSocketTransportTest, EntropyFailureStopsTheUpgrade) {
  inner.connected = true;
  entropy.healthy = false;
  auto r = ws.poll_connect();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::crypto_failure);
}

}  // namespace
}  // namespace picohub::websocket

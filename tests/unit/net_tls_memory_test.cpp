// TlsTransport over an in-memory Transport: proves the TLS layer works over ANY Transport (what the board's
// W5100S sockets will be) and that its non-blocking and failure paths map to the right errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <deque>
#include <string>
#include <vector>

#include "net/tls_context.hpp"
#include "net/tls_transport.hpp"

namespace picohub::net {
namespace {

// A scripted peer: whatever the test queues in `incoming` is readable; writes land in `written`.
class MemoryTransport final : public Transport {
 public:
  std::deque<std::uint8_t> incoming;
  std::vector<std::uint8_t> written;
  bool eof = false;            // after `incoming` drains, report end of stream
  int connect_steps_left = 0;  // poll_connect() returns false this many times first
  bool connect_fails = false;
  bool closed = false;
  Wait last_wait = Wait::none;

  Result<bool> poll_connect() override {
    if (connect_fails) return fail(Errc::connect_failed, "scripted connect failure");
    if (connect_steps_left > 0) {
      --connect_steps_left;
      last_wait = Wait::writable;
      return false;
    }
    return true;
  }
  Result<std::size_t> read(std::span<std::uint8_t> out) override {
    if (incoming.empty()) {
      if (eof) return fail(Errc::connection_closed, "scripted end of stream");
      last_wait = Wait::readable;
      return fail(Errc::would_block, "nothing yet");
    }
    const std::size_t n = std::min(out.size(), incoming.size());
    std::copy_n(incoming.begin(), n, out.begin());
    incoming.erase(incoming.begin(), incoming.begin() + static_cast<std::ptrdiff_t>(n));
    return n;
  }
  Result<std::size_t> write(std::span<const std::uint8_t> data) override {
    written.insert(written.end(), data.begin(), data.end());
    return data.size();
  }
  void close() override { closed = true; }
  Wait wants() const override { return last_wait; }
};

TlsContext& shared_context() {
  static TlsContext ctx;
  static const bool ok = static_cast<bool>(ctx.init());
  EXPECT_TRUE(ok);
  return ctx;
}

// Calls poll_connect until it errors, succeeds, or only waits for input; bounded.
Result<bool> drive(TlsTransport& tls, int max_steps = 200) {
  Result<bool> r = false;
  for (int i = 0; i < max_steps; ++i) {
    r = tls.poll_connect();
    if (!r || *r || tls.wants() != Wait::none) return r;
  }
  return r;
}

void queue(MemoryTransport& t, const std::string& text) {
  t.incoming.insert(t.incoming.end(), text.begin(), text.end());
}

TEST(NetTlsMemory, InnerConnectCompletesBeforeTheHandshakeStarts) {
  MemoryTransport mem;
  mem.connect_steps_left = 2;
  TlsTransport tls(shared_context(), mem, "hub.example");
  auto r = tls.poll_connect();
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
  EXPECT_EQ(tls.wants(), Wait::writable);  // the inner connect's wish
  EXPECT_TRUE(mem.written.empty());
}

TEST(NetTlsMemory, ClientHelloCarriesSniAndThenWaitsForTheServer) {
  MemoryTransport mem;
  TlsTransport tls(shared_context(), mem, "picohub-test.azure-devices.net");
  auto r = drive(tls);
  ASSERT_TRUE(r) << r.error().what;
  EXPECT_FALSE(*r);
  EXPECT_EQ(tls.wants(), Wait::readable);
  ASSERT_GE(mem.written.size(), 5u);
  EXPECT_EQ(mem.written[0], 0x16);  // TLS handshake record
  EXPECT_EQ(mem.written[1], 0x03);
  const std::string hello(mem.written.begin(), mem.written.end());
  EXPECT_NE(hello.find("picohub-test.azure-devices.net"), std::string::npos);  // server_name extension
}

TEST(NetTlsMemory, OneHandshakeStepPerCallDoesNotSpinOnWouldBlock) {
  MemoryTransport mem;
  TlsTransport tls(shared_context(), mem, "hub.example");
  ASSERT_TRUE(drive(tls));
  const auto written = mem.written.size();
  for (int i = 0; i < 5; ++i) {
    auto r = tls.poll_connect();
    ASSERT_TRUE(r);
    EXPECT_FALSE(*r);
    EXPECT_EQ(tls.wants(), Wait::readable);
  }
  EXPECT_EQ(mem.written.size(), written);  // nothing re-sent while waiting
}

TEST(NetTlsMemory, PlainTextAnswerIsReportedAsNotTls) {
  MemoryTransport mem;
  TlsTransport tls(shared_context(), mem, "hub.example");
  ASSERT_TRUE(drive(tls));
  queue(mem, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  auto r = drive(tls);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::tls_failure);
  EXPECT_NE(std::string(r.error().what).find("did not answer in TLS"), std::string::npos) << r.error().what;
  EXPECT_FALSE(tls.last_error_detail().empty());
}

TEST(NetTlsMemory, PeerClosingMidHandshakeIsAClearTlsFailure) {
  MemoryTransport mem;
  TlsTransport tls(shared_context(), mem, "hub.example");
  ASSERT_TRUE(drive(tls));
  mem.eof = true;
  auto r = drive(tls);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::tls_failure);
  EXPECT_NE(std::string(r.error().what).find("closed the connection during the TLS handshake"), std::string::npos);
  // The failure is sticky, and I/O on a failed transport reports it again.
  EXPECT_FALSE(tls.poll_connect());
  std::array<std::uint8_t, 4> buf{};
  EXPECT_EQ(tls.read(buf).error().code, Errc::tls_failure);
}

TEST(NetTlsMemory, TruncatedServerRecordThenEofIsAFailureNotAHang) {
  MemoryTransport mem;
  TlsTransport tls(shared_context(), mem, "hub.example");
  ASSERT_TRUE(drive(tls));
  mem.incoming = {0x16, 0x03, 0x03, 0x00, 0x40, 0x02};  // a ServerHello record header promising 64 bytes
  mem.eof = true;
  auto r = drive(tls);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::tls_failure);
}

TEST(NetTlsMemory, InnerConnectFailurePassesThrough) {
  MemoryTransport mem;
  mem.connect_fails = true;
  TlsTransport tls(shared_context(), mem, "hub.example");
  auto r = tls.poll_connect();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::connect_failed);
}

TEST(NetTlsMemory, MissingServerNameIsRefusedBecauseItCannotBeVerified) {
  MemoryTransport mem;
  TlsTransport tls(shared_context(), mem, "");
  auto r = drive(tls);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

TEST(NetTlsMemory, UninitialisedContextIsRefused) {
  TlsContext ctx;
  MemoryTransport mem;
  TlsTransport tls(ctx, mem, "hub.example");
  auto r = drive(tls);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

TEST(NetTlsMemory, IoBeforeTheHandshakeIsNotConnected) {
  MemoryTransport mem;
  TlsTransport tls(shared_context(), mem, "hub.example");
  std::array<std::uint8_t, 4> buf{};
  EXPECT_EQ(tls.read(buf).error().code, Errc::not_connected);
  EXPECT_EQ(tls.write(buf).error().code, Errc::not_connected);
}

TEST(NetTlsMemory, CloseClosesTheInnerTransportOnce) {
  MemoryTransport mem;
  {
    TlsTransport tls(shared_context(), mem, "hub.example");
    ASSERT_TRUE(drive(tls));
    tls.close();
    EXPECT_TRUE(mem.closed);
    EXPECT_EQ(tls.poll_connect().error().code, Errc::not_connected);
  }
}

}  // namespace
}  // namespace picohub::net

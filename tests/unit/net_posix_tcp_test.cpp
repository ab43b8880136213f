#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <string>

#include "net/connect.hpp"
#include "net/posix_tcp.hpp"

namespace picohub::net {
namespace {

using namespace std::chrono_literals;

TEST(NetPosixTcp, UnresolvableNameIsResolveFailedWithTheNameInTheDetail) {
  PosixTcp tcp;
  auto r = tcp.start_connect("no-such-host.invalid", 8883);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::resolve_failed);
  EXPECT_NE(std::string(tcp.last_error_detail()).find("cannot resolve no-such-host.invalid"), std::string::npos);
}

TEST(NetPosixTcp, EmptyHostIsResolveFailed) {
  PosixTcp tcp;
  auto r = tcp.start_connect("", 8883);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::resolve_failed);
}

TEST(NetPosixTcp, IoBeforeConnectIsNotConnected) {
  PosixTcp tcp;
  std::array<std::uint8_t, 4> buf{};
  EXPECT_EQ(tcp.read(buf).error().code, Errc::not_connected);
  EXPECT_EQ(tcp.write(buf).error().code, Errc::not_connected);
  EXPECT_EQ(tcp.poll_connect().error().code, Errc::not_connected);
}

TEST(NetPosixTcp, AdoptedSocketPairCarriesBytesAndReportsWouldBlockAndEof) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  PosixTcp a;
  a.adopt(fds[0]);
  std::array<std::uint8_t, 8> buf{};
  auto nothing = a.read(buf);
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.error().code, Errc::would_block);
  EXPECT_EQ(a.wants(), Wait::readable);
  ASSERT_EQ(::write(fds[1], "hi", 2), 2);
  auto got = a.read(buf);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, 2u);
  EXPECT_EQ(buf[0], 'h');
  ::close(fds[1]);
  auto eof = a.read(buf);
  ASSERT_FALSE(eof);
  EXPECT_EQ(eof.error().code, Errc::connection_closed);
}

TEST(NetPosixTcp, ConnectBlockingOnAnUnconnectedTransportFailsAtOnce) {
  PosixTcp tcp;
  auto r = connect_blocking(tcp, 1s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::not_connected);
}

}  // namespace
}  // namespace picohub::net

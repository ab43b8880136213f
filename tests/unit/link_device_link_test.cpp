// DeviceLink's reconnect policy. The back-off is pure arithmetic; the schedule test uses a loopback port
// that nothing listens on (connect is refused at once), plain TCP, and milliseconds of back-off.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "iothub/connection_string.hpp"
#include "iothub/device_client.hpp"
#include "link/device_link.hpp"

namespace picohub::link {
namespace {

using std::chrono::milliseconds;

TEST(LinkBackoff, DoublesFromTheInitialDelay) {
  LinkOptions o;
  o.backoff_initial = milliseconds{500};
  o.backoff_max = milliseconds{10'000};
  EXPECT_EQ(DeviceLink::backoff_for(o, 1), milliseconds{500});
  EXPECT_EQ(DeviceLink::backoff_for(o, 2), milliseconds{1000});
  EXPECT_EQ(DeviceLink::backoff_for(o, 3), milliseconds{2000});
  EXPECT_EQ(DeviceLink::backoff_for(o, 4), milliseconds{4000});
  EXPECT_EQ(DeviceLink::backoff_for(o, 5), milliseconds{8000});
}

TEST(LinkBackoff, IsCappedAtTheMaximum) {
  LinkOptions o;
  o.backoff_initial = milliseconds{500};
  o.backoff_max = milliseconds{10'000};
  EXPECT_EQ(DeviceLink::backoff_for(o, 6), milliseconds{10'000});
  EXPECT_EQ(DeviceLink::backoff_for(o, 7), milliseconds{10'000});
  EXPECT_EQ(DeviceLink::backoff_for(o, 1000), milliseconds{10'000});  // no overflow for large attempt numbers
}

TEST(LinkBackoff, InitialAboveTheMaximumIsCapped) {
  LinkOptions o;
  o.backoff_initial = milliseconds{5000};
  o.backoff_max = milliseconds{1000};
  EXPECT_EQ(DeviceLink::backoff_for(o, 1), milliseconds{1000});
  EXPECT_EQ(DeviceLink::backoff_for(o, 3), milliseconds{1000});
}

// A loopback port with no listener: bind an ephemeral port, read it, close it.
std::uint16_t closed_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

using Memory = iothub::StaticDeviceClientMemory<2048, 2048, 4, 512, 256, 256, 512, 8>;

// The sim calls run_until() with deadlines as short as its send interval. Those must not restart the
// back-off or the attempt count: otherwise a hub that never comes back is retried forever.
TEST(LinkReconnect, ShortDeadlinesDoNotResetTheScheduleAndTheLinkGivesUp) {
  const std::string cs = "HostName=localhost;DeviceId=dev1;SharedAccessKey=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  auto identity = iothub::parse_connection_string(cs);
  ASSERT_TRUE(identity);
  auto memory = std::make_unique<Memory>();
  iothub::DeviceClient client(memory->view(), *identity, {});
  LinkOptions o;
  o.connect_timeout = milliseconds{2000};
  o.max_reconnect_attempts = 3;
  o.backoff_initial = milliseconds{40};
  o.backoff_max = milliseconds{100};
  DeviceLink link(client, net::Endpoint{"127.0.0.1", closed_loopback_port(), nullptr}, o);
  std::vector<std::string> reconnecting;
  link.on_notice([&](const LinkNotice& n) {
    if (n.kind == LinkNotice::Kind::reconnecting) reconnecting.push_back(n.text);
  });
  ASSERT_FALSE(link.open());  // nothing listens: the link has no connection and must reconnect

  const auto never = [] { return false; };
  Result<void> r;
  int calls = 0;
  for (; calls < 2000; ++calls) {  // bounded: the schedule totals 40 + 80 + 100 ms
    r = link.run_until(never, Clock::now() + milliseconds{5});
    if (!r && r.error().code != Errc::timeout) break;
  }
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::connect_failed);
  EXPECT_NE(std::string(r.error().what).find("gave up reconnecting"), std::string::npos) << r.error().what;
  EXPECT_GT(calls, 3);  // many short calls went by, yet...
  ASSERT_EQ(reconnecting.size(), 3u);  // ...exactly max_reconnect_attempts attempts with a growing back-off
  EXPECT_EQ(reconnecting[0], "reconnecting in 40 ms (attempt 1 of 3)");
  EXPECT_EQ(reconnecting[1], "reconnecting in 80 ms (attempt 2 of 3)");
  EXPECT_EQ(reconnecting[2], "reconnecting in 100 ms (attempt 3 of 3)");

  // Once given up it stays given up (the sim may still call run_until() while draining).
  auto again = link.run_until(never, Clock::now() + milliseconds{5});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::connect_failed);
}

}  // namespace
}  // namespace picohub::link

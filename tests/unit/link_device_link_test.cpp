// DeviceLink's reconnect policy. The back-off is pure arithmetic; the schedule test uses a loopback port
// that nothing listens on (connect is refused at once), plain TCP, and milliseconds of back-off.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "iothub/connection_string.hpp"
#include "iothub/device_client.hpp"
#include "link/device_link.hpp"

namespace picohub::link {
namespace {

using std::chrono::milliseconds;

TEST(LinkPolicy, OptionsBecomeTheHostSupervisorPolicy) {
  LinkOptions o;
  o.max_reconnect_attempts = 7;
  o.backoff_initial = milliseconds{250};
  o.backoff_max = milliseconds{4000};
  o.connect_timeout = milliseconds{9000};
  const auto p = policy_for(o);
  EXPECT_EQ(p.max_attempts, 7u);
  EXPECT_EQ(p.lost.initial_ms, 250u);
  EXPECT_EQ(p.lost.max_ms, 4000u);
  EXPECT_EQ(p.connect_timeout_ms, 9000u);
  EXPECT_TRUE(p.stop_when_refused);  // `picohub sim` stops on refused credentials (exit 3)
  const auto defaults = policy_for(LinkOptions{});
  EXPECT_EQ(defaults.lost.initial_ms, device::host_policy().lost.initial_ms);
  EXPECT_EQ(defaults.lost.max_ms, device::host_policy().lost.max_ms);
  EXPECT_EQ(defaults.max_attempts, 5u);
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
  const std::string cs =
      "HostName=localhost;DeviceId=dev1;SharedAccessKey=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
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
  EXPECT_GT(calls, 3);                 // many short calls went by, yet...
  ASSERT_EQ(reconnecting.size(), 3u);  // ...exactly max_reconnect_attempts attempts with a growing back-off
  // Jittered: attempt n waits within [3/4, 5/4] of 40 ms * 2^(n-1), never below 40 nor above 100 ms.
  const std::regex line(R"(reconnecting in (\d+) ms: TCP connection failed \(attempt (\d) of 3\))");
  const int low[] = {40, 60, 75}, high[] = {50, 100, 100};
  for (int i = 0; i < 3; ++i) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(reconnecting[static_cast<std::size_t>(i)], m, line))
        << reconnecting[static_cast<std::size_t>(i)];
    EXPECT_EQ(std::stoi(m[2].str()), i + 1);
    EXPECT_GE(std::stoi(m[1].str()), low[i]);
    EXPECT_LE(std::stoi(m[1].str()), high[i]);
  }

  // Once given up it stays given up (the sim may still call run_until() while draining).
  auto again = link.run_until(never, Clock::now() + milliseconds{5});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::connect_failed);
}

// A listener that takes the TCP connection (the kernel's backlog) but never answers CONNECT: the supervisor's
// connect timeout ends the attempt with a sentence that says what to check.
TEST(LinkReconnect, AHubThatNeverAnswersConnectTimesTheAttemptOut) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len), 0);

  const std::string cs =
      "HostName=localhost;DeviceId=dev1;SharedAccessKey=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  auto identity = iothub::parse_connection_string(cs);
  ASSERT_TRUE(identity);
  auto memory = std::make_unique<Memory>();
  iothub::DeviceClient client(memory->view(), *identity, {});
  LinkOptions o;
  o.connect_timeout = milliseconds{200};
  o.max_reconnect_attempts = 1;
  o.backoff_initial = milliseconds{10};
  o.backoff_max = milliseconds{10};
  DeviceLink link(client, net::Endpoint{"127.0.0.1", ntohs(a.sin_port), nullptr}, o);
  auto opened = link.open();
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, Errc::timeout);
  EXPECT_NE(std::string(opened.error().what).find("did not answer the MQTT CONNECT"), std::string::npos);
  EXPECT_EQ(link.supervisor().last_loss(), device::LossReason::connect_timeout);

  // The one retry also times out; then the link gives up with a network code.
  auto r = link.run_until([] { return false; }, Clock::now() + std::chrono::seconds(30));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::timeout);
  EXPECT_NE(std::string(r.error().what).find("gave up reconnecting"), std::string::npos);
  ::close(listener);
}

}  // namespace
}  // namespace picohub::link

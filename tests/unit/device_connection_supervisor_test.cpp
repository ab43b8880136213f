// ConnectionSupervisor with fake time: actions and deadlines for renewal, losses, refusals and give-up under the
// host and board policies, and the jittered back-off's bounds and spread.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "device/connection_supervisor.hpp"

namespace picohub::device {
namespace {

using A = SupervisorAction;

// Takes every action due at `now`.
std::vector<A> actions(ConnectionSupervisor& s, std::uint64_t now, std::uint32_t random = 0) {
  std::vector<A> out;
  for (A a = s.poll_action(now, random); a != A::none; a = s.poll_action(now, random)) out.push_back(a);
  return out;
}

// Starts and connects at t = 0.
ConnectionSupervisor connected(SupervisorPolicy policy) {
  ConnectionSupervisor s(policy);
  s.start(0);
  EXPECT_EQ(actions(s, 0), std::vector<A>{A::open_transport});
  s.on_connected(0);
  EXPECT_EQ(s.state(), SupervisorState::connected);
  return s;
}

TEST(DeviceBackoff, StaysWithinTheFirstDelayAndTheCeiling) {
  const Backoff b{500, 10'000};
  for (std::uint32_t attempt = 1; attempt <= 40; ++attempt) {
    for (std::uint32_t r : {0u, 1u, 7u, 1000u, 0x7fffffffu, 0xffffffffu}) {
      const auto d = backoff_delay_ms(b, attempt, r);
      EXPECT_GE(d, 500u) << attempt;
      EXPECT_LE(d, 10'000u) << attempt;
    }
  }
  // The nominal step doubles: attempt 1 is 0.5..0.625 s, attempt 3 is 1.5..2.5 s, late attempts 7.5..10 s.
  EXPECT_EQ(backoff_delay_ms(b, 1, 0), 500u);
  EXPECT_EQ(backoff_delay_ms(b, 1, 125), 625u);
  EXPECT_EQ(backoff_delay_ms(b, 3, 0), 1500u);
  EXPECT_EQ(backoff_delay_ms(b, 3, 1000), 2500u);
  EXPECT_EQ(backoff_delay_ms(b, 30, 0), 7500u);
  EXPECT_EQ(backoff_delay_ms(b, 30, 2500), 10'000u);
}

TEST(DeviceBackoff, JitterSpreadsAFleetEvenAtTheCeiling) {
  const Backoff b = board_policy().lost;
  std::set<std::uint32_t> first, capped;
  std::uint32_t x = 12345;
  for (int device = 0; device < 200; ++device) {
    x = x * 1664525u + 1013904223u;  // any caller-side generator will do
    first.insert(backoff_delay_ms(b, 1, x));
    capped.insert(backoff_delay_ms(b, 20, x));
  }
  // 251 possible first delays (1000..1250 ms) for 200 devices: ~138 distinct ones are expected by chance alone.
  EXPECT_GT(first.size(), 100u);
  EXPECT_LT(*first.begin(), 1'050u);
  EXPECT_GT(*first.rbegin(), 1'200u);
  EXPECT_GT(capped.size(), 190u);  // 90..120 s: the cap does not bunch the fleet into one instant
  EXPECT_GE(*capped.begin(), 90'000u);
  EXPECT_LE(*capped.rbegin(), 120'000u);
}

TEST(DeviceBackoff, HugeAttemptNumbersDoNotOverflow) {
  EXPECT_LE(backoff_delay_ms(Backoff{1000, 120'000}, 0xffffffffu, 0xffffffffu), 120'000u);
  EXPECT_EQ(backoff_delay_ms(Backoff{5000, 1000}, 1, 0), 1000u);  // first delay above the ceiling: the ceiling
}

TEST(DeviceSupervisor, StartOpensAtOnceAndConnectedClearsTheDeadline) {
  ConnectionSupervisor s(host_policy());
  EXPECT_EQ(s.state(), SupervisorState::idle);
  EXPECT_EQ(actions(s, 0), std::vector<A>{});
  s.start(100);
  EXPECT_EQ(s.next_deadline_ms(), 100u);
  EXPECT_EQ(actions(s, 100), std::vector<A>{A::open_transport});
  EXPECT_EQ(s.next_deadline_ms(), 100u + 15'000u);  // the attempt's connect timeout
  s.on_connected(200);
  EXPECT_EQ(s.next_deadline_ms(), ConnectionSupervisor::no_deadline);
  EXPECT_EQ(s.connections(), 1u);
}

TEST(DeviceSupervisor, RenewalReadsUntilTheHubClosesThenReopensAtOnceWithoutCountingAnAttempt) {
  auto s = connected(host_policy());
  s.on_renewal_due(50'000);
  // The DISCONNECT is out: keep the transport so the PUBACKs of messages in flight still arrive.
  EXPECT_EQ(s.state(), SupervisorState::closing);
  EXPECT_EQ(actions(s, 50'000), std::vector<A>{});
  EXPECT_EQ(s.next_deadline_ms(), 52'000u);         // renewal_drain_ms
  s.on_lost(LossReason::server_closed, 50'040, 0);  // the hub answered and closed
  EXPECT_EQ(actions(s, 50'040), (std::vector<A>{A::close_transport, A::open_transport}));
  EXPECT_EQ(s.attempt(), 0u);
  EXPECT_EQ(s.last_loss(), LossReason::none);  // a renewal is not a loss
  s.on_connected(50'100);
  EXPECT_EQ(s.connections(), 2u);
  EXPECT_EQ(s.state(), SupervisorState::connected);
}

TEST(DeviceSupervisor, RenewalClosesItselfWhenTheHubDoesNotCloseWithinTheDrainTime) {
  auto s = connected(board_policy());
  s.on_renewal_due(1'000);
  EXPECT_EQ(actions(s, 2'999), std::vector<A>{});
  EXPECT_EQ(actions(s, 3'000), (std::vector<A>{A::close_transport, A::open_transport}));
  EXPECT_EQ(s.state(), SupervisorState::connecting);
  EXPECT_EQ(s.attempt(), 0u);
}

TEST(DeviceSupervisor, RenewalIsIgnoredWhenNotConnected) {
  ConnectionSupervisor s(host_policy());
  s.start(0);
  (void)actions(s, 0);
  s.on_renewal_due(10);
  EXPECT_EQ(actions(s, 10), std::vector<A>{});
}

TEST(DeviceSupervisor, LostConnectionBacksOffWithJitterThenReopens) {
  auto s = connected(host_policy());
  s.on_lost(LossReason::tls_failed, 1'000, 100);
  EXPECT_EQ(s.state(), SupervisorState::waiting);
  EXPECT_EQ(s.last_loss(), LossReason::tls_failed);
  EXPECT_EQ(s.attempt(), 1u);
  EXPECT_EQ(s.last_delay_ms(), 600u);  // 500 + 100 % 126
  EXPECT_EQ(actions(s, 1'000), std::vector<A>{A::close_transport});
  EXPECT_EQ(s.next_deadline_ms(), 1'600u);
  EXPECT_EQ(actions(s, 1'599), std::vector<A>{});
  EXPECT_EQ(actions(s, 1'600), std::vector<A>{A::open_transport});
  EXPECT_STREQ(describe(LossReason::tls_failed), "TLS handshake failed");
}

TEST(DeviceSupervisor, HostGivesUpAfterItsRetries) {
  auto s = connected(host_policy(3));
  std::uint64_t now = 1'000;
  s.on_lost(LossReason::server_closed, now, 0);
  for (std::uint32_t attempt = 1; attempt <= 3; ++attempt) {
    EXPECT_EQ(s.attempt(), attempt);
    now = s.retry_at_ms();
    auto a = actions(s, now);
    ASSERT_FALSE(a.empty());
    EXPECT_EQ(a.back(), A::open_transport) << attempt;
    s.on_lost(LossReason::tcp_failed, now + 5, 0);  // the attempt fails
  }
  EXPECT_EQ(s.state(), SupervisorState::stopped);
  EXPECT_EQ(actions(s, now + 5), (std::vector<A>{A::close_transport, A::give_up}));
  EXPECT_EQ(s.last_loss(), LossReason::tcp_failed);
  EXPECT_EQ(actions(s, now + 1'000'000), std::vector<A>{});  // stays stopped
  s.start(now + 2'000'000);                                  // an explicit start begins afresh
  EXPECT_EQ(actions(s, now + 2'000'000), std::vector<A>{A::open_transport});
  EXPECT_EQ(s.attempt(), 0u);
}

TEST(DeviceSupervisor, AFailedFirstAttemptCountsAsAttemptOne) {
  ConnectionSupervisor s(host_policy(1));
  s.start(0);
  (void)actions(s, 0);
  s.on_lost(LossReason::dns_failed, 10, 0);
  EXPECT_EQ(s.attempt(), 1u);
  EXPECT_EQ(actions(s, 10), std::vector<A>{A::close_transport});
  EXPECT_EQ(actions(s, s.retry_at_ms()), std::vector<A>{A::open_transport});
  s.on_lost(LossReason::dns_failed, 600, 0);
  EXPECT_EQ(actions(s, 600), (std::vector<A>{A::close_transport, A::give_up}));
}

TEST(DeviceSupervisor, BoardNeverGivesUpAndCapsAtTwoMinutes) {
  auto s = connected(board_policy());
  std::uint64_t now = 0;
  s.on_lost(LossReason::link_down, now, 0xffffffffu);
  for (int i = 0; i < 100; ++i) {
    EXPECT_GE(s.last_delay_ms(), 1'000u);
    EXPECT_LE(s.last_delay_ms(), 120'000u);
    now = s.retry_at_ms();
    auto a = actions(s, now);
    ASSERT_FALSE(a.empty());
    ASSERT_EQ(a.back(), A::open_transport) << i;
    s.on_lost(LossReason::dns_failed, now + 1, static_cast<std::uint32_t>(i) * 7919u);
  }
  EXPECT_EQ(s.state(), SupervisorState::waiting);
  EXPECT_GE(s.last_delay_ms(), 90'000u);
}

TEST(DeviceSupervisor, SuccessfulConnectionResetsTheBackoff) {
  auto s = connected(host_policy());
  std::uint64_t now = 0;
  s.on_lost(LossReason::server_closed, now, 0);
  for (int i = 0; i < 3; ++i) {  // three failed attempts: the back-off has grown
    now = s.retry_at_ms();
    (void)actions(s, now);
    s.on_lost(LossReason::tcp_failed, now, 0);
  }
  EXPECT_EQ(s.attempt(), 4u);
  EXPECT_EQ(s.last_delay_ms(), 3'000u);  // step 4000 ms, lower bound 3000
  now = s.retry_at_ms();
  (void)actions(s, now);
  s.on_connected(now);
  EXPECT_EQ(s.attempt(), 0u);
  s.on_lost(LossReason::keep_alive_timeout, now + 10, 0);
  EXPECT_EQ(s.attempt(), 1u);
  EXPECT_EQ(s.last_delay_ms(), 500u);  // back to the first step
}

TEST(DeviceSupervisor, AnAttemptThatOverrunsItsTimeoutIsLost) {
  ConnectionSupervisor s(host_policy());
  s.start(0);
  (void)actions(s, 0);
  EXPECT_EQ(actions(s, 14'999), std::vector<A>{});
  EXPECT_EQ(actions(s, 15'000, 0), std::vector<A>{A::close_transport});
  EXPECT_EQ(s.last_loss(), LossReason::connect_timeout);
  EXPECT_EQ(s.retry_at_ms(), 15'500u);
}

TEST(DeviceSupervisor, HostStopsOnRefusedCredentials) {
  auto s = connected(host_policy());
  s.on_renewal_due(10);
  s.on_lost(LossReason::server_closed, 12, 0);
  (void)actions(s, 12);
  s.on_refused(refusal_for(mqtt::ConnectReturnCode::not_authorized), 20, 0);
  EXPECT_TRUE(s.refused());
  EXPECT_EQ(s.last_refusal(), RefusalReason::not_authorized);
  EXPECT_EQ(actions(s, 20), (std::vector<A>{A::close_transport, A::give_up}));
  EXPECT_EQ(s.state(), SupervisorState::stopped);
}

TEST(DeviceSupervisor, BoardRetriesRefusedCredentialsAfterAMinuteResyncingTimeUpToHalfAnHour) {
  ConnectionSupervisor s(board_policy());
  s.start(0);
  (void)actions(s, 0);
  s.on_refused(RefusalReason::bad_credentials, 100, 0);
  EXPECT_EQ(actions(s, 100), (std::vector<A>{A::close_transport}));
  EXPECT_EQ(s.retry_at_ms(), 100u + 60'000u);  // "retry after 1 min"
  // The clock is read again just before the retry (5 s ahead), so the next token is signed with it.
  EXPECT_EQ(s.next_deadline_ms(), 55'100u);
  EXPECT_EQ(actions(s, 55'099), std::vector<A>{});
  EXPECT_EQ(actions(s, 55'100), std::vector<A>{A::resync_time});
  EXPECT_EQ(s.next_deadline_ms(), 60'100u);
  EXPECT_EQ(actions(s, 60'099), std::vector<A>{});
  EXPECT_EQ(actions(s, 60'100), std::vector<A>{A::open_transport});
  std::uint64_t now = 60'100;
  for (int i = 0; i < 20; ++i) {
    s.on_refused(RefusalReason::not_authorized, now, 0xffffffffu);
    EXPECT_EQ(actions(s, now), (std::vector<A>{A::close_transport}));
    EXPECT_LE(s.last_delay_ms(), 1'800'000u);
    EXPECT_EQ(actions(s, s.retry_at_ms() - 5'000), std::vector<A>{A::resync_time});
    now = s.retry_at_ms();
    EXPECT_EQ(actions(s, now), std::vector<A>{A::open_transport});
  }
  EXPECT_GE(s.last_delay_ms(), 1'350'000u);  // it got to the 30 min ceiling (minus jitter)
  EXPECT_NE(s.state(), SupervisorState::stopped);
  s.on_connected(now);  // a fixed clock or key: back to normal
  EXPECT_FALSE(s.refused());
}

// Refuses the attempt under way at `now` and returns the actions due then and at the retry.
std::vector<A> refuse_and_wait(ConnectionSupervisor& s, RefusalReason why, std::uint64_t& now) {
  s.on_refused(why, now, 0);
  auto out = actions(s, now);
  now = s.retry_at_ms();
  for (A a : actions(s, now)) out.push_back(a);
  return out;
}

TEST(DeviceSupervisor, BoardRegistersAgainAfterTheAssignedHubRefusesTwiceInARow) {
  ConnectionSupervisor s(board_policy(true));
  s.start(0);
  (void)actions(s, 0);
  std::uint64_t now = 0;
  s.on_provisioned(now);  // DPS assigned a hub: the next attempt goes there at once
  EXPECT_EQ(actions(s, now), std::vector<A>{A::open_transport});
  s.on_connected(now);
  s.on_lost(LossReason::server_closed, now, 0);  // the hub deleted the device and closed its connection
  now = s.retry_at_ms();
  EXPECT_EQ(actions(s, now), (std::vector<A>{A::close_transport, A::open_transport}));
  // First refusal: maybe our clock; SNTP again, then the same hub after the refusal wait (1 min).
  EXPECT_EQ(refuse_and_wait(s, RefusalReason::not_authorized, now),
            (std::vector<A>{A::close_transport, A::resync_time, A::open_transport}));
  EXPECT_GE(now, 60'000u);
  // Second in a row: after the (doubled) wait, register with DPS instead of knocking again.
  const std::uint64_t before = now;
  EXPECT_EQ(refuse_and_wait(s, RefusalReason::bad_credentials, now),
            (std::vector<A>{A::close_transport, A::resync_time, A::reprovision, A::open_transport}));
  EXPECT_GE(now - before, 90'000u);  // never a tight loop: the refusal schedule's wait comes first
  s.on_provisioned(now);
  EXPECT_EQ(actions(s, now), std::vector<A>{A::open_transport});
  // The new hub refuses once: its own count starts again (one refusal does not re-register), the waits go on.
  const std::uint64_t again = now;
  EXPECT_EQ(refuse_and_wait(s, RefusalReason::not_authorized, now),
            (std::vector<A>{A::close_transport, A::resync_time, A::open_transport}));
  EXPECT_GE(now - again, 180'000u);  // third refusal in a row: 4 min minus jitter
  s.on_connected(now);
  EXPECT_FALSE(s.refused());
  EXPECT_EQ(s.refusals(), 0u);
}

TEST(DeviceSupervisor, OnlyHubRefusalsOfTheCredentialsCountTowardsRegisteringAgain) {
  ConnectionSupervisor s(board_policy(true));
  s.start(0);
  (void)actions(s, 0);
  std::uint64_t now = 0;
  // DPS saying no, a rejected client id and an expired signature do not mean the hub disowned the device.
  for (auto why : {RefusalReason::provisioning_refused, RefusalReason::identifier_rejected,
                   RefusalReason::provisioning_refused, RefusalReason::sas_expired}) {
    for (A a : refuse_and_wait(s, why, now)) EXPECT_NE(a, A::reprovision);
  }
  // A connection in between starts the count again.
  EXPECT_EQ(refuse_and_wait(s, RefusalReason::not_authorized, now).back(), A::open_transport);
  s.on_connected(now);
  s.on_lost(LossReason::server_closed, now, 0);
  now = s.retry_at_ms();
  (void)actions(s, now);
  for (A a : refuse_and_wait(s, RefusalReason::not_authorized, now)) EXPECT_NE(a, A::reprovision);
}

TEST(DeviceSupervisor, ABoardWithAConnectionStringNeverRegistersAgain) {
  ConnectionSupervisor s(board_policy());
  s.start(0);
  (void)actions(s, 0);
  std::uint64_t now = 0;
  for (int i = 0; i < 6; ++i)
    for (A a : refuse_and_wait(s, RefusalReason::not_authorized, now)) EXPECT_NE(a, A::reprovision);
  EXPECT_NE(s.state(), SupervisorState::stopped);
}

TEST(DeviceSupervisor, ProvisionedSimRegistersAgainWithShortWaitsAndGivesUpWhenTheNewHubRefusesToo) {
  ConnectionSupervisor s(host_policy(5, true));
  s.start(0);
  (void)actions(s, 0);
  std::uint64_t now = 0;
  EXPECT_EQ(refuse_and_wait(s, RefusalReason::not_authorized, now),
            (std::vector<A>{A::close_transport, A::open_transport}));
  EXPECT_GE(now, 2'000u);  // the host's refusal schedule: 2 s, doubling (no clock to resync)
  EXPECT_LE(now, 2'500u);
  EXPECT_EQ(refuse_and_wait(s, RefusalReason::not_authorized, now),
            (std::vector<A>{A::close_transport, A::reprovision, A::open_transport}));
  EXPECT_LE(now, 2'500u + 5'000u);
  s.on_provisioned(now);
  EXPECT_EQ(actions(s, now), std::vector<A>{A::open_transport});
  EXPECT_EQ(refuse_and_wait(s, RefusalReason::not_authorized, now),
            (std::vector<A>{A::close_transport, A::open_transport}));
  // Refused again by the hub a fresh registration named: a third registration would not help.
  s.on_refused(RefusalReason::not_authorized, now, 0);
  EXPECT_EQ(actions(s, now), (std::vector<A>{A::close_transport, A::give_up}));
  EXPECT_TRUE(s.refused());
  EXPECT_EQ(s.state(), SupervisorState::stopped);
}

TEST(DeviceSupervisor, ProvisionedIsIgnoredUnlessAnAttemptIsUnderWay) {
  auto s = connected(board_policy(true));
  s.on_provisioned(5);
  EXPECT_EQ(s.state(), SupervisorState::connected);
  EXPECT_EQ(actions(s, 5), std::vector<A>{});
}

TEST(DeviceSupervisor, ConnackThreeIsALossNotARefusalAndDescriptionsExist) {
  EXPECT_EQ(refusal_for(mqtt::ConnectReturnCode::bad_username_or_password), RefusalReason::bad_credentials);
  EXPECT_EQ(refusal_for(mqtt::ConnectReturnCode::identifier_rejected), RefusalReason::identifier_rejected);
  for (int r = 0; r <= static_cast<int>(LossReason::entropy_failed); ++r)
    EXPECT_STRNE(describe(static_cast<LossReason>(r)), "connection lost");
  EXPECT_STREQ(describe(RefusalReason::sas_expired), "the SharedAccessSignature has expired");
  EXPECT_STREQ(describe(RefusalReason::provisioning_refused), "DPS refused the registration");
}

TEST(DeviceSupervisor, LateReportsAboutAClosedConnectionChangeNothing) {
  auto s = connected(host_policy());
  s.on_lost(LossReason::server_closed, 0, 0);
  const auto at = s.retry_at_ms();
  s.on_lost(LossReason::read_failed, 1, 0);  // the same loss seen again by another layer
  EXPECT_EQ(s.attempt(), 1u);
  EXPECT_EQ(s.retry_at_ms(), at);
  EXPECT_EQ(s.last_loss(), LossReason::server_closed);
}

}  // namespace
}  // namespace picohub::device

// DPS registration (reference iothub-mqtt.md §8): topics and user name, the answer parser, the group-derived key,
// and DpsClient driven by canned DPS bytes: CONNECT identity, subscribe, register, polls honouring retry-after
// on a fake clock, assignment, failures, retries of 429 and the bound on attempts.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "iothub/dps_client.hpp"
#include "iothub/dps_response.hpp"
#include "iothub/dps_topics.hpp"
#include "iothub/sas_token.hpp"
#include "mqtt/codec.hpp"

using namespace picohub;
using namespace picohub::iothub;

namespace {

using Bytes = std::vector<std::uint8_t>;

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
std::string text_of(std::span<const std::uint8_t> b) { return std::string(b.begin(), b.end()); }

template <class P>
Bytes encoded(const P& packet) {
  Bytes out(4096);
  auto n = mqtt::encode(packet, out);
  EXPECT_TRUE(n);
  out.resize(n ? *n : 0);
  return out;
}

// Vector E of the reference (Microsoft's DPS doc): group key -> derived device key.
constexpr std::string_view group_key =
    "8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw==";
constexpr std::string_view registration_e = "sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6";
constexpr std::string_view derived_e = "Jsm0lyGpjaVYVP2g3FnmnmG9dI/9qU24wNoykUmermc=";

TEST(DpsTopics, UsernameHasNoQuestionMarkAndEncodesTheClientVersion) {
  char out[256];
  auto u = dps_username("0ne00000A0A", "dev-1", "picohub/1.0 x", out);
  ASSERT_TRUE(u);
  EXPECT_EQ(*u, "0ne00000A0A/registrations/dev-1/api-version=2019-03-31&ClientVersion=picohub%2F1.0%20x");
  EXPECT_FALSE(dps_username("0ne", "bad/id", "", out));
  EXPECT_FALSE(dps_username("", "dev", "", out));
}

TEST(DpsTopics, UsernameParserReadsScopeAndRegistrationId) {
  auto p = parse_dps_username("0ne00000A0A/registrations/dev-1/api-version=2019-03-31&ClientVersion=x");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->id_scope, "0ne00000A0A");
  EXPECT_EQ(p->registration_id, "dev-1");
  EXPECT_EQ(p->query, "api-version=2019-03-31&ClientVersion=x");
  EXPECT_TRUE(looks_like_dps_username("0ne/registrations/x"));
  EXPECT_FALSE(looks_like_dps_username("myhub.azure-devices.net/dev1/?api-version=2021-04-12"));
  EXPECT_FALSE(parse_dps_username("myhub/dev1"));
  EXPECT_FALSE(parse_dps_username("0ne/registrations/"));
}

TEST(DpsTopics, RequestTopicsAndTheirClassification) {
  char out[256];
  auto reg = dps_register_topic("1", out);
  ASSERT_TRUE(reg);
  EXPECT_EQ(*reg, "$dps/registrations/PUT/iotdps-register/?$rid=1");
  auto c = classify_dps_request(*reg);
  EXPECT_EQ(c.kind, DpsRequestKind::register_device);
  EXPECT_EQ(c.rid, "1");
  auto poll = dps_poll_topic("7", "4.d0a6.42d7-ab", out);
  ASSERT_TRUE(poll);
  EXPECT_EQ(*poll, "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=7&operationId=4.d0a6.42d7-ab");
  c = classify_dps_request(*poll);
  EXPECT_EQ(c.kind, DpsRequestKind::poll_status);
  EXPECT_EQ(c.operation_id, "4.d0a6.42d7-ab");
  EXPECT_EQ(classify_dps_request("$dps/registrations/GET/iotdps-get-operationstatus/?$rid=7").kind,
            DpsRequestKind::invalid);
  EXPECT_EQ(classify_dps_request("$dps/registrations/PUT/iotdps-register/").kind, DpsRequestKind::invalid);
  EXPECT_EQ(classify_dps_request("devices/x/messages/events/").kind, DpsRequestKind::invalid);
  EXPECT_FALSE(dps_poll_topic("1", "a&b", out));
}

TEST(DpsTopics, ResponseTopicInEitherParameterOrder) {
  auto a = parse_dps_response_topic("$dps/registrations/res/202/?$rid=1&retry-after=3");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 202);
  EXPECT_EQ(a->rid, "1");
  EXPECT_EQ(a->retry_after_s, 3u);
  auto b = parse_dps_response_topic("$dps/registrations/res/202/?retry-after=120&$rid=9");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->rid, "9");
  EXPECT_EQ(b->retry_after_s, 120u);
  auto c = parse_dps_response_topic("$dps/registrations/res/200/?$rid=2");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->retry_after_s);
  EXPECT_FALSE(parse_dps_response_topic("$dps/registrations/res/200/?x=1"));
  EXPECT_FALSE(parse_dps_response_topic("$dps/registrations/res/20/?$rid=1"));
  char out[128];
  auto built = dps_response_topic(202, "5", 2, out);
  ASSERT_TRUE(built);
  EXPECT_EQ(*built, "$dps/registrations/res/202/?$rid=5&retry-after=2");
}

TEST(DpsKeys, GroupEnrollmentDerivedKeyMatchesMicrosoftsVector) {
  char out[64];
  auto key = derive_device_key(group_key, registration_e, out);
  ASSERT_TRUE(key);
  EXPECT_EQ(*key, derived_e);
}

TEST(DpsResponseParser, AssignedAnswer) {
  char text[256];
  auto r = parse_dps_response(
      R"({"operationId":"4.abc","status":"assigned","registrationState":{"x509":{},"registrationId":"r1",)"
      R"("assignedHub":"contoso.azure-devices.net","deviceId":"my\/dev","status":"assigned",)"
      R"("substatus":"initialAssignment","etag":"x"}})",
      text);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, DpsStatus::assigned);
  EXPECT_EQ(r->operation_id, "4.abc");
  EXPECT_EQ(r->assigned_hub, "contoso.azure-devices.net");
  EXPECT_EQ(r->device_id, "my/dev");
  EXPECT_EQ(r->substatus, "initialAssignment");
}

TEST(DpsResponseParser, ErrorsFromTheTopLevelAndFromRegistrationState) {
  char text[256];
  auto top = parse_dps_response(R"({"errorCode":401002,"trackingId":"t","message":"Unauthorized \"x\""})", text);
  ASSERT_TRUE(top);
  EXPECT_EQ(top->error_code, 401002);
  EXPECT_EQ(top->error_message, "Unauthorized \"x\"");
  auto failed = parse_dps_response(
      R"({"operationId":"o","status":"failed","registrationState":{"status":"failed","errorCode":400209,)"
      R"("errorMessage":"Custom allocation failed"}})",
      text);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, DpsStatus::failed);
  EXPECT_EQ(failed->error_code, 400209);
  EXPECT_EQ(failed->error_message, "Custom allocation failed");
  EXPECT_FALSE(parse_dps_response("[1]", text));
  EXPECT_FALSE(parse_dps_response(" ", text));
}

TEST(DpsResponseParser, LongMessageIsCutButIdsMustFit) {
  char small[24];
  auto r = parse_dps_response(R"({"message":"a very long message that does not fit"})", small);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error_message.size(), sizeof small);
  EXPECT_TRUE(r->error_message.ends_with("..."));
  auto ids = parse_dps_response(R"({"operationId":"an operation id longer than the buffer"})", small);
  ASSERT_FALSE(ids);
  EXPECT_EQ(ids.error().code, Errc::too_large);
}

TEST(DpsResponseParser, UnescapeHandlesUnicodeEscapes) {
  char out[16];
  auto s = json_unescape(R"("a\u0041\u00e9\n")", out);
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, "aA?\n");
  EXPECT_FALSE(json_unescape(R"("a\)", out));
  EXPECT_FALSE(json_unescape(R"("\u00G0")", out));
  EXPECT_FALSE(json_unescape("abc", out));
}

// ---- DpsClient against canned DPS bytes ----

struct SentPublish {
  std::string topic;
  std::string body;
  std::uint16_t packet_id = 0;
};

struct DpsHarness {
  std::string scope = "0ne00000A0A";
  std::string registration_id{registration_e};
  std::string key{derived_e};
  std::string payload;
  DpsRegistration registration;
  StaticDpsClientMemory<> memory;
  std::unique_ptr<DpsClient> client;
  std::uint64_t now_ms = 1000;
  std::string username, password, client_id;
  bool clean = false;
  std::uint16_t subscribe_id = 0;
  std::vector<std::string> filters;

  explicit DpsHarness(DpsClientOptions options = {}, std::string custom_payload = {})
      : payload(std::move(custom_payload)) {
    registration = DpsRegistration{scope, registration_id, key, payload};
    options.client_version = "";
    client = std::make_unique<DpsClient>(memory.view(), registration, options);
  }

  std::vector<mqtt::Packet> packets(Bytes& keep) {
    auto out = client->pending_output();
    keep.assign(out.begin(), out.end());
    client->consume_output(out.size());
    std::vector<mqtt::Packet> all;
    std::span<const std::uint8_t> rest = keep;
    while (!rest.empty()) {
      auto d = mqtt::decode(rest);
      EXPECT_TRUE(d);
      if (!d) break;
      all.push_back(d->packet);
      rest = rest.subspan(d->size);
    }
    return all;
  }
  // Reads what the client wrote: CONNECT fields, the SUBSCRIBE, publishes.
  std::vector<SentPublish> sent() {
    Bytes keep;
    std::vector<SentPublish> out;
    for (auto& p : packets(keep)) {
      if (auto* c = std::get_if<mqtt::Connect>(&p)) {
        client_id = std::string(c->client_id);
        username = std::string(c->username.value_or(""));
        password = c->password ? text_of(*c->password) : "";
        clean = c->clean_session;
      } else if (auto* s = std::get_if<mqtt::SubscribeView>(&p)) {
        subscribe_id = s->packet_id;
        for (const mqtt::Subscription sub : *s) filters.emplace_back(sub.filter);
      } else if (auto* pub = std::get_if<mqtt::Publish>(&p)) {
        out.push_back(SentPublish{std::string(pub->topic), text_of(pub->payload), pub->packet_id});
      }
    }
    return out;
  }
  void feed(const Bytes& b) {
    auto n = client->receive(b, now_ms);
    ASSERT_TRUE(n) << n.error().what;
    ASSERT_EQ(*n, b.size());
  }
  std::vector<DpsEvent> events() {
    std::vector<DpsEvent> all;
    while (auto e = client->poll_event()) all.push_back(*e);
    return all;
  }
  void answer(std::string_view topic, std::string_view body) {
    feed(encoded(mqtt::Publish{topic, bytes_of(body), mqtt::QoS::at_most_once, false, false, 0}));
  }
  // CONNECT, CONNACK, SUBSCRIBE, SUBACK; returns the register request.
  SentPublish start() {
    EXPECT_TRUE(client->connect(now_ms, 1700000000));
    EXPECT_TRUE(sent().empty());
    feed(encoded(mqtt::Connack{false, mqtt::ConnectReturnCode::accepted}));
    auto ev = events();
    EXPECT_EQ(ev.size(), 1u);
    EXPECT_TRUE(!ev.empty() && std::holds_alternative<DpsConnected>(ev[0]));
    EXPECT_TRUE(sent().empty());
    const std::uint8_t granted[] = {1};
    feed(encoded(mqtt::Suback{subscribe_id, granted}));
    EXPECT_TRUE(events().empty());
    auto pubs = sent();
    EXPECT_EQ(pubs.size(), 1u);
    return pubs.empty() ? SentPublish{} : pubs[0];
  }
  // Advances the fake clock and returns what on_time() raised.
  std::vector<DpsEvent> advance_to(std::uint64_t ms) {
    now_ms = ms;
    client->on_time(now_ms);
    return events();
  }
};

TEST(DpsClient, ConnectsWithTheRegistrationIdentityAndSasForTheRegistrationResource) {
  DpsHarness h;
  auto reg = h.start();
  EXPECT_EQ(h.client_id, registration_e);
  EXPECT_EQ(h.username, "0ne00000A0A/registrations/" + std::string(registration_e) + "/api-version=2019-03-31");
  EXPECT_TRUE(h.clean);
  // Vector M of the reference, with this token's expiry: sr encoded, skn=registration, signed with the derived key.
  char expected[512];
  auto token = make_sas_token(SasTokenRequest{"0ne00000A0A/registrations/" + std::string(registration_e), derived_e,
                                              1700000000 + 3600, "registration"},
                              expected);
  ASSERT_TRUE(token);
  EXPECT_EQ(h.password, *token);
  EXPECT_NE(h.password.find("sr=0ne00000A0A%2Fregistrations%2Fsn-007"), std::string::npos);
  EXPECT_EQ(h.filters, std::vector<std::string>{"$dps/registrations/res/#"});
  EXPECT_EQ(reg.topic, "$dps/registrations/PUT/iotdps-register/?$rid=1");
  EXPECT_EQ(reg.body, R"({"registrationId":"sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6"})");
  EXPECT_EQ(reg.packet_id, 0) << "QoS 0: a reconnect never resends a stale request";
  EXPECT_EQ(h.client->state(), DpsClientState::requesting);
}

TEST(DpsClient, RegisterCarriesTheCustomPayload) {
  DpsHarness h({}, R"({"modelId":"dtmi:picohub:TutorialDevice;1"})");
  auto reg = h.start();
  EXPECT_EQ(reg.body, R"({"registrationId":"sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6","payload":)"
                      R"({"modelId":"dtmi:picohub:TutorialDevice;1"}})");
}

TEST(DpsClient, PollsAfterRetryAfterThenAssigned) {
  DpsHarness h;
  (void)h.start();
  h.answer("$dps/registrations/res/202/?$rid=1&retry-after=3", R"({"operationId":"4.op-1","status":"assigning"})");
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  auto* assigning = std::get_if<DpsAssigning>(&ev[0]);
  ASSERT_NE(assigning, nullptr);
  EXPECT_EQ(assigning->operation_id, "4.op-1");
  EXPECT_EQ(assigning->retry_after_s, 3u);
  EXPECT_EQ(h.client->state(), DpsClientState::waiting);
  EXPECT_EQ(h.client->next_deadline_ms(), 4000u);
  EXPECT_TRUE(h.advance_to(3999).empty());
  EXPECT_TRUE(h.sent().empty()) << "no poll before retry-after has passed";
  EXPECT_TRUE(h.advance_to(4000).empty());
  auto polls = h.sent();
  ASSERT_EQ(polls.size(), 1u);
  EXPECT_EQ(polls[0].topic, "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=4.op-1");
  EXPECT_EQ(polls[0].body, "");
  // An answer to an older request id is ignored.
  h.answer("$dps/registrations/res/200/?$rid=1", R"({"status":"assigned"})");
  EXPECT_TRUE(h.events().empty());
  h.answer("$dps/registrations/res/200/?$rid=2",
           R"({"operationId":"4.op-1","status":"assigned","registrationState":{"assignedHub":"localhost:18883",)"
           R"("deviceId":"sn-007","status":"assigned","substatus":"initialAssignment"}})");
  ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  auto* assigned = std::get_if<DpsAssigned>(&ev[0]);
  ASSERT_NE(assigned, nullptr);
  EXPECT_EQ(assigned->assigned_hub, "localhost:18883");
  EXPECT_EQ(assigned->device_id, "sn-007");
  EXPECT_EQ(h.client->state(), DpsClientState::assigned);
  EXPECT_TRUE(h.client->done());
  EXPECT_EQ(h.client->attempts(), 2u);
  h.client->on_transport_reset();
  ASSERT_TRUE(h.client->assigned());
  EXPECT_EQ(h.client->assigned()->device_id, "sn-007");
}

TEST(DpsClient, MissingRetryAfterUsesTheDefaultAndHugeOnesAreClamped) {
  DpsClientOptions o;
  o.default_retry_after_s = 2;
  o.max_retry_after_s = 10;
  DpsHarness h(o);
  (void)h.start();
  h.answer("$dps/registrations/res/202/?$rid=1", R"({"operationId":"op","status":"assigning"})");
  (void)h.events();
  EXPECT_EQ(h.client->next_deadline_ms(), 3000u);
  (void)h.advance_to(3000);
  ASSERT_EQ(h.sent().size(), 1u);
  h.answer("$dps/registrations/res/202/?$rid=2&retry-after=100000", R"({"operationId":"op","status":"assigning"})");
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<DpsAssigning>(ev[0]).retry_after_s, 10u);
  EXPECT_EQ(h.client->next_deadline_ms(), 13000u);
}

TEST(DpsClient, ThrottledRequestIsRetriedThenAttemptsAreBounded) {
  DpsClientOptions o;
  o.max_attempts = 3;
  DpsHarness h(o);
  (void)h.start();
  h.answer("$dps/registrations/res/429/?$rid=1&retry-after=1", R"({"errorCode":429001,"message":"throttled"})");
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<DpsAssigning>(ev[0]).status, 429);
  (void)h.advance_to(2000);
  auto again = h.sent();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].topic, "$dps/registrations/PUT/iotdps-register/?$rid=2") << "no operation yet: register again";
  h.answer("$dps/registrations/res/202/?$rid=2&retry-after=1", R"({"operationId":"op","status":"assigning"})");
  (void)h.events();
  (void)h.advance_to(3000);
  ASSERT_EQ(h.sent().size(), 1u);
  h.answer("$dps/registrations/res/202/?$rid=3&retry-after=1", R"({"operationId":"op","status":"assigning"})");
  ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  auto* failed = std::get_if<DpsFailed>(&ev[0]);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->error.code, Errc::timeout);
  EXPECT_EQ(h.client->state(), DpsClientState::failed);
  EXPECT_EQ(h.client->next_deadline_ms(), h.client->session().next_deadline_ms());
}

TEST(DpsClient, RefusedRegistrationCarriesDpsErrorCodeAndMessage) {
  DpsHarness h;
  (void)h.start();
  h.answer("$dps/registrations/res/401/?$rid=1", R"({"errorCode":401002,"message":"Registration not found"})");
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  auto* failed = std::get_if<DpsFailed>(&ev[0]);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->http_status, 401);
  EXPECT_EQ(failed->error_code, 401002);
  EXPECT_EQ(failed->message, "Registration not found");
  EXPECT_EQ(failed->error.code, Errc::auth_refused);
}

TEST(DpsClient, DisabledEnrollmentIsAFailureWithItsStatus) {
  DpsHarness h;
  (void)h.start();
  h.answer("$dps/registrations/res/200/?$rid=1",
           R"({"operationId":"o","status":"disabled","registrationState":{"status":"disabled"}})");
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  auto* failed = std::get_if<DpsFailed>(&ev[0]);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->status, DpsStatus::disabled);
}

TEST(DpsClient, RefusedConnackSaysWhatToCheck) {
  DpsHarness h;
  ASSERT_TRUE(h.client->connect(h.now_ms, 1700000000));
  (void)h.sent();
  h.feed(encoded(mqtt::Connack{false, mqtt::ConnectReturnCode::not_authorized}));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  auto* refused = std::get_if<DpsRefused>(&ev[0]);
  ASSERT_NE(refused, nullptr);
  EXPECT_NE(std::string(refused->message).find("group"), std::string::npos);
  EXPECT_EQ(h.client->state(), DpsClientState::refused);
}

TEST(DpsClient, NoAnswerInTimeFailsTheRegistration) {
  DpsClientOptions o;
  o.response_timeout_ms = 5000;
  DpsHarness h(o);
  (void)h.start();
  EXPECT_EQ(h.client->next_deadline_ms(), 6000u);
  auto ev = h.advance_to(6000);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<DpsFailed>(ev[0]).error.code, Errc::timeout);
}

TEST(DpsClient, ConnectAgainAfterAResetStartsOver) {
  DpsHarness h;
  (void)h.start();
  h.client->on_transport_reset();
  EXPECT_EQ(h.client->state(), DpsClientState::idle);
  auto reg = h.start();
  EXPECT_EQ(reg.topic, "$dps/registrations/PUT/iotdps-register/?$rid=2");
}

TEST(DpsClient, ForgettingTheAssignmentRegistersAgainFromTheStart) {
  DpsHarness h;
  (void)h.start();
  h.answer("$dps/registrations/res/200/?$rid=1",
           R"({"operationId":"4.op-1","status":"assigned","registrationState":{"assignedHub":"hub-a",)"
           R"("deviceId":"sn-007","status":"assigned","substatus":"initialAssignment"}})");
  ASSERT_EQ(h.events().size(), 1u);
  ASSERT_EQ(h.client->state(), DpsClientState::assigned);
  EXPECT_FALSE(h.client->connect(h.now_ms, 1700000000)) << "an assigned client does not register by accident";
  // The hub disowned the device (the supervisor said reprovision): a whole new registration, not a poll.
  h.client->forget_assignment();
  EXPECT_EQ(h.client->state(), DpsClientState::idle);
  EXPECT_FALSE(h.client->assigned());
  auto reg = h.start();
  EXPECT_EQ(reg.topic, "$dps/registrations/PUT/iotdps-register/?$rid=2");
  EXPECT_EQ(h.client->attempts(), 1u);
  h.answer("$dps/registrations/res/200/?$rid=2",
           R"({"operationId":"4.op-2","status":"assigned","registrationState":{"assignedHub":"hub-b",)"
           R"("deviceId":"sn-007","status":"assigned","substatus":"reprovisionedToInitialAssignment"}})");
  ASSERT_EQ(h.events().size(), 1u);
  ASSERT_TRUE(h.client->assigned());
  EXPECT_EQ(h.client->assigned()->assigned_hub, "hub-b");
}

TEST(DpsClient, InvalidRegistrationIdIsRefusedBeforeConnecting) {
  DpsHarness h;
  h.registration_id = "bad id";
  h.registration = DpsRegistration{h.scope, h.registration_id, h.key, {}};
  DpsClient client(h.memory.view(), h.registration);
  auto r = client.connect(0, 1700000000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

}  // namespace

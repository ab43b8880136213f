#include "websocket/handshake.hpp"

#include <gtest/gtest.h>

#include <string>

#include "websocket_test_util.hpp"

namespace picohub::websocket {
namespace {

// RFC 6455 §1.3's own example pair.
constexpr std::string_view kRfcKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view kRfcAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

std::string response(std::string_view accept, std::string_view extra = "Sec-WebSocket-Protocol: mqtt\r\n") {
  return "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
         "Sec-WebSocket-Accept: " +
         std::string(accept) + "\r\n" + std::string(extra) + "\r\n";
}

TEST(WebSocketHandshake, AcceptValueMatchesTheRfcExample) {
  char out[kAcceptChars];
  auto accept = accept_value(kRfcKey, out);
  ASSERT_TRUE(accept);
  EXPECT_EQ(*accept, kRfcAccept);
}

TEST(WebSocketHandshake, KeyIsBase64OfSixteenEntropyBytes) {
  testing::CountingEntropy entropy;  // bytes 1..16
  auto key = make_key(entropy);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->view(), "AQIDBAUGBwgJCgsMDQ4PEA==");
  entropy.healthy = false;
  auto refused = make_key(entropy);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::crypto_failure);
}

TEST(WebSocketHandshake, RequestAsksForTheSubprotocolAndNamesThePortOnlyWhenNot443) {
  char out[512];
  UpgradeTarget target{"hub.example", 443, "/$iothub/websocket", "mqtt"};
  auto n = write_upgrade_request(target, kRfcKey, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string_view(out, *n),
            "GET /$iothub/websocket HTTP/1.1\r\nHost: hub.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: mqtt\r\n\r\n");
  target.port = 8443;
  n = write_upgrade_request(target, kRfcKey, out);
  ASSERT_TRUE(n);
  EXPECT_NE(std::string_view(out, *n).find("Host: hub.example:8443\r\n"), std::string_view::npos);
}

TEST(WebSocketHandshake, RequestRefusesSmallBuffersAndHeaderInjection) {
  char small[64];
  auto n = write_upgrade_request({"hub.example", 443, "/$iothub/websocket", "mqtt"}, kRfcKey, small);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, Errc::too_large);
  char out[512];
  n = write_upgrade_request({"hub\r\nX: y", 443, "/", "mqtt"}, kRfcKey, out);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, Errc::invalid_argument);
}

TEST(WebSocketHandshake, CompleteValidResponseReportsItsLengthAndPartialOneAsksForMore) {
  const auto text = response(kRfcAccept) + "\x82\x01X";  // a frame right after the header
  auto header = check_upgrade_response(text, kRfcKey, "mqtt");
  ASSERT_TRUE(header) << header.error().what;
  EXPECT_EQ(*header, text.size() - 3);
  auto partial = check_upgrade_response(std::string_view(text).substr(0, 40), kRfcKey, "mqtt");
  ASSERT_TRUE(partial);
  EXPECT_EQ(*partial, 0U);
}

TEST(WebSocketHandshake, NonSwitchingStatusIsRefusedAndItsLineKept) {
  const std::string text = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
  auto r = check_upgrade_response(text, kRfcKey, "mqtt");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::protocol_violation);
  EXPECT_EQ(status_line(text), "HTTP/1.1 404 Not Found");
}

TEST(WebSocketHandshake, WrongAcceptMissingSubprotocolOrExtensionIsRefused) {
  for (const auto& text : {response("AAAAAAAAAAAAAAAAAAAAAAAAAAA="), response(kRfcAccept, ""),
                           response(kRfcAccept, "Sec-WebSocket-Protocol: mqttv5\r\n"),
                           response(kRfcAccept, "Sec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Extensions: x\r\n")}) {
    auto r = check_upgrade_response(text, kRfcKey, "mqtt");
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, Errc::protocol_violation);
  }
  auto no_upgrade = check_upgrade_response(
      "HTTP/1.1 101 OK\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", kRfcKey, "");
  ASSERT_FALSE(no_upgrade);
}

TEST(WebSocketHandshake, EndlessHeaderIsRefused) {
  const std::string text = "HTTP/1.1 101 Switching Protocols\r\n" + std::string(2000, 'x');
  auto r = check_upgrade_response(text, kRfcKey, "mqtt", 1024);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::too_large);
}

}  // namespace
}  // namespace picohub::websocket

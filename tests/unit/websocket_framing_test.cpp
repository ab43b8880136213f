#include "websocket/framing.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "websocket_test_util.hpp"

namespace picohub::websocket {
namespace {

using testing::bytes;
using testing::server_frame;
using Kind = FrameEvent::Kind;

// Everything the reader makes of `input` fed in pieces of `piece` bytes: the message bytes, and the kinds
// of the other events in order. Stops at the first error (returned).
struct Read {
  std::vector<std::uint8_t> data;
  std::vector<Kind> events;
  std::vector<std::vector<std::uint8_t>> control;
  std::uint16_t close_code = 0;
  std::optional<Error> error;
};

Read read_all(FrameReader& reader, const std::vector<std::uint8_t>& input, std::size_t piece) {
  Read out;
  for (std::size_t at = 0; at < input.size() && !out.error;) {
    const std::size_t end = std::min(input.size(), at + piece);
    auto chunk = std::span<const std::uint8_t>(input.data() + at, end - at);
    while (!chunk.empty()) {
      auto event = reader.next(chunk);
      if (!event) {
        out.error = event.error();
        break;
      }
      EXPECT_GT(event->consumed, 0U);
      if (event->kind == Kind::data) out.data.insert(out.data.end(), event->data.begin(), event->data.end());
      else if (event->kind != Kind::none) {
        out.events.push_back(event->kind);
        out.control.emplace_back(event->data.begin(), event->data.end());
        if (event->kind == Kind::close) out.close_code = event->close_code;
      }
      chunk = chunk.subspan(event->consumed);
    }
    at = end;
  }
  return out;
}

std::vector<std::uint8_t> concat(std::initializer_list<std::vector<std::uint8_t>> parts) {
  std::vector<std::uint8_t> all;
  for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

TEST(WebSocketFraming, ClientHeaderUsesEachLengthFormAndCarriesTheMask) {
  const Mask mask{0x11, 0x22, 0x33, 0x44};
  std::array<std::uint8_t, kMaxHeaderBytes> h{};
  EXPECT_EQ(write_client_header(Opcode::binary, true, 125, mask, h), 6U);
  EXPECT_EQ(h[0], 0x82);
  EXPECT_EQ(h[1], 0x80 | 125);
  EXPECT_EQ(h[2], 0x11);
  EXPECT_EQ(write_client_header(Opcode::binary, true, 126, mask, h), 8U);
  EXPECT_EQ(h[1], 0x80 | 126);
  EXPECT_EQ(h[2], 0x00);
  EXPECT_EQ(h[3], 126);
  EXPECT_EQ(h[4], 0x11);
  EXPECT_EQ(write_client_header(Opcode::pong, false, 0x10000, mask, h), 14U);
  EXPECT_EQ(h[0], 0x0A);
  EXPECT_EQ(h[1], 0x80 | 127);
  EXPECT_EQ(h[7], 0x01);  // 0x00 00 00 00 00 01 00 00
  EXPECT_EQ(h[9], 0x00);
  EXPECT_EQ(h[13], 0x44);
}

TEST(WebSocketFraming, MaskingTwiceRestoresAndOffsetsContinueTheMask) {
  const Mask mask{1, 2, 3, 4};
  auto data = bytes(10);
  const auto original = data;
  apply_mask(std::span(data).first(3), mask, 0);
  apply_mask(std::span(data).subspan(3), mask, 3);
  EXPECT_EQ(data[0], original[0] ^ 1);
  EXPECT_EQ(data[5], original[5] ^ 2);
  apply_mask(data, mask);
  EXPECT_EQ(data, original);
}

TEST(WebSocketFraming, EachLengthFormIsReadWholeAndInPieces) {
  for (const std::size_t size : {0UL, 1UL, 125UL, 126UL, 65535UL, 65536UL, 70000UL}) {
    const auto payload = bytes(size, static_cast<std::uint8_t>(size));
    for (const std::size_t piece : {1UL, 7UL, 1UL << 20}) {
      FrameReader reader(1 << 20);
      auto got = read_all(reader, server_frame(Opcode::binary, payload), piece);
      ASSERT_FALSE(got.error) << size << " " << got.error->what;
      EXPECT_EQ(got.data, payload) << size << " in pieces of " << piece;
      EXPECT_TRUE(got.events.empty());
    }
  }
  FrameReader reader(1 << 20);
  auto forced64 = read_all(reader, server_frame(Opcode::binary, bytes(0x10000), true, 64), 1000);
  ASSERT_FALSE(forced64.error);
  EXPECT_EQ(forced64.data.size(), 0x10000U);
}

TEST(WebSocketFraming, SeveralFramesInOneReadAndAFragmentedMessageWithAPingInside) {
  const auto input = concat({server_frame(Opcode::binary, bytes(3, 1)),
                             server_frame(Opcode::binary, bytes(4, 2), false), server_frame(Opcode::ping, {'h', 'i'}),
                             server_frame(Opcode::continuation, bytes(5, 3), false),
                             server_frame(Opcode::continuation, {}, true), server_frame(Opcode::pong, {})});
  for (const std::size_t piece : {1UL, 3UL, input.size()}) {
    FrameReader reader(100);
    auto got = read_all(reader, input, piece);
    ASSERT_FALSE(got.error) << got.error->what;
    EXPECT_EQ(got.data, concat({bytes(3, 1), bytes(4, 2), bytes(5, 3)}));
    EXPECT_EQ(got.events, (std::vector<Kind>{Kind::ping, Kind::pong}));
    EXPECT_EQ(got.control[0], (std::vector<std::uint8_t>{'h', 'i'}));
  }
}

TEST(WebSocketFraming, CloseCarriesItsCodeAndEndsTheReader) {
  FrameReader reader(100);
  auto got = read_all(
      reader, concat({server_frame(Opcode::close, {0x03, 0xE9, 'b', 'y', 'e'}), server_frame(Opcode::binary, {1})}), 2);
  EXPECT_EQ(got.events, std::vector<Kind>{Kind::close});
  EXPECT_EQ(got.close_code, 1001);
  ASSERT_TRUE(got.error);  // the frame after the close
  EXPECT_TRUE(reader.finished());
  FrameReader bare(100);
  EXPECT_EQ(read_all(bare, server_frame(Opcode::close, {}), 1).close_code, kCloseNoStatus);
}

struct Refusal {
  const char* name;
  std::vector<std::uint8_t> input;
  Errc code;
};

TEST(WebSocketFraming, WhatAClientMustRefuseIsRefused) {
  auto masked = server_frame(Opcode::binary, {1, 2});
  masked[1] |= 0x80;
  masked.insert(masked.begin() + 2, {0, 0, 0, 0});
  auto reserved = server_frame(Opcode::binary, {1});
  reserved[0] |= 0x40;
  const std::vector<Refusal> cases{
      {"masked", masked, Errc::protocol_violation},
      {"reserved bits", reserved, Errc::protocol_violation},
      {"text", server_frame(Opcode::text, {'a'}), Errc::protocol_violation},
      {"unknown opcode", server_frame(static_cast<Opcode>(3), {}), Errc::protocol_violation},
      {"lone continuation", server_frame(Opcode::continuation, {1}), Errc::protocol_violation},
      {"new message inside one", concat({server_frame(Opcode::binary, {1}, false), server_frame(Opcode::binary, {2})}),
       Errc::protocol_violation},
      {"fragmented ping", server_frame(Opcode::ping, {}, false), Errc::protocol_violation},
      {"long ping", server_frame(Opcode::ping, bytes(126)), Errc::protocol_violation},
      {"one-byte close", server_frame(Opcode::close, {1}), Errc::protocol_violation},
      {"16-bit length under 126", server_frame(Opcode::binary, bytes(5), true, 16), Errc::protocol_violation},
      {"64-bit length under 65536", server_frame(Opcode::binary, bytes(300), true, 64), Errc::protocol_violation},
      {"oversize frame", server_frame(Opcode::binary, bytes(1001)), Errc::too_large},
      {"oversize message",
       concat({server_frame(Opcode::binary, bytes(600), false), server_frame(Opcode::continuation, bytes(600))}),
       Errc::too_large},
      {"64-bit length with the top bit", {0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0}, Errc::protocol_violation},
  };
  for (const auto& c : cases) {
    FrameReader reader(1000);
    auto got = read_all(reader, c.input, 1);
    ASSERT_TRUE(got.error) << c.name;
    EXPECT_EQ(got.error->code, c.code) << c.name;
    EXPECT_TRUE(reader.finished()) << c.name;
  }
}

}  // namespace
}  // namespace picohub::websocket

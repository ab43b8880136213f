// MQTT 3.1.1 wire codec: packets <-> bytes, into and out of caller buffers. Pure functions, no state.
//
// Encoding: encode(packet, out) writes one whole packet at the start of `out` and returns its size.
//   Errors: invalid_argument  a field breaks a protocol rule (empty topic, wildcard in a PUBLISH topic,
//                             packet id 0 where one is required, QoS 3, password without username, ...)
//           too_large         the packet does not fit `out`, or its remaining length exceeds 268435455,
//                             or a string/binary field exceeds 65535 bytes.
//   Nothing useful is left in `out` on error.
//
// Decoding: decode(in) reads the first packet in `in` and returns it with its size in bytes. Decoded fields are
// views into `in`. It never reads outside `in`.
//   Errors: truncated  `in` holds only part of a packet; missing_bytes(in) says how many more are needed
//           malformed  bad remaining length (more than 4 bytes), reserved flag bits set, QoS 3, a length
//                      field pointing past the packet, a string that is not valid MQTT UTF-8, a wildcard in a
//                      PUBLISH topic, packet id 0 where forbidden, no filters in (UN)SUBSCRIBE, bad SUBACK
//                      return code, bad CONNACK, trailing bytes in a fixed-size packet, ...
//           too_large  the packet announced by the fixed header is larger than `max_packet_size`; reported as
//                      soon as the header is complete, before the body arrives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.hpp"
#include "mqtt/packet.hpp"
#include "mqtt/topic_name.hpp"

namespace picohub::mqtt {

inline constexpr std::size_t unlimited_packet_size = static_cast<std::size_t>(max_remaining_length) + 5;

// Size of the fixed header's variable-length "remaining length" encoding for `value` (1..4), 0 when too big.
std::size_t remaining_length_size(std::uint32_t value) noexcept;

// ---- encoding (everything a client sends, plus the server-side answers for tests and load generators) ----
Result<std::size_t> encode(const Connect& packet, std::span<std::uint8_t> out);
Result<std::size_t> encode(const Connack& packet, std::span<std::uint8_t> out);
Result<std::size_t> encode(const Publish& packet, std::span<std::uint8_t> out);  // QoS 0, 1 and 2
Result<std::size_t> encode(const Puback& packet, std::span<std::uint8_t> out);
Result<std::size_t> encode(const Pubrec& packet, std::span<std::uint8_t> out);
Result<std::size_t> encode(const Pubrel& packet, std::span<std::uint8_t> out);
Result<std::size_t> encode(const Pubcomp& packet, std::span<std::uint8_t> out);
Result<std::size_t> encode(const Subscribe& packet, std::span<std::uint8_t> out);
Result<std::size_t> encode(const Suback& packet, std::span<std::uint8_t> out);
Result<std::size_t> encode(const Unsubscribe& packet, std::span<std::uint8_t> out);
Result<std::size_t> encode(const Unsuback& packet, std::span<std::uint8_t> out);
Result<std::size_t> encode(const Pingreq& packet, std::span<std::uint8_t> out);
Result<std::size_t> encode(const Pingresp& packet, std::span<std::uint8_t> out);
Result<std::size_t> encode(const Disconnect& packet, std::span<std::uint8_t> out);

// Exact encoded size of a packet (same validation as encode(), without writing). Lets callers size buffers.
Result<std::size_t> encoded_size(const Connect& packet);
Result<std::size_t> encoded_size(const Publish& packet);
Result<std::size_t> encoded_size(const Subscribe& packet);
Result<std::size_t> encoded_size(const Unsubscribe& packet);

// A PUBLISH whose topic is a TopicName (packet.topic is ignored): the same checks except the topic, which is
// valid by construction and not scanned again.
Result<std::size_t> encoded_size(const Publish& packet, const TopicName& topic);
Result<std::size_t> encode(const Publish& packet, const TopicName& topic, std::span<std::uint8_t> out);

// ---- decoding ----
struct FixedHeader {
  PacketType type = PacketType::connect;
  std::uint8_t flags = 0;  // low nibble of the first byte
  std::uint32_t remaining_length = 0;
  std::size_t header_size = 0;  // 2..5
  std::size_t packet_size() const noexcept { return header_size + remaining_length; }
};

// Reads only the fixed header. truncated if the header itself is incomplete; malformed for packet type 0/15 or
// a remaining length longer than 4 bytes. Does not check the flags (decode() does).
Result<FixedHeader> decode_fixed_header(std::span<const std::uint8_t> in);

// How many more bytes `in` needs before decode() can return something other than truncated: 0 when a whole
// packet (or a malformed header) is present; at least 1 while the fixed header is incomplete.
std::size_t missing_bytes(std::span<const std::uint8_t> in) noexcept;

struct Decoded {
  Packet packet;
  std::size_t size = 0;  // bytes of `in` this packet occupies
};

Result<Decoded> decode(std::span<const std::uint8_t> in, std::size_t max_packet_size = unlimited_packet_size);
// decode() for a client: CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ and DISCONNECT (client-to-server only) come
// back as Pingreq without their bodies being read, for the session to refuse. The Session uses it, so a device
// image carries no decoder for packets it can never receive.
Result<Decoded> decode_from_server(std::span<const std::uint8_t> in,
                                   std::size_t max_packet_size = unlimited_packet_size);

}  // namespace picohub::mqtt

// MQTT 3.1.1 control packets as plain values. Every string and byte field is a view: when a packet is
// encoded, the views point at the caller's data; when it is decoded, they point into the input bytes and stay
// valid only as long as those bytes do. No heap, no exceptions: the same types are used on host and RP2040.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>
#include <variant>

namespace picohub::mqtt {

// Largest value the 1..4 byte "remaining length" field can carry ([MQTT-2.2.3]).
inline constexpr std::uint32_t max_remaining_length = 268'435'455;
// Protocol level of MQTT 3.1.1 in CONNECT.
inline constexpr std::uint8_t protocol_level_3_1_1 = 4;
// SUBACK return code for a refused subscription.
inline constexpr std::uint8_t suback_failure = 0x80;

enum class PacketType : std::uint8_t {
  connect = 1,
  connack = 2,
  publish = 3,
  puback = 4,
  pubrec = 5,
  pubrel = 6,
  pubcomp = 7,
  subscribe = 8,
  suback = 9,
  unsubscribe = 10,
  unsuback = 11,
  pingreq = 12,
  pingresp = 13,
  disconnect = 14,
};

enum class QoS : std::uint8_t { at_most_once = 0, at_least_once = 1, exactly_once = 2 };

// CONNACK return codes ([MQTT-3.2.2.3]). 6..255 are reserved and rejected by the decoder.
enum class ConnectReturnCode : std::uint8_t {
  accepted = 0,
  unacceptable_protocol_version = 1,
  identifier_rejected = 2,
  server_unavailable = 3,
  bad_username_or_password = 4,
  not_authorized = 5,
};

// A sentence a person can act on for a refused CONNACK (static storage).
const char* describe(ConnectReturnCode code) noexcept;

struct Will {
  std::string_view topic;                 // must be a valid PUBLISH topic (no wildcards)
  std::span<const std::uint8_t> payload;  // may be empty
  QoS qos = QoS::at_most_once;
  bool retain = false;
};

struct Connect {
  std::string_view client_id;  // empty is allowed only with clean_session ([MQTT-3.1.3-7])
  bool clean_session = true;
  std::uint16_t keep_alive_s = 60;  // 0 disables keep-alive
  std::optional<std::string_view> username;
  std::optional<std::span<const std::uint8_t>> password;  // needs a username in 3.1.1 ([MQTT-3.1.2-22])
  std::optional<Will> will;
  // Decoded from the wire so a server can answer CONNACK 1 for other levels; always 4 when encoding.
  std::uint8_t protocol_level = protocol_level_3_1_1;
};

struct Connack {
  bool session_present = false;
  ConnectReturnCode return_code = ConnectReturnCode::accepted;
};

struct Publish {
  std::string_view topic;  // non-empty, no '+' or '#'
  std::span<const std::uint8_t> payload;
  QoS qos = QoS::at_most_once;
  bool retain = false;
  bool dup = false;             // only allowed with QoS > 0
  std::uint16_t packet_id = 0;  // non-zero iff QoS > 0
};

// The four "packet id only" acknowledgements share a shape.
struct Puback {
  std::uint16_t packet_id = 0;
};
struct Pubrec {
  std::uint16_t packet_id = 0;
};
struct Pubrel {
  std::uint16_t packet_id = 0;
};
struct Pubcomp {
  std::uint16_t packet_id = 0;
};

struct Subscription {
  std::string_view filter;  // valid topic filter: '+' fills a whole level, '#' only as the last level
  QoS qos = QoS::at_least_once;
};

// SUBSCRIBE as the client builds it: one or more filters.
struct Subscribe {
  std::uint16_t packet_id = 0;
  std::span<const Subscription> subscriptions;
};

// UNSUBSCRIBE as the client builds it: one or more filters.
struct Unsubscribe {
  std::uint16_t packet_id = 0;
  std::span<const std::string_view> filters;
};

// Decoded SUBSCRIBE: the filters stay in wire form (already validated by decode()) and are read by iterating.
//   for (Subscription s : view) { ... }
struct SubscribeView {
  std::uint16_t packet_id = 0;
  std::size_t count = 0;                  // number of filters (>= 1)
  std::span<const std::uint8_t> entries;  // wire bytes of the filter list

  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Subscription;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Subscription;

    Iterator() = default;
    explicit Iterator(std::span<const std::uint8_t> rest) : rest_(rest) {}
    Subscription operator*() const noexcept;
    Iterator& operator++() noexcept;
    Iterator operator++(int) noexcept {
      Iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const Iterator& other) const noexcept { return rest_.size() == other.rest_.size(); }

   private:
    std::span<const std::uint8_t> rest_;
  };
  Iterator begin() const noexcept { return Iterator(entries); }
  Iterator end() const noexcept { return Iterator(entries.subspan(entries.size())); }
};

// Decoded UNSUBSCRIBE, read the same way: for (std::string_view f : view) { ... }
struct UnsubscribeView {
  std::uint16_t packet_id = 0;
  std::size_t count = 0;
  std::span<const std::uint8_t> entries;

  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = std::string_view;

    Iterator() = default;
    explicit Iterator(std::span<const std::uint8_t> rest) : rest_(rest) {}
    std::string_view operator*() const noexcept;
    Iterator& operator++() noexcept;
    Iterator operator++(int) noexcept {
      Iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const Iterator& other) const noexcept { return rest_.size() == other.rest_.size(); }

   private:
    std::span<const std::uint8_t> rest_;
  };
  Iterator begin() const noexcept { return Iterator(entries); }
  Iterator end() const noexcept { return Iterator(entries.subspan(entries.size())); }
};

struct Suback {
  std::uint16_t packet_id = 0;
  // One byte per requested filter, in order: 0, 1, 2 = granted QoS, 0x80 (suback_failure) = refused.
  std::span<const std::uint8_t> return_codes;
};

struct Unsuback {
  std::uint16_t packet_id = 0;
};
struct Pingreq {};
struct Pingresp {};
struct Disconnect {};

// Any packet decode() can return. Use std::get_if<T>(&packet) to inspect it.
using Packet = std::variant<Connect, Connack, Publish, Puback, Pubrec, Pubrel, Pubcomp, SubscribeView, Suback,
                            UnsubscribeView, Unsuback, Pingreq, Pingresp, Disconnect>;

PacketType type_of(const Packet& packet) noexcept;

// Checks shared by the encoder, decoder and session. Each returns true when the text is acceptable.
// MQTT strings: at most 65535 bytes, well-formed UTF-8, no U+0000 ([MQTT-1.5.3]).
bool valid_mqtt_string(std::string_view text) noexcept;
// PUBLISH topic name: a non-empty MQTT string without '+' or '#' ([MQTT-4.7.3-1], [MQTT-3.3.2-2]).
bool valid_topic_name(std::string_view topic) noexcept;
// SUBSCRIBE/UNSUBSCRIBE filter: non-empty; '+' occupies a whole level; '#' is alone in the last level.
bool valid_topic_filter(std::string_view filter) noexcept;

}  // namespace picohub::mqtt

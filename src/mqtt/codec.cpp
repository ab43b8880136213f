#include "mqtt/codec.hpp"

#include <cstring>

namespace picohub::mqtt {

namespace {

constexpr std::uint32_t max_field = 0xFFFF;  // 2-byte length prefix of strings and binary data

// ---------------------------------------------------------------- writing

// Bounds are checked once up front (encode computes the exact size), so the writer itself is unchecked.
class Writer {
 public:
  explicit Writer(std::span<std::uint8_t> out) noexcept : out_(out) {}
  void u8(std::uint8_t v) noexcept { out_[pos_++] = v; }
  void u16(std::uint16_t v) noexcept {
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v & 0xFF));
  }
  void bytes(const void* data, std::size_t n) noexcept {
    if (n != 0) std::memcpy(out_.data() + pos_, data, n);
    pos_ += n;
  }
  void field(std::string_view s) noexcept {
    u16(static_cast<std::uint16_t>(s.size()));
    bytes(s.data(), s.size());
  }
  void field(std::span<const std::uint8_t> s) noexcept {
    u16(static_cast<std::uint16_t>(s.size()));
    bytes(s.data(), s.size());
  }
  void varint(std::uint32_t v) noexcept {
    do {
      auto b = static_cast<std::uint8_t>(v % 128);
      v /= 128;
      if (v != 0) b = static_cast<std::uint8_t>(b | 0x80);
      u8(b);
    } while (v != 0);
  }
  std::size_t size() const noexcept { return pos_; }

 private:
  std::span<std::uint8_t> out_;
  std::size_t pos_ = 0;
};

// One sentence per kind of fault (the Errc says which): on the board the decoder's and encoder's many checks share
// them, so it carries three texts, not forty; the host says which check failed (PICOHUB_TEXT).
constexpr const char* kBadOutgoing = "MQTT packet to send is invalid (string, topic, QoS, packet id or user name)";
constexpr const char* kBadIncoming = "MQTT packet breaks MQTT 3.1.1 (header, flags, length, QoS, topic or packet id)";
constexpr const char* kTooLong = "MQTT packet or field is over its size limit";

bool valid_qos(QoS q) noexcept { return static_cast<std::uint8_t>(q) <= 2; }

// Total packet size from the remaining length, or an error when it cannot be framed.
Result<std::size_t> framed_size(std::size_t remaining) {
  if (remaining > max_remaining_length)
    return fail(Errc::too_large, PICOHUB_TEXT(kTooLong, "MQTT packet exceeds 268435455 bytes"));
  return 1 + remaining_length_size(static_cast<std::uint32_t>(remaining)) + remaining;
}

Result<Writer> start(std::span<std::uint8_t> out, std::uint8_t first_byte, std::size_t remaining) {
  auto total = framed_size(remaining);
  if (!total) return tl::unexpected(total.error());
  if (*total > out.size()) return fail(Errc::too_large, "MQTT packet does not fit the output buffer");
  Writer w(out);
  w.u8(first_byte);
  w.varint(static_cast<std::uint32_t>(remaining));
  return w;
}

Result<std::size_t> encode_id_only(std::uint8_t first_byte, std::uint16_t id, std::span<std::uint8_t> out) {
  if (id == 0) return fail(Errc::invalid_argument, PICOHUB_TEXT(kBadOutgoing, "MQTT packet id must not be 0"));
  auto w = start(out, first_byte, 2);
  if (!w) return tl::unexpected(w.error());
  w->u16(id);
  return w->size();
}

Result<std::size_t> encode_empty(std::uint8_t first_byte, std::span<std::uint8_t> out) {
  auto w = start(out, first_byte, 0);
  if (!w) return tl::unexpected(w.error());
  return w->size();
}

Result<std::size_t> connect_remaining(const Connect& p) {
  if (!valid_mqtt_string(p.client_id))
    return fail(Errc::invalid_argument, PICOHUB_TEXT(kBadOutgoing, "MQTT client id is not a valid MQTT string"));
  if (p.client_id.empty() && !p.clean_session)
    return fail(Errc::invalid_argument, PICOHUB_TEXT(kBadOutgoing, "an empty MQTT client id needs clean_session"));
  std::size_t n = 10 + 2 + p.client_id.size();  // "MQTT" name, level, flags, keep-alive
  if (p.will) {
    if (!valid_topic_name(p.will->topic))
      return fail(Errc::invalid_argument, PICOHUB_TEXT(kBadOutgoing, "MQTT will topic is not a valid topic name"));
    if (!valid_qos(p.will->qos))
      return fail(Errc::invalid_argument, PICOHUB_TEXT(kBadOutgoing, "MQTT will QoS must be 0, 1 or 2"));
    if (p.will->payload.size() > max_field)
      return fail(Errc::too_large, PICOHUB_TEXT(kTooLong, "MQTT will payload exceeds 65535 bytes"));
    n += 2 + p.will->topic.size() + 2 + p.will->payload.size();
  }
  if (p.username) {
    if (!valid_mqtt_string(*p.username))
      return fail(Errc::invalid_argument, PICOHUB_TEXT(kBadOutgoing, "MQTT user name is not a valid MQTT string"));
    n += 2 + p.username->size();
  }
  if (p.password) {
    if (!p.username)
      return fail(Errc::invalid_argument,
                  PICOHUB_TEXT(kBadOutgoing, "MQTT 3.1.1 needs a user name when a password is set"));
    if (p.password->size() > max_field)
      return fail(Errc::too_large, PICOHUB_TEXT(kTooLong, "MQTT password exceeds 65535 bytes"));
    n += 2 + p.password->size();
  }
  return n;
}

// The topic of a PUBLISH made from a TopicName is valid already; any other is checked here.
Result<std::size_t> publish_remaining(const Publish& p, bool topic_valid = false) {
  if (!topic_valid && !valid_topic_name(p.topic))
    return fail(Errc::invalid_argument,
                PICOHUB_TEXT(kBadOutgoing, "MQTT publish topic is empty, not UTF-8 or has a wildcard"));
  if (!valid_qos(p.qos))
    return fail(Errc::invalid_argument, PICOHUB_TEXT(kBadOutgoing, "MQTT publish QoS must be 0, 1 or 2"));
  const bool has_id = p.qos != QoS::at_most_once;
  if (has_id && p.packet_id == 0)
    return fail(Errc::invalid_argument, PICOHUB_TEXT(kBadOutgoing, "MQTT QoS 1/2 publish needs a non-zero packet id"));
  if (!has_id && p.dup)
    return fail(Errc::invalid_argument, PICOHUB_TEXT(kBadOutgoing, "MQTT QoS 0 publish must not set DUP"));
  return 2 + p.topic.size() + (has_id ? 2 : 0) + p.payload.size();
}

Result<std::size_t> write_publish(const Publish& p, std::size_t remaining, std::span<std::uint8_t> out) {
  const auto first = static_cast<std::uint8_t>(0x30 | (p.dup ? 0x08 : 0) | (static_cast<std::uint8_t>(p.qos) << 1) |
                                               (p.retain ? 0x01 : 0));
  auto w = start(out, first, remaining);
  if (!w) return tl::unexpected(w.error());
  w->field(p.topic);
  if (p.qos != QoS::at_most_once) w->u16(p.packet_id);
  w->bytes(p.payload.data(), p.payload.size());
  return w->size();
}

Result<std::size_t> subscribe_remaining(const Subscribe& p) {
  if (p.packet_id == 0)
    return fail(Errc::invalid_argument, PICOHUB_TEXT(kBadOutgoing, "MQTT subscribe needs a non-zero packet id"));
  if (p.subscriptions.empty())
    return fail(Errc::invalid_argument, PICOHUB_TEXT(kBadOutgoing, "MQTT subscribe needs at least one filter"));
  std::size_t n = 2;
  for (const auto& s : p.subscriptions) {
    if (!valid_topic_filter(s.filter))
      return fail(Errc::invalid_argument, PICOHUB_TEXT(kBadOutgoing, "MQTT topic filter is not valid"));
    if (!valid_qos(s.qos))
      return fail(Errc::invalid_argument, PICOHUB_TEXT(kBadOutgoing, "MQTT subscription QoS must be 0, 1 or 2"));
    n += 2 + s.filter.size() + 1;
  }
  return n;
}

Result<std::size_t> unsubscribe_remaining(const Unsubscribe& p) {
  if (p.packet_id == 0)
    return fail(Errc::invalid_argument, PICOHUB_TEXT(kBadOutgoing, "MQTT unsubscribe needs a non-zero packet id"));
  if (p.filters.empty())
    return fail(Errc::invalid_argument, PICOHUB_TEXT(kBadOutgoing, "MQTT unsubscribe needs at least one filter"));
  std::size_t n = 2;
  for (const auto f : p.filters) {
    if (!valid_topic_filter(f))
      return fail(Errc::invalid_argument, PICOHUB_TEXT(kBadOutgoing, "MQTT topic filter is not valid"));
    n += 2 + f.size();
  }
  return n;
}

Result<std::size_t> total_of(Result<std::size_t> remaining) {
  if (!remaining) return tl::unexpected(remaining.error());
  return framed_size(*remaining);
}

// ---------------------------------------------------------------- reading

// Bounds-checked cursor over one packet's variable header + payload.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> in) noexcept : in_(in) {}
  std::size_t left() const noexcept { return in_.size() - pos_; }
  bool u8(std::uint8_t& v) noexcept {
    if (left() < 1) return false;
    v = in_[pos_++];
    return true;
  }
  bool u16(std::uint16_t& v) noexcept {
    if (left() < 2) return false;
    v = static_cast<std::uint16_t>((in_[pos_] << 8) | in_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool binary(std::span<const std::uint8_t>& v) noexcept {
    std::uint16_t n = 0;
    if (!u16(n) || left() < n) return false;
    v = in_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool string(std::string_view& v) noexcept {
    std::span<const std::uint8_t> b;
    if (!binary(b)) return false;
    v = std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
    return valid_mqtt_string(v);
  }
  std::span<const std::uint8_t> rest() noexcept {
    auto r = in_.subspan(pos_);
    pos_ = in_.size();
    return r;
  }

 private:
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
};

tl::unexpected<Error> malformed(const char* what) { return fail(Errc::malformed, what); }

Result<Packet> decode_connect(Reader r) {
  std::string_view name;
  if (!r.string(name) || name != "MQTT") return malformed("MQTT CONNECT protocol name is not \"MQTT\"");
  Connect c;
  std::uint8_t flags = 0;
  if (!r.u8(c.protocol_level) || !r.u8(flags) || !r.u16(c.keep_alive_s))
    return malformed("MQTT CONNECT header is short");
  if (flags & 0x01) return malformed("MQTT CONNECT reserved flag is set");
  c.clean_session = (flags & 0x02) != 0;
  const bool will = (flags & 0x04) != 0;
  const auto will_qos = static_cast<std::uint8_t>((flags >> 3) & 0x03);
  const bool will_retain = (flags & 0x20) != 0;
  const bool has_password = (flags & 0x40) != 0;
  const bool has_username = (flags & 0x80) != 0;
  if (will_qos == 3) return malformed("MQTT CONNECT will QoS is 3");
  if (!will && (will_qos != 0 || will_retain)) return malformed("MQTT CONNECT will QoS/retain set without a will");
  if (has_password && !has_username) return malformed("MQTT CONNECT has a password without a user name");
  if (!r.string(c.client_id)) return malformed("MQTT CONNECT client id is not a valid string");
  if (will) {
    Will w;
    w.qos = static_cast<QoS>(will_qos);
    w.retain = will_retain;
    if (!r.string(w.topic) || !valid_topic_name(w.topic)) return malformed("MQTT CONNECT will topic is not valid");
    if (!r.binary(w.payload)) return malformed("MQTT CONNECT will payload is short");
    c.will = w;
  }
  if (has_username) {
    std::string_view u;
    if (!r.string(u)) return malformed("MQTT CONNECT user name is not a valid string");
    c.username = u;
  }
  if (has_password) {
    std::span<const std::uint8_t> p;
    if (!r.binary(p)) return malformed("MQTT CONNECT password is short");
    c.password = p;
  }
  if (r.left() != 0) return malformed("MQTT CONNECT has trailing bytes");
  return c;
}

Result<Packet> decode_connack(Reader r) {
  std::uint8_t ack = 0, code = 0;
  if (!r.u8(ack) || !r.u8(code) || r.left() != 0)
    return malformed(PICOHUB_TEXT(kBadIncoming, "MQTT CONNACK must be 2 bytes"));
  if (ack & 0xFE) return malformed(PICOHUB_TEXT(kBadIncoming, "MQTT CONNACK reserved bits are set"));
  if (code > 5) return malformed(PICOHUB_TEXT(kBadIncoming, "MQTT CONNACK return code is reserved"));
  if (code != 0 && (ack & 1))
    return malformed(PICOHUB_TEXT(kBadIncoming, "MQTT CONNACK refuses but claims a session is present"));
  return Connack{(ack & 1) != 0, static_cast<ConnectReturnCode>(code)};
}

Result<Packet> decode_publish(Reader r, std::uint8_t flags) {
  Publish p;
  p.retain = (flags & 0x01) != 0;
  const auto qos = static_cast<std::uint8_t>((flags >> 1) & 0x03);
  p.dup = (flags & 0x08) != 0;
  if (qos == 3) return malformed(PICOHUB_TEXT(kBadIncoming, "MQTT PUBLISH QoS is 3"));
  p.qos = static_cast<QoS>(qos);
  if (qos == 0 && p.dup) return malformed(PICOHUB_TEXT(kBadIncoming, "MQTT QoS 0 PUBLISH has DUP set"));
  if (!r.string(p.topic)) return malformed(PICOHUB_TEXT(kBadIncoming, "MQTT PUBLISH topic is not a valid string"));
  if (!valid_topic_name(p.topic))
    return malformed(PICOHUB_TEXT(kBadIncoming, "MQTT PUBLISH topic is empty or has a wildcard"));
  if (qos != 0) {
    if (!r.u16(p.packet_id)) return malformed(PICOHUB_TEXT(kBadIncoming, "MQTT PUBLISH packet id is missing"));
    if (p.packet_id == 0) return malformed(PICOHUB_TEXT(kBadIncoming, "MQTT PUBLISH packet id is 0"));
  }
  p.payload = r.rest();
  return p;
}

Result<std::uint16_t> decode_id_only(Reader r, const char* bad) {
  std::uint16_t id = 0;
  if (!r.u16(id) || r.left() != 0) return malformed(bad);
  if (id == 0) return malformed(PICOHUB_TEXT(kBadIncoming, "MQTT acknowledgement carries packet id 0"));
  return id;
}

Result<Packet> decode_subscribe(Reader r) {
  SubscribeView v;
  if (!r.u16(v.packet_id)) return malformed("MQTT SUBSCRIBE packet id is missing");
  if (v.packet_id == 0) return malformed("MQTT SUBSCRIBE packet id is 0");
  v.entries = r.rest();
  Reader e(v.entries);
  while (e.left() != 0) {
    std::string_view f;
    std::uint8_t q = 0;
    if (!e.string(f) || !valid_topic_filter(f)) return malformed("MQTT SUBSCRIBE topic filter is not valid");
    if (!e.u8(q)) return malformed("MQTT SUBSCRIBE filter has no QoS byte");
    if (q > 2) return malformed("MQTT SUBSCRIBE QoS byte is invalid");
    ++v.count;
  }
  if (v.count == 0) return malformed("MQTT SUBSCRIBE has no filters");
  return v;
}

Result<Packet> decode_unsubscribe(Reader r) {
  UnsubscribeView v;
  if (!r.u16(v.packet_id)) return malformed("MQTT UNSUBSCRIBE packet id is missing");
  if (v.packet_id == 0) return malformed("MQTT UNSUBSCRIBE packet id is 0");
  v.entries = r.rest();
  Reader e(v.entries);
  while (e.left() != 0) {
    std::string_view f;
    if (!e.string(f) || !valid_topic_filter(f)) return malformed("MQTT UNSUBSCRIBE topic filter is not valid");
    ++v.count;
  }
  if (v.count == 0) return malformed("MQTT UNSUBSCRIBE has no filters");
  return v;
}

Result<Packet> decode_suback(Reader r) {
  Suback s;
  if (!r.u16(s.packet_id)) return malformed(PICOHUB_TEXT(kBadIncoming, "MQTT SUBACK packet id is missing"));
  if (s.packet_id == 0) return malformed(PICOHUB_TEXT(kBadIncoming, "MQTT SUBACK packet id is 0"));
  s.return_codes = r.rest();
  if (s.return_codes.empty()) return malformed(PICOHUB_TEXT(kBadIncoming, "MQTT SUBACK has no return codes"));
  for (const auto c : s.return_codes)
    if (c > 2 && c != suback_failure)
      return malformed(PICOHUB_TEXT(kBadIncoming, "MQTT SUBACK return code is invalid"));
  return s;
}

// Required low nibble of the first byte for every type but PUBLISH ([MQTT-2.2.2-1]).
std::uint8_t required_flags(PacketType t) noexcept {
  switch (t) {
    case PacketType::pubrel:
    case PacketType::subscribe:
    case PacketType::unsubscribe: return 0x02;
    default: return 0x00;
  }
}

}  // namespace

std::size_t remaining_length_size(std::uint32_t value) noexcept {
  if (value < 128u) return 1;
  if (value < 16'384u) return 2;
  if (value < 2'097'152u) return 3;
  if (value <= max_remaining_length) return 4;
  return 0;
}

// ---------------------------------------------------------------- encoders

Result<std::size_t> encoded_size(const Connect& p) { return total_of(connect_remaining(p)); }
Result<std::size_t> encoded_size(const Publish& p) { return total_of(publish_remaining(p)); }
Result<std::size_t> encoded_size(const Subscribe& p) { return total_of(subscribe_remaining(p)); }
Result<std::size_t> encoded_size(const Unsubscribe& p) { return total_of(unsubscribe_remaining(p)); }

Result<std::size_t> encode(const Connect& p, std::span<std::uint8_t> out) {
  auto remaining = connect_remaining(p);
  if (!remaining) return tl::unexpected(remaining.error());
  auto w = start(out, 0x10, *remaining);
  if (!w) return tl::unexpected(w.error());
  std::uint8_t flags = p.clean_session ? 0x02 : 0x00;
  if (p.will) {
    flags = static_cast<std::uint8_t>(flags | 0x04 | (static_cast<std::uint8_t>(p.will->qos) << 3) |
                                      (p.will->retain ? 0x20 : 0x00));
  }
  if (p.password) flags |= 0x40;
  if (p.username) flags |= 0x80;
  w->field(std::string_view("MQTT"));
  w->u8(protocol_level_3_1_1);
  w->u8(flags);
  w->u16(p.keep_alive_s);
  w->field(p.client_id);
  if (p.will) {
    w->field(p.will->topic);
    w->field(p.will->payload);
  }
  if (p.username) w->field(*p.username);
  if (p.password) w->field(*p.password);
  return w->size();
}

Result<std::size_t> encode(const Connack& p, std::span<std::uint8_t> out) {
  const auto code = static_cast<std::uint8_t>(p.return_code);
  if (code > 5) return fail(Errc::invalid_argument, "MQTT CONNACK return code must be 0..5");
  if (code != 0 && p.session_present)
    return fail(Errc::invalid_argument, "a refusing MQTT CONNACK cannot have a session");
  auto w = start(out, 0x20, 2);
  if (!w) return tl::unexpected(w.error());
  w->u8(p.session_present ? 1 : 0);
  w->u8(code);
  return w->size();
}

Result<std::size_t> encode(const Publish& p, std::span<std::uint8_t> out) {
  auto remaining = publish_remaining(p);
  if (!remaining) return tl::unexpected(remaining.error());
  return write_publish(p, *remaining, out);
}

Result<std::size_t> encoded_size(const Publish& p, const TopicName& topic) {
  Publish with_topic = p;
  with_topic.topic = topic.view();
  return total_of(publish_remaining(with_topic, true));
}

Result<std::size_t> encode(const Publish& p, const TopicName& topic, std::span<std::uint8_t> out) {
  Publish with_topic = p;
  with_topic.topic = topic.view();
  auto remaining = publish_remaining(with_topic, true);
  if (!remaining) return tl::unexpected(remaining.error());
  return write_publish(with_topic, *remaining, out);
}

Result<std::size_t> encode(const Puback& p, std::span<std::uint8_t> out) {
  return encode_id_only(0x40, p.packet_id, out);
}
Result<std::size_t> encode(const Pubrec& p, std::span<std::uint8_t> out) {
  return encode_id_only(0x50, p.packet_id, out);
}
Result<std::size_t> encode(const Pubrel& p, std::span<std::uint8_t> out) {
  return encode_id_only(0x62, p.packet_id, out);
}
Result<std::size_t> encode(const Pubcomp& p, std::span<std::uint8_t> out) {
  return encode_id_only(0x70, p.packet_id, out);
}
Result<std::size_t> encode(const Unsuback& p, std::span<std::uint8_t> out) {
  return encode_id_only(0xB0, p.packet_id, out);
}

Result<std::size_t> encode(const Subscribe& p, std::span<std::uint8_t> out) {
  auto remaining = subscribe_remaining(p);
  if (!remaining) return tl::unexpected(remaining.error());
  auto w = start(out, 0x82, *remaining);
  if (!w) return tl::unexpected(w.error());
  w->u16(p.packet_id);
  for (const auto& s : p.subscriptions) {
    w->field(s.filter);
    w->u8(static_cast<std::uint8_t>(s.qos));
  }
  return w->size();
}

Result<std::size_t> encode(const Suback& p, std::span<std::uint8_t> out) {
  if (p.packet_id == 0) return fail(Errc::invalid_argument, "MQTT SUBACK needs a non-zero packet id");
  if (p.return_codes.empty()) return fail(Errc::invalid_argument, "MQTT SUBACK needs at least one return code");
  for (const auto c : p.return_codes)
    if (c > 2 && c != suback_failure)
      return fail(Errc::invalid_argument, "MQTT SUBACK return code must be 0, 1, 2 or 0x80");
  auto w = start(out, 0x90, 2 + p.return_codes.size());
  if (!w) return tl::unexpected(w.error());
  w->u16(p.packet_id);
  w->bytes(p.return_codes.data(), p.return_codes.size());
  return w->size();
}

Result<std::size_t> encode(const Unsubscribe& p, std::span<std::uint8_t> out) {
  auto remaining = unsubscribe_remaining(p);
  if (!remaining) return tl::unexpected(remaining.error());
  auto w = start(out, 0xA2, *remaining);
  if (!w) return tl::unexpected(w.error());
  w->u16(p.packet_id);
  for (const auto f : p.filters) w->field(f);
  return w->size();
}

Result<std::size_t> encode(const Pingreq&, std::span<std::uint8_t> out) { return encode_empty(0xC0, out); }
Result<std::size_t> encode(const Pingresp&, std::span<std::uint8_t> out) { return encode_empty(0xD0, out); }
Result<std::size_t> encode(const Disconnect&, std::span<std::uint8_t> out) { return encode_empty(0xE0, out); }

// ---------------------------------------------------------------- decoders

Result<FixedHeader> decode_fixed_header(std::span<const std::uint8_t> in) {
  if (in.empty())
    return fail(Errc::truncated, PICOHUB_TEXT("MQTT packet is incomplete", "MQTT fixed header is incomplete"));
  const auto type = static_cast<std::uint8_t>(in[0] >> 4);
  if (type == 0 || type == 15) return malformed(PICOHUB_TEXT(kBadIncoming, "MQTT packet type 0 and 15 are reserved"));
  std::uint32_t value = 0;
  std::uint32_t scale = 1;
  for (std::size_t i = 1;; ++i) {
    if (i == 5) return malformed(PICOHUB_TEXT(kBadIncoming, "MQTT remaining length is longer than 4 bytes"));
    if (i >= in.size())
      return fail(Errc::truncated, PICOHUB_TEXT("MQTT packet is incomplete", "MQTT fixed header is incomplete"));
    const std::uint8_t b = in[i];
    value += (b & 0x7Fu) * scale;
    scale *= 128;
    if ((b & 0x80) == 0) {
      // A non-minimal encoding (e.g. 0x80 0x00) is still a well-defined number; accept it like most brokers do.
      return FixedHeader{static_cast<PacketType>(type), static_cast<std::uint8_t>(in[0] & 0x0F), value, i + 1};
    }
  }
}

std::size_t missing_bytes(std::span<const std::uint8_t> in) noexcept {
  auto header = decode_fixed_header(in);
  if (!header) {
    if (header.error().code != Errc::truncated) return 0;
    return 1;  // the header grows one byte at a time
  }
  const std::size_t need = header->packet_size();
  return need > in.size() ? need - in.size() : 0;
}

namespace {

// ServerToClientOnly: the packets a client can receive (what the device's Session reads). A client's decoder
// then never references the CONNECT / SUBSCRIBE / UNSUBSCRIBE decoders, and the board's image leaves them out.
template <bool ServerToClientOnly>
Result<Decoded> decode_as(std::span<const std::uint8_t> in, std::size_t max_packet_size) {
  auto header = decode_fixed_header(in);
  if (!header) return tl::unexpected(header.error());
  const std::size_t size = header->packet_size();
  if (size > max_packet_size) return fail(Errc::too_large, "MQTT packet is larger than the receive buffer allows");
  if (size > in.size()) return fail(Errc::truncated, "MQTT packet is incomplete");
  const PacketType type = header->type;
  if (type != PacketType::publish && header->flags != required_flags(type))
    return malformed(PICOHUB_TEXT(kBadIncoming, "MQTT fixed header flags are invalid for this packet type"));
  Reader r(in.subspan(header->header_size, header->remaining_length));

  Result<Packet> packet = malformed(PICOHUB_TEXT(kBadIncoming, "MQTT packet type is unknown"));
  const auto id_only = [&r, &packet](auto ack, const char* bad) {
    auto id = decode_id_only(r, bad);
    if (!id) {
      packet = tl::unexpected(id.error());
      return;
    }
    ack.packet_id = *id;
    packet = ack;
  };
  const auto empty = [&r, &packet](auto kind, const char* bad) {
    packet = r.left() == 0 ? Result<Packet>(kind) : malformed(bad);
  };
  switch (type) {
    case PacketType::connack: packet = decode_connack(r); break;
    case PacketType::publish: packet = decode_publish(r, header->flags); break;
    case PacketType::puback: id_only(Puback{}, kBadIncoming); break;
    case PacketType::pubrec: id_only(Pubrec{}, kBadIncoming); break;
    case PacketType::pubrel: id_only(Pubrel{}, kBadIncoming); break;
    case PacketType::pubcomp: id_only(Pubcomp{}, kBadIncoming); break;
    case PacketType::suback: packet = decode_suback(r); break;
    case PacketType::unsuback: id_only(Unsuback{}, kBadIncoming); break;
    case PacketType::pingresp: empty(Pingresp{}, kBadIncoming); break;
    default:
      if constexpr (ServerToClientOnly) {
        // CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT: only clients send them. Their bodies are not
        // read; a stand-in client-only packet lets the session refuse it as such (a protocol violation).
        packet = Pingreq{};
      } else {
        switch (type) {
          case PacketType::connect: packet = decode_connect(r); break;
          case PacketType::subscribe: packet = decode_subscribe(r); break;
          case PacketType::unsubscribe: packet = decode_unsubscribe(r); break;
          case PacketType::pingreq: empty(Pingreq{}, "MQTT PINGREQ must be empty"); break;
          case PacketType::disconnect: empty(Disconnect{}, "MQTT DISCONNECT must be empty"); break;
          default: break;
        }
      }
      break;
  }
  if (!packet) return tl::unexpected(packet.error());
  return Decoded{*packet, size};
}

}  // namespace

Result<Decoded> decode(std::span<const std::uint8_t> in, std::size_t max_packet_size) {
  return decode_as<false>(in, max_packet_size);
}

Result<Decoded> decode_from_server(std::span<const std::uint8_t> in, std::size_t max_packet_size) {
  return decode_as<true>(in, max_packet_size);
}

}  // namespace picohub::mqtt

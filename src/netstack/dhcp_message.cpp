#include "netstack/dhcp_message.hpp"

#include <algorithm>

#include "netstack/wire.hpp"

namespace picohub::netstack {
namespace {

// Shared sentences (the Errc says truncated or malformed): a bad reply is dropped either way.
constexpr const char* kMalformed = "DHCP reply is malformed or cut short";
constexpr const char* kNotOurs = "DHCP reply is not for us";

// BOOTP field offsets (RFC 2131 figure 1).
constexpr std::size_t op_at = 0, htype_at = 1, hlen_at = 2, xid_at = 4, secs_at = 8, flags_at = 10, ciaddr_at = 12,
                      yiaddr_at = 16, chaddr_at = 28, cookie_at = 236, options_at = 240;
constexpr std::uint32_t magic_cookie = 0x63825363;
constexpr std::size_t min_message_size = 300;  // BOOTP minimum; some relays drop shorter ones
constexpr std::uint16_t broadcast_flag = 0x8000;

enum Option : std::uint8_t {
  pad = 0,
  subnet_mask = 1,
  router = 3,
  dns_server = 6,
  host_name = 12,
  domain_name = 15,
  ntp_server = 42,
  requested_ip = 50,
  lease_time = 51,
  message_type = 53,
  server_id = 54,
  parameter_list = 55,
  renewal_t1 = 58,
  rebinding_t2 = 59,
  client_id = 61,
  end = 255,
};

class OptionWriter {
 public:
  explicit OptionWriter(std::span<std::uint8_t> out) : out_(out) {}
  void add(std::uint8_t code, std::span<const std::uint8_t> data) {
    out_[pos_++] = code;
    out_[pos_++] = static_cast<std::uint8_t>(data.size());
    std::copy(data.begin(), data.end(), out_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ += data.size();
  }
  void add_ipv4(std::uint8_t code, Ipv4 v) { add(code, v.octets); }
  void end() { out_[pos_++] = Option::end; }
  std::size_t pos() const { return pos_; }

 private:
  std::span<std::uint8_t> out_;
  std::size_t pos_ = options_at;
};

Result<void> read_u32_option(std::span<const std::uint8_t> data, std::uint32_t& value) {
  if (data.size() != 4) return fail(Errc::malformed, kMalformed);
  value = wire::get32(data, 0);
  return {};
}

Result<void> read_ipv4_option(std::span<const std::uint8_t> data, Ipv4& value) {
  std::uint32_t raw = 0;
  auto r = read_u32_option(data, raw);
  if (r) value = Ipv4::from_u32(raw);
  return r;
}

// Address lists (routers, DNS servers): a non-empty multiple of 4 bytes.
Result<void> check_address_list(std::span<const std::uint8_t> data) {
  if (data.empty() || data.size() % 4 != 0) return fail(Errc::malformed, kMalformed);
  return {};
}

// Keeps the first addresses that fit; a server may list more.
Result<void> read_address_list(std::span<const std::uint8_t> data, std::array<Ipv4, 2>& list, std::uint8_t& count) {
  if (auto r = check_address_list(data); !r) return r;
  count = static_cast<std::uint8_t>(std::min<std::size_t>(data.size() / 4, list.size()));
  for (std::size_t i = 0; i < count; ++i) list[i] = wire::get_ipv4(data, i * 4);
  return {};
}

Result<void> apply_option(std::uint8_t code, std::span<const std::uint8_t> data, DhcpReply& reply, bool& has_type) {
  switch (code) {
    case Option::message_type:
      if (data.size() != 1 || data[0] < 1 || data[0] > 8) return fail(Errc::malformed, kMalformed);
      reply.type = static_cast<DhcpMessageType>(data[0]);
      has_type = true;
      return {};
    case Option::server_id: return read_ipv4_option(data, reply.server_id);
    case Option::subnet_mask: return read_ipv4_option(data, reply.subnet_mask);
    case Option::lease_time: return read_u32_option(data, reply.lease_s);
    case Option::renewal_t1: return read_u32_option(data, reply.t1_s);
    case Option::rebinding_t2: return read_u32_option(data, reply.t2_s);
    case Option::router:
      if (auto r = check_address_list(data); !r) return r;
      reply.router = wire::get_ipv4(data, 0);
      return {};
    case Option::dns_server: return read_address_list(data, reply.dns, reply.dns_count);
    case Option::ntp_server: return read_address_list(data, reply.ntp, reply.ntp_count);
    default: return {};  // options we did not ask for are skipped
  }
}

Result<void> parse_options(std::span<const std::uint8_t> message, DhcpReply& reply) {
  bool has_type = false;
  std::size_t pos = options_at;
  while (true) {
    if (pos >= message.size()) return fail(Errc::truncated, kMalformed);
    const std::uint8_t code = message[pos++];
    if (code == Option::end) break;
    if (code == Option::pad) continue;
    if (pos >= message.size()) return fail(Errc::truncated, kMalformed);
    const std::size_t len = message[pos++];
    if (len > message.size() - pos) return fail(Errc::truncated, kMalformed);
    if (auto r = apply_option(code, message.subspan(pos, len), reply, has_type); !r) return r;
    pos += len;
  }
  if (!has_type) return fail(Errc::malformed, kMalformed);
  return {};
}

}  // namespace

Result<std::size_t> build_dhcp_message(const DhcpRequestFields& f, std::span<std::uint8_t> out) noexcept {
  if (out.size() < dhcp_message_capacity) return fail(Errc::too_large, "DHCP buffer smaller than 548 bytes");
  std::fill(out.begin(), out.begin() + dhcp_message_capacity, std::uint8_t{0});
  out[op_at] = 1;     // BOOTREQUEST
  out[htype_at] = 1;  // Ethernet
  out[hlen_at] = 6;
  wire::put32(out, xid_at, f.xid);
  wire::put16(out, secs_at, f.secs);
  // Without an address the W5100S drops unicast replies to the offered IP, so ask for broadcast replies.
  wire::put16(out, flags_at, f.ciaddr.is_zero() ? broadcast_flag : 0);
  wire::put_ipv4(out, ciaddr_at, f.ciaddr);
  std::copy(f.mac.begin(), f.mac.end(), out.begin() + chaddr_at);
  wire::put32(out, cookie_at, magic_cookie);

  OptionWriter w(out);
  const std::uint8_t type = static_cast<std::uint8_t>(f.type);
  w.add(Option::message_type, std::span(&type, 1));
  std::array<std::uint8_t, 7> client_id{1};  // hardware type 1 (Ethernet) + MAC
  std::copy(f.mac.begin(), f.mac.end(), client_id.begin() + 1);
  w.add(Option::client_id, client_id);
  if (!f.requested_ip.is_zero()) w.add_ipv4(Option::requested_ip, f.requested_ip);
  if (!f.server_id.is_zero()) w.add_ipv4(Option::server_id, f.server_id);
  if (!f.hostname.empty()) {
    const std::string_view name(f.hostname.data(), std::min(f.hostname.size(), dhcp_max_hostname));
    w.add(Option::host_name, std::span(reinterpret_cast<const std::uint8_t*>(name.data()), name.size()));
  }
  static constexpr std::uint8_t wanted[] = {Option::subnet_mask, Option::router,      Option::dns_server,
                                            Option::domain_name, Option::ntp_server,  Option::lease_time,
                                            Option::renewal_t1,  Option::rebinding_t2};
  w.add(Option::parameter_list, wanted);
  w.end();
  return std::max(w.pos(), min_message_size);
}

Result<DhcpReply> parse_dhcp_reply(std::span<const std::uint8_t> m, std::uint32_t xid, const MacAddress& mac) noexcept {
  if (m.size() < options_at) return fail(Errc::truncated, kMalformed);
  if (m[op_at] != 2) return fail(Errc::protocol_violation, kNotOurs);
  if (m[htype_at] != 1 || m[hlen_at] != 6) return fail(Errc::malformed, kMalformed);
  if (wire::get32(m, cookie_at) != magic_cookie) return fail(Errc::malformed, kMalformed);
  if (wire::get32(m, xid_at) != xid) return fail(Errc::protocol_violation, kNotOurs);
  if (!std::equal(mac.begin(), mac.end(), m.begin() + chaddr_at)) return fail(Errc::protocol_violation, kNotOurs);
  DhcpReply reply;
  reply.your_ip = wire::get_ipv4(m, yiaddr_at);
  if (auto r = parse_options(m, reply); !r) return tl::unexpected(r.error());
  return reply;
}

}  // namespace picohub::netstack

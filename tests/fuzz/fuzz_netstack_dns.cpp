// libFuzzer target: arbitrary bytes as a DNS response to parse_dns_response() and to a DnsResolver waiting for an
// answer about hub.example.com (query id taken from the input, so the id check passes and the parser goes deep).
// Invariants (abort on violation): a refusal has a reason; an address status comes with a TTL not above any record;
// the resolver ends resolved or failed with a named reason, or keeps waiting with a deadline in the future.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "netstack/dns_message.hpp"
#include "netstack/dns_resolver.hpp"

using namespace picohub::netstack;

namespace {

constexpr std::string_view name = "hub.example.com";  // seeds answer this name
constexpr Ipv4 server{{192, 0, 2, 53}};

void check(bool ok) {
  if (!ok) std::abort();
}

std::uint32_t id_from(void* context) { return *static_cast<std::uint16_t*>(context); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  std::uint16_t id = size >= 2 ? static_cast<std::uint16_t>((data[0] << 8) | data[1]) : 0;

  auto r = parse_dns_response(in, id, name);
  if (!r) check(r.error().what != nullptr);
  else if (r->status != DnsStatus::address) check(r->ttl_s == 0 && r->address.is_zero());

  DnsResolver resolver(DnsConfig{RandomSource{id_from, &id}});
  resolver.start(0, name, server);
  std::array<std::uint8_t, dns_message_capacity> out{};
  auto query = resolver.poll_datagram(out);
  check(query.has_value() && query->size == 12 + 17 + 4);
  const auto delivered = resolver.on_datagram(in, server, dns_server_port, 10);
  check(delivered.has_value() == r.has_value());
  switch (resolver.state()) {
    case DnsState::resolved: check(r && r->status == DnsStatus::address && resolver.address() == r->address); break;
    case DnsState::failed:
      check(resolver.failure() != DnsFailure::none && resolver.failure() != DnsFailure::timeout);
      break;
    case DnsState::querying: check(!r && resolver.next_deadline_ms() > 10); break;
    case DnsState::idle: check(false); break;
  }
  // A resolved answer with a TTL is cached: asking again answers without a query.
  if (resolver.state() == DnsState::resolved && r->ttl_s > 0) {
    resolver.start(20, name, server);
    check(resolver.state() == DnsState::resolved && resolver.answered_from_cache());
    check(!resolver.poll_datagram(out).has_value());
  }
  return 0;
}

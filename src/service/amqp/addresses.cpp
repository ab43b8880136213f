#include "service/amqp/addresses.hpp"

#include <charconv>

namespace picohub::service::amqp {

namespace {
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = hex_value(text[i + 1]);
    const int lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}
}  // namespace

std::string_view path_of(std::string_view address) {
  for (std::string_view scheme : {"amqps://", "amqp://", "sb://"}) {
    if (address.substr(0, scheme.size()) == scheme) {
      address.remove_prefix(scheme.size());
      const auto slash = address.find('/');
      address = slash == std::string_view::npos ? std::string_view{} : address.substr(slash);
      break;
    }
  }
  while (!address.empty() && address.front() == '/') address.remove_prefix(1);
  return address;
}

std::optional<std::string> device_of_c2d_to(std::string_view to) {
  constexpr std::string_view prefix = "/devices/";
  constexpr std::string_view suffix = "/messages/devicebound";
  if (to.size() <= prefix.size() + suffix.size()) return std::nullopt;
  if (to.substr(0, prefix.size()) != prefix) return std::nullopt;
  if (!iequals(to.substr(to.size() - suffix.size()), suffix)) return std::nullopt;
  const auto id = to.substr(prefix.size(), to.size() - prefix.size() - suffix.size());
  if (id.empty() || id.find('/') != std::string_view::npos) return std::nullopt;
  return percent_decode(id);
}

std::optional<PartitionAddress> parse_partition_address(std::string_view address) {
  auto path = path_of(address);
  const auto cg = path.find("/ConsumerGroups/");
  const auto part = path.find("/Partitions/");
  if (cg == std::string_view::npos || part == std::string_view::npos || part < cg) return std::nullopt;
  PartitionAddress out;
  out.entity = std::string(path.substr(0, cg));
  const auto cg_start = cg + std::string_view("/ConsumerGroups/").size();
  out.consumer_group = std::string(path.substr(cg_start, part - cg_start));
  const auto number = path.substr(part + std::string_view("/Partitions/").size());
  if (out.entity.empty() || out.consumer_group.empty() || number.empty()) return std::nullopt;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), out.partition);
  if (ec != std::errc{} || end != number.data() + number.size()) return std::nullopt;
  return out;
}

bool is_iothub_events_address(std::string_view address) {
  const auto path = path_of(address);
  return path == "messages/events" || path.substr(0, 16) == "messages/events/";
}

}  // namespace picohub::service::amqp

#include "service/amqp/event_position.hpp"

#include <charconv>
#include <string>

namespace picohub::service::amqp {

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

template <class T>
std::optional<T> number(std::string_view text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}
}  // namespace

std::optional<EventPosition> parse_selector(std::string_view expression) {
  constexpr std::string_view prefix = "amqp.annotation.";
  auto e = trim(expression);
  if (e.substr(0, prefix.size()) != prefix) return std::nullopt;
  e.remove_prefix(prefix.size());
  const auto space = e.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto field = e.substr(0, space);
  auto rest = trim(e.substr(space));
  const bool inclusive = rest.substr(0, 2) == ">=";
  if (!inclusive && rest.substr(0, 1) != ">") return std::nullopt;
  rest = trim(rest.substr(inclusive ? 2 : 1));
  if (rest.size() < 2 || rest.front() != '\'' || rest.back() != '\'') return std::nullopt;
  const auto value = rest.substr(1, rest.size() - 2);

  EventPosition out;
  if (field == "x-opt-offset" || field == "x-opt-sequence-number") {
    if (value == "@latest") {
      out.kind = EventPosition::Kind::latest;
      return out;
    }
    if (value == "-1") return out;  // from the start
    auto n = number<std::int64_t>(value);
    if (!n || *n < 0) return std::nullopt;
    out.after_sequence = static_cast<std::uint64_t>(inclusive ? (*n > 0 ? *n - 1 : 0) : *n);
    return out;
  }
  if (field == "x-opt-enqueued-time") {
    auto ms = number<std::int64_t>(value);
    if (!ms) return std::nullopt;
    out.kind = EventPosition::Kind::since_time;
    out.since_ms = inclusive ? *ms : *ms + 1;
    return out;
  }
  return std::nullopt;
}

}  // namespace picohub::service::amqp

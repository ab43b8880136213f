#include "telemetry_feed.hpp"

#include <nlohmann/json.hpp>

#include "iothub/url_encoding.hpp"

namespace picohub::gateway {

namespace {

constexpr std::string_view kTopicPrefix = "$picohub/v1/telemetry/";

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

bool valid_device_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c == '+' || c == '#' || c == '/' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

}  // namespace

std::string sse_event(std::string_view event, std::string_view id, std::string_view data) {
  std::string out = "event: " + std::string(event) + "\n";
  if (!id.empty()) out += "id: " + std::string(id) + "\n";
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = data.find_first_of("\r\n", start);
    out += "data: ";
    out += data.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    out += "\n";
    if (end == std::string_view::npos) break;
    start = end + ((data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n') ? 2 : 1);
  }
  return out + "\n";
}

std::string sse_comment(std::string_view text) {
  std::string out = ": ";
  for (char c : text) out += (c == '\n' || c == '\r') ? ' ' : c;
  return out + "\n\n";
}

bool is_feed_route(std::string_view target) { return path_of(target) == kFeedPath; }

std::optional<FeedRequest> parse_feed_request(std::string_view target, std::string& why) {
  FeedRequest out;
  const std::size_t q = target.find('?');
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) != "deviceId" || eq == std::string_view::npos) continue;
    const std::string_view raw = pair.substr(eq + 1);
    std::string buffer(raw.size(), '\0');
    auto decoded = iothub::url_decode(raw, buffer);
    if (!decoded || !valid_device_id(*decoded)) {
      why = "deviceId must be a device id (1-128 characters, no '+', '#' or '/')";
      return std::nullopt;
    }
    out.device_id = std::string(*decoded);
  }
  return out;
}

std::string feed_topic_filter(const FeedRequest& request) {
  return std::string(kTopicPrefix) + (request.device_id.empty() ? "#" : request.device_id);
}

std::optional<std::string> telemetry_event_frame(std::string_view topic, std::string_view payload) {
  if (!topic.starts_with(kTopicPrefix)) return std::nullopt;
  const auto record = nlohmann::json::parse(payload, nullptr, false);
  if (!record.is_object()) return std::nullopt;
  const auto sequence = record.value("sequence", -1LL);
  return sse_event("telemetry", sequence >= 0 ? std::to_string(sequence) : "",
                   record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace picohub::gateway

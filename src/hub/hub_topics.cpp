#include "hub/hub_topics.hpp"

#include "iothub/property_bag.hpp"
#include "iothub/topics.hpp"
#include "iothub/url_encoding.hpp"

namespace picohub::hub {
namespace {

constexpr std::size_t kFixedTopicText = 64;  // the longest fixed part of a hub topic, with room for numbers

// Runs a core builder into a buffer of `capacity` bytes and returns what it wrote.
template <typename Build>
Result<std::string> build_into(std::size_t capacity, Build build) {
  std::string out(capacity, '\0');
  auto r = build(std::span<char>(out.data(), out.size()));
  if (!r) return tl::unexpected(r.error());
  return std::string(*r);
}

}  // namespace

Result<std::string> encode_property_bag(std::span<const BagItem> items) {
  std::size_t capacity = 0;
  for (const auto& item : items) {
    capacity += 2 + iothub::url_encoded_size(item.key) + (item.value ? iothub::url_encoded_size(*item.value) : 0);
  }
  std::string out(capacity, '\0');
  iothub::PropertyBagWriter writer(std::span<char>(out.data(), out.size()));
  for (const auto& item : items) {
    auto r = item.value ? writer.add(item.key, *item.value) : writer.add_null(item.key);
    if (!r) return tl::unexpected(r.error());
  }
  out.resize(writer.size());
  return out;
}

Result<std::string> twin_response_topic(int status, std::string_view rid, std::optional<std::uint64_t> version) {
  return build_into(kFixedTopicText + rid.size(),
                    [&](std::span<char> out) { return iothub::twin_response_topic(status, rid, version, out); });
}

std::string twin_desired_topic(std::uint64_t version) {
  auto topic = build_into(kFixedTopicText,
                          [&](std::span<char> out) { return iothub::twin_desired_topic(version, out); });
  return topic ? *topic : std::string();  // cannot fail: the buffer holds any 64-bit version
}

Result<std::string> method_request_topic(std::string_view method_name, std::string_view rid) {
  return build_into(kFixedTopicText + method_name.size() + rid.size(),
                    [&](std::span<char> out) { return iothub::method_request_topic(method_name, rid, out); });
}

Result<std::string> c2d_topic(std::string_view device_id, std::string_view encoded_bag) {
  return build_into(kFixedTopicText + device_id.size() + encoded_bag.size(),
                    [&](std::span<char> out) { return iothub::c2d_topic(device_id, encoded_bag, out); });
}

}  // namespace picohub::hub

#include "hub/message_limits.hpp"

#include <string>

#include "iothub/property_bag.hpp"

namespace picohub::hub {

std::size_t d2c_counted_size(std::string_view encoded_bag, std::size_t body_size) {
  static thread_local std::string scratch;  // decoded text is never longer than the encoded bag
  scratch.resize(encoded_bag.size());
  const std::span<char> out(scratch.data(), scratch.size());
  std::size_t total = body_size;
  iothub::PropertyBagReader reader(encoded_bag);
  while (auto p = reader.next()) {
    auto key = iothub::decode_key(*p, out);
    const std::size_t key_size = key ? key->size() : p->key.size();
    const bool system = key && key->substr(0, 2) == "$.";
    if (!system) total += key_size;
    if (p->has_value) {
      auto value = iothub::decode_value(*p, out);
      total += value ? value->size() : p->value.size();
    }
  }
  return total;
}

namespace {
bool all_of_set(std::string_view text, std::string_view extra) {
  for (char c : text) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && extra.find(c) == std::string_view::npos) return false;
  }
  return true;
}
}  // namespace

bool is_valid_message_id(std::string_view id) {
  return !id.empty() && id.size() <= 128 && all_of_set(id, "-:.+%_#*?!(),=@;$'");
}

bool is_valid_c2d_property_text(std::string_view text) { return all_of_set(text, "!#$%&'*+-.^_`|~"); }

}  // namespace picohub::hub

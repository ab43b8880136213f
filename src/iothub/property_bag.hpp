// Property bags: the "k1=v1&k2=v2" suffix of telemetry and C2D topics (reference §3, §4). Names and values are
// percent-encoded (url_encoding.hpp). A bare "key" is a null value, "key=" an empty string.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "common/error.hpp"

namespace picohub::iothub {

// Writes an encoded bag into a caller buffer. Errors are sticky: after the first failure every add() fails
// and ok() is false, so a caller may add several properties and check once.
class PropertyBagWriter {
 public:
  explicit PropertyBagWriter(std::span<char> out) noexcept : out_(out) {}

  // key=value, both url-encoded. An empty key is Errc::invalid_argument.
  Result<void> add(std::string_view key, std::string_view value) noexcept;
  // key alone (a null value).
  Result<void> add_null(std::string_view key) noexcept;
  // Appends an already-encoded "k=v&k2" text as is (e.g. a bag received from elsewhere).
  Result<void> add_encoded(std::string_view encoded) noexcept;

  std::string_view view() const noexcept { return {out_.data(), size_}; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  bool ok() const noexcept { return !error_; }

 private:
  Result<void> begin_item() noexcept;
  Result<void> put_encoded(std::string_view text) noexcept;
  Result<void> failed(Errc code, const char* what) noexcept;

  std::span<char> out_;
  std::size_t size_ = 0;
  std::optional<Error> error_;
};

// One raw (still encoded) property.
struct RawProperty {
  std::string_view key{};    // encoded
  std::string_view value{};  // encoded; empty for both "key" and "key="
  bool has_value = false;    // false for a bare "key" (null)
};

// Iterates the properties of an encoded bag. Empty elements ("a&&b", leading/trailing '&') are skipped.
// Never fails: decoding is a separate step (decode_key / decode_value) so a caller can skip what it ignores.
class PropertyBagReader {
 public:
  explicit PropertyBagReader(std::string_view bag) noexcept : rest_(bag) {}
  std::optional<RawProperty> next() noexcept;

 private:
  std::string_view rest_;
};

// Decoded key / value of a property into caller buffers. Errc::malformed on a bad %XX.
Result<std::string_view> decode_key(const RawProperty& p, std::span<char> out) noexcept;
Result<std::string_view> decode_value(const RawProperty& p, std::span<char> out) noexcept;

// Finds the first property whose DECODED key equals `key` (e.g. "$.mid" matches "%24.mid"); nullopt if absent.
std::optional<RawProperty> find_property(std::string_view bag, std::string_view key) noexcept;

}  // namespace picohub::iothub

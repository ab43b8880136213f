#include "iothub/property_bag.hpp"

#include "iothub/url_encoding.hpp"

namespace picohub::iothub {

Result<void> PropertyBagWriter::failed(Errc code, const char* what) noexcept {
  if (!error_) error_ = Error{code, what};
  return tl::unexpected(*error_);
}

Result<void> PropertyBagWriter::begin_item() noexcept {
  if (error_) return tl::unexpected(*error_);
  if (size_ == 0) return {};
  if (size_ >= out_.size()) return failed(Errc::too_large, "buffer too small for the property bag");
  out_[size_++] = '&';
  return {};
}

Result<void> PropertyBagWriter::put_encoded(std::string_view text) noexcept {
  auto r = url_encode(text, out_.subspan(size_));
  if (!r) return failed(Errc::too_large, "buffer too small for the property bag");
  size_ += r->size();
  return {};
}

Result<void> PropertyBagWriter::add(std::string_view key, std::string_view value) noexcept {
  if (key.empty()) return failed(Errc::invalid_argument, "property name is empty");
  const std::size_t mark = size_;
  auto r = begin_item().and_then([&] { return put_encoded(key); });
  if (r && size_ >= out_.size()) r = failed(Errc::too_large, "buffer too small for the property bag");
  if (r) {
    out_[size_++] = '=';
    r = put_encoded(value);
  }
  if (!r) size_ = mark;  // never leave half a property behind
  return r;
}

Result<void> PropertyBagWriter::add_null(std::string_view key) noexcept {
  if (key.empty()) return failed(Errc::invalid_argument, "property name is empty");
  const std::size_t mark = size_;
  auto r = begin_item().and_then([&] { return put_encoded(key); });
  if (!r) size_ = mark;
  return r;
}

Result<void> PropertyBagWriter::add_encoded(std::string_view encoded) noexcept {
  if (encoded.empty()) return error_ ? Result<void>(tl::unexpected(*error_)) : Result<void>{};
  const std::size_t mark = size_;
  auto r = begin_item();
  if (r && encoded.size() > out_.size() - size_) r = failed(Errc::too_large, "buffer too small for the property bag");
  if (!r) {
    size_ = mark;
    return r;
  }
  for (char c : encoded) out_[size_++] = c;
  return {};
}

std::optional<RawProperty> PropertyBagReader::next() noexcept {
  while (!rest_.empty()) {
    const std::size_t amp = rest_.find('&');
    const std::string_view item = rest_.substr(0, amp);
    rest_ = amp == std::string_view::npos ? std::string_view{} : rest_.substr(amp + 1);
    if (item.empty()) continue;
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) return RawProperty{item, {}, false};
    return RawProperty{item.substr(0, eq), item.substr(eq + 1), true};
  }
  return std::nullopt;
}

Result<std::string_view> decode_key(const RawProperty& p, std::span<char> out) noexcept {
  return url_decode(p.key, out);
}

Result<std::string_view> decode_value(const RawProperty& p, std::span<char> out) noexcept {
  return url_decode(p.value, out);
}

std::optional<RawProperty> find_property(std::string_view bag, std::string_view key) noexcept {
  PropertyBagReader reader(bag);
  while (auto p = reader.next()) {
    if (url_decoded_equals(p->key, key)) return p;
  }
  return std::nullopt;
}

}  // namespace picohub::iothub

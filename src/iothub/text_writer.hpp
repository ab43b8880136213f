// TextWriter: the shared BoundedWriter plus percent-encoding, for IoT Hub's topics, user names and tokens.
#pragma once

#include <string_view>

#include "common/bounded_writer.hpp"
#include "iothub/url_encoding.hpp"

namespace picohub::iothub {

struct TextWriter : BoundedWriter {
  void encoded(std::string_view s) noexcept {
    if (overflow) return;
    auto r = url_encode(s, out.subspan(n));
    if (!r) {
      overflow = true;
      return;
    }
    n += r->size();
  }
};

}  // namespace picohub::iothub

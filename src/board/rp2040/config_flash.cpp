#include "board/rp2040/config_flash.hpp"

extern "C" {
extern const std::uint8_t __config_flash_start__[], __config_flash_end__[];
}

namespace picohub::rp2040 {

std::span<const std::uint8_t> config_flash() noexcept {
  // The linker script asserts these symbols equal the constants above; use them so a moved region follows.
  return {__config_flash_start__, static_cast<std::size_t>(__config_flash_end__ - __config_flash_start__)};
}

}  // namespace picohub::rp2040

#include "provisioning/config_problem.hpp"

namespace picohub::provisioning {
namespace {

struct FaultText {
  Errc code;
  const char* summary;
  // Placeholders: {f} found and {e} expected in decimal, {F} {E} the same in hex, {d} detail.
  const char* message;
};

// Indexed by ConfigFault; keep in declaration order.
constexpr FaultText fault_texts[] = {
    {Errc::invalid_argument, "no config block (flash erased)",
     "no config block (flash erased): this board was never provisioned"},
    {Errc::malformed, "no config block (wrong magic)",
     "no config block (the config sector holds something else: magic {F})"},
    {Errc::truncated, "config block truncated", "config block truncated ({f} bytes, the header needs {e})"},
    {Errc::malformed, "config format version 0 is not valid", "config format version 0 is not valid"},
    {Errc::protocol_violation, "config format version is newer than this firmware",
     "config format version {f} is newer than this firmware ({e}): update the firmware or use a matching picohub"},
    {Errc::malformed, "config header size does not match its version",
     "config header size {f} is not the {e} bytes this firmware's formats use"},
    {Errc::too_large, "config block payload too large", "config block payload of {f} bytes exceeds the {e}-byte limit"},
    {Errc::malformed, "config block CRC mismatch",
     "config block CRC mismatch (stored {F}, computed {E}): the flash was damaged or partly written; flash the UF2 "
     "again"},
    {Errc::truncated, "config record runs past the block", "config record {f} runs past the end of the block"},
    {Errc::malformed, "config record appears twice", "config record {f} appears twice"},
    {Errc::malformed, "config record has the wrong length", "config record of {f} bytes where {e} are required"},
    {Errc::malformed, "config block lacks a required record", "config block has no {d} (record {f})"},
    {Errc::too_large, "connection string too long", "connection string of {f} bytes exceeds the {e}-byte limit"},
    {Errc::malformed, "connection string malformed", "connection string malformed: {d}"},
    {Errc::invalid_argument, "connection string has no SharedAccessKey",
     "connection string uses {d}: the board signs its own tokens and needs the SharedAccessKey form "
     "(HostName=...;DeviceId=...;SharedAccessKey=...)"},
    {Errc::too_large, "extra CA too large", "extra CA of {f} bytes exceeds the {e}-byte limit"},
    {Errc::invalid_argument, "telemetry interval out of range",
     "telemetry interval {f} ms is out of range (1000 ms .. 24 h)"},
    {Errc::invalid_argument, "MAC address is not unicast",
     "MAC address is multicast or zero (first octet {F}): use a unicast address such as 02:xx:xx:xx:xx:xx"},
    {Errc::invalid_argument, "static IP settings invalid", "static IP settings invalid: {d}"},
    {Errc::invalid_argument, "SAS token lifetime out of range",
     "SAS token lifetime {f} s is out of range (30 s .. 24 h)"},
    {Errc::too_large, "config block does not fit the buffer", "config block needs {e} bytes, the buffer holds {f}"},
    {Errc::invalid_argument, "Plug and Play model id is not a DTMI",
     "Plug and Play model id ({f} bytes) is not a DTMI such as dtmi:picohub:W5100sEvbPico;1"},
    {Errc::invalid_argument, "telemetry queue length out of range",
     "telemetry queue of {f} readings is out of range (1 .. {e})"},
};
static_assert(sizeof(fault_texts) / sizeof(fault_texts[0]) ==
              static_cast<std::size_t>(ConfigFault::telemetry_queue_out_of_range) + 1);

class Writer {
 public:
  explicit Writer(std::span<char> out) noexcept : out_(out) {}
  void put(char c) noexcept {
    if (used_ < out_.size()) out_[used_++] = c;
  }
  void put(std::string_view text) noexcept {
    for (const char c : text) put(c);
  }
  void decimal(std::uint32_t value) noexcept {
    char digits[10];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value != 0);
    while (n > 0) put(digits[--n]);
  }
  void hex(std::uint32_t value, int width) noexcept {
    put("0x");
    for (int shift = (width - 1) * 4; shift >= 0; shift -= 4) put("0123456789ABCDEF"[(value >> shift) & 0xFu]);
  }
  std::string_view text() const noexcept { return {out_.data(), used_}; }

 private:
  std::span<char> out_;
  std::size_t used_ = 0;
};

}  // namespace

Error to_error(const ConfigProblem& problem) noexcept {
  const FaultText& text = fault_texts[static_cast<std::size_t>(problem.fault)];
  return Error{text.code, text.summary};
}

std::string_view describe(const ConfigProblem& problem, std::span<char> out) noexcept {
  Writer writer(out);
  // A MAC's first octet is one byte wide; CRCs and magics are words.
  const int hex_width = problem.fault == ConfigFault::mac_not_unicast ? 2 : 8;
  const std::string_view message = fault_texts[static_cast<std::size_t>(problem.fault)].message;
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] != '{' || i + 2 >= message.size() || message[i + 2] != '}') {
      writer.put(message[i]);
      continue;
    }
    switch (message[i + 1]) {
      case 'f': writer.decimal(problem.found); break;
      case 'e': writer.decimal(problem.expected); break;
      case 'F': writer.hex(problem.found, hex_width); break;
      case 'E': writer.hex(problem.expected, hex_width); break;
      case 'd': writer.put(problem.detail ? problem.detail : ""); break;
      default: writer.put(message.substr(i, 3)); break;
    }
    i += 2;
  }
  return writer.text();
}

}  // namespace picohub::provisioning

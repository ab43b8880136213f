#include "provisioning/config_problem.hpp"

namespace picohub::provisioning {
namespace {

struct FaultSummary {
  Errc code;
  const char* summary;
};

// Indexed by ConfigFault; keep in declaration order. Two tables, so an image that only prints messages (the
// firmware: describe()) does not carry the summaries, which only to_error() reads.
constexpr FaultSummary fault_summaries[] = {
    {Errc::invalid_argument, "no config block (flash erased)"},
    {Errc::malformed, "no config block (wrong magic)"},
    {Errc::truncated, "config block truncated"},
    {Errc::malformed, "config format version 0 is not valid"},
    {Errc::protocol_violation, "config format version is newer than this firmware"},
    {Errc::malformed, "config header size does not match its version"},
    {Errc::too_large, "config block payload too large"},
    {Errc::malformed, "config block CRC mismatch"},
    {Errc::truncated, "config record runs past the block"},
    {Errc::malformed, "config record appears twice"},
    {Errc::malformed, "config record has the wrong length"},
    {Errc::malformed, "config block lacks a required record"},
    {Errc::too_large, "connection string too long"},
    {Errc::malformed, "connection string malformed"},
    {Errc::invalid_argument, "connection string has no SharedAccessKey"},
    {Errc::too_large, "extra CA too large"},
    {Errc::invalid_argument, "telemetry interval out of range"},
    {Errc::invalid_argument, "MAC address is not unicast"},
    {Errc::invalid_argument, "static IP settings invalid"},
    {Errc::invalid_argument, "SAS token lifetime out of range"},
    {Errc::too_large, "config block does not fit the buffer"},
    {Errc::invalid_argument, "Plug and Play model id is not a DTMI"},
    {Errc::invalid_argument, "telemetry queue length out of range"},
    {Errc::invalid_argument, "DPS settings invalid"},
    {Errc::invalid_argument, "WebSocket setting invalid"},
    {Errc::invalid_argument, "X.509 settings invalid"},
};

// Placeholders: {f} found and {e} expected in decimal, {F} {E} the same in hex, {d} detail.
struct FaultMessage {
  const char* text;
};
constexpr FaultMessage fault_messages[] = {
    {"no config block (flash erased): this board was never provisioned"},
    {"no config block (magic {F})"},
    {"config block truncated ({f} bytes, the header needs {e})"},
    {"config format version 0 is not valid"},
    {"config format version {f} is newer than this firmware ({e}): update the firmware"},
    {"config header size {f} is not {e}"},
    {"config block payload of {f} bytes exceeds the {e}-byte limit"},
    {"config block CRC mismatch (stored {F}, computed {E}): flash the UF2 again"},
    {"config record {f} runs past the end of the block"},
    {"config record {f} appears twice"},
    {"config record of {f} bytes where {e} are required"},
    {"config block has no {d} (record {f})"},
    {"connection string of {f} bytes exceeds the {e}-byte limit"},
    {"connection string malformed: {d}"},
    {"connection string uses {d}: the board signs its own tokens, so it needs a SharedAccessKey"},
    {"extra CA of {f} bytes exceeds the {e}-byte limit"},
    {"telemetry interval {f} ms is out of range (1000 ms .. 24 h)"},
    {"MAC address is multicast or zero (first octet {F}): use one like 02:xx:xx:xx:xx:xx"},
    {"static IP settings invalid: {d}"},
    {"SAS token lifetime {f} s is out of range (30 s .. 24 h)"},
    {"config block needs {e} bytes, the buffer holds {f}"},
    {"Plug and Play model id ({f} bytes) is not a DTMI (dtmi:...;1)"},
    {"telemetry queue of {f} readings is out of range (1 .. {e})"},
    {"DPS settings invalid: {d}"},
    {"MQTT over WebSockets cannot be used: {d}"},
    {"X.509 settings invalid: {d}"},
};
static_assert(sizeof(fault_summaries) / sizeof(fault_summaries[0]) ==
              static_cast<std::size_t>(ConfigFault::x509_invalid) + 1);
static_assert(sizeof(fault_messages) / sizeof(fault_messages[0]) ==
              static_cast<std::size_t>(ConfigFault::x509_invalid) + 1);

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
  const FaultSummary& text = fault_summaries[static_cast<std::size_t>(problem.fault)];
  return Error{text.code, text.summary};
}

std::string_view describe(const ConfigProblem& problem, std::span<char> out) noexcept {
  Writer writer(out);
  // A MAC's first octet is one byte wide; CRCs and magics are words.
  const int hex_width = problem.fault == ConfigFault::mac_not_unicast ? 2 : 8;
  const std::string_view message = fault_messages[static_cast<std::size_t>(problem.fault)].text;
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

// libFuzzer target for the DPS answer path: the body parser, the response topic parser, the hub-side request
// classifier and user name parser, and DpsClient::receive() on arbitrary bytes after a normal start. Besides
// "no crash, no out-of-bounds read" it checks that every string the body parser returns lies inside the
// caller's text buffer, and that a parsed topic's rid lies inside the topic.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "iothub/dps_client.hpp"
#include "iothub/dps_response.hpp"
#include "iothub/dps_topics.hpp"

using namespace picohub;
using namespace picohub::iothub;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool inside(std::string_view part, const char* begin, std::size_t size) {
  return part.empty() || (part.data() >= begin && part.data() + part.size() <= begin + size);
}

void fuzz_body(std::string_view in) {
  std::array<char, 96> text{};  // small, so the cut-message path is taken often
  auto r = parse_dps_response(in, text);
  if (!r) return;
  for (std::string_view s : {r->operation_id, r->assigned_hub, r->device_id, r->substatus, r->error_message})
    check(inside(s, text.data(), text.size()));
}

void fuzz_topics(std::string_view in) {
  if (auto t = parse_dps_response_topic(in)) {
    check(t->status >= 100 && t->status <= 999);
    check(inside(t->rid, in.data(), in.size()));
  }
  auto c = classify_dps_request(in);
  if (c.kind != DpsRequestKind::invalid) check(!c.rid.empty() && inside(c.rid, in.data(), in.size()));
  if (auto u = parse_dps_username(in)) check(!u->id_scope.empty() && !u->registration_id.empty());
}

// A client that has registered and waits for the answer to request 1, then gets the input as broker bytes.
void fuzz_client(std::string_view in) {
  static StaticDpsClientMemory<> memory;
  memory = {};
  const DpsRegistration registration{"0ne00000A0A", "dev-1", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", {}};
  DpsClient client(memory.view(), registration);
  check(client.connect(0, 1700000000).has_value());
  client.consume_output(client.pending_output().size());
  const std::uint8_t connack[] = {0x20, 0x02, 0x00, 0x00};
  const std::uint8_t suback[] = {0x90, 0x03, 0x00, 0x01, 0x01};
  (void)client.receive(connack, 1);
  while (client.poll_event()) {
  }
  (void)client.receive(suback, 2);
  while (client.poll_event()) {
  }
  std::span<const std::uint8_t> rest(reinterpret_cast<const std::uint8_t*>(in.data()), in.size());
  for (int guard = 0; guard < 64 && !rest.empty(); ++guard) {
    auto n = client.receive(rest, 3);
    if (!n) break;
    rest = rest.subspan(*n);
    while (auto ev = client.poll_event()) {
      if (auto* a = std::get_if<DpsAssigned>(&*ev)) check(!a->assigned_hub.empty() && !a->device_id.empty());
    }
    client.consume_output(client.pending_output().size());
    if (*n == 0) break;
  }
  client.on_time(100'000);
  while (client.poll_event()) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: fuzz_body(in); break;
    case 1: fuzz_topics(in); break;
    default: fuzz_client(in); break;
  }
  return 0;
}

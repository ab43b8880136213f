// libFuzzer target for every iothub parser. The first byte picks the parser; the rest is its input. Besides
// "no crash, no out-of-bounds read", it checks properties that must hold for any input:
// url_decode(url_encode(x)) == x, a property written by PropertyBagWriter reads back unchanged, parsed views
// lie inside the input, and classifiers never accept another device's topics.
#include <array>
#include <vector>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "iothub/base64.hpp"
#include "iothub/connection_string.hpp"
#include "iothub/device_client.hpp"
#include "iothub/property_bag.hpp"
#include "iothub/sas_token.hpp"
#include "iothub/topics.hpp"
#include "iothub/url_encoding.hpp"
#include "iothub/username.hpp"

using namespace picohub;
using namespace picohub::iothub;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool inside(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

// "device\nmodule\ntext" -> three parts (missing parts are empty).
void split3(std::string_view in, std::string_view& a, std::string_view& b, std::string_view& c) {
  const std::size_t p = in.find('\n');
  a = in.substr(0, p);
  if (p == std::string_view::npos) return;
  in = in.substr(p + 1);
  const std::size_t q = in.find('\n');
  b = in.substr(0, q);
  if (q != std::string_view::npos) c = in.substr(q + 1);
}

void fuzz_bag(std::string_view in) {
  PropertyBagReader reader(in);
  std::array<char, 4096> k{};
  std::array<char, 4096> v{};
  while (auto p = reader.next()) {
    check(inside(p->key, in) && inside(p->value, in));
    auto key = decode_key(*p, k);
    auto value = decode_value(*p, v);
    if (key && value && !key->empty()) {
      // Re-encode and read back: the same decoded pair must come out.
      // Room for the worst case (every byte of key and value escaped): a failure is then a real bug.
      std::vector<char> buf((key->size() + value->size()) * 3 + 2);
      PropertyBagWriter w(buf);
      if (p->has_value) {
        check(static_cast<bool>(w.add(*key, *value)));
      } else {
        check(static_cast<bool>(w.add_null(*key)));
      }
      PropertyBagReader again(w.view());
      auto q = again.next();
      check(q.has_value() && q->has_value == p->has_value && !again.next());
      std::array<char, 4096> k2{};
      std::array<char, 4096> v2{};
      auto key2 = decode_key(*q, k2);
      auto value2 = decode_value(*q, v2);
      check(key2 && value2 && *key2 == *key && *value2 == *value);
    }
  }
  (void)find_property(in, "$.mid");
}

void fuzz_device_client(std::string_view in) {
  static const std::string_view cs_text =
      "HostName=h.azure-devices.net;DeviceId=dev1;SharedAccessKey=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  auto cs = parse_connection_string(cs_text);
  check(static_cast<bool>(cs));
  static StaticDeviceClientMemory<512, 1024, 2, 256, 512, 256, 256, 4> memory;
  memory = {};
  DeviceClient client(memory.view(), *cs);
  check(static_cast<bool>(client.connect(0, 1700000000)));
  client.consume_output(client.pending_output().size());
  std::span<const std::uint8_t> rest(reinterpret_cast<const std::uint8_t*>(in.data()), in.size());
  std::uint64_t now = 1;
  for (int rounds = 0; !rest.empty() && rounds < 64; ++rounds) {
    auto n = client.receive(rest, now);
    if (!n) break;
    rest = rest.subspan(*n);
    while (auto ev = client.poll_event()) {
      if (auto* m = std::get_if<C2dMessage>(&*ev)) check(m->properties.size() <= 4);
    }
    client.consume_output(client.pending_output().size());
    client.on_time(now, 1700000000 + now / 1000);
    now += 1000;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (selector % 10) {
    case 0: {
      std::string_view at;
      auto cs = parse_connection_string(in, &at);
      if (cs) {
        check(inside(cs->host_name, in) && inside(cs->device_id, in) && inside(cs->shared_access_key, in) &&
              inside(cs->shared_access_signature, in) && inside(cs->module_id, in));
        check(!cs->host_name.empty() && !cs->device_id.empty());
      }
      break;
    }
    case 1: {
      auto f = parse_sas_token(in);
      if (f) {
        check(inside(f->sr, in) && inside(f->sig, in) && inside(f->se_raw, in) && inside(f->skn, in));
        check(!f->sr.empty() && !f->sig.empty() && !f->se_raw.empty());
        (void)verify_sas_token(*f, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
      }
      break;
    }
    case 2: fuzz_bag(in); break;
    case 3: {
      // Room for the worst case (every byte escaped), so a failure here is a real bug, not a small buffer.
      std::vector<char> enc(in.size() * 3);
      std::vector<char> dec(in.size());
      auto e = url_encode(in, enc);
      check(e && e->size() == url_encoded_size(in));
      auto d = url_decode(*e, dec);
      check(d && *d == in);
      check(url_decoded_equals(*e, in));
      (void)url_decode(in, dec);
      std::vector<std::uint8_t> raw(in.size());
      (void)base64_decode(in, raw, Base64Mode::strict);
      (void)base64_decode(in, raw, Base64Mode::lenient);
      break;
    }
    case 4: {
      std::string_view device, module, topic;
      split3(in, device, module, topic);
      auto bag = parse_c2d_topic(topic, device);
      if (bag) check(inside(*bag, topic) && bag->find('/') == std::string_view::npos);
      auto hub = classify_hub_publish(topic, device, module);
      check(inside(hub.bag, topic) && inside(hub.rid, topic) && inside(hub.name, topic));
      break;
    }
    case 5: {
      auto u = parse_mqtt_username(in);
      if (u) {
        check(!u->host.empty() && !u->device_id.empty() && u->device_id.find('/') == std::string_view::npos);
        check(inside(u->host, in) && inside(u->query, in) && inside(u->api_version, in));
      }
      break;
    }
    case 6: {
      std::string_view device, module, topic;
      split3(in, device, module, topic);
      auto p = classify_device_publish(topic, device, module);
      if (p.kind == DevicePublishKind::telemetry) {
        // Accepted telemetry is always this device's (and module's) own topic.
        check(topic.starts_with("devices/") && topic.substr(8).starts_with(device));
        check(topic.find_first_of("#+") == std::string_view::npos);
      }
      if (p.kind != DevicePublishKind::invalid) check(inside(p.bag, topic) && inside(p.rid, topic));
      break;
    }
    case 7: {
      std::string_view device, module, filter;
      split3(in, device, module, filter);
      auto k = classify_device_subscription(filter, device, module);
      if (k == DeviceSubscriptionKind::c2d) check(filter.ends_with("/messages/devicebound/#") && module.empty());
      break;
    }
    case 8: {
      auto q = parse_topic_query(in);
      if (q) check(inside(q->rid, in));
      break;
    }
    case 9: fuzz_device_client(in); break;
  }
  return 0;
}

// libFuzzer target: arbitrary bytes into mqtt::decode() and into a client Session.
// Invariants checked (abort on violation, so libFuzzer reports them):
//   decode: size within the input; truncated => missing_bytes() >= 1; a decoded packet re-encodes to the same
//           bytes when its fixed header was minimal; SUBSCRIBE/UNSUBSCRIBE iteration yields `count` entries.
//   session: receive() consumes at most what it was offered; pending output never exceeds the tx buffer and
//            always decodes as valid packets; event views point inside the rx buffer; in_flight() <= window.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>
#include <variant>

#include "mqtt/codec.hpp"
#include "mqtt/session.hpp"

using namespace picohub;
using namespace picohub::mqtt;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

template <class P>
void expect_reencodes(const P& packet, std::span<const std::uint8_t> original) {
  static std::array<std::uint8_t, 1 << 16> out;
  auto n = encode(packet, out);
  check(n.has_value());
  check(*n == original.size());
  check(std::memcmp(out.data(), original.data(), *n) == 0);
}

void fuzz_decode(std::span<const std::uint8_t> in) {
  const std::size_t limit = in.empty() ? 0 : std::size_t{in[0]} * 4;  // exercise too_large too
  for (std::size_t max : {unlimited_packet_size, limit}) {
    auto d = decode(in, max);
    if (!d) {
      if (d.error().code == Errc::truncated) check(missing_bytes(in) >= 1);
      check(d.error().what != nullptr);
      continue;
    }
    check(d->size <= in.size() && d->size >= 2 && d->size <= max);
    auto header = decode_fixed_header(in);
    check(header.has_value() && header->packet_size() == d->size);
    const auto packet_bytes = in.first(d->size);
    const bool minimal = header->header_size == 1 + remaining_length_size(header->remaining_length);
    const Packet& p = d->packet;
    if (const auto* s = std::get_if<SubscribeView>(&p)) {
      std::array<Subscription, 64> subs{};
      std::size_t n = 0;
      for (Subscription sub : *s) {
        check(valid_topic_filter(sub.filter));
        if (n < subs.size()) subs[n] = sub;
        ++n;
      }
      check(n == s->count);
      if (minimal && n <= subs.size())
        expect_reencodes(Subscribe{s->packet_id, std::span(subs.data(), n)}, packet_bytes);
    } else if (const auto* u = std::get_if<UnsubscribeView>(&p)) {
      std::array<std::string_view, 64> filters{};
      std::size_t n = 0;
      for (std::string_view f : *u) {
        check(valid_topic_filter(f));
        if (n < filters.size()) filters[n] = f;
        ++n;
      }
      check(n == u->count);
      if (minimal && n <= filters.size())
        expect_reencodes(Unsubscribe{u->packet_id, std::span(filters.data(), n)}, packet_bytes);
    } else if (const auto* c = std::get_if<Connect>(&p)) {
      if (minimal && c->protocol_level == protocol_level_3_1_1 && (c->clean_session || !c->client_id.empty()))
        expect_reencodes(*c, packet_bytes);
    } else if (minimal) {
      std::visit(
          [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (!std::is_same_v<T, SubscribeView> && !std::is_same_v<T, UnsubscribeView> &&
                          !std::is_same_v<T, Connect>)
              expect_reencodes(x, packet_bytes);
          },
          p);
    }
  }
}

bool inside(std::span<const std::uint8_t> outer, const void* ptr, std::size_t n) {
  const auto* b = static_cast<const std::uint8_t*>(ptr);
  if (n == 0) return true;
  return b >= outer.data() && b + n <= outer.data() + outer.size();
}

void check_output(const Session& s, std::span<const std::uint8_t> tx) {
  auto out = s.pending_output();
  check(out.size() <= tx.size());
  while (!out.empty()) {
    auto d = decode(out);
    check(d.has_value());
    out = out.subspan(d->size);
  }
}

void fuzz_session(std::span<const std::uint8_t> in) {
  static StaticSessionMemory<256, 256, 4, 64> memory;
  memory = {};
  const SessionMemory mem = memory.view();
  Session s(mem, SessionOptions{2'000, 1'000});
  std::uint64_t now = 0;
  ConnectOptions options;
  options.client_id = "fuzz";
  options.keep_alive_s = 1;
  check(s.connect(options, now).has_value());

  std::size_t pos = 0;
  if (!in.empty() && (in[0] & 0x01) != 0) {  // half the inputs start connected, to reach deeper states quickly
    const std::uint8_t connack[] = {0x20, 2, static_cast<std::uint8_t>((in[0] >> 1) & 1), 0};
    check(s.receive(connack, now).has_value());
    check(s.poll_event().has_value() && s.connected());
    s.consume_output(s.pending_output().size());
    pos = 1;
  }
  for (int guard = 0; pos < in.size() && guard < 100'000; ++guard) {
    const std::uint8_t control = in[pos++];
    const std::size_t chunk = std::min<std::size_t>(in.size() - pos, 1 + (control & 0x3F));
    auto n = s.receive(in.subspan(pos, chunk), now);
    if (n) {
      check(*n <= chunk);
      pos += *n;
    } else {
      check(s.state() == SessionState::failed);
      pos += chunk;
    }
    while (auto e = s.poll_event()) {
      if (const auto* m = std::get_if<MessageReceived>(&*e)) {
        check(inside(mem.rx, m->topic.data(), m->topic.size()));
        check(inside(mem.rx, m->payload.data(), m->payload.size()));
      } else if (const auto* sub = std::get_if<Subscribed>(&*e)) {
        check(inside(mem.rx, sub->granted.data(), sub->granted.size()));
      }
    }
    check_output(s, mem.tx);
    check(s.in_flight() <= mem.window.size());
    if (control & 0x40) s.consume_output(s.pending_output().size());
    if (control & 0x80) {
      now += control & 0x3F ? 100 : 1'500;
      s.on_time(now);
      check(s.next_deadline_ms() == Session::no_deadline || s.next_deadline_ms() > now ||
            s.state() != SessionState::connected);
    }
    if ((control & 0xC0) == 0xC0) {
      if (s.connected()) {
        const std::uint8_t body[3] = {control, 1, 2};
        (void)s.publish("t/1", body, QoS::at_least_once, false, now);
        const Subscription sub{"c/#", QoS::at_least_once};
        (void)s.subscribe(std::span(&sub, 1));
      } else if (s.state() == SessionState::failed || s.state() == SessionState::refused) {
        s.on_transport_reset();
        check(s.pending_output().empty());
        check(s.connect(options, now).has_value());
      }
    }
    check_output(s, mem.tx);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  fuzz_decode(in);
  fuzz_session(in);
  return 0;
}

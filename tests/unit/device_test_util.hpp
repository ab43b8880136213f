// Test doubles for the device core (host only): an in-memory Transport with short writes, would_block and
// scripted reads, and helpers that speak the broker's side of MQTT.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "iothub/device_client.hpp"
#include "mqtt/codec.hpp"
#include "net/transport.hpp"

namespace picohub::device::test {

// The clock and the identity every device-core test signs its SAS tokens with.
constexpr std::uint64_t unix_now = 1'700'000'000;
constexpr std::string_view cs_text =
    "HostName=myhub.azure-devices.net;DeviceId=dev1;SharedAccessKey=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

using Bytes = std::vector<std::uint8_t>;

template <class P>
Bytes encoded(const P& packet, std::size_t capacity = 200'000) {
  Bytes out(capacity);
  auto n = mqtt::encode(packet, out);
  out.resize(n ? *n : 0);
  return out;
}

inline std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Every packet in `wire` (the test fails on a partial packet).
inline std::vector<mqtt::Packet> packets_in(const Bytes& wire) {
  std::vector<mqtt::Packet> out;
  std::span<const std::uint8_t> rest = wire;
  while (!rest.empty()) {
    auto d = mqtt::decode(rest);
    if (!d) break;
    out.push_back(d->packet);
    rest = rest.subspan(d->size);
  }
  return out;
}

class FakeTransport final : public net::Transport {
 public:
  std::deque<Bytes> inbound;        // each entry is returned by one read() (cut to the caller's buffer)
  std::optional<Error> read_error;  // returned once inbound is empty
  Bytes written;
  std::size_t write_limit = SIZE_MAX;  // bytes accepted per write() call
  bool block_writes = false;           // write() -> would_block
  std::optional<Error> write_error;
  int reads = 0;
  bool closed = false;

  Result<bool> poll_connect() override { return true; }
  Result<std::size_t> read(std::span<std::uint8_t> out) override {
    ++reads;
    if (inbound.empty()) {
      if (read_error) return tl::unexpected(*read_error);
      return fail(Errc::would_block, "nothing to read");
    }
    auto& front = inbound.front();
    const std::size_t n = std::min(out.size(), front.size());
    std::copy_n(front.begin(), n, out.begin());
    front.erase(front.begin(), front.begin() + static_cast<std::ptrdiff_t>(n));
    if (front.empty()) inbound.pop_front();
    return n;
  }
  Result<std::size_t> write(std::span<const std::uint8_t> data) override {
    if (write_error) return tl::unexpected(*write_error);
    if (block_writes) return fail(Errc::would_block, "socket full");
    const std::size_t n = std::min(data.size(), write_limit);
    written.insert(written.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
    return n;
  }
  void close() override { closed = true; }
  net::Wait wants() const override { return net::Wait::readable; }

  void push(const Bytes& b) { inbound.push_back(b); }
  Bytes take_written() {
    Bytes out;
    out.swap(written);
    return out;
  }
};

inline Bytes connack(mqtt::ConnectReturnCode code = mqtt::ConnectReturnCode::accepted) {
  return encoded(mqtt::Connack{false, code});
}
inline Bytes suback(std::uint16_t id, std::uint8_t granted = 1) {
  const std::uint8_t codes[] = {granted};
  return encoded(mqtt::Suback{id, codes});
}
inline Bytes c2d(std::string_view device, std::string_view payload, std::uint16_t id,
                 std::string_view bag = "%24.mid=m-1&color=blue") {
  static thread_local std::string topic;
  topic = "devices/" + std::string(device) + "/messages/devicebound/" + std::string(bag);
  return encoded(mqtt::Publish{topic, bytes_of(payload), id ? mqtt::QoS::at_least_once : mqtt::QoS::at_most_once, false,
                               false, id});
}

}  // namespace picohub::device::test

// Shared fixtures for the hub tests: an in-memory store, a recording BrokerPort, SAS tokens.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "hub/hub.hpp"
#include "hub/store.hpp"
#include "iothub/sas_token.hpp"

namespace hubtest {

// Reference vectors (iothub-mqtt.md §2.3): key bytes 00..1f, host myhub.azure-devices.net.
inline const std::string kKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
inline const std::string kOtherKey = "cGFzc3dvcmRwYXNzd29yZHBhc3N3b3JkcGFzc3dvcmQ=";
inline const std::string kHost = "myhub.azure-devices.net";
inline constexpr std::int64_t kNow = 1700000000;  // seconds

inline std::unique_ptr<picohub::hub::Store> memory_store() {
  std::string error;
  auto store = picohub::hub::Store::open(":memory:", error);
  EXPECT_TRUE(store) << error;
  return store;
}

inline picohub::hub::HubConfig test_config() {
  picohub::hub::HubConfig c;
  c.host_name = kHost;
  c.policies["iothubowner"] = {kKey, kOtherKey, 15};  // all four ServiceRight bits
  return c;
}

inline std::string token(const std::string& resource, const std::string& key, std::uint64_t se,
                         const std::string& skn = "") {
  char buf[512];
  picohub::iothub::SasTokenRequest r;
  r.resource = resource;
  r.key_base64 = key;
  r.expiry_unix = se;
  r.policy_name = skn;
  auto t = picohub::iothub::make_sas_token(r, buf);
  EXPECT_TRUE(t);
  return t ? std::string(*t) : std::string();
}

inline void add_device(picohub::hub::Store& store, const std::string& id, const std::string& primary = kKey,
                       const std::string& secondary = kOtherKey, const std::string& status = "enabled") {
  picohub::hub::DeviceRecord d;
  d.device_id = id;
  d.primary_key = primary;
  d.secondary_key = secondary;
  d.status = status;
  ASSERT_TRUE(store.insert_device(d));
}

struct Published {
  std::string client_id, topic, payload;
  int qos;
};

class RecordingPort : public picohub::hub::BrokerPort {
 public:
  void publish(const std::string& client_id, const std::string& topic, const std::string& payload, int qos) override {
    published.push_back({client_id, topic, payload, qos});
  }
  void kick(const std::string& client_id) override { kicked.push_back(client_id); }
  void log(picohub::hub::LogLevel, const std::string& line) override { lines.push_back(line); }

  std::vector<Published> to(const std::string& client_id) const {
    std::vector<Published> out;
    for (auto& p : published) {
      if (p.client_id == client_id) out.push_back(p);
    }
    return out;
  }
  std::vector<Published> published;
  std::vector<std::string> kicked;
  std::vector<std::string> lines;
};

}  // namespace hubtest

// `picohub hub start|stop|status`: the pieces behind the verb (certificates, broker config, process control).
#pragma once

#include "data_dir.hpp"
#include "hub/data_dir.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace picohub::cli {

// The data dir's ownership rule lives in the hub library (one rule for the CLI and the docs).
using hub::decide_ownership;
using hub::Ownership;
using hub::secure_dir;
using hub::secure_file;

// The server's certificate chain: `single` (root -> leaf, RSA 2048) or `azure` (root RSA 2048 -> intermediate
// RSA 4096 -> leaf RSA 2048, the server sending leaf + intermediate, as Azure IoT Hub does).
enum class ChainShape { single, azure };
// "default" | "azure" (the --chain values); nullopt for anything else.
std::optional<ChainShape> parse_chain_shape(const std::string& text);
const char* chain_shape_name(ChainShape shape);
// The shape the data dir's certificates have (a data dir from before shapes: single).
ChainShape chain_shape_of(const std::filesystem::path& dir);

// Creates ca.crt/ca.key on first use and server.crt/server.key for host_name when missing, for another host name,
// or for another chain shape than the data dir has (`requested`; nullopt keeps the data dir's, default for a new
// one). Every certificate made starts a day in the past. Uses the `openssl` command (see hub_certs.cpp).
bool ensure_certificates(const std::filesystem::path& dir, const std::string& host_name, const Ownership& own,
                         std::optional<ChainShape> requested, std::string& why);

// Writes DIR/mosquitto.conf for the plugin and the configured listeners.
bool write_broker_config(const std::filesystem::path& dir, const HubConfig& config, const std::filesystem::path& plugin,
                         const Ownership& own, std::string& why);

// True when nothing listens on bind:port (checked by binding it). `why` names `option` as the way to choose another.
bool port_is_free(const std::string& bind, int port, std::string& why, const std::string& option = "--port");

// Last `lines` lines of DIR/mosquitto.log (or another log in DIR), for failure messages.
std::string log_tail(const std::filesystem::path& dir, int lines, const char* file = "mosquitto.log");

// picohub-gateway: the service endpoints (IoT Hub's REST API over HTTPS on bind:service_port, the AMQP endpoint
// on bind:amqp_port), one process started after the broker.
struct GatewayStart {
  int pid = 0;           // running gateway, 0 when both endpoints are off
  int service_port = 0;  // what it serves (0: that endpoint is off)
  int amqp_port = 0;
  std::string service_problem;  // why an endpoint that was asked for is off, with what to do
  std::string amqp_problem;
  bool failed = false;  // an endpoint whose port was chosen on purpose is off: the start fails
};
// Starts it detached (DIR/gateway.pid, DIR/gateway.log) and waits up to `wait_s` until it listens. A port chosen
// on purpose (`*_chosen`: given as an option or stored in hub.json unlike the default) that cannot be served
// fails the start; the default 443 / 5671 failing (a normal user, a busy port) only turns that endpoint off.
GatewayStart start_gateway(const std::filesystem::path& dir, const HubConfig& config, bool service_chosen,
                           bool amqp_chosen, double wait_s);
// SIGTERM (SIGKILL after wait_s) to the gateway of DIR; returns its pid, 0 when none ran.
int stop_gateway(const std::filesystem::path& dir, double wait_s);
}  // namespace picohub::cli

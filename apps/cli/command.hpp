// The `picohub` CLI is a set of verbs, one file each. A verb file registers itself with PICOHUB_COMMAND so
// main.cpp never needs editing when a verb is added.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace picohub::cli {

// Exit codes every verb uses (documented in the README).
enum ExitCode : int {
  exit_ok = 0,
  exit_failure = 1,  // the operation failed for another reason (message says why)
  exit_usage = 2,    // bad command line or input
  exit_auth = 3,     // the hub refused the credentials
  exit_network = 4,  // network or TLS failure
};

// Installs a verb on the root app. `run` is set by the verb's callback; main returns its value.
struct Command {
  int order;  // position in --help
  std::function<void(CLI::App& root, int& exit_code)> install;
};

int register_command(Command command);

}  // namespace picohub::cli

#define PICOHUB_CLI_CONCAT2(a, b) a##b
#define PICOHUB_CLI_CONCAT(a, b) PICOHUB_CLI_CONCAT2(a, b)
// Usage (at namespace scope in a verb's .cpp): PICOHUB_COMMAND(10, [](CLI::App& root, int& exit_code) { ... });
#define PICOHUB_COMMAND(order, ...)                     \
  static const int PICOHUB_CLI_CONCAT(picohub_command_, \
                                      __LINE__) = ::picohub::cli::register_command({order, __VA_ARGS__})

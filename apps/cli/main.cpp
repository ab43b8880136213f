// picohub: device simulator, SAS tools and the local hub's service verbs in one command.
#include "command.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "common/version.hpp"

namespace picohub::cli {

static std::vector<Command>& registry() {
  static std::vector<Command> commands;
  return commands;
}

int register_command(Command command) {
  registry().push_back(std::move(command));
  return static_cast<int>(registry().size());
}

}  // namespace picohub::cli

int main(int argc, char** argv) {
  using namespace picohub::cli;
  CLI::App app{"picohub: put a microcontroller on Azure IoT Hub, and run a local hub to prove it works"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "picohub " PICOHUB_VERSION);

  int exit_code = exit_ok;
  auto& commands = registry();
  std::sort(commands.begin(), commands.end(), [](const Command& a, const Command& b) { return a.order < b.order; });
  for (auto& command : commands) command.install(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return exit_usage;
  }
  return exit_code;
}

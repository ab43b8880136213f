// The data dir's ownership rule (src/hub/data_dir): who runs the broker and the modes that follow from it.
#include "hub/data_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace picohub::hub;
namespace fs = std::filesystem;

namespace {

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

struct Scratch {
  fs::path root = fs::temp_directory_path() / ("picohub-datadir-" + std::to_string(getpid()));
  Scratch() {
    fs::create_directories(root);
    fs::permissions(root, fs::perms(0755));
  }
  ~Scratch() { fs::remove_all(root); }
  fs::path file(const std::string& name) {
    std::ofstream(root / name) << "x";
    fs::permissions(root / name, fs::perms(0644));
    return root / name;
  }
};

bool mosquitto_user_exists() { return getpwnam("mosquitto") != nullptr; }

TEST(DataDirOwnership, ANormalUserKeepsEverythingPrivate) {
  if (geteuid() == 0) GTEST_SKIP() << "runs as a normal user (tests/integration/hub_cli_start_anyone.sh covers both)";
  Scratch s;
  auto own = decide_ownership(s.root, s.file("plugin.so"));
  EXPECT_FALSE(own.as_root);
  EXPECT_FALSE(own.shares_with_broker_group());
  std::string why;
  ASSERT_TRUE(secure_file(s.file("hub.json"), own, true, why)) << why;
  ASSERT_TRUE(secure_file(s.file("ca.crt"), own, false, why)) << why;
  ASSERT_TRUE(secure_dir(s.root, own, why)) << why;
  EXPECT_EQ(mode_of(s.root / "hub.json"), 0600u);
  EXPECT_EQ(mode_of(s.root / "ca.crt"), 0644u);
  EXPECT_EQ(mode_of(s.root), 0700u);
  fs::permissions(s.root, fs::perms(0755));
}

TEST(DataDirOwnership, RootSharesSecretsWithMosquittoWhenItCanReachTheDataDir) {
  if (geteuid() != 0 || !mosquitto_user_exists()) GTEST_SKIP() << "needs root and a mosquitto user";
  Scratch s;
  const fs::path dir = s.root / "data";
  fs::create_directories(dir);
  auto own = decide_ownership(dir, s.file("plugin.so"));
  ASSERT_TRUE(own.as_root);
  ASSERT_EQ(own.broker_user, "mosquitto") << own.why_root;
  EXPECT_TRUE(own.shares_with_broker_group());
  std::ofstream(dir / "hub.json") << "{}";
  std::string why;
  ASSERT_TRUE(secure_file(dir / "hub.json", own, true, why)) << why;
  ASSERT_TRUE(secure_dir(dir, own, why)) << why;
  EXPECT_EQ(mode_of(dir / "hub.json"), 0640u);
  EXPECT_EQ(mode_of(dir), 0770u);
  struct stat st {};
  ASSERT_EQ(stat((dir / "hub.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, own.broker_gid);
}

TEST(DataDirOwnership, RootKeepsTheBrokerAsRootAndSaysWhyWhenAParentIsClosed) {
  if (geteuid() != 0 || !mosquitto_user_exists()) GTEST_SKIP() << "needs root and a mosquitto user";
  Scratch s;
  const fs::path closed = s.root / "closed";
  const fs::path dir = closed / "data";
  fs::create_directories(dir);
  fs::permissions(closed, fs::perms(0700));  // like /root
  auto own = decide_ownership(dir, s.file("plugin.so"));
  EXPECT_TRUE(own.as_root);
  EXPECT_EQ(own.broker_user, "root");
  EXPECT_FALSE(own.shares_with_broker_group());
  EXPECT_NE(own.why_root.find("cannot enter " + closed.string()), std::string::npos) << own.why_root;
  std::ofstream(dir / "server.key") << "k";
  std::string why;
  ASSERT_TRUE(secure_file(dir / "server.key", own, true, why)) << why;
  EXPECT_EQ(mode_of(dir / "server.key"), 0600u);
}

TEST(DataDirOwnership, RootKeepsTheBrokerAsRootWhenThePluginIsUnreadable) {
  if (geteuid() != 0 || !mosquitto_user_exists()) GTEST_SKIP() << "needs root and a mosquitto user";
  Scratch s;
  auto plugin = s.file("plugin.so");
  fs::permissions(plugin, fs::perms(0600));
  auto own = decide_ownership(s.root, plugin);
  EXPECT_EQ(own.broker_user, "root");
  EXPECT_NE(own.why_root.find("cannot read the plugin"), std::string::npos) << own.why_root;
}

}  // namespace

#include "hub/data_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace picohub::hub;

namespace {

mode_t mode_of(const std::string& path) {
  struct stat st{};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(DataDir, RuleDependsOnWhetherWeAreRoot) {
  std::string error;
  auto r = broker_run_as(error);
  if (geteuid() == 0 && getgrnam("mosquitto") == nullptr) {
    EXPECT_FALSE(r);
    return;
  }
  ASSERT_TRUE(r) << error;
  if (geteuid() == 0) {
    EXPECT_EQ(r->user_line, "user mosquitto");
    EXPECT_EQ(r->dir_mode, 0770u);
    EXPECT_EQ(r->secret_mode, 0640u);
  } else {
    EXPECT_EQ(r->user_line, "");
    EXPECT_EQ(r->dir_mode, 0700u);
    EXPECT_EQ(r->secret_mode, 0600u);
  }
}

TEST(DataDir, AppliesModesToSecretsAndCertificates) {
  std::string error;
  auto rule = broker_run_as(error);
  if (!rule) GTEST_SKIP() << error;
  auto dir = (std::filesystem::temp_directory_path() / ("picohub-datadir-" + std::to_string(getpid()))).string();
  std::filesystem::create_directories(dir);
  for (const char* f : {"hub.json", "server.key", "ca.key", "ca.crt", "server.crt"}) std::ofstream(dir + "/" + f) << "x";
  chmod((dir + "/ca.key").c_str(), 0666);
  EXPECT_FALSE(apply_data_dir_permissions(dir));
  EXPECT_EQ(mode_of(dir), rule->dir_mode);
  EXPECT_EQ(mode_of(dir + "/hub.json"), rule->secret_mode);
  EXPECT_EQ(mode_of(dir + "/server.key"), rule->secret_mode);
  EXPECT_EQ(mode_of(dir + "/ca.key"), 0600u);
  EXPECT_EQ(mode_of(dir + "/ca.crt"), 0644u);
  if (geteuid() == 0) {
    struct stat st{};
    ASSERT_EQ(stat((dir + "/hub.json").c_str(), &st), 0);
    EXPECT_EQ(st.st_gid, rule->group);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace

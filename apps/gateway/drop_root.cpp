#include "drop_root.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace picohub::gateway {

namespace {

struct Target {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
};

// The user the data dir says the service side runs as; nullopt-like uid 0 when none.
Target target_of(const struct stat& st) {
  Target t;
  if (st.st_uid != 0) {
    t.uid = st.st_uid;
    const passwd* pw = ::getpwuid(st.st_uid);
    t.gid = pw != nullptr ? pw->pw_gid : st.st_gid;
    t.name = pw != nullptr ? pw->pw_name : std::to_string(st.st_uid);
    return t;
  }
  if (st.st_gid == 0) return t;
  const group* gr = ::getgrgid(st.st_gid);
  const passwd* pw = gr != nullptr ? ::getpwnam(gr->gr_name) : nullptr;
  if (pw == nullptr || pw->pw_uid == 0) return t;
  t.uid = pw->pw_uid;
  t.gid = st.st_gid;
  t.name = pw->pw_name;
  return t;
}

}  // namespace

DropResult drop_root(const std::filesystem::path& data_dir) {
  if (::geteuid() != 0) return {};
  struct stat st {};
  if (::stat(data_dir.c_str(), &st) != 0) {
    return {false, "cannot stat " + data_dir.string() + ": " + std::strerror(errno)};
  }
  const Target t = target_of(st);
  if (t.uid == 0) return {true, "stays root: " + data_dir.string() + " belongs to root alone"};
  // Groups first, then the group, then the user: after setuid nothing else may change.
  if (::setgroups(0, nullptr) != 0 || ::setgid(t.gid) != 0 || ::setuid(t.uid) != 0) {
    return {false, "cannot become user " + t.name + ": " + std::strerror(errno)};
  }
  if (::setuid(0) == 0) return {false, "could become root again after switching to " + t.name};
  return {true, "runs as user " + t.name + " (uid " + std::to_string(t.uid) + ") after binding its ports"};
}

}  // namespace picohub::gateway

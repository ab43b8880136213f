#include "web_files.hpp"

#include <array>
#include <utility>

#include "iothub/url_encoding.hpp"

namespace picohub::gateway {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kWebPrefix = "/web/";
constexpr std::string_view kUplotPrefix = "/vendor/uplot/";

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

// The relative path's segments, or empty with `why` when one of them could reach outside the root.
std::vector<std::string> safe_segments(std::string_view decoded, std::string& why) {
  std::vector<std::string> out;
  std::string segment;
  const std::string text = std::string(decoded) + "/";
  for (char c : text) {
    if (c == '\\' || c == '\0') {
      why = "backslashes and NULs are not allowed in a path";
      return {};
    }
    if (c != '/') {
      segment += c;
      continue;
    }
    if (segment.empty()) continue;
    if (segment == "." || segment == ".." || segment.front() == '.') {
      why = "'" + segment + "' is not allowed in a path";
      return {};
    }
    out.push_back(std::move(segment));
    segment.clear();
  }
  if (out.empty()) why = "no file named";
  return out;
}

bool is_within(const fs::path& file, const fs::path& root) {
  std::error_code ec;
  const fs::path real_root = fs::canonical(root, ec);
  if (ec) return false;
  const fs::path real_file = fs::canonical(file, ec);
  if (ec) return false;
  auto r = real_root.begin();
  auto f = real_file.begin();
  for (; r != real_root.end(); ++r, ++f) {
    if (f == real_file.end() || *r != *f) return false;
  }
  return true;
}

}  // namespace

std::vector<fs::path> web_dir_candidates(std::string_view env, const fs::path& exe_dir,
                                         const fs::path& source_web_dir) {
  if (!env.empty()) return {fs::path(env)};
  std::vector<fs::path> out;
  if (!exe_dir.empty()) {
    out.push_back(exe_dir / "web");
    out.push_back(exe_dir / ".." / ".." / "share" / "picohub" / "web");
  }
  if (!source_web_dir.empty()) out.push_back(source_web_dir);
  return out;
}

fs::path find_web_dir(const std::vector<fs::path>& candidates) {
  for (const auto& dir : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(dir / "index.html", ec)) return fs::weakly_canonical(dir, ec);
  }
  return {};
}

bool is_static_route(std::string_view target) {
  const std::string_view path = path_of(target);
  return path == "/" || path == "/index.html" || path.starts_with(kWebPrefix) || path.starts_with(kUplotPrefix);
}

std::string content_type_for(const fs::path& file) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".json", "application/json; charset=utf-8"},
  }};
  const std::string ext = file.extension().string();
  for (const auto& [e, type] : kTypes) {
    if (ext == e) return std::string(type);
  }
  return {};
}

StaticLookup resolve_static(std::string_view target, const fs::path& web_dir) {
  StaticLookup out;
  const std::string_view raw = path_of(target);
  std::string buffer(raw.size(), '\0');
  auto decoded = iothub::url_decode(raw, buffer);
  if (!decoded) {
    out.status = 403;
    out.why = "the path has a broken %-escape";
    return out;
  }
  const std::string_view path = *decoded;
  fs::path root = web_dir;
  std::string_view relative = "index.html";
  if (path.starts_with(kUplotPrefix)) {
    root = web_dir / "node_modules" / "uplot" / "dist";
    relative = path.substr(kUplotPrefix.size());
  } else if (path.starts_with(kWebPrefix)) {
    relative = path.substr(kWebPrefix.size());
  } else if (path != "/" && path != "/index.html") {
    out.why = "not a dashboard path";
    return out;
  }
  const auto segments = safe_segments(relative, out.why);
  if (segments.empty()) {
    out.status = out.why == "no file named" ? 404 : 403;
    return out;
  }
  fs::path file = root;
  for (const auto& s : segments) file /= s;
  out.content_type = content_type_for(file);
  std::error_code ec;
  if (out.content_type.empty() || !fs::is_regular_file(file, ec)) {
    out.why = "no such dashboard file";
    return out;
  }
  if (!is_within(file, root)) {
    out.status = 403;
    out.why = "the file is outside the dashboard's directory";
    return out;
  }
  out.status = 200;
  out.file = file;
  return out;
}

}  // namespace picohub::gateway

// Where the dashboard's files are and which file a request names (docs/service-api.md, "Dashboard"). Pure path
// logic, unit-tested: the gateway serves only files under the web directory, never a path that climbs out of it.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace picohub::gateway {

// The web directory: the first of `candidates` (in order) that holds index.html; empty when none does.
std::filesystem::path find_web_dir(const std::vector<std::filesystem::path>& candidates);

// The places to look, in order: $PICOHUB_WEB (`env`, may be empty), beside the executable (`exe_dir`/web, an
// installed <prefix>/lib/picohub), <prefix>/share/picohub/web, then the source tree (`source_web_dir`).
std::vector<std::filesystem::path> web_dir_candidates(std::string_view env, const std::filesystem::path& exe_dir,
                                                      const std::filesystem::path& source_web_dir);

// True for the paths the dashboard owns ("/", "/index.html", "/web/...", "/vendor/uplot/..."); everything else
// belongs to the REST API. `target` may carry a query.
bool is_static_route(std::string_view target);

struct StaticLookup {
  int status = 404;  // 200: `file` exists and may be served; 403: refused (traversal); 404
  std::filesystem::path file;
  std::string content_type;
  std::string why;  // for 403/404
};

// "/" → index.html, "/web/<p>" → web_dir/<p>, "/vendor/uplot/<p>" → web_dir/node_modules/uplot/dist/<p>.
// Refuses (403) broken %-escapes, "..", ".", hidden segments, backslashes and NULs, and any file whose real
// path leaves its root (symlinks); 404 for a missing file or a type the dashboard does not use.
StaticLookup resolve_static(std::string_view target, const std::filesystem::path& web_dir);

// "text/javascript; charset=utf-8" for ".js", ...; empty for an extension the dashboard does not serve.
std::string content_type_for(const std::filesystem::path& file);

}  // namespace picohub::gateway

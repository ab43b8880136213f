// Which file a dashboard path names, with the traversals and odd paths the gateway must refuse, on a real
// temporary tree (a symlink that leaves the root included).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "web_files.hpp"

namespace {

namespace fs = std::filesystem;
using picohub::gateway::find_web_dir;
using picohub::gateway::is_static_route;
using picohub::gateway::resolve_static;
using picohub::gateway::web_dir_candidates;

struct WebFilesTest : ::testing::Test {
  fs::path base, web;
  void SetUp() override {
    base = fs::temp_directory_path() / ("picohub-web-test-" + std::to_string(::getpid()));
    fs::remove_all(base);
    web = base / "web";
    fs::create_directories(web / "js");
    fs::create_directories(web / "node_modules" / "uplot" / "dist");
    write(web / "index.html", "<!doctype html>");
    write(web / "js" / "app.js", "export {}");
    write(web / "dashboard.css", "body{}");
    write(web / "notes.txt", "not served");
    write(web / ".hidden.js", "x");
    write(web / "node_modules" / "uplot" / "dist" / "uPlot.esm.js", "export default 1");
    write(web / "node_modules" / "uplot" / "package.json", "{}");
    write(base / "secret.json", "{\"key\":1}");
    fs::create_symlink(base / "secret.json", web / "js" / "leak.json");
  }
  void TearDown() override { fs::remove_all(base); }
  static void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }
};

TEST_F(WebFilesTest, RootIsTheIndexPage) {
  const auto found = resolve_static("/", web);
  ASSERT_EQ(found.status, 200) << found.why;
  EXPECT_EQ(found.file, web / "index.html");
  EXPECT_EQ(found.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(resolve_static("/index.html?x=1", web).status, 200);
}

TEST_F(WebFilesTest, ModulesAndStylesHaveTheirTypes) {
  const auto js = resolve_static("/web/js/app.js?v=2", web);
  ASSERT_EQ(js.status, 200);
  EXPECT_EQ(js.file, web / "js" / "app.js");
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(resolve_static("/web/dashboard.css", web).content_type, "text/css; charset=utf-8");
  EXPECT_EQ(resolve_static("/web/js//app.js", web).status, 200);  // empty segments collapse
}

TEST_F(WebFilesTest, UplotComesFromItsDistFolderOnly) {
  const auto found = resolve_static("/vendor/uplot/uPlot.esm.js", web);
  ASSERT_EQ(found.status, 200);
  EXPECT_EQ(found.file, web / "node_modules" / "uplot" / "dist" / "uPlot.esm.js");
  EXPECT_EQ(resolve_static("/vendor/uplot/../package.json", web).status, 403);
  EXPECT_EQ(resolve_static("/vendor/uplot/uPlot.min.css", web).status, 404);  // not installed in this tree
}

TEST_F(WebFilesTest, TraversalIsRefused) {
  for (const char* target :
       {"/web/../secret.json", "/web/%2e%2e/secret.json", "/web/%2E%2E%2Fsecret.json", "/web/js/..%2f..%2fsecret.json",
        "/web/./index.html", "/web/..\\secret.json", "/web/%00index.html", "/web/.hidden.js", "/web/%zz",
        "/vendor/uplot/%2e%2e/%2e%2e/%2e%2e/secret.json"}) {
    EXPECT_EQ(resolve_static(target, web).status, 403) << target;
  }
}

TEST_F(WebFilesTest, SymlinkOutOfTheRootIsRefused) {
  const auto found = resolve_static("/web/js/leak.json", web);
  EXPECT_EQ(found.status, 403);
  EXPECT_TRUE(found.file.empty());
}

TEST_F(WebFilesTest, MissingFilesAndUnservedTypesAre404) {
  EXPECT_EQ(resolve_static("/web/js/nothing.js", web).status, 404);
  EXPECT_EQ(resolve_static("/web/notes.txt", web).status, 404);
  EXPECT_EQ(resolve_static("/web/", web).status, 404);
  EXPECT_EQ(resolve_static("/devices", web).status, 404);
}

TEST_F(WebFilesTest, StaticRoutesLeaveTheRestApiAlone) {
  EXPECT_TRUE(is_static_route("/"));
  EXPECT_TRUE(is_static_route("/?api-version=1"));
  EXPECT_TRUE(is_static_route("/web/js/app.js"));
  EXPECT_TRUE(is_static_route("/vendor/uplot/uPlot.esm.js"));
  for (const char* rest :
       {"/devices", "/devices/web", "/twins/x", "/statistics/devices", "/webx", "/vendor/other/x.js"}) {
    EXPECT_FALSE(is_static_route(rest)) << rest;
  }
}

TEST_F(WebFilesTest, WebDirIsTheFirstCandidateWithAnIndex) {
  EXPECT_EQ(find_web_dir({base / "nowhere", base, web}), fs::weakly_canonical(web));
  EXPECT_TRUE(find_web_dir({base / "nowhere", base}).empty());
}

TEST(WebDirCandidates, EnvironmentWinsThenInstalledThenSourceTree) {
  EXPECT_EQ(web_dir_candidates("/opt/web", "/usr/lib/picohub", "/src/web"), std::vector<fs::path>{"/opt/web"});
  const auto found = web_dir_candidates("", "/usr/lib/picohub", "/src/web");
  ASSERT_EQ(found.size(), 3U);
  EXPECT_EQ(found[0], fs::path("/usr/lib/picohub/web"));
  EXPECT_EQ(found[1].lexically_normal(), fs::path("/usr/share/picohub/web"));
  EXPECT_EQ(found[2], fs::path("/src/web"));
  EXPECT_EQ(web_dir_candidates("", "", "/src/web"), std::vector<fs::path>{"/src/web"});
}

}  // namespace

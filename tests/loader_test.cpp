// The loader's refusals, each proved with a deliberately bad plugin built in
// tests/bad_plugins, and misbehaving plugins that must not take the run down.
#include <gtest/gtest.h>

#include "plugins/registry.hpp"
#include "support/command.hpp"
#include "support/fixture.hpp"

using namespace tally;
using namespace tally::testing;

namespace {

std::string load_error(const std::string& name) {
  plugins::Registry registry({TALLY_TEST_BAD_PLUGIN_DIR});
  try {
    registry.load(name);
  } catch (const plugins::PluginError& e) {
    return e.what();
  }
  return "(loaded without error)";
}

}  // namespace

TEST(Loader, RefusesAnotherSdkMajorFromTheManifestNamingBothVersions) {
  std::string e = load_error("major2_manifest");
  EXPECT_NE(e.find("built against SDK 2.0"), std::string::npos) << e;
  EXPECT_NE(e.find("this tally has SDK 1.2"), std::string::npos) << e;
}

TEST(Loader, RefusesANewerMinorThanTheHost) {
  std::string e = load_error("newer_minor");
  EXPECT_NE(e.find("needs SDK 1.9"), std::string::npos) << e;
  EXPECT_NE(e.find("upgrade tally"), std::string::npos) << e;
}

TEST(Loader, RefusesALibraryWhoseSha256DiffersFromTheManifest) {
  std::string e = load_error("sha_mismatch");
  EXPECT_NE(e.find("does not match its manifest"), std::string::npos) << e;
}

TEST(Loader, RefusesAMissingLibrary) {
  std::string e = load_error("missing_library");
  EXPECT_NE(e.find("libtally_not_there.so"), std::string::npos) << e;
  EXPECT_NE(e.find("is missing"), std::string::npos) << e;
}

TEST(Loader, NegotiatesTheVersionBeforeCallingInit) {
  // The library claims 2.0 while its manifest says 1.0; its init aborts the
  // process, so getting a message back proves init was never called.
  std::string e = load_error("major2_library");
  EXPECT_NE(e.find("library is built against SDK 2.0"), std::string::npos) << e;
}

TEST(Loader, RefusesALibraryWithoutTheInitEntryPoint) {
  std::string e = load_error("no_entry");
  EXPECT_NE(e.find("no tally_plugin_init entry point"), std::string::npos) << e;
}

TEST(Loader, RefusesALibraryOfAnotherKindThanItsManifest) {
  std::string e = load_error("wrong_kind");
  EXPECT_NE(e.find("different kind"), std::string::npos) << e;
}

TEST(Loader, UnknownPluginSuggestsTheClosestName) {
  std::string e = load_error("good_metrik");
  EXPECT_NE(e.find("did you mean 'good_metric'"), std::string::npos) << e;
}

TEST(Loader, KeepsOneLoadedInstancePerPlugin) {
  plugins::Registry registry({TALLY_TEST_BAD_PLUGIN_DIR});
  auto a = registry.load("good_metric");
  auto b = registry.load("good_metric");
  EXPECT_EQ(a.get(), b.get());
}

TEST(Runner, FailingPluginsAreReportedAndTheOthersStillRun) {
  StoreFixture f;
  f.exec(
      "INSERT INTO opportunities(id, created_at, status) VALUES (1, '2025-01-10', 'open'), (2, '2025-02-10', "
      "'open')");
  auto result = f.run_config(std::string("title: t\ndata: ") + f.db_path() +
                             "\nplugin_paths: [" TALLY_TEST_BAD_PLUGIN_DIR
                             "]\n"
                             "period: {from: 2025-01-01, to: 2025-04-01}\n"
                             "metrics:\n"
                             "  - use: thrower\n"
                             "  - use: odd_thrower\n"
                             "  - use: major2_manifest\n"
                             "  - use: bad_row\n"
                             "  - use: bad_row\n    as: bad_query\n    params: {mode: query}\n"
                             "  - use: good_metric\n");
  ASSERT_EQ(result.metrics.size(), 6u);
  EXPECT_FALSE(result.metrics[0].ok);
  EXPECT_EQ(result.metrics[0].error, "boom: the plugin threw on purpose");
  EXPECT_FALSE(result.metrics[1].ok);
  EXPECT_NE(result.metrics[1].error.find("non-standard exception"), std::string::npos);
  EXPECT_FALSE(result.metrics[2].ok);
  EXPECT_NE(result.metrics[2].error.find("SDK 2.0"), std::string::npos);
  EXPECT_FALSE(result.metrics[3].ok);
  EXPECT_NE(result.metrics[3].error.find("row has 1 cells, table has 2 columns"), std::string::npos)
      << result.metrics[3].error;
  EXPECT_FALSE(result.metrics[4].ok);
  EXPECT_NE(result.metrics[4].error.find("amont"), std::string::npos) << result.metrics[4].error;
  ASSERT_TRUE(result.metrics[5].ok) << result.metrics[5].error;
  EXPECT_EQ(*kpi(result.metrics[5], "created").value, 2.0);
  // A failed metric keeps no half-built results.
  EXPECT_TRUE(result.metrics[3].tables.empty());
}

TEST(Cli, AFailedMetricGivesExitCode1AndTheOthersStillRender) {
  StoreFixture f;
  f.exec("INSERT INTO opportunities(id, created_at, status) VALUES (1, '2025-01-10', 'open')");
  std::string config = f.dir().write("c.yaml", std::string("title: t\ndata: ") + f.db_path() +
                                                   "\nplugin_paths: [" TALLY_TEST_BAD_PLUGIN_DIR
                                                   "]\n"
                                                   "period: {from: 2025-01-01, to: 2025-04-01}\n"
                                                   "metrics: [{use: thrower}, {use: good_metric}]\n");
  auto r = run_tally("run '" + config + "' --format json");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("\"status\": \"error\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("boom: the plugin threw on purpose"), std::string::npos);
  EXPECT_NE(r.out.find("\"name\": \"created\""), std::string::npos);
  EXPECT_EQ(r.err.find("terminate"), std::string::npos) << r.err;
}

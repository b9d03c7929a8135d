// Issue 13: what the host knows about a plugin library before any of its
// code runs (the note in the binary, its content hash), strip safety,
// placement and signatures, and `tally plugin install/verify`, `check`,
// `plugins` and `describe` flagging what the loader would refuse.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "plugins/binary_check.hpp"
#include "plugins/registry.hpp"
#include "plugins/trust.hpp"
#include "support/command.hpp"
#include "support/fixture.hpp"

using namespace tally;
using namespace tally::testing;
namespace fs = std::filesystem;

namespace {

const std::string kBad = TALLY_TEST_BAD_PLUGIN_DIR;

std::string load_error(const std::string& dir, const std::string& name,
                       plugins::TrustPolicy policy = plugins::TrustPolicy{}) {
  plugins::Registry registry(std::vector<std::string>{dir});
  registry.set_trust(policy);
  try {
    registry.load(name);
  } catch (const plugins::PluginError& e) {
    return e.what();
  }
  return "(loaded without error)";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Copies a bad plugin's manifest and library into `dir`.
void copy_plugin(const TempDir& dir, const std::string& name) {
  fs::copy_file(kBad + "/" + name + ".plugin.yaml", dir.file(name + ".plugin.yaml"));
  fs::copy_file(kBad + "/libtally_" + name + ".so", dir.file("libtally_" + name + ".so"));
}

// A library refused before loading leaves no marker: its constructor never ran.
std::string refused_without_running(const std::string& name) {
  TempDir dir;
  const std::string marker = dir.file("marker");
  ::setenv("TALLY_TEST_REFUSED_MARKER", marker.c_str(), 1);
  std::string e = load_error(kBad, name);
  ::unsetenv("TALLY_TEST_REFUSED_MARKER");
  EXPECT_FALSE(fs::exists(marker)) << name << ": refused code ran";
  return e;
}

void make_key_pair(const TempDir& dir, const std::string& stem) {
  auto r = run_shell("openssl genpkey -algorithm ed25519 -out '" + dir.file(stem + ".key") +
                     "' && openssl pkey -in '" + dir.file(stem + ".key") + "' -pubout -out '" +
                     dir.file(stem + ".pem") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace

// ---- the note, read from the file before any dlopen ----

TEST(PluginNote, AnotherSdkMajorInTheBinaryIsRefusedBeforeAnyOfItsCodeRuns) {
  std::string e = refused_without_running("major2_library");
  EXPECT_TRUE(contains(e, "library is built against SDK 2.0, this tally has SDK 1.2")) << e;
  EXPECT_TRUE(contains(e, "refused before loading")) << e;
}

TEST(PluginNote, ALibraryWithoutANoteIsRefusedBeforeAnyOfItsCodeRuns) {
  std::string e = refused_without_running("no_note");
  EXPECT_TRUE(contains(e, "has no Tally note")) << e;
  EXPECT_TRUE(contains(e, "tally_add_plugin()")) << e;
}

TEST(PluginNote, TheNoteNamesThePluginAndMustMatchTheManifest) {
  std::string e = load_error(kBad, "misnamed");
  EXPECT_TRUE(contains(e, "is plugin 'someone_else' (its note), not 'misnamed'")) << e;
}

TEST(PluginNote, AnUnsealedLibraryIsRefused) {
  std::string e = load_error(kBad, "unsealed");
  EXPECT_TRUE(contains(e, "is not sealed")) << e;
}

TEST(PluginNote, ATamperedLibraryIsRefused) {
  std::string e = load_error(kBad, "tampered");
  EXPECT_TRUE(contains(e, "does not match its manifest")) << e;
}

TEST(PluginNote, ATamperedLibraryWithARewrittenManifestIsCaughtByItsNote) {
  // Someone changed the code and wrote the new hash into the manifest, but
  // not into the library's note.
  TempDir dir;
  copy_plugin(dir, "tampered");
  std::string why;
  const std::string actual = plugins::content_sha256(slurp(dir.file("libtally_tampered.so")), &why);
  ASSERT_EQ(actual.size(), 64u) << why;
  std::string manifest = slurp(dir.file("tampered.plugin.yaml"));
  const size_t at = manifest.find("sha256: ");
  ASSERT_NE(at, std::string::npos);
  manifest.replace(at + 8, 64, actual);
  dir.write("tampered.plugin.yaml", manifest);
  std::string e = load_error(dir.path(), "tampered");
  EXPECT_TRUE(contains(e, "was changed after it was sealed")) << e;
}

TEST(PluginNote, TheHashInTheNoteIsTheManifestsAndCoversWhatTheLoaderMaps) {
  const std::string bytes = slurp(kBad + "/libtally_good_metric.so");
  const std::string hash = plugins::content_sha256(bytes);
  EXPECT_NE(slurp(kBad + "/good_metric.plugin.yaml").find("sha256: " + hash), std::string::npos);
  // One byte of code or data changed: another hash. A byte of the section
  // table (which the loader never reads) changed: the same.
  std::string code = bytes;
  code[0x1000 + 8] = static_cast<char>(code[0x1000 + 8] ^ 0x5a);
  EXPECT_NE(plugins::content_sha256(code), hash);
  std::string sections = bytes;
  sections[sections.size() - 1] = static_cast<char>(sections.back() ^ 0x5a);
  EXPECT_EQ(plugins::content_sha256(sections), hash);
}

// ---- strip safety ----

TEST(PluginStrip, AStrippedPluginKeepsLoadingWithItsManifest) {
  EXPECT_EQ(load_error(kBad, "stripped"), "(loaded without error)");
  EXPECT_LT(fs::file_size(kBad + "/libtally_stripped.so"), fs::file_size(kBad + "/libtally_good_metric.so"));
}

TEST(PluginStrip, EveryWayOfStrippingKeepsTheContentHash) {
  for (const std::string options :
       {"--strip-all", "--strip-unneeded", "--strip-debug",
        "--remove-section=.comment --remove-section=.note --strip-unneeded"}) {  // dh_strip
    TempDir dir;
    copy_plugin(dir, "good_metric");
    auto r = run_shell("strip " + options + " '" + dir.file("libtally_good_metric.so") + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(load_error(dir.path(), "good_metric"), "(loaded without error)") << options;
  }
}

// ---- where a plugin lies ----

TEST(PluginPlacement, AFolderWritableByEveryoneIsRefused) {
  TempDir dir;
  const std::string folder = dir.file("plugins");
  fs::create_directory(folder);
  fs::copy_file(kBad + "/good_metric.plugin.yaml", folder + "/good_metric.plugin.yaml");
  fs::copy_file(kBad + "/libtally_good_metric.so", folder + "/libtally_good_metric.so");
  ::chmod(folder.c_str(), 0777);
  std::string e = load_error(folder, "good_metric");
  EXPECT_TRUE(contains(e, "plugin folder '" + folder + "' is writable by every user (mode 0777)")) << e;
  ::chmod(folder.c_str(), 0755);
  ::chmod((folder + "/libtally_good_metric.so").c_str(), 0666);
  e = load_error(folder, "good_metric");
  EXPECT_TRUE(contains(e, "library '" + folder + "/libtally_good_metric.so' is writable by every user")) << e;
  ::chmod((folder + "/libtally_good_metric.so").c_str(), 0644);
  ::chmod((folder + "/good_metric.plugin.yaml").c_str(), 0646);
  e = load_error(folder, "good_metric");
  EXPECT_TRUE(contains(e, "manifest '" + folder + "/good_metric.plugin.yaml' is writable by every user"))
      << e;
}

TEST(PluginPlacement, ALibraryPathLeavingTheManifestsFolderIsRefused) {
  TempDir dir;
  fs::create_directory(dir.file("plugins"));
  fs::copy_file(kBad + "/libtally_good_metric.so", dir.file("libtally_good_metric.so"));
  std::string manifest = slurp(kBad + "/good_metric.plugin.yaml");
  const size_t at = manifest.find("library: ");
  manifest.replace(at, manifest.find('\n', at) - at, "library: ../libtally_good_metric.so");
  dir.write("plugins/good_metric.plugin.yaml", manifest);
  std::string e = load_error(dir.file("plugins"), "good_metric");
  EXPECT_TRUE(contains(e, "`library: ../libtally_good_metric.so` leaves the plugin's folder")) << e;
}

// ---- signatures ----

TEST(PluginSignature, RequireSignedRefusesUnsignedAndAcceptsATrustedSignature) {
  TempDir dir;
  fs::create_directory(dir.file("keys"));
  fs::create_directory(dir.file("plugins"));
  make_key_pair(dir, "author");
  fs::copy_file(dir.file("author.pem"), dir.file("keys/author.pem"));
  TempDir plugins;
  copy_plugin(plugins, "good_metric");
  plugins::TrustPolicy policy{true, dir.file("keys")};

  std::string e = load_error(plugins.path(), "good_metric", policy);
  EXPECT_TRUE(contains(e, "is not signed")) << e;
  EXPECT_TRUE(contains(e, "require_signed is on")) << e;

  auto r = run_tally("plugin sign --key '" + dir.file("author.key") + "' '" +
                     plugins.file("good_metric.plugin.yaml") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(load_error(plugins.path(), "good_metric", policy), "(loaded without error)");

  // Signed by a key nobody trusts, or the manifest changed after signing.
  make_key_pair(dir, "stranger");
  r = run_tally("plugin sign --key '" + dir.file("stranger.key") + "' '" +
                plugins.file("good_metric.plugin.yaml") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  e = load_error(plugins.path(), "good_metric", policy);
  EXPECT_TRUE(contains(e, "does not verify with any trusted key")) << e;
}

// ---- the CLI: one code path with `run` ----

TEST(PluginCli, CheckPluginsAndDescribeFlagWhatRunWouldRefuseWithTheSameMessage) {
  const std::string config_text =
      std::string("data: ") + demo_database() + "\nplugin_paths: [" + kBad +
      "]\nperiod: {from: 2025-01-01, to: 2025-04-01}\n"
      "metrics: [{use: good_metric}, {use: major2_library}, {use: newer_minor}]\n";
  TempDir dir;
  const std::string config = dir.write("c.yaml", config_text);
  auto run = run_tally("run '" + config + "' --format json");
  EXPECT_EQ(run.exit_code, 1) << run.err;
  auto check = run_tally("check '" + config + "'");
  EXPECT_EQ(check.exit_code, 1) << check.out;
  for (const std::string name : {"major2_library", "newer_minor"}) {
    plugins::Registry registry(std::vector<std::string>{kBad});
    const std::string why = registry.refusal(name);
    ASSERT_FALSE(why.empty()) << name;
    EXPECT_TRUE(contains(check.err, why)) << check.err;
    EXPECT_TRUE(contains(run.out, why)) << run.out;  // JSON leaves these messages as they are
    auto describe = run_tally("describe " + name + " --plugin-path '" + kBad + "'");
    EXPECT_EQ(describe.exit_code, 1);
    EXPECT_TRUE(contains(describe.out, "REFUSED:  " + why)) << describe.out;
  }
  EXPECT_FALSE(contains(check.err, "good_metric")) << check.err;
  auto list = run_tally("plugins --plugin-path '" + kBad + "'");
  EXPECT_EQ(list.exit_code, 1);
  EXPECT_TRUE(contains(list.out, "REFUSED: plugin 'no_note'")) << list.out;
}

TEST(PluginCli, InstallChecksAndCopiesAFolderOrATarballAndVerifyRechecks) {
  TempDir dir;
  const std::string target = dir.file("installed");
  fs::create_directory(dir.file("src"));
  fs::copy_file(kBad + "/good_metric.plugin.yaml", dir.file("src/good_metric.plugin.yaml"));
  fs::copy_file(kBad + "/libtally_stripped.so", dir.file("src/libtally_stripped.so"));
  fs::copy_file(kBad + "/stripped.plugin.yaml", dir.file("src/stripped.plugin.yaml"));
  fs::copy_file(kBad + "/libtally_good_metric.so", dir.file("src/libtally_good_metric.so"));
  auto r = run_tally("plugin install '" + dir.file("src") + "' --dir '" + target + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "installed good_metric 0.0.1 (metric, SDK 1.2")) << r.out;
  EXPECT_TRUE(fs::exists(target + "/libtally_stripped.so"));

  // A tarball with a good plugin and a tampered one: the good one goes in.
  fs::create_directory(dir.file("pack"));
  fs::create_directory(dir.file("pack/bundle"));
  for (const std::string name : {"thrower", "tampered"}) {
    fs::copy_file(kBad + "/" + name + ".plugin.yaml", dir.file("pack/bundle/" + name + ".plugin.yaml"));
    fs::copy_file(kBad + "/libtally_" + name + ".so", dir.file("pack/bundle/libtally_" + name + ".so"));
  }
  r = run_shell("tar -czf '" + dir.file("bundle.tar.gz") + "' -C '" + dir.file("pack") + "' bundle");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_tally("plugin install '" + dir.file("bundle.tar.gz") + "' --dir '" + target + "'");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.out, "installed thrower")) << r.out;
  EXPECT_TRUE(contains(r.err, "not installed: plugin 'tampered'")) << r.err;
  EXPECT_FALSE(fs::exists(target + "/tampered.plugin.yaml"));

  r = run_tally("plugin verify --dir '" + target + "'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "ok      thrower")) << r.out;
  // Changed after installing: verify says so, for that plugin.
  {
    std::fstream lib(target + "/libtally_thrower.so", std::ios::in | std::ios::out | std::ios::binary);
    lib.seekp(0x1010);
    lib.put('\x5a');
  }
  r = run_tally("plugin verify thrower --dir '" + target + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.out, "REFUSED thrower: plugin 'thrower': library")) << r.out;
  EXPECT_EQ(run_tally("plugin verify nothing_here --dir '" + target + "'").exit_code, 2);

  // Unsigned under --require-signed: refused, nothing copied.
  TempDir keys;
  r = run_tally("plugin install '" + dir.file("src") + "' --dir '" + dir.file("signed_only") +
                "' --require-signed --trusted-keys '" + keys.path() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "is not signed")) << r.err;
  EXPECT_FALSE(fs::exists(dir.file("signed_only/good_metric.plugin.yaml")));
}

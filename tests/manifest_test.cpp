// Plugin manifests: the one place params are declared, so every mistake in
// one is reported with its line:column before any library is opened.
#include "plugins/manifest.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace tally::plugins {
namespace {

const std::string kSha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

const std::string kGood = R"(name: win_loss
kind: metric
version: 1.2.3
sdk: "1.0"
library: libtally_win_loss.so
sha256: )" + kSha + R"(
summary: Won and lost deals by reason, competitor, segment and rep
needs: [opportunities, reps]
params:
  group_by: {type: enum, values: [reason, competitor, segment, product, rep], default: reason,
             doc: "what to break won/lost deals down by"}
  top_n:
    type: int
    min: 1
    max: 100
    default: 10
    doc: rows to show
  stages: {type: list, values: [won, lost], default: [won, lost], doc: "stages to count"}
  owner: {type: string, required: true, doc: "whose deals"}
)";

std::string errors(const std::string& text, bool require_build_fields = true) {
  try {
    parse_manifest_text(text, "m.plugin.yaml", require_build_fields);
  } catch (const DiagnosticError& e) {
    std::string out;
    for (const auto& d : e.diagnostics()) out += d.format() + "\n";
    return out;
  }
  return "no error";
}

// kGood with one line replaced (or removed when `replacement` is empty).
std::string with_line(const std::string& starts_with, const std::string& replacement) {
  std::string text = kGood;
  const size_t at = text.find(starts_with);
  const size_t end = text.find('\n', at);
  text.replace(at, end - at + 1, replacement.empty() ? "" : replacement + "\n");
  return text;
}

TEST(Manifest, GoodManifest) {
  Manifest m = parse_manifest_text(kGood, "/opt/plugins/win_loss.plugin.yaml", true);
  EXPECT_EQ(m.name, "win_loss");
  EXPECT_EQ(m.kind, Kind::Metric);
  EXPECT_STREQ(kind_name(m.kind), "metric");
  EXPECT_EQ(m.version, "1.2.3");
  EXPECT_EQ(m.sdk_major, 1);
  EXPECT_EQ(m.sdk_minor, 0);
  EXPECT_EQ(m.sha256, kSha);
  EXPECT_EQ(m.title, "win_loss");  // defaults to the name
  EXPECT_EQ(m.needs, (std::vector<std::string>{"opportunities", "reps"}));
  EXPECT_EQ(m.library_path(), "/opt/plugins/libtally_win_loss.so");
  ASSERT_EQ(m.params.size(), 4u);

  const ParamSpec* group_by = m.find_param("group_by");
  ASSERT_NE(group_by, nullptr);
  EXPECT_EQ(group_by->type, ParamType::Enum);
  EXPECT_STREQ(param_type_name(group_by->type), "enum");
  EXPECT_EQ(group_by->values.size(), 5u);
  EXPECT_EQ(std::get<std::string>(group_by->default_value->scalar), "reason");
  EXPECT_EQ(group_by->doc, "what to break won/lost deals down by");

  const ParamSpec* top_n = m.find_param("top_n");
  ASSERT_NE(top_n, nullptr);
  EXPECT_EQ(*top_n->min, 1);
  EXPECT_EQ(*top_n->max, 100);
  EXPECT_EQ(std::get<int64_t>(top_n->default_value->scalar), 10);

  const ParamSpec* stages = m.find_param("stages");
  ASSERT_NE(stages, nullptr);
  EXPECT_TRUE(stages->default_value->is_list);
  EXPECT_EQ(stages->default_value->list, (std::vector<std::string>{"won", "lost"}));

  EXPECT_TRUE(m.find_param("owner")->required);
  EXPECT_EQ(m.find_param("nope"), nullptr);
}

TEST(Manifest, ReadsInstalledFileAndResolvesLibrary) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("tally_manifest_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path path = dir / "win_loss.plugin.yaml";
  std::ofstream(path) << kGood;
  Manifest m = parse_manifest_file(path.string());
  EXPECT_EQ(m.manifest_path, path.string());
  EXPECT_EQ(m.library_path(), (dir / "libtally_win_loss.so").string());
  fs::remove_all(dir);

  try {
    parse_manifest_file((dir / "missing.plugin.yaml").string());
    FAIL() << "expected an error";
  } catch (const DiagnosticError& e) {
    EXPECT_EQ(std::string(e.what()),
              (dir / "missing.plugin.yaml").string() + ": cannot read manifest: No such file or directory");
  }
}

TEST(Manifest, SourceTreeManifestNeedsNoBuildFields) {
  std::string text = with_line("sdk:", "");
  text = text.substr(0, text.find("library:")) + text.substr(text.find("summary:"));
  Manifest m = parse_manifest_text(text, "plugins/metric/win_loss/win_loss.plugin.yaml", false);
  EXPECT_EQ(m.library, "");
  EXPECT_EQ(
      errors(text, true),
      "m.plugin.yaml:1:1: manifest is missing `sdk:` (the SDK version it was built with, like \"1.0\"; the "
      "build fills it in)\n"
      "m.plugin.yaml:1:1: manifest is missing `library:` (the library's file name; the build fills it in)\n"
      "m.plugin.yaml:1:1: manifest is missing `sha256:` (the library's sha256; the build fills it in)\n");
}

TEST(Manifest, MissingDoc) {
  EXPECT_EQ(errors(with_line("  owner:", "  owner: {type: string}")),
            "m.plugin.yaml:19:3: param 'owner' needs `doc:`, a sentence on what it does (the docs and `tally "
            "describe` show it)\n");
}

TEST(Manifest, BadSha256) {
  EXPECT_EQ(errors(with_line("sha256:", "sha256: abc123")),
            "m.plugin.yaml:6:9: sha256 must be 64 hex digits; got 'abc123' (6 characters)\n");
  const std::string upper = "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF";
  EXPECT_EQ(parse_manifest_text(with_line("sha256:", "sha256: " + upper), "m", true).sha256, kSha);
}

TEST(Manifest, BadKindAndVersionAndSdk) {
  std::string text = with_line("kind:", "kind: metrc");
  text = text.replace(text.find("1.2.3"), 5, "1.2");
  text = text.replace(text.find("\"1.0\""), 5, "one");
  EXPECT_EQ(errors(text),
            "m.plugin.yaml:2:7: unknown kind 'metrc'; did you mean 'metric'? valid: metric, report, source\n"
            "m.plugin.yaml:3:10: version must be semver MAJOR.MINOR.PATCH, like 1.0.0; got '1.2'\n"
            "m.plugin.yaml:4:6: sdk must be MAJOR.MINOR, like \"1.0\"; got 'one'\n");
}

TEST(Manifest, DefaultNotInEnum) {
  EXPECT_EQ(
      errors(with_line("  group_by:", "  group_by: {type: enum, values: [reason, rep], default: reasn,")),
      "m.plugin.yaml:10:58: default for param 'group_by': 'reasn' is not allowed; did you mean 'reason'? "
      "valid: reason, rep\n");
}

TEST(Manifest, DefaultOutOfRangeAndWrongType) {
  EXPECT_EQ(errors(with_line("    default: 10", "    default: 1000")),
            "m.plugin.yaml:16:14: default for param 'top_n': 1000 is above the maximum 100\n");
  EXPECT_EQ(errors(with_line("    default: 10", "    default: many")),
            "m.plugin.yaml:16:14: default for param 'top_n': expected a whole number, got 'many'\n");
}

TEST(Manifest, UnknownKeysAndTypes) {
  const std::string text =
      with_line("  owner:", "  owner: {type: text, requird: true, doc: \"whose deals\"}");
  EXPECT_EQ(
      errors(text + "autor: me\n"),
      "m.plugin.yaml:19:17: unknown type 'text' for param 'owner'; valid: string, int, number, bool, enum, "
      "list, date, path\n"
      "m.plugin.yaml:19:23: unknown key 'requird' in param 'owner'; did you mean 'required'? valid: type, "
      "default, values, min, max, required, doc\n"
      "m.plugin.yaml:20:1: unknown key 'autor'; valid: name, kind, version, sdk, library, sha256, summary, "
      "title, needs, extensions, params, kpis\n");
}

TEST(Manifest, ParamSpecConsistency) {
  const std::string base = "name: x\nkind: report\nversion: 1.0.0\nsummary: s\nparams:\n";
  EXPECT_EQ(errors(base + "  a: {type: enum, doc: d}\n", false),
            "m.plugin.yaml:6:13: param 'a': an enum needs `values:`, like values: [a, b]\n");
  EXPECT_EQ(errors(base + "  a: {type: string, min: 1, doc: d}\n", false),
            "m.plugin.yaml:6:21: param 'a': min is only for int and number params\n");
  EXPECT_EQ(errors(base + "  a: {type: int, min: 5, max: 1, doc: d}\n", false),
            "m.plugin.yaml:6:31: param 'a': max 1 is below min 5\n");
  EXPECT_EQ(errors(base + "  a: {type: int, required: true, default: 3, doc: d}\n", false),
            "m.plugin.yaml:6:34: param 'a' is required, so it cannot have a default\n");
  EXPECT_EQ(errors(base + "  a: {type: bool, default: nope, doc: d}\n", false),
            "m.plugin.yaml:6:28: default for param 'a': expected true or false, got 'nope'\n");
  EXPECT_EQ(errors(base + "extensions: [csv]\n", false),
            "m.plugin.yaml:6:1: extensions is only for source plugins; this is a report plugin\n");
}

TEST(Manifest, YamlSyntaxError) {
  EXPECT_EQ(errors("name: x\nkind: [metric\n"),
            "m.plugin.yaml:3:1: invalid YAML: end of sequence flow not found\n");
}

TEST(ConvertParam, ScalarsAndLists) {
  ParamSpec spec;
  spec.name = "n";
  spec.type = ParamType::Number;
  std::string error;
  ParamValue raw;
  raw.scalar = std::string("2.5");
  EXPECT_DOUBLE_EQ(std::get<double>(convert_param(spec, raw, error)->scalar), 2.5);
  raw.scalar = std::string("");
  EXPECT_FALSE(convert_param(spec, raw, error));
  EXPECT_EQ(error, "expected a number, got ''");

  spec.type = ParamType::List;
  raw.scalar = std::string("one");
  auto list = convert_param(spec, raw, error);
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->is_list);
  EXPECT_EQ(list->list, (std::vector<std::string>{"one"}));

  spec.type = ParamType::Bool;
  raw.scalar = std::string("No");
  EXPECT_EQ(std::get<int64_t>(convert_param(spec, raw, error)->scalar), 0);
}

}  // namespace
}  // namespace tally::plugins

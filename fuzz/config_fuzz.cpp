// Fuzz target: report config text -> the config loader and its validation
// against the manifests of the plugins in the source tree.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common.hpp"
#include "config/config.hpp"
#include "plugins/manifest.hpp"

namespace {

struct Manifests {
  std::vector<tally::plugins::Manifest> all;
  std::vector<std::string> metrics, reports;
};

const Manifests& manifests() {
  static const Manifests m = [] {
    Manifests out;
    namespace fs = std::filesystem;
    for (const auto& kind : fs::directory_iterator(fs::path(TALLY_SOURCE_DIR) / "plugins")) {
      if (!kind.is_directory()) continue;
      for (const auto& plugin : fs::directory_iterator(kind.path())) {
        if (!plugin.is_directory()) continue;
        for (const auto& file : fs::directory_iterator(plugin.path())) {
          const std::string name = file.path().filename().string();
          if (name.size() < 12 || name.substr(name.size() - 12) != ".plugin.yaml") continue;
          std::ifstream in(file.path());
          std::stringstream text;
          text << in.rdbuf();
          out.all.push_back(tally::plugins::parse_manifest_text(text.str(), file.path().string(), false));
        }
      }
    }
    for (const auto& m : out.all) {
      if (m.kind == tally::plugins::Kind::Metric) out.metrics.push_back(m.name);
      if (m.kind == tally::plugins::Kind::Report) out.reports.push_back(m.name);
    }
    if (out.metrics.empty() || out.reports.empty()) {
      std::fprintf(stderr, "config fuzz: no manifests under %s/plugins\n", TALLY_SOURCE_DIR);
      std::abort();
    }
    return out;
  }();
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Manifests& known = manifests();
  const std::string path = tally_fuzz::temp_dir() + "/fuzz.yaml";  // never written: only names the text
  // A fixed environment, so ${TALLY_REGION} and ${UNSET} both have paths to take.
  const tally::config::EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "TALLY_REGION") return std::string("EMEA");
    if (name == "TALLY_FROM") return std::string("2025-01-01");
    return std::nullopt;
  };
  const tally::Date today = *tally::Date::parse("2025-06-15");
  std::vector<tally::Diagnostic> problems;
  try {
    tally::config::Config config = tally::config::load_config_text(
        std::string(tally_fuzz::as_text(data, size)), path, env, today, problems);
    auto find = [&](const std::string& name) -> const tally::plugins::Manifest* {
      for (const auto& m : known.all)
        if (m.name == name) return &m;
      return nullptr;
    };
    auto more = tally::config::validate(config, find, known.metrics, known.reports);
    for (auto& d : more) (void)d.format();
  } catch (const tally::DiagnosticError& e) {
    // The documented way a config is refused; never without saying why.
    if (e.diagnostics().empty()) __builtin_trap();
    for (const auto& d : e.diagnostics()) (void)d.format();
  }
  for (const auto& d : problems) (void)d.format();
  return 0;
}

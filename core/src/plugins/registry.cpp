#include "plugins/registry.hpp"

// Boost.DLL on std::filesystem paths.
#define BOOST_DLL_USE_STD_FS
#include <boost/dll/shared_library.hpp>
#include <boost/dll/runtime_symbol_info.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <filesystem>

#include "util/sha256.hpp"
#include "util/text.hpp"

namespace tally::plugins {

namespace fs = std::filesystem;

namespace {

std::string version_text(int major, int minor) { return std::to_string(major) + "." + std::to_string(minor); }

class DllPlugin final : public LoadedPlugin {
 public:
  DllPlugin(Manifest manifest, std::shared_ptr<boost::dll::shared_library> library, tally_plugin_info info)
      : manifest_(std::move(manifest)), library_(std::move(library)), info_(info) {}
  const Manifest& manifest() const override { return manifest_; }
  const tally_plugin_info& info() const override { return info_; }

 private:
  Manifest manifest_;
  // Keeps the code behind info_'s function pointers mapped.
  std::shared_ptr<boost::dll::shared_library> library_;
  tally_plugin_info info_;
};

}  // namespace

Registry::Registry(const std::vector<std::string>& dirs) {
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string filename = entry.path().filename().string();
      if (filename.size() > 12 && filename.ends_with(".plugin.yaml")) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      try {
        Manifest m = parse_manifest_file(file.string());
        if (find(m.name)) {
          spdlog::debug("plugin '{}' in {} is shadowed by an earlier one", m.name, file.string());
          continue;
        }
        manifests_.push_back(std::move(m));
      } catch (const DiagnosticError& e) {
        for (const auto& d : e.diagnostics()) problems_.push_back(d);
      }
    }
  }
}

Registry::~Registry() = default;

std::vector<std::string> Registry::default_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("TALLY_PLUGIN_PATH")) {
    std::string_view rest(env);
    while (!rest.empty()) {
      size_t colon = rest.find(':');
      std::string_view part = rest.substr(0, colon);
      if (!part.empty()) dirs.emplace_back(part);
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  std::error_code ec;
  fs::path exe = boost::dll::program_location(ec);
  if (!ec) {
    fs::path beside = exe.parent_path() / "plugins";  // the build tree
    if (fs::is_directory(beside)) dirs.push_back(beside.string());
    fs::path installed = exe.parent_path().parent_path() / "lib" / "tally" / "plugins";
    if (fs::is_directory(installed)) dirs.push_back(installed.string());
  }
  dirs.emplace_back(TALLY_INSTALL_PLUGIN_DIR);
  return dirs;
}

const Manifest* Registry::find(const std::string& name) const {
  for (const auto& m : manifests_)
    if (m.name == name) return &m;
  return nullptr;
}

std::vector<const Manifest*> Registry::all() const {
  std::vector<const Manifest*> out;
  for (const auto& m : manifests_) out.push_back(&m);
  std::sort(out.begin(), out.end(), [](const Manifest* a, const Manifest* b) { return a->name < b->name; });
  return out;
}

std::vector<std::string> Registry::names(Kind kind) const {
  std::vector<std::string> out;
  for (const auto* m : all())
    if (m->kind == kind) out.push_back(m->name);
  return out;
}

std::shared_ptr<LoadedPlugin> Registry::load(const std::string& name) {
  std::lock_guard lock(mutex_);
  if (auto it = loaded_.find(name); it != loaded_.end()) return it->second;

  const Manifest* manifest = find(name);
  if (!manifest) {
    std::vector<std::string> known;
    for (const auto& m : manifests_) known.push_back(m.name);
    std::string hint = closest_match(name, known);
    throw PluginError("unknown plugin '" + name + "'" + (hint.empty() ? "" : "; did you mean '" + hint + "'?") +
                      " installed: " + (known.empty() ? "none" : join(known, ", ")));
  }
  const std::string where = manifest->manifest_path;
  const std::string host_version = version_text(TALLY_SDK_VERSION_MAJOR, TALLY_SDK_VERSION_MINOR);

  // 1. The manifest's claims, before the library is touched at all.
  if (manifest->sdk_major != TALLY_SDK_VERSION_MAJOR)
    throw PluginError("plugin '" + name + "' is built against SDK " +
                      version_text(manifest->sdk_major, manifest->sdk_minor) + ", this tally has SDK " +
                      host_version + "; plugins must use SDK major " + std::to_string(TALLY_SDK_VERSION_MAJOR) +
                      " (" + where + ")");
  if (manifest->sdk_minor > TALLY_SDK_VERSION_MINOR)
    throw PluginError("plugin '" + name + "' needs SDK " + version_text(manifest->sdk_major, manifest->sdk_minor) +
                      ", newer than this tally's SDK " + host_version + "; upgrade tally (" + where + ")");

  const std::string library_path = manifest->library_path();
  if (!fs::exists(library_path))
    throw PluginError("plugin '" + name + "': library '" + library_path + "' named in " + where + " is missing");
  auto digest = sha256_file(library_path);
  if (!digest) throw PluginError("plugin '" + name + "': cannot read library '" + library_path + "'");
  if (*digest != manifest->sha256)
    throw PluginError("plugin '" + name + "': library '" + library_path +
                      "' does not match its manifest (sha256 " + *digest + ", manifest says " + manifest->sha256 +
                      "); reinstall the plugin or rebuild it");

  // 2. Open it, and negotiate the version before calling anything else.
  auto library = std::make_shared<boost::dll::shared_library>();
  try {
    library->load(fs::path(library_path),
                  boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    throw PluginError("plugin '" + name + "': cannot load library '" + library_path + "': " + e.what());
  }
  if (!library->has(TALLY_PLUGIN_SDK_VERSION_SYMBOL))
    throw PluginError("plugin '" + name + "': '" + library_path + "' is not a Tally plugin (no " +
                      TALLY_PLUGIN_SDK_VERSION_SYMBOL + " entry point)");
  auto sdk_version = library->get<uint32_t()>(TALLY_PLUGIN_SDK_VERSION_SYMBOL)();
  const int lib_major = static_cast<int>(TALLY_SDK_MAJOR_OF(sdk_version));
  const int lib_minor = static_cast<int>(TALLY_SDK_MINOR_OF(sdk_version));
  if (lib_major != TALLY_SDK_VERSION_MAJOR || lib_minor > TALLY_SDK_VERSION_MINOR)
    throw PluginError("plugin '" + name + "': library is built against SDK " + version_text(lib_major, lib_minor) +
                      ", this tally has SDK " + host_version + "; refused");
  if (lib_major != manifest->sdk_major || lib_minor != manifest->sdk_minor)
    throw PluginError("plugin '" + name + "': library says SDK " + version_text(lib_major, lib_minor) +
                      " but its manifest says " + version_text(manifest->sdk_major, manifest->sdk_minor) +
                      "; refused (" + where + ")");
  if (!library->has(TALLY_PLUGIN_INIT_SYMBOL))
    throw PluginError("plugin '" + name + "': '" + library_path + "' has no " + TALLY_PLUGIN_INIT_SYMBOL +
                      " entry point");

  tally_plugin_info info{};
  info.struct_size = sizeof info;
  int32_t rc = library->get<int32_t(const tally_host_api*, tally_plugin_info*)>(TALLY_PLUGIN_INIT_SYMBOL)(
      &host_api(), &info);
  if (rc != TALLY_OK) throw PluginError("plugin '" + name + "': initialisation failed (code " + std::to_string(rc) + ")");

  const int expected_kind = manifest->kind == Kind::Metric   ? TALLY_KIND_METRIC
                            : manifest->kind == Kind::Report ? TALLY_KIND_REPORT
                                                             : TALLY_KIND_SOURCE;
  if (info.kind != expected_kind)
    throw PluginError("plugin '" + name + "': library registers a different kind than its manifest's '" +
                      kind_name(manifest->kind) + "'");
  // Each table must hold at least the entries SDK 1.0 defined; later ones are optional.
  constexpr size_t metric_1_0 = offsetof(tally_metric_api, run) + sizeof(void*);
  constexpr size_t report_1_0 = offsetof(tally_report_api, render) + sizeof(void*);
  constexpr size_t source_1_0 = offsetof(tally_source_api, close) + sizeof(void*);
  bool table_ok =
      (info.kind == TALLY_KIND_METRIC && info.metric && info.metric->struct_size >= metric_1_0 && info.metric->run) ||
      (info.kind == TALLY_KIND_REPORT && info.report && info.report->struct_size >= report_1_0 &&
       info.report->render) ||
      (info.kind == TALLY_KIND_SOURCE && info.source && info.source->struct_size >= source_1_0 && info.source->open &&
       info.source->columns && info.source->next && info.source->close);
  if (!table_ok) throw PluginError("plugin '" + name + "': library returned an incomplete function table");

  spdlog::debug("loaded plugin {} {} (SDK {}) from {}", name, manifest->version, version_text(lib_major, lib_minor),
                library_path);
  auto plugin = std::make_shared<DllPlugin>(*manifest, std::move(library), info);
  loaded_[name] = plugin;
  return plugin;
}

}  // namespace tally::plugins

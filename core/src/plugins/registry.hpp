// Plugin discovery and loading. Discovery reads manifests only; a library is
// opened when a run first needs it, after its manifest's SDK version, the
// library's note and its content hash checked out (plugins/binary_check.hpp,
// on the bytes then loaded), and the version is negotiated with the library
// before anything else in it is called. A loaded library stays loaded as long as
// anything that came from it lives (each LoadedPlugin holds a reference),
// and libraries are unloaded only at shutdown.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <tally/plugin.h>

#include "plugins/isolation.hpp"
#include "plugins/manifest.hpp"
#include "plugins/plugin_error.hpp"
#include "plugins/trust.hpp"

namespace tally::plugins {

// An opened, version-checked plugin library.
class LoadedPlugin {
 public:
  virtual ~LoadedPlugin() = default;
  virtual const Manifest& manifest() const = 0;
  virtual const tally_plugin_info& info() const = 0;
};

// A folder searched for plugins. Folders from a config's `plugin_paths:` are
// `from_config`: their plugins may not take the name of an installed one
// (from any other folder) unless `override_installed`.
struct PluginDir {
  std::string path;
  bool from_config = false;
  bool override_installed = false;
  SourceLocation where;     // the config's plugin_paths entry, for messages
  IsolationSpec isolation;  // the default of its plugins (`isolation:`, `timeout:`, `memory:`)
};

// A checked library, not loaded: its bytes in a sealed memory file, for a
// child process (`isolation: process`) to load.
struct SealedImage {
  Manifest manifest;
  std::shared_ptr<const int> fd;  // closed with the last copy
  bool deepbind = false;          // links another C++ runtime
};

// TALLY_KIND_* of a manifest kind.
int32_t kind_code(Kind kind);

// A config plugin that replaces an installed one (`override: true`).
struct PluginOverride {
  std::string name;
  std::string manifest_path;  // the config's
  std::string replaced_path;  // the installed one's
};

class Registry {
 public:
  // Reads every `*.plugin.yaml` in `dirs` (missing dirs are skipped). A
  // broken manifest is kept as a problem (see problems()), not fatal: the
  // other plugins stay usable. When two dirs have a plugin of the same
  // name, the first dir wins; but a config folder's plugin with the name of
  // an installed one is a refusal (see refusals()) unless its entry says
  // `override: true`, and then it wins and is listed in overrides().
  // A manifest that is a symlink is read only when its target lies inside
  // the folder (libraries: the same rule, checked when loaded).
  explicit Registry(const std::vector<PluginDir>& dirs);
  // Every dir installed (trusted).
  explicit Registry(const std::vector<std::string>& dirs);
  ~Registry();

  // The default search path: $TALLY_PLUGIN_PATH (':'-separated), then the
  // build tree's plugins dir beside the executable, then the install dir.
  static std::vector<std::string> default_dirs();

  const Manifest* find(const std::string& name) const;
  std::vector<const Manifest*> all() const;  // sorted by name
  std::vector<std::string> names(Kind kind) const;
  const std::vector<Diagnostic>& problems() const { return problems_; }
  // Config plugins shadowing installed ones without `override: true`: a
  // config with any of these must not run.
  const std::vector<Diagnostic>& refusals() const { return refusals_; }
  const std::vector<PluginOverride>& overrides() const { return overrides_; }

  // Opens (once) and returns the plugin; throws PluginError with one clear
  // message for: unknown plugin, SDK major mismatch, newer minor than the
  // host, missing library, a note or content hash that does not match, missing entry point, init failure.
  std::shared_ptr<LoadedPlugin> load(const std::string& name);

  // Why load(name) would refuse the plugin before opening its library (the
  // same checks, the same message); empty when it would go ahead. For
  // `tally check`, `plugins` and `describe`; runs none of the plugin's code.
  std::string refusal(const std::string& name) const;

  // The same checks as load(), but the checked bytes are handed back in a
  // sealed memory file instead of being loaded here; throws PluginError.
  SealedImage sealed_image(const std::string& name) const;

  // The isolation default of the folder the plugin was found in.
  IsolationSpec isolation_default(const std::string& name) const;

  // Signatures required or not, and the trusted keys (plugins/trust.hpp).
  void set_trust(TrustPolicy policy) { trust_ = std::move(policy); }
  const TrustPolicy& trust() const { return trust_; }

 private:
  const Manifest& require(const std::string& name) const;  // throws for an unknown name
  // Every check before loading; returns the library's bytes as checked.
  std::string checked_library(const Manifest& manifest) const;

  TrustPolicy trust_;
  std::vector<Manifest> manifests_;
  std::vector<Diagnostic> problems_;
  std::vector<Diagnostic> refusals_;
  std::vector<PluginOverride> overrides_;
  std::map<std::string, std::shared_ptr<LoadedPlugin>> loaded_;
  std::map<std::string, IsolationSpec> isolation_defaults_;
  std::mutex mutex_;
};

// The host function table handed to every plugin (at host_sdk_version()).
const tally_host_api& host_api();

}  // namespace tally::plugins

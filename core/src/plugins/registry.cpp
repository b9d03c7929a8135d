// The plugin registry: finds manifests in the plugin folders, refuses what
// the loader would refuse, and loads a checked library from sealed bytes (read
// once, checked, then loaded from a sealed memory file, so what runs is what
// was checked). Over 400 lines: the sealed-bytes path (about 170 lines at the
// top) belongs with the checks that use it; it is the first to move out.
#include "plugins/registry.hpp"

// Boost.DLL on std::filesystem paths.
#define BOOST_DLL_USE_STD_FS
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <spdlog/spdlog.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "plugins/binary_check.hpp"
#include "plugins/entry_checks.hpp"
#include "plugins/plugin_call.hpp"
#include "plugins/trust.hpp"
#include "util/text.hpp"

namespace tally::plugins {

namespace fs = std::filesystem;

namespace {

std::string version_text(int major, int minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

// A library loaded from a sealed memory file. The memory file stays open as
// long as the library is loaded: its /proc/self/fd/N name is what the dynamic
// loader knows the library by, and that number must not be reused meanwhile.
struct SealedLibrary {
  boost::dll::shared_library lib;
  int fd = -1;
  SealedLibrary() = default;
  SealedLibrary(const SealedLibrary&) = delete;
  SealedLibrary& operator=(const SealedLibrary&) = delete;
  ~SealedLibrary() {
    const std::string proc_path = "/proc/self/fd/" + std::to_string(fd);
    lib.unload();
    if (fd < 0) return;
    // The dynamic loader finds a library by its name first: a library that
    // stays mapped after dlclose (C++ plugins with unique symbols are never
    // unloaded) would be returned for the next library given this fd number,
    // so its number is kept for the rest of the process.
    if (void* still = ::dlopen(proc_path.c_str(), RTLD_LAZY | RTLD_NOLOAD)) {
      ::dlclose(still);
      return;
    }
    ::close(fd);
  }
};

struct LibraryBytes {
  std::string data;
};

// Largest plugin library read; far above any real plugin.
constexpr off_t kMaxLibraryBytes = off_t{1} << 30;

std::string os_reason() {
  return std::strerror(errno);
}

// Is `path` `folder` or inside it (both canonical)?
bool is_inside(const fs::path& path, const fs::path& folder) {
  auto p = path.begin();
  for (auto f = folder.begin(); f != folder.end(); ++f, ++p)
    if (p == path.end() || *p != *f) return false;
  return true;
}

// Opens the library once and reads it through that descriptor. A library
// reached through a symlink is followed only when what was actually opened
// lies inside the manifest's (canonical) folder; otherwise it is refused.
LibraryBytes read_library(const std::string& name, const Manifest& manifest) {
  const std::string library_path = manifest.library_path();
  const std::string where = manifest.manifest_path;
  const int fd = ::open(library_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      throw PluginError("plugin '" + name + "': library '" + library_path + "' named in " + where +
                        " is missing");
    throw PluginError("plugin '" + name + "': cannot open library '" + library_path +
                      "' for reading: " + os_reason());
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  std::error_code ec;
  const fs::path opened = fs::read_symlink("/proc/self/fd/" + std::to_string(fd), ec);
  const fs::path folder = fs::canonical(fs::absolute(fs::path(where)).parent_path(), ec);
  if (!opened.empty() && !folder.empty()) {
    fs::path literal =
        fs::path(manifest.library).is_absolute() ? fs::path(manifest.library) : folder / manifest.library;
    literal = literal.lexically_normal();
    if (opened != literal) {
      // A symlink (of the library or a folder on its way) was followed.
      if (!is_inside(opened, folder))
        throw PluginError("plugin '" + name + "': library '" + library_path + "' is a symlink to '" +
                          opened.string() + "', outside the plugin folder '" + folder.string() +
                          "'; links are followed only within the folder: copy the library there (" + where +
                          ")");
      spdlog::debug("plugin {}: library {} is a link to {}, inside its folder", name, library_path,
                    opened.string());
    }
  }

  struct stat st {};
  if (::fstat(fd, &st) != 0)
    throw PluginError("plugin '" + name + "': cannot read library '" + library_path + "': " + os_reason());
  if (!S_ISREG(st.st_mode))
    throw PluginError("plugin '" + name + "': library '" + library_path + "' is not a regular file");
  if (st.st_size > kMaxLibraryBytes)
    throw PluginError("plugin '" + name + "': library '" + library_path + "' is larger than 1 GB; refused");
  LibraryBytes bytes;
  bytes.data.reserve(static_cast<size_t>(st.st_size));
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw PluginError("plugin '" + name + "': cannot read library '" + library_path + "': " + os_reason());
    }
    bytes.data.append(buffer, static_cast<size_t>(n));
    if (bytes.data.size() > static_cast<size_t>(kMaxLibraryBytes))
      throw PluginError("plugin '" + name + "': library '" + library_path + "' is larger than 1 GB; refused");
  }
  return bytes;
}

// Copies the checked bytes into a memory file and seals it against any
// change; returns its descriptor (close-on-exec).
int sealed_memory_file(const std::string& name, const std::string& library_path, const std::string& data) {
  const int fd = ::memfd_create(("tally-plugin-" + name).c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    throw PluginError("plugin '" + name + "': cannot create a memory file to load '" + library_path +
                      "' from: " + os_reason());
  struct Guard {
    int fd;
    bool keep = false;
    ~Guard() {
      if (!keep) ::close(fd);
    }
  } guard{fd};
  for (size_t done = 0; done < data.size();) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw PluginError("plugin '" + name + "': cannot copy '" + library_path +
                        "' into memory: " + os_reason());
    }
    done += static_cast<size_t>(n);
  }
  if (::fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
    throw PluginError("plugin '" + name + "': cannot seal the memory copy of '" + library_path +
                      "': " + os_reason());
  guard.keep = true;
  return fd;
}

// Has the dynamic loader load the sealed copy by its /proc/self/fd name. A
// library linking another C++ runtime (libc++) gets RTLD_DEEPBIND so its
// runtime symbols bind inside it (plugins/binary_check.hpp).
std::shared_ptr<SealedLibrary> load_sealed(const std::string& name, const std::string& library_path,
                                           const std::string& data) {
  auto sealed = std::make_shared<SealedLibrary>();
  sealed->fd = sealed_memory_file(name, library_path, data);
  const std::string proc_path = "/proc/self/fd/" + std::to_string(sealed->fd);
  auto mode = boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local;
  if (uses_another_cxx_runtime(data)) {
    mode = mode | static_cast<boost::dll::load_mode::type>(RTLD_DEEPBIND);
    spdlog::debug("plugin {}: links another C++ runtime; loaded with RTLD_DEEPBIND", name);
  }
  try {
    PluginCall call(name, "loading");  // the library's constructors run now
    sealed->lib.load(fs::path(proc_path), mode);
  } catch (const std::exception& e) {
    throw PluginError("plugin '" + name + "': cannot load library '" + library_path + "': " + e.what());
  }
  return sealed;
}

class DllPlugin final : public LoadedPlugin {
 public:
  DllPlugin(Manifest manifest, std::shared_ptr<SealedLibrary> library, tally_plugin_info info)
      : manifest_(std::move(manifest)), library_(std::move(library)), info_(info) {}
  const Manifest& manifest() const override { return manifest_; }
  const tally_plugin_info& info() const override { return info_; }

 private:
  Manifest manifest_;
  // Keeps the code behind info_'s function pointers mapped.
  std::shared_ptr<SealedLibrary> library_;
  tally_plugin_info info_;
};

}  // namespace

namespace {

std::vector<PluginDir> installed_dirs(const std::vector<std::string>& dirs) {
  std::vector<PluginDir> out;
  for (const auto& d : dirs) out.push_back(PluginDir{d, false, false, {}, {}});
  return out;
}

}  // namespace

Registry::Registry(const std::vector<std::string>& dirs) : Registry(installed_dirs(dirs)) {}

Registry::Registry(const std::vector<PluginDir>& dirs) {
  struct Found {
    Manifest manifest;
    const PluginDir* dir;
  };
  std::vector<Found> found;
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir.path, ec)) continue;
    const fs::path folder = fs::canonical(dir.path, ec);
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir.path, ec)) {
      const std::string filename = entry.path().filename().string();
      if (filename.size() > 12 && filename.ends_with(".plugin.yaml")) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      std::error_code link_ec;
      if (fs::is_symlink(file, link_ec)) {
        const fs::path target = fs::canonical(file, link_ec);
        if (link_ec || !is_inside(target, folder)) {
          problems_.push_back(
              Diagnostic{{file.string(), 0, 0},
                         "refused: the manifest is a symlink to '" +
                             (link_ec ? fs::read_symlink(file, link_ec).string() : target.string()) +
                             "', outside the plugin folder '" + folder.string() +
                             "'; links are followed only within the folder: copy the manifest there"});
          continue;
        }
      }
      try {
        found.push_back(Found{parse_manifest_file(file.string()), &dir});
      } catch (const DiagnosticError& e) {
        for (const auto& d : e.diagnostics()) problems_.push_back(d);
      }
    }
  }
  // The installed plugin of each name: the first from a folder that is not a config's.
  std::map<std::string, const Found*> installed;
  for (const auto& f : found)
    if (!f.dir->from_config) installed.emplace(f.manifest.name, &f);
  for (const auto& f : found) {
    const std::string& name = f.manifest.name;
    if (find(name)) {
      spdlog::debug("plugin '{}' in {} is shadowed by an earlier one", name, f.manifest.manifest_path);
      continue;
    }
    auto it = installed.find(name);
    std::error_code same_ec;
    if (f.dir->from_config && it != installed.end() && it->second != &f &&
        !fs::equivalent(f.manifest.manifest_path, it->second->manifest.manifest_path, same_ec)) {
      const std::string& theirs = it->second->manifest.manifest_path;
      if (!f.dir->override_installed) {
        refusals_.push_back(Diagnostic{
            f.dir->where, "plugin '" + name + "' in " + f.dir->path + " (" + f.manifest.manifest_path +
                              ") shadows the installed one at " + theirs +
                              "; add `override: true` to this plugin_paths entry ({path: " + f.dir->path +
                              ", override: true}) to use it instead, or rename it"});
        manifests_.push_back(it->second->manifest);  // the installed one stays what the name means
        continue;
      }
      overrides_.push_back(PluginOverride{name, f.manifest.manifest_path, theirs});
    }
    manifests_.push_back(f.manifest);
    if (f.dir->isolation.any()) isolation_defaults_[name] = f.dir->isolation;
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

const Manifest& Registry::require(const std::string& name) const {
  const Manifest* manifest = find(name);
  if (!manifest) {
    std::vector<std::string> known;
    for (const auto& m : manifests_) known.push_back(m.name);
    std::string hint = closest_match(name, known);
    throw PluginError("unknown plugin '" + name + "'" +
                      (hint.empty() ? "" : "; did you mean '" + hint + "'?") +
                      " installed: " + (known.empty() ? "none" : join(known, ", ")));
  }
  return *manifest;
}

std::string Registry::checked_library(const Manifest& manifest) const {
  const std::string& name = manifest.name;
  const std::string where = manifest.manifest_path;
  const uint32_t host = host_sdk_version();
  const std::string host_version = plugins::version_text(host);

  // 1. The manifest's claims, before the library is touched at all.
  if (static_cast<uint32_t>(manifest.sdk_major) != TALLY_SDK_MAJOR_OF(host))
    throw PluginError("plugin '" + name + "' is built against SDK " +
                      version_text(manifest.sdk_major, manifest.sdk_minor) + ", this tally has SDK " +
                      host_version + "; plugins must use SDK major " +
                      std::to_string(TALLY_SDK_MAJOR_OF(host)) + " (" + where + ")");
  if (static_cast<uint32_t>(manifest.sdk_minor) > TALLY_SDK_MINOR_OF(host))
    throw PluginError("plugin '" + name + "' needs SDK " +
                      version_text(manifest.sdk_major, manifest.sdk_minor) +
                      ", newer than this tally's SDK " + host_version + "; upgrade tally (" + where + ")");
  // 2. Where it lies: a folder, manifest or library others may write to, or
  // a library outside the manifest's folder, is refused; then its signature.
  check_placement(manifest);
  check_signature(manifest, trust_);

  // 3. Read the library once and check those bytes; load() loads these same
  // bytes from a sealed memory file, so swapping the file after the check
  // changes nothing that runs. The library's note (name, kind, SDK version)
  // and content hash are checked before the dynamic loader sees them, so a
  // refused library runs none of its code, not even static constructors.
  LibraryBytes bytes = read_library(name, manifest);
  check_library_bytes(name, manifest, bytes.data);
  return std::move(bytes.data);
}

std::string Registry::refusal(const std::string& name) const {
  try {
    checked_library(require(name));
    return {};
  } catch (const PluginError& e) {
    return e.what();
  }
}

std::shared_ptr<LoadedPlugin> Registry::load(const std::string& name) {
  std::lock_guard lock(mutex_);
  if (auto it = loaded_.find(name); it != loaded_.end()) return it->second;

  const Manifest* manifest = &require(name);
  const std::string where = manifest->manifest_path;
  const std::string library_path = manifest->library_path();
  LibraryBytes bytes{checked_library(*manifest)};
  auto library = load_sealed(name, library_path, bytes.data);
  if (!library->lib.has(TALLY_PLUGIN_SDK_VERSION_SYMBOL))
    throw PluginError("plugin '" + name + "': '" + library_path + "' is not a Tally plugin (no " +
                      TALLY_PLUGIN_SDK_VERSION_SYMBOL + " entry point)");
  uint32_t sdk_version = 0;
  {
    PluginCall call(name, "version check");
    sdk_version = library->lib.get<uint32_t()>(TALLY_PLUGIN_SDK_VERSION_SYMBOL)();
  }
  const uint32_t manifest_version =
      static_cast<uint32_t>((manifest->sdk_major << 16) | (manifest->sdk_minor & 0xFFFF));
  if (auto refused = library_version_refusal(name, sdk_version, manifest_version, host_sdk_version(), where);
      !refused.empty())
    throw PluginError(refused);
  if (!library->lib.has(TALLY_PLUGIN_INIT_SYMBOL))
    throw PluginError("plugin '" + name + "': '" + library_path + "' has no " + TALLY_PLUGIN_INIT_SYMBOL +
                      " entry point");

  tally_plugin_info info{};
  info.struct_size = sizeof info;
  PluginCall call(name, "initialisation");
  int32_t rc = library->lib.get<int32_t(const tally_host_api*, tally_plugin_info*)>(TALLY_PLUGIN_INIT_SYMBOL)(
      &host_api(), &info);
  if (rc != TALLY_OK)
    throw PluginError("plugin '" + name + "': initialisation failed (code " + std::to_string(rc) + ")");
  if (auto refused = plugin_info_refusal(name, info, kind_code(manifest->kind), kind_name(manifest->kind));
      !refused.empty())
    throw PluginError(refused);

  spdlog::debug("loaded plugin {} {} (SDK {}) from {}", name, manifest->version,
                plugins::version_text(sdk_version), library_path);
  auto plugin = std::make_shared<DllPlugin>(*manifest, std::move(library), info);
  loaded_[name] = plugin;
  return plugin;
}

}  // namespace tally::plugins

namespace tally::plugins {

int32_t kind_code(Kind kind) {
  return kind == Kind::Metric   ? TALLY_KIND_METRIC
         : kind == Kind::Report ? TALLY_KIND_REPORT
                                : TALLY_KIND_SOURCE;
}

IsolationSpec Registry::isolation_default(const std::string& name) const {
  auto it = isolation_defaults_.find(name);
  return it == isolation_defaults_.end() ? IsolationSpec{} : it->second;
}

SealedImage Registry::sealed_image(const std::string& name) const {
  const Manifest& manifest = require(name);
  const std::string data = checked_library(manifest);
  SealedImage image;
  image.manifest = manifest;
  image.deepbind = uses_another_cxx_runtime(data);
  image.fd = std::shared_ptr<const int>(new int(sealed_memory_file(name, manifest.library_path(), data)),
                                        [](const int* fd) {
                                          ::close(*fd);
                                          delete fd;
                                        });
  return image;
}

}  // namespace tally::plugins

// `tally plugin install|verify|sign`: putting plugins where the host finds
// them, after the same checks the loader makes (Registry::refusal), and
// re-checking them later.
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "plugins/registry.hpp"
#include "plugins/trust.hpp"
#include "util/text.hpp"

namespace tally::cli {

namespace fs = std::filesystem;

namespace {

// A temporary folder removed when it goes out of scope.
struct ScratchDir {
  std::string path;
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "tally-install-XXXXXX").string();
    if (::mkdtemp(pattern.data())) path = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

// Unpacks a .tar.gz with the system's tar (GNU tar refuses absolute names
// and `..` in member names), as the current user, without owners or modes.
bool unpack(const std::string& archive, const std::string& into, std::string& error) {
  const pid_t child = ::fork();
  if (child < 0) {
    error = "cannot start tar";
    return false;
  }
  if (child == 0) {
    ::execlp("tar", "tar", "-xzf", archive.c_str(), "-C", into.c_str(), "--no-same-owner",
             "--no-same-permissions", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    error = WIFEXITED(status) && WEXITSTATUS(status) == 127 ? "tar is not installed"
                                                            : "tar could not unpack it (see above)";
    return false;
  }
  return true;
}

// The folders holding manifests under `root` (the root itself, or one level
// down, as `tar czf x.tar.gz folder/` packs them).
std::vector<std::string> manifest_folders(const fs::path& root) {
  auto has_manifest = [](const fs::path& dir) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().filename().string().ends_with(".plugin.yaml")) return true;
    return false;
  };
  if (has_manifest(root)) return {root.string()};
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec))
    if (e.is_directory() && has_manifest(e.path())) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

void copy_into(const fs::path& from, const fs::path& dir) {
  const fs::path target = dir / from.filename();
  const fs::path staging = dir / ("." + from.filename().string() + ".installing");
  fs::copy_file(from, staging, fs::copy_options::overwrite_existing);
  fs::permissions(staging, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                               fs::perms::others_read);
  fs::rename(staging, target);  // never a half-written plugin under its own name
}

plugins::TrustPolicy policy_of(const PluginCommandArgs& args) {
  plugins::TrustPolicy policy = plugins::TrustPolicy::from_env();
  if (!args.trusted_keys.empty()) policy.keys_dir = args.trusted_keys;
  if (args.require_signed) policy.require_signed = true;
  return policy;
}

std::string install_dir(const PluginCommandArgs& args) {
  if (!args.dir.empty()) return args.dir;
  return plugins::Registry::default_dirs().back();
}

}  // namespace

int plugin_install(const PluginCommandArgs& args) {
  const std::string dir = install_dir(args);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    std::cerr << "tally plugin install: cannot create '" << dir << "': " << ec.message() << '\n';
    return kInvalid;
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0 && (st.st_mode & S_IWOTH)) {
    std::cerr << "tally plugin install: the plugin folder '" << dir
              << "' is writable by every user, so anyone could replace a plugin; refused: run `chmod o-w '"
              << dir << "'`\n";
    return kInvalid;
  }
  int failed = 0, installed = 0;
  for (const auto& path : args.paths) {
    ScratchDir scratch;
    std::vector<std::string> folders;
    if (path.ends_with(".tar.gz") || path.ends_with(".tgz")) {
      std::string error;
      if (scratch.path.empty() || !unpack(path, scratch.path, error)) {
        std::cerr << path << ": cannot unpack: " << (scratch.path.empty() ? "no temporary folder" : error)
                  << '\n';
        ++failed;
        continue;
      }
      folders = manifest_folders(scratch.path);
    } else if (fs::is_directory(path, ec)) {
      folders = manifest_folders(path);
    } else if (path.ends_with(".plugin.yaml") && fs::is_regular_file(path, ec)) {
      folders = {fs::path(path).parent_path().empty() ? "." : fs::path(path).parent_path().string()};
    } else {
      std::cerr << path << ": not a plugin folder, a *.plugin.yaml or a .tar.gz of them\n";
      ++failed;
      continue;
    }
    if (folders.empty()) {
      std::cerr << path << ": no *.plugin.yaml in it\n";
      ++failed;
      continue;
    }
    for (const auto& folder : folders) {
      plugins::Registry source({folder});
      source.set_trust(policy_of(args));
      for (const auto& d : source.problems()) {
        std::cerr << escape_for_terminal(d.format()) << '\n';
        ++failed;
      }
      for (const auto* m : source.all()) {
        if (path.ends_with(".plugin.yaml") && !fs::equivalent(m->manifest_path, path, ec)) continue;
        // The loader's own checks: SDK version, placement, signature, note, content hash.
        if (std::string why = source.refusal(m->name); !why.empty()) {
          std::cerr << "not installed: " << escape_for_terminal(why) << '\n';
          ++failed;
          continue;
        }
        try {
          copy_into(m->library_path(), dir);
          const std::string sig = plugins::signature_path(m->manifest_path);
          if (fs::exists(sig, ec)) copy_into(sig, dir);
          copy_into(m->manifest_path, dir);
        } catch (const std::exception& e) {
          std::cerr << "not installed: plugin '" << m->name << "': " << e.what() << '\n';
          ++failed;
          continue;
        }
        std::cout << "installed " << m->name << ' ' << m->version << " (" << plugins::kind_name(m->kind)
                  << ", SDK " << m->sdk_major << '.' << m->sdk_minor << ", sha256 " << m->sha256.substr(0, 16)
                  << "…) into " << dir << '\n';
        ++installed;
      }
    }
  }
  if (failed) return installed ? kSomethingFailed : kInvalid;
  return kOk;
}

int plugin_verify(const PluginCommandArgs& args) {
  std::vector<std::string> dirs = args.plugin_paths;
  if (!args.dir.empty()) dirs.push_back(args.dir);
  if (dirs.empty()) dirs = plugins::Registry::default_dirs();
  plugins::Registry registry(dirs);
  registry.set_trust(policy_of(args));
  int refused = 0, checked = 0;
  for (const auto& d : registry.problems()) {
    std::cerr << escape_for_terminal(d.format()) << '\n';
    ++refused;
  }
  for (const auto* m : registry.all()) {
    if (!args.name.empty() && m->name != args.name) continue;
    ++checked;
    if (std::string why = registry.refusal(m->name); !why.empty()) {
      std::cout << "REFUSED " << m->name << ": " << escape_for_terminal(why) << '\n';
      ++refused;
    } else {
      std::cout << "ok      " << m->name << ' ' << m->version << " (" << m->manifest_path << ")\n";
    }
  }
  if (!args.name.empty() && checked == 0) {
    std::cerr << "tally plugin verify: no plugin '" << args.name << "' in " << join(dirs, ", ") << '\n';
    return kInvalid;
  }
  return refused ? kSomethingFailed : kOk;
}

int plugin_sign(const PluginCommandArgs& args) {
  int failed = 0;
  for (const auto& manifest : args.paths) {
    try {
      std::cout << "signed " << manifest << ": " << plugins::sign_manifest(manifest, args.key) << '\n';
    } catch (const std::exception& e) {
      std::cerr << "tally plugin sign: " << e.what() << '\n';
      ++failed;
    }
  }
  return failed ? kInvalid : kOk;
}

}  // namespace tally::cli

#include "plugins/trust.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>

#include "plugins/plugin_error.hpp"

namespace tally::plugins {

namespace fs = std::filesystem;

namespace {

using PKey = std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)>;

std::string slurp(const std::string& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  ok = static_cast<bool>(in);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

void refuse_if_writable_by_others(const std::string& name, const std::string& what, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;  // missing: reported where it is read
  if (st.st_mode & S_IWOTH)
    throw PluginError("plugin '" + name + "': " + what + " '" + path + "' is writable by every user (mode " +
                      octal_mode(st.st_mode) +
                      "), so anyone could replace the plugin; refused: run `chmod o-w '" + path + "'`");
}

PKey read_key(const std::string& path, bool private_key) {
  PKey key(nullptr, &EVP_PKEY_free);
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "r"), &std::fclose);
  if (!file) return key;
  key.reset(private_key ? PEM_read_PrivateKey(file.get(), nullptr, nullptr, nullptr)
                        : PEM_read_PUBKEY(file.get(), nullptr, nullptr, nullptr));
  if (key && EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) key.reset();
  return key;
}

bool verifies(EVP_PKEY* key, const std::string& message, const std::string& signature) {
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

// The signature file's hex text as bytes; empty when it is not 128 hex digits.
std::string signature_bytes(std::string text) {
  text.erase(std::remove_if(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); }),
             text.end());
  if (text.size() != 128) return {};
  std::string out;
  for (size_t i = 0; i < text.size(); i += 2) {
    unsigned value = 0;
    if (std::sscanf(text.c_str() + i, "%2x", &value) != 1 ||
        !std::isxdigit(static_cast<unsigned char>(text[i])) ||
        !std::isxdigit(static_cast<unsigned char>(text[i + 1])))
      return {};
    out += static_cast<char>(value);
  }
  return out;
}

}  // namespace

TrustPolicy TrustPolicy::from_env() {
  TrustPolicy policy;
  if (const char* keys = std::getenv("TALLY_TRUSTED_KEYS")) policy.keys_dir = keys;
  if (const char* required = std::getenv("TALLY_REQUIRE_SIGNED"))
    policy.require_signed = std::string(required) == "1" || std::string(required) == "true";
  return policy;
}

void check_placement(const Manifest& manifest) {
  const std::string& name = manifest.name;
  const fs::path folder = fs::absolute(fs::path(manifest.manifest_path)).parent_path().lexically_normal();
  const fs::path library = fs::path(manifest.library);
  const fs::path resolved = (folder / library).lexically_normal();
  const fs::path relative = resolved.lexically_relative(folder);
  if (library.is_absolute() || relative.empty() || *relative.begin() == "..")
    throw PluginError("plugin '" + name + "': `library: " + manifest.library +
                      "` leaves the plugin's folder '" + folder.string() +
                      "'; a manifest may only name a library in its own folder (" + manifest.manifest_path +
                      ")");
  refuse_if_writable_by_others(name, "plugin folder", folder.string());
  refuse_if_writable_by_others(name, "manifest", manifest.manifest_path);
  refuse_if_writable_by_others(name, "library", resolved.string());
}

std::string signature_path(const std::string& manifest_path) {
  return manifest_path + ".sig";
}

void check_signature(const Manifest& manifest, const TrustPolicy& policy) {
  const std::string& name = manifest.name;
  const std::string sig_path = signature_path(manifest.manifest_path);
  std::error_code ec;
  const bool signed_plugin = fs::exists(sig_path, ec);
  std::vector<fs::path> key_files;
  if (!policy.keys_dir.empty())
    for (const auto& entry : fs::directory_iterator(policy.keys_dir, ec))
      if (entry.path().extension() == ".pem") key_files.push_back(entry.path());
  std::sort(key_files.begin(), key_files.end());

  if (!signed_plugin) {
    if (policy.require_signed)
      throw PluginError("plugin '" + name + "' is not signed (no " + sig_path +
                        ") and require_signed is on; refused: sign it with `tally plugin sign`");
    return;
  }
  if (key_files.empty()) {
    if (policy.require_signed)
      throw PluginError(
          "plugin '" + name + "': require_signed is on but there are no trusted keys (*.pem) in '" +
          (policy.keys_dir.empty() ? std::string("(no trusted_keys folder set)") : policy.keys_dir) +
          "'; refused");
    return;  // nothing to check it against
  }
  bool ok = false;
  const std::string manifest_text = slurp(manifest.manifest_path, ok);
  bool sig_ok = false;
  const std::string signature = signature_bytes(slurp(sig_path, sig_ok));
  if (!ok || !sig_ok || signature.empty())
    throw PluginError("plugin '" + name + "': signature file " + sig_path +
                      " is unreadable or not 128 hex digits; refused");
  for (const auto& file : key_files) {
    PKey key = read_key(file.string(), false);
    if (key && verifies(key.get(), manifest_text, signature)) return;
  }
  throw PluginError("plugin '" + name + "': its signature (" + sig_path +
                    ") does not verify with any trusted key in '" + policy.keys_dir +
                    "'; the manifest was changed after signing or another key signed it; refused");
}

std::string sign_manifest(const std::string& manifest_path, const std::string& key_path) {
  PKey key = read_key(key_path, true);
  if (!key)
    throw PluginError(key_path +
                      ": not an ed25519 private key in PEM form (openssl genpkey -algorithm ed25519)");
  bool ok = false;
  const std::string message = slurp(manifest_path, ok);
  if (!ok) throw PluginError("cannot read " + manifest_path);
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned char signature[64];
  size_t length = sizeof signature;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), signature, &length, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1)
    throw PluginError("cannot sign " + manifest_path);
  std::ostringstream hex;
  static const char* digits = "0123456789abcdef";
  for (size_t i = 0; i < length; ++i) hex << digits[signature[i] >> 4] << digits[signature[i] & 0xF];
  const std::string out = signature_path(manifest_path);
  std::ofstream file(out, std::ios::trunc);
  file << hex.str() << '\n';
  if (!file) throw PluginError("cannot write " + out);
  return out;
}

}  // namespace tally::plugins

// Whether a plugin may be trusted before its bytes are even read: where it
// lies (no folder, manifest or library that other users can write to; no
// library outside its manifest's folder) and, optionally, who signed it.
//
// A signature is `<manifest>.sig` beside the manifest: the hex ed25519
// signature of the manifest file's bytes. The manifest pins the library's
// content hash, so the signature covers the code too. Trusted public keys
// are PEM files (`*.pem`) in one folder.
#pragma once

#include <string>
#include <vector>

#include "plugins/manifest.hpp"

namespace tally::plugins {

struct TrustPolicy {
  bool require_signed = false;  // unsigned plugins are refused
  std::string keys_dir;         // trusted public keys; empty = none
  // From the environment: TALLY_TRUSTED_KEYS (a folder) and
  // TALLY_REQUIRE_SIGNED=1; a config's `trusted_keys:` and
  // `require_signed:` add to them.
  static TrustPolicy from_env();
};

// Throws PluginError when the manifest's folder, the manifest or its
// library is writable by other users, or `library:` leaves the folder.
void check_placement(const Manifest& manifest);

// Throws PluginError when the plugin is unsigned and signatures are
// required, or signed and no trusted key verifies it (signatures are only
// checked when there are trusted keys or they are required).
void check_signature(const Manifest& manifest, const TrustPolicy& policy);

// The signature file of a manifest: `<manifest path>.sig`.
std::string signature_path(const std::string& manifest_path);

// Signs `manifest_path` with the ed25519 private key in PEM file `key_path`
// and writes the signature file; returns its path. Throws PluginError.
std::string sign_manifest(const std::string& manifest_path, const std::string& key_path);

}  // namespace tally::plugins

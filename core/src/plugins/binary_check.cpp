#include "plugins/binary_check.hpp"

#include <tally/plugin.h>
#include <tally/detail/elf_image.hpp>

#include <openssl/evp.h>

#include <cstring>
#include <memory>

#include "plugins/entry_checks.hpp"
#include "plugins/plugin_error.hpp"

namespace tally::plugins {

namespace elf = sdk::detail::elf;

namespace {

// The ELF machine this host runs on: a library for another cannot load.
constexpr uint16_t host_machine() {
#if defined(__x86_64__)
  return 62;
#elif defined(__aarch64__)
  return 183;
#elif defined(__powerpc64__)
  return 21;
#elif defined(__riscv) && __riscv_xlen == 64
  return 243;
#elif defined(__s390x__)
  return 22;
#else
  return 0;  // unknown: not checked
#endif
}

std::string note_kind_name(int32_t kind) {
  switch (kind) {
    case TALLY_KIND_METRIC: return "metric";
    case TALLY_KIND_REPORT: return "report";
    case TALLY_KIND_SOURCE: return "source";
    default: return "kind " + std::to_string(kind);
  }
}

std::string digest_of(const std::string& bytes, const elf::Inspection& in) {
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return {};
  bool ok = true;
  elf::feed_covered(
      reinterpret_cast<const unsigned char*>(bytes.data()), in,
      [&](const unsigned char* data, size_t n) { ok = ok && EVP_DigestUpdate(ctx.get(), data, n) == 1; });
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!ok || EVP_DigestFinal_ex(ctx.get(), digest, &length) != 1 || length != 32) return {};
  return elf::hex(digest, length);
}

}  // namespace

std::string content_sha256(const std::string& bytes, std::string* why) {
  elf::Inspection in;
  std::string error = elf::inspect(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), in);
  if (error.empty() && !in.has_note) error = "no Tally plugin note";
  if (!error.empty()) {
    if (why) *why = error;
    return {};
  }
  return digest_of(bytes, in);
}

NoteFacts check_library_bytes(const std::string& name, const Manifest& manifest, const std::string& bytes) {
  const std::string library = "library '" + manifest.library_path() + "'";
  const std::string prefix = "plugin '" + name + "': ";
  const std::string refused = "; refused before loading (" + manifest.manifest_path + ")";
  elf::Inspection in;
  const std::string error =
      elf::inspect(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), in);
  if (!error.empty())
    throw PluginError(prefix + library + " is " + (error.rfind("not ", 0) == 0 ? "" : "unreadable: ") +
                      error + refused);
  if (host_machine() != 0 && in.machine != host_machine())
    throw PluginError(prefix + library + " is built for another processor (ELF machine " +
                      std::to_string(in.machine) + ", this tally runs on " + std::to_string(host_machine()) +
                      ")" + refused);
  if (!in.has_note)
    throw PluginError(prefix + library +
                      " has no Tally note (its name, kind, SDK version and content hash); build it with "
                      "the SDK's tally_add_plugin(), which writes and seals the note" +
                      refused);
  const tally_note_desc& note = in.note;
  if (note.format != TALLY_NOTE_FORMAT)
    throw PluginError(prefix + library + " has a Tally note of format " + std::to_string(note.format) +
                      ", this tally reads format " + std::to_string(TALLY_NOTE_FORMAT) + refused);

  NoteFacts facts;
  facts.name = note.plugin_name;
  facts.kind = note_kind_name(note.kind);
  facts.sdk_major = static_cast<int>(TALLY_SDK_MAJOR_OF(note.sdk_version));
  facts.sdk_minor = static_cast<int>(TALLY_SDK_MINOR_OF(note.sdk_version));
  facts.note_sha256 = elf::hex(note.content_sha256, 32);

  const uint32_t host = host_sdk_version();
  const std::string host_version = version_text(host);
  if (TALLY_SDK_MAJOR_OF(note.sdk_version) != TALLY_SDK_MAJOR_OF(host) ||
      TALLY_SDK_MINOR_OF(note.sdk_version) > TALLY_SDK_MINOR_OF(host))
    throw PluginError(prefix + "library is built against SDK " + version_text(note.sdk_version) +
                      ", this tally has SDK " + host_version + refused);
  if (facts.sdk_major != manifest.sdk_major || facts.sdk_minor != manifest.sdk_minor)
    throw PluginError(prefix + "library says SDK " + version_text(note.sdk_version) +
                      " but its manifest says " + std::to_string(manifest.sdk_major) + "." +
                      std::to_string(manifest.sdk_minor) + refused);
  if (!elf::is_sealed(note))
    throw PluginError(prefix + library +
                      " is not sealed (its note has no content hash); build it with tally_add_plugin(), "
                      "which seals it" +
                      refused);
  facts.content_sha256 = digest_of(bytes, in);
  if (facts.content_sha256.empty())
    throw PluginError(prefix + "cannot compute the content hash of " + library);
  if (facts.content_sha256 != manifest.sha256)
    throw PluginError(prefix + library + " does not match its manifest (sha256 " + facts.content_sha256 +
                      ", manifest says " + manifest.sha256 + "); reinstall the plugin or rebuild it" +
                      refused);
  if (facts.content_sha256 != facts.note_sha256)
    throw PluginError(prefix + library + " was changed after it was sealed (content sha256 " +
                      facts.content_sha256 + ", its note says " + facts.note_sha256 +
                      "); reinstall the plugin or rebuild it" + refused);
  if (facts.name.empty())
    throw PluginError(prefix + library +
                      " has no plugin name in its Tally note; build it with tally_add_plugin(), which sets "
                      "TALLY_PLUGIN_NAME" +
                      refused);
  if (facts.name != manifest.name)
    throw PluginError(prefix + library + " is plugin '" + facts.name + "' (its note), not '" + manifest.name +
                      "' as its manifest says" + refused);
  if (facts.kind != kind_name(manifest.kind))
    throw PluginError(prefix + "library is a " + facts.kind +
                      " plugin (its note), a different kind than its " + "manifest's '" +
                      kind_name(manifest.kind) + "'" + refused);
  return facts;
}

std::vector<std::string> needed_libraries(const std::string& bytes) {
  namespace raw = elf::raw;
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t size = bytes.size();
  std::vector<std::string> out;
  if (size < 64 ||
      std::memcmp(data,
                  "\x7f"
                  "ELF",
                  4) != 0 ||
      data[4] != 2 || data[5] != 1)
    return out;
  const uint64_t phoff = raw::read<uint64_t>(data, 32);
  const uint16_t phentsize = raw::read<uint16_t>(data, 54);
  const uint16_t phnum = raw::read<uint16_t>(data, 56);
  if (phentsize < 56 || !raw::fits(size, phoff, uint64_t{phentsize} * phnum)) return out;
  struct Load {
    uint64_t offset, vaddr, filesz;
  };
  std::vector<Load> loads;
  uint64_t dynamic_offset = 0, dynamic_size = 0;
  for (uint16_t i = 0; i < phnum; ++i) {
    const size_t ph = phoff + size_t{i} * phentsize;
    const uint32_t type = raw::read<uint32_t>(data, ph);
    const uint64_t offset = raw::read<uint64_t>(data, ph + 8);
    const uint64_t vaddr = raw::read<uint64_t>(data, ph + 16);
    const uint64_t filesz = raw::read<uint64_t>(data, ph + 32);
    if (type == 1) loads.push_back({offset, vaddr, filesz});  // PT_LOAD
    if (type == 2) {                                          // PT_DYNAMIC
      dynamic_offset = offset;
      dynamic_size = filesz;
    }
  }
  if (dynamic_size == 0 || !raw::fits(size, dynamic_offset, dynamic_size)) return out;
  uint64_t strtab = 0, strsz = 0;
  std::vector<uint64_t> needed;
  for (uint64_t at = dynamic_offset; at + 16 <= dynamic_offset + dynamic_size; at += 16) {
    const int64_t tag = raw::read<int64_t>(data, at);
    const uint64_t value = raw::read<uint64_t>(data, at + 8);
    if (tag == 0) break;                    // DT_NULL
    if (tag == 1) needed.push_back(value);  // DT_NEEDED
    if (tag == 5) strtab = value;           // DT_STRTAB
    if (tag == 10) strsz = value;           // DT_STRSZ
  }
  uint64_t strtab_offset = 0;
  bool mapped = false;
  for (const auto& l : loads)
    if (strtab >= l.vaddr && strtab < l.vaddr + l.filesz) {
      strtab_offset = strtab - l.vaddr + l.offset;
      mapped = true;
    }
  if (!mapped || !raw::fits(size, strtab_offset, strsz)) return out;
  for (uint64_t n : needed) {
    if (n >= strsz) continue;
    const char* name = reinterpret_cast<const char*>(data + strtab_offset + n);
    out.emplace_back(name, strnlen(name, strsz - n));
  }
  return out;
}

bool uses_another_cxx_runtime(const std::string& bytes) {
  for (const auto& lib : needed_libraries(bytes))
    if (lib.rfind("libc++.so", 0) == 0 || lib.rfind("libc++abi.so", 0) == 0) return true;
  return false;
}

}  // namespace tally::plugins

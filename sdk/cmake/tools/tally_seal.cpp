// The sealing step of tally_add_plugin(): writes a plugin library's content
// hash into its Tally note after linking. Built in the plugin author's own
// project from this source (C++17, no dependencies); the SHA-256 itself is
// computed by CMake's file(SHA256), so this tool never does cryptography.
//
//   tally_seal image LIB OUT   write the bytes the content hash covers to OUT
//   tally_seal patch LIB HEX   store HEX (64 hex digits) as the note's hash
//   tally_seal show LIB        print the note: name, kind, sdk, hash
#include <tally/detail/elf_image.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

namespace elf = tally::sdk::detail::elf;

namespace {

int fail(const std::string& message) {
  std::cerr << "tally_seal: " << message << "\n";
  return 1;
}

bool read_file(const std::string& path, std::vector<unsigned char>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return fail("usage: tally_seal image LIB OUT | patch LIB HEX | show LIB");
  const std::string command = argv[1], library = argv[2];
  std::vector<unsigned char> data;
  if (!read_file(library, data)) return fail("cannot read " + library);
  elf::Inspection in;
  if (std::string why = elf::inspect(data.data(), data.size(), in); !why.empty())
    return fail(library + ": " + why);
  if (!in.has_note)
    return fail(library +
                ": no Tally plugin note; register the plugin with TALLY_METRIC, TALLY_REPORT, "
                "TALLY_SOURCE or TALLY_PLUGIN_NOTE");

  if (command == "image" && argc == 4) {
    std::ofstream out(argv[3], std::ios::binary | std::ios::trunc);
    elf::feed_covered(data.data(), in, [&](const unsigned char* bytes, size_t n) {
      out.write(reinterpret_cast<const char*>(bytes), static_cast<std::streamsize>(n));
    });
    return out ? 0 : fail(std::string("cannot write ") + argv[3]);
  }
  if (command == "patch" && argc == 4) {
    const std::string text = argv[3];
    unsigned char digest[32];
    for (size_t i = 0; i < 32; ++i) {
      const int hi = text.size() == 64 ? hex_value(text[2 * i]) : -1;
      const int lo = text.size() == 64 ? hex_value(text[2 * i + 1]) : -1;
      if (hi < 0 || lo < 0) return fail("the hash must be 64 hex digits, got '" + text + "'");
      digest[i] = static_cast<unsigned char>(hi * 16 + lo);
    }
    std::fstream file(library, std::ios::binary | std::ios::in | std::ios::out);
    file.seekp(static_cast<std::streamoff>(in.hash_offset));
    file.write(reinterpret_cast<const char*>(digest), sizeof digest);
    return file ? 0 : fail("cannot write " + library);
  }
  if (command == "show") {
    std::cout << "name: " << in.note.plugin_name << "\nkind: " << in.note.kind
              << "\nsdk: " << TALLY_SDK_MAJOR_OF(in.note.sdk_version) << "."
              << TALLY_SDK_MINOR_OF(in.note.sdk_version)
              << "\ncontent_sha256: " << elf::hex(in.note.content_sha256, 32) << "\n";
    return 0;
  }
  return fail("unknown command or arguments: " + command);
}

// Reading a plugin library as the loader will map it, without loading it:
// finds the plugin note (<tally/note.h>) and lists the bytes its content
// hash covers. Shared by the sealing step of tally_add_plugin() and by the
// host, so both hash exactly the same bytes. Internal; C++17, no
// dependencies. Only 64-bit little-endian ELF (every platform Tally ships
// on); anything else is reported, never guessed at.
#pragma once

#include <tally/note.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace tally::sdk::detail::elf {

struct Range {
  size_t offset = 0;
  size_t size = 0;
};

// What inspect() learnt about a library.
struct Inspection {
  uint16_t machine = 0;        // e_machine
  bool has_note = false;       // a Tally plugin note was found
  tally_note_desc note{};      // valid when has_note
  size_t hash_offset = 0;      // file offset of note.content_sha256
  std::vector<Range> covered;  // what the content hash covers, in order
  std::vector<Range> zeroed;   // read as zeros inside `covered`
};

namespace raw {
template <typename T>
inline T read(const unsigned char* data, size_t offset) {
  T value;
  std::memcpy(&value, data + offset, sizeof value);
  return value;
}
inline bool fits(size_t size, uint64_t offset, uint64_t length) {
  return offset <= size && length <= size - offset;
}
inline uint64_t align4(uint64_t n) {
  return (n + 3) & ~uint64_t{3};
}
}  // namespace raw

// Parses `data`; returns "" on success or why the file is not a library the
// host can check (not ELF, truncated, another class or byte order).
inline std::string inspect(const unsigned char* data, size_t size, Inspection& out) {
  out = Inspection{};
  constexpr size_t kEhdr = 64, kPhdr = 56;
  if (size < kEhdr || std::memcmp(data,
                                  "\x7f"
                                  "ELF",
                                  4) != 0)
    return "not an ELF shared library";
  if (data[4] != 2 || data[5] != 1) return "not a 64-bit little-endian ELF library";
  if (raw::read<uint16_t>(data, 16) != 3) return "not a shared library (ELF type is not DYN)";
  out.machine = raw::read<uint16_t>(data, 18);
  const uint64_t phoff = raw::read<uint64_t>(data, 32);
  const uint16_t phentsize = raw::read<uint16_t>(data, 54);
  const uint16_t phnum = raw::read<uint16_t>(data, 56);
  if (phentsize != kPhdr || !raw::fits(size, phoff, uint64_t{phnum} * kPhdr))
    return "truncated or malformed program headers";

  out.covered.push_back({0, kEhdr});
  out.covered.push_back({static_cast<size_t>(phoff), size_t{phnum} * kPhdr});
  // e_shoff, e_shnum and e_shstrndx: strip rewrites the section table; the
  // loader never reads it.
  out.zeroed.push_back({40, 8});
  out.zeroed.push_back({60, 4});
  for (uint16_t i = 0; i < phnum; ++i) {
    const size_t ph = static_cast<size_t>(phoff) + size_t{i} * kPhdr;
    const uint32_t type = raw::read<uint32_t>(data, ph);
    const uint64_t offset = raw::read<uint64_t>(data, ph + 8);
    const uint64_t filesz = raw::read<uint64_t>(data, ph + 32);
    if (!raw::fits(size, offset, filesz)) return "a segment lies beyond the end of the file (truncated?)";
    if (type == 1 /* PT_LOAD */)
      out.covered.push_back({static_cast<size_t>(offset), static_cast<size_t>(filesz)});
    if (type != 4 /* PT_NOTE */) continue;
    for (uint64_t at = offset; at + 12 <= offset + filesz;) {
      const uint32_t namesz = raw::read<uint32_t>(data, at);
      const uint32_t descsz = raw::read<uint32_t>(data, at + 4);
      const uint32_t note_type = raw::read<uint32_t>(data, at + 8);
      const uint64_t name_at = at + 12;
      const uint64_t desc_at = name_at + raw::align4(namesz);
      const uint64_t next = desc_at + raw::align4(descsz);
      if (next > offset + filesz) break;
      if (note_type == TALLY_NOTE_TYPE_PLUGIN && namesz == sizeof TALLY_NOTE_OWNER &&
          std::memcmp(data + name_at, TALLY_NOTE_OWNER, sizeof TALLY_NOTE_OWNER) == 0) {
        if (out.has_note) return "more than one Tally plugin note";
        if (descsz < sizeof(tally_note_desc)) return "the Tally plugin note is too short";
        std::memcpy(&out.note, data + desc_at, sizeof out.note);
        out.note.plugin_name[TALLY_NOTE_NAME_MAX - 1] = '\0';
        out.hash_offset = static_cast<size_t>(desc_at + offsetof(tally_note_desc, content_sha256));
        out.has_note = true;
      }
      at = next;
    }
  }
  if (out.has_note) out.zeroed.push_back({out.hash_offset, 32});
  return "";
}

// Calls sink(const unsigned char*, size_t) with the covered bytes, zeroed
// ranges read as zeros.
template <typename Sink>
void feed_covered(const unsigned char* data, const Inspection& in, Sink&& sink) {
  std::vector<unsigned char> chunk;
  for (const Range& r : in.covered) {
    chunk.assign(data + r.offset, data + r.offset + r.size);
    for (const Range& z : in.zeroed) {
      const size_t from = z.offset > r.offset ? z.offset : r.offset;
      const size_t to = z.offset + z.size < r.offset + r.size ? z.offset + z.size : r.offset + r.size;
      if (from < to) std::memset(chunk.data() + (from - r.offset), 0, to - from);
    }
    sink(chunk.data(), chunk.size());
  }
}

inline std::string hex(const uint8_t* bytes, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 0xF];
  }
  return out;
}

inline bool is_sealed(const tally_note_desc& note) {
  for (uint8_t b : note.content_sha256)
    if (b != 0) return true;
  return false;
}

}  // namespace tally::sdk::detail::elf

#include "import/encoding.hpp"

#include <iconv.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace tally::import {

namespace fs = std::filesystem;

namespace {

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// iconv_t with its close.
struct Converter {
  iconv_t cd;
  explicit Converter(const std::string& from) : cd(iconv_open("UTF-8", from.c_str())) {}
  ~Converter() {
    if (ok()) iconv_close(cd);
  }
  bool ok() const { return cd != reinterpret_cast<iconv_t>(-1); }
};

}  // namespace

bool is_utf8_name(const std::string& encoding) {
  const std::string name = upper(encoding);
  return name.empty() || name == "UTF-8" || name == "UTF8";
}

bool encoding_supported(const std::string& encoding) {
  return is_utf8_name(encoding) || Converter(encoding).ok();
}

TranscodedFile::~TranscodedFile() {
  std::error_code ec;
  fs::remove(path_, ec);
}

std::shared_ptr<TranscodedFile> transcode_to_utf8(const std::string& path, const std::string& encoding) {
  Converter converter(encoding);
  if (!converter.ok()) throw std::runtime_error("cannot convert from encoding '" + encoding + "'");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot read: " + std::strerror(errno));

  std::string pattern = (fs::temp_directory_path() / "tally-import-XXXXXX.csv").string();
  const int fd = mkstemps(pattern.data(), 4);
  if (fd < 0)
    throw std::runtime_error("cannot create a temporary file to convert '" + path + "' from " + encoding);
  close(fd);
  auto copy = std::make_shared<TranscodedFile>(pattern);
  std::ofstream out(copy->path(), std::ios::binary | std::ios::trunc);

  std::vector<char> input(1 << 16), output(1 << 18);
  size_t pending = 0;  // bytes of an incomplete character carried to the next read
  uint64_t line = 1, offset = 0;
  for (;;) {
    in.read(input.data() + pending, static_cast<std::streamsize>(input.size() - pending));
    const size_t got = static_cast<size_t>(in.gcount());
    const bool at_end = got == 0;
    size_t available = pending + got;
    char* from = input.data();
    while (available > 0) {
      char* to = output.data();
      size_t room = output.size();
      const size_t rc = iconv(converter.cd, &from, &available, &to, &room);
      const size_t written = output.size() - room;
      line += static_cast<uint64_t>(std::count(output.data(), output.data() + written, '\n'));
      out.write(output.data(), static_cast<std::streamsize>(written));
      if (rc != static_cast<size_t>(-1)) continue;
      if (errno == E2BIG) continue;
      const uint64_t at = offset + static_cast<uint64_t>(from - input.data());
      if (errno == EILSEQ || (errno == EINVAL && at_end)) {
        char byte[8];
        std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(*from));
        throw std::runtime_error(path + ":" + std::to_string(line) + ": byte " + byte + " (at byte " +
                                 std::to_string(at) + " of the file) is not " +
                                 (errno == EINVAL ? "a complete character in " : "valid ") + encoding +
                                 "; check the mapping's `encoding:`");
      }
      if (errno == EINVAL) break;  // an incomplete character: wait for its other bytes
      throw std::runtime_error(path + ": cannot convert from " + encoding + ": " + std::strerror(errno));
    }
    offset += static_cast<uint64_t>(from - input.data());
    pending = available;
    if (pending > 0) std::memmove(input.data(), from, pending);
    if (at_end) break;
  }
  out.flush();
  if (!out) throw std::runtime_error("cannot write the converted copy of '" + path + "' to " + copy->path());
  return copy;
}

}  // namespace tally::import

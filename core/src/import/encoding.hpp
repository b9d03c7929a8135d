// `encoding:` in a mapping: files that are not UTF-8 (Excel's Windows-1252,
// UTF-16 with a byte order mark, Latin-1) are converted with glibc's iconv
// into a temporary UTF-8 file, which the source plugin then reads. Lines
// stay where they were, so rejects name the original's lines.
#pragma once

#include <memory>
#include <string>

namespace tally::import {

// True for the names that mean UTF-8 (no conversion needed).
bool is_utf8_name(const std::string& encoding);
// Whether iconv converts from `encoding` to UTF-8 on this system.
bool encoding_supported(const std::string& encoding);

// A converted copy, removed when the last owner lets go.
class TranscodedFile {
 public:
  explicit TranscodedFile(std::string path) : path_(std::move(path)) {}
  ~TranscodedFile();
  TranscodedFile(const TranscodedFile&) = delete;
  TranscodedFile& operator=(const TranscodedFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Throws std::runtime_error naming `path`, the line and the byte that is not
// valid in `encoding`, or why the copy could not be written.
std::shared_ptr<TranscodedFile> transcode_to_utf8(const std::string& path, const std::string& encoding);

}  // namespace tally::import

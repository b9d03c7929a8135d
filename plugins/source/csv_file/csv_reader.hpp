// A streaming RFC 4180 CSV reader: quoted fields with delimiters, quotes
// ("" inside quotes) and line breaks, CRLF or LF line ends, an optional UTF-8
// byte order mark. Input must be UTF-8; anything else is an error naming the
// line. Reads through a fixed buffer, so memory does not grow with the file.
//
// Self-contained (no SDK, no host) so its tests can include it directly.
#pragma once

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tally_csv {

// Malformed input; the message starts with "<name>:<line>: ".
class CsvError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CsvOptions {
  char delimiter = ',';
  // Longest field accepted; a longer one is almost always an unbalanced quote.
  size_t max_field_bytes = size_t{64} << 20;
  // How much is read from a file at a time. Only the fuzz target changes it,
  // to make records cross the ends of the buffer.
  size_t buffer_bytes = size_t{1} << 20;
};

class CsvReader {
 public:
  // Opens a file; throws CsvError when it cannot be read.
  CsvReader(const std::string& path, CsvOptions options);
  // Reads from memory (tests); `name` is used in messages.
  static CsvReader from_string(std::string text, CsvOptions options, std::string name = "<text>");
  ~CsvReader();
  CsvReader(CsvReader&& other) noexcept;
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;
  CsvReader& operator=(CsvReader&&) = delete;

  // Reads the next record into `fields` (reusing its strings' capacity) and
  // sets `line` to the 1-based line the record starts on. Blank lines are
  // skipped. False at the end of input. Throws CsvError.
  bool next(std::vector<std::string>& fields, uint64_t& line);

  uint64_t bytes_read() const { return consumed_total_; }
  uint64_t total_bytes() const { return total_bytes_; }  // 0 = unknown
  const std::string& name() const { return name_; }

 private:
  struct InMemory {};
  CsvReader(InMemory, std::string name, CsvOptions options);
  bool refill();  // false at end of input
  [[noreturn]] void fail(uint64_t line, const std::string& message) const;
  void check_utf8(const std::string& field, uint64_t line, size_t column) const;

  std::string name_;
  CsvOptions options_;
  std::FILE* file_ = nullptr;
  std::vector<char> buffer_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool started_ = false;          // BOM checked
  uint64_t line_ = 1;             // current physical line
  uint64_t consumed_before_ = 0;  // bytes of earlier buffers
  uint64_t consumed_total_ = 0;
  uint64_t total_bytes_ = 0;
};

// The field separator of a file whose text starts with `head`: the most
// frequent of , ; tab and | on its first line, outside quotes; a comma on a
// tie or when the line has none. Spreadsheets in many locales save "CSV" with
// semicolons, and some CRMs export tab-separated text.
char sniff_delimiter(std::string_view head);

// sniff_delimiter() over the first 64 KiB of a file (a comma when it cannot
// be read: opening it reports the error).
char sniff_file_delimiter(const std::string& path);

// The first invalid byte's offset in `text`, or npos when it is valid UTF-8.
size_t find_invalid_utf8(std::string_view text);

}  // namespace tally_csv

#include "csv_reader.hpp"

#include <sys/stat.h>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <utility>

namespace tally_csv {

char sniff_delimiter(std::string_view head) {
  if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
  static constexpr char candidates[] = {',', ';', '\t', '|'};
  size_t counts[std::size(candidates)] = {};
  bool quoted = false;
  for (char c : head) {
    if (c == '"') quoted = !quoted;  // "" inside quotes toggles twice
    if (quoted) continue;
    if (c == '\n' || c == '\r') break;
    for (size_t i = 0; i < std::size(candidates); ++i)
      if (c == candidates[i]) ++counts[i];
  }
  size_t best = 0;
  for (size_t i = 1; i < std::size(candidates); ++i)
    if (counts[i] > counts[best]) best = i;
  return candidates[best];
}

char sniff_file_delimiter(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return ',';
  std::string head(size_t{64} << 10, '\0');
  head.resize(std::fread(head.data(), 1, head.size(), file));
  std::fclose(file);
  return sniff_delimiter(head);
}

size_t find_invalid_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    // Fast path: eight ASCII bytes at a time.
    if (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, s + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t min = 0;
    uint32_t code = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2, min = 0x80, code = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3, min = 0x800, code = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4, min = 0x10000, code = c & 0x07;
    } else {
      return i;
    }
    if (i + length > n) return i;
    for (size_t k = 1; k < length; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      code = (code << 6) | (s[i + k] & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF.
    if (code < min || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF) return i;
    i += length;
  }
  return std::string_view::npos;
}

CsvReader::CsvReader(InMemory, std::string name, CsvOptions options)
    : name_(std::move(name)), options_(options) {}

CsvReader::CsvReader(const std::string& path, CsvOptions options) : CsvReader(InMemory{}, path, options) {
  file_ = std::fopen(path.c_str(), "rb");
  if (!file_) throw CsvError(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fileno(file_), &st) == 0 && S_ISREG(st.st_mode))
    total_bytes_ = static_cast<uint64_t>(st.st_size);
  if (S_ISDIR(st.st_mode)) {
    std::fclose(file_);
    file_ = nullptr;
    throw CsvError(path + ": is a directory, not a CSV file");
  }
  buffer_.resize(options.buffer_bytes > 0 ? options.buffer_bytes : 1);
}

CsvReader CsvReader::from_string(std::string text, CsvOptions options, std::string name) {
  CsvReader reader(InMemory{}, std::move(name), options);
  reader.buffer_.assign(text.begin(), text.end());
  reader.end_ = reader.buffer_.size();
  reader.eof_ = true;
  reader.total_bytes_ = reader.end_;
  return reader;
}

CsvReader::CsvReader(CsvReader&& other) noexcept
    : name_(std::move(other.name_)),
      options_(other.options_),
      file_(std::exchange(other.file_, nullptr)),
      buffer_(std::move(other.buffer_)),
      pos_(other.pos_),
      end_(other.end_),
      eof_(other.eof_),
      started_(other.started_),
      line_(other.line_),
      consumed_before_(other.consumed_before_),
      consumed_total_(other.consumed_total_),
      total_bytes_(other.total_bytes_) {}

CsvReader::~CsvReader() {
  if (file_) std::fclose(file_);
}

bool CsvReader::refill() {
  if (!file_ || eof_) {
    consumed_before_ += end_;
    pos_ = end_ = 0;
    buffer_.clear();
    eof_ = true;
    return false;
  }
  consumed_before_ += end_;
  pos_ = end_ = 0;
  const size_t n = std::fread(buffer_.data(), 1, buffer_.size(), file_);
  if (n == 0) {
    if (std::ferror(file_)) fail(line_, std::string("read error: ") + std::strerror(errno));
    eof_ = true;
    return false;
  }
  end_ = n;
  return true;
}

void CsvReader::fail(uint64_t line, const std::string& message) const {
  throw CsvError(name_ + ":" + std::to_string(line) + ": " + message);
}

void CsvReader::check_utf8(const std::string& field, uint64_t line, size_t column) const {
  const size_t bad = find_invalid_utf8(field);
  if (bad == std::string_view::npos) return;
  uint64_t at_line = line;
  for (size_t i = 0; i < bad; ++i)
    if (field[i] == '\n') ++at_line;
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(field[bad]));
  fail(at_line, "not valid UTF-8 (byte " + std::string(byte) + " in field " + std::to_string(column) +
                    "); Tally reads UTF-8 only: re-save the file as \"CSV UTF-8\" or convert it, e.g. "
                    "`iconv -f WINDOWS-1252 -t UTF-8`");
}

bool CsvReader::next(std::vector<std::string>& fields, uint64_t& line) {
  if (!started_) {
    started_ = true;
    if (pos_ == end_ && !refill()) return false;
    const auto* b = reinterpret_cast<const unsigned char*>(buffer_.data());
    const size_t have = end_ - pos_;
    if (have >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) {
      pos_ += 3;
    } else if (have >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF))) {
      fail(1, "the file is UTF-16; Tally reads UTF-8 only: re-save it as \"CSV UTF-8\"");
    }
  }
  // Skip blank lines between records.
  for (;;) {
    if (pos_ == end_ && !refill()) {
      consumed_total_ = consumed_before_ + pos_;
      return false;
    }
    const char c = buffer_[pos_];
    if (c == '\n') {
      ++pos_;
      ++line_;
    } else if (c == '\r') {
      ++pos_;
      if (pos_ == end_) refill();
      if (pos_ < end_ && buffer_[pos_] == '\n') ++pos_;
      ++line_;
    } else {
      break;
    }
  }

  line = line_;
  const char delimiter = options_.delimiter;
  size_t count = 0;
  auto start_field = [&]() -> std::string& {
    if (count == fields.size()) fields.emplace_back();
    std::string& f = fields[count++];
    f.clear();
    return f;
  };
  std::string* field = &start_field();
  uint64_t field_line = line_;
  bool at_field_start = true;
  bool in_quotes = false;

  auto finish_field = [&]() { check_utf8(*field, field_line, count); };
  auto check_size = [&]() {
    if (field->size() > options_.max_field_bytes)
      fail(field_line, "a field is longer than " + std::to_string(options_.max_field_bytes >> 20) +
                           " MB; is a quote (\") missing its closing quote?");
  };

  for (;;) {
    if (pos_ == end_ && !refill()) {
      if (in_quotes)
        fail(field_line,
             "field " + std::to_string(count) +
                 " opens a quote (\") that is never closed: the rest of the file would be inside it");
      break;
    }
    const char* begin = buffer_.data() + pos_;
    const char* stop = buffer_.data() + end_;
    if (in_quotes) {
      const char* quote =
          static_cast<const char*>(std::memchr(begin, '"', static_cast<size_t>(stop - begin)));
      const char* chunk_end = quote ? quote : stop;
      for (const char* p = begin; p < chunk_end; ++p)
        if (*p == '\n') ++line_;
      field->append(begin, chunk_end);
      check_size();
      pos_ = static_cast<size_t>(chunk_end - buffer_.data());
      if (!quote) continue;
      ++pos_;  // the quote
      if (pos_ == end_ && !refill()) {
        in_quotes = false;
        break;
      }
      if (buffer_[pos_] == '"') {  // "" is a literal quote
        field->push_back('"');
        ++pos_;
      } else {
        in_quotes = false;
      }
      continue;
    }
    const char c = *begin;
    if (c == delimiter) {
      ++pos_;
      finish_field();
      field = &start_field();
      field_line = line_;
      at_field_start = true;
      continue;
    }
    if (c == '\n') {
      ++pos_;
      ++line_;
      break;
    }
    if (c == '\r') {
      ++pos_;
      if (pos_ == end_) refill();
      if (pos_ < end_ && buffer_[pos_] == '\n') ++pos_;
      ++line_;
      break;
    }
    if (c == '"' && at_field_start) {
      in_quotes = true;
      at_field_start = false;
      ++pos_;
      continue;
    }
    // An unquoted run; a quote inside it is taken literally, as most tools do.
    const char* p = begin;
    while (p < stop && *p != delimiter && *p != '\n' && *p != '\r') ++p;
    field->append(begin, p);
    check_size();
    at_field_start = false;
    pos_ = static_cast<size_t>(p - buffer_.data());
  }
  finish_field();
  if (fields.size() > count) fields.resize(count);
  consumed_total_ = consumed_before_ + pos_;
  return true;
}

}  // namespace tally_csv

// Fuzz target: raw bytes -> the importer's CSV reader (plugins/source/csv_file).
//
// The first byte picks the delimiter and a read-buffer size; the rest is the
// file. It is read twice, from memory and from a file through a buffer of a
// few bytes, so records, quotes, CRLFs and UTF-8 sequences cross the ends of
// the buffer: both reads must give the same records, or the same error.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common.hpp"
#include "csv_reader.hpp"

namespace {

struct Outcome {
  std::vector<std::pair<uint64_t, std::vector<std::string>>> records;
  std::optional<std::string> error;
  uint64_t bytes_read = 0;
};

Outcome read_all(tally_csv::CsvReader& reader) {
  Outcome out;
  std::vector<std::string> fields;
  uint64_t line = 0;
  uint64_t last_line = 0;
  try {
    while (reader.next(fields, line)) {
      // Records come in order, each on a line after the last one's start.
      if (line == 0 || line <= last_line || fields.empty()) __builtin_trap();
      for (const auto& f : fields)
        if (tally_csv::find_invalid_utf8(f) != std::string::npos) __builtin_trap();
      last_line = line;
      out.records.emplace_back(line, fields);
    }
    out.bytes_read = reader.bytes_read();
  } catch (const tally_csv::CsvError& e) {
    out.error = e.what();
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char delimiters[] = {',', ';', '\t', '|'};
  tally_csv::CsvOptions options;
  options.delimiter = delimiters[data[0] & 3];
  options.buffer_bytes = 3 + ((data[0] >> 2) & 15);  // 3..18: the BOM check needs the first 3 bytes
  options.max_field_bytes = 4096;                    // reachable by a fuzzed input
  const std::string text(tally_fuzz::as_text(data + 1, size - 1));
  const std::string path = tally_fuzz::temp_dir() + "/input.csv";

  auto memory = tally_csv::CsvReader::from_string(text, options, path);
  const Outcome from_memory = read_all(memory);

  tally_fuzz::write_file(path, text);
  std::optional<Outcome> from_file;
  try {
    tally_csv::CsvReader file(path, options);
    from_file = read_all(file);
  } catch (const tally_csv::CsvError& e) {
    __builtin_trap();  // the file was just written: opening it cannot fail
  }
  if (from_file->records != from_memory.records || from_file->error != from_memory.error) __builtin_trap();
  if (!from_memory.error && from_memory.bytes_read != text.size()) __builtin_trap();
  return 0;
}

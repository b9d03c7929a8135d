// The `csv` source plugin: reads RFC 4180 CSV files (UTF-8) for `tally import`.
// The host maps the records to the canonical schema; this plugin only reads.
#include <tally/sdk.hpp>

#include "csv_reader.hpp"

namespace {

class CsvSource final : public tally::sdk::Source {
 public:
  CsvSource(tally::sdk::BaseContext& ctx, std::string location) : reader_(open(ctx, location)) {}

  std::vector<std::string> columns() override {
    std::vector<std::string> header;
    uint64_t line = 0;
    if (!next_checked(header, line))
      throw tally::sdk::Error(reader_.name() + ": the file is empty (no header row)");
    for (auto& name : header) name = trim(name);
    return header;
  }

  bool next(std::vector<std::string>& fields, uint64_t& line) override { return next_checked(fields, line); }

  void progress(uint64_t& done, uint64_t& total) override {
    done = reader_.bytes_read();
    total = reader_.total_bytes();
  }

 private:
  static tally_csv::CsvReader open(tally::sdk::BaseContext& ctx, const std::string& location) {
    tally_csv::CsvOptions options;
    const std::string delimiter = ctx.text("delimiter");
    if (delimiter == "auto")
      options.delimiter = tally_csv::sniff_file_delimiter(location);
    else if (delimiter == "\\t" || delimiter == "tab")
      options.delimiter = '\t';
    else if (delimiter.size() == 1 && delimiter[0] != '"' && delimiter[0] != '\n' && delimiter[0] != '\r')
      options.delimiter = delimiter[0];
    else
      throw tally::sdk::Error("csv: delimiter must be one character, \"tab\" or \"auto\", got '" + delimiter +
                              "'");
    const std::string encoding = ctx.text("encoding");
    if (!encoding.empty() && encoding != "utf-8")
      throw tally::sdk::Error("csv: only UTF-8 input is supported, not '" + encoding + "'");
    try {
      return tally_csv::CsvReader(location, options);
    } catch (const tally_csv::CsvError& e) {
      throw tally::sdk::Error(e.what());
    }
  }

  bool next_checked(std::vector<std::string>& fields, uint64_t& line) {
    try {
      return reader_.next(fields, line);
    } catch (const tally_csv::CsvError& e) {
      throw tally::sdk::Error(e.what());
    }
  }

  static std::string trim(const std::string& s) {
    size_t b = 0, e = s.size();
    while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
    return s.substr(b, e - b);
  }

  tally_csv::CsvReader reader_;
};

}  // namespace

TALLY_SOURCE(CsvSource)

// Fuzz target: an import dry run of fuzzed CSV bytes with a small fixed
// mapping (lookups that create rows, money, percent, dates, a status
// vocabulary), through the whole pipeline into an empty store made once in
// the target's temporary directory (creating the schema for every input would
// cost most of the time). A dry run rolls back: the store must stay as it was,
// and no rejects file may appear.
//
// When the first byte is odd the rest is the whole file; otherwise it is the
// body after a fixed header, so most inputs get past the column checks.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "common.hpp"
#include "csv_reader.hpp"
#include "import/importer.hpp"
#include "store/sqlite.hpp"

namespace {

const char* const kMapping = R"(namespace: fuzz
stages:
  - {name: Qualify, probability: 0.1}
  - {name: Propose, probability: 0.5}
  - {name: Won, probability: 1, closed: true, won: true}
files:
  "deals*.csv":
    table: opportunities
    id: Id
    fields:
      name: Name
      account_id: {column: Account, lookup: {table: accounts, by: name, create: true}}
      owner_id: {column: Owner, lookup: {table: reps, by: name, create: true}}
      amount: {column: Amount, type: money}
      currency: {column: Currency, default: USD}
      stage: Stage
      status: {column: Status, case: lower}
      probability: {column: Probability, type: percent}
      created_at: {column: Created, type: datetime}
      expected_close_at: {column: Close, type: date}
      closed_at: {column: Closed, type: datetime}
)";

const char* const kHeader =
    "Id,Name,Account,Owner,Amount,Currency,Stage,Status,Probability,Created,Close,Closed\n";

// The csv source plugin's reader, seen as the importer sees every source.
class CsvSource final : public tally::import::RecordSource {
 public:
  explicit CsvSource(const std::string& path) : reader_(path, tally_csv::CsvOptions{}) {
    uint64_t line = 0;
    if (!reader_.next(columns_, line)) throw std::runtime_error(path + ": the file is empty (no header row)");
    for (auto& name : columns_) {  // as the plugin does: "Id " is "Id"
      const size_t b = name.find_first_not_of(" \t");
      const size_t e = name.find_last_not_of(" \t");
      name = b == std::string::npos ? std::string() : name.substr(b, e - b + 1);
    }
  }
  const std::vector<std::string>& columns() const override { return columns_; }
  bool next(tally::import::Record& out) override { return reader_.next(out.fields, out.line); }
  void progress(uint64_t& done, uint64_t& total) override {
    done = reader_.bytes_read();
    total = reader_.total_bytes();
  }

 private:
  tally_csv::CsvReader reader_;
  std::vector<std::string> columns_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string& dir = tally_fuzz::temp_dir();
  static const std::string mapping_path = [&] {
    std::string path = dir + "/mapping.yaml";
    tally_fuzz::write_file(path, kMapping);
    return path;
  }();
  static const std::string db_path = [&] {
    std::string path = dir + "/store.db";
    tally::store::open_for_writing(path, true);  // the schema, once
    return path;
  }();
  static const uintmax_t db_size = std::filesystem::file_size(db_path);
  const std::string csv_path = dir + "/deals.csv";
  const std::string body(tally_fuzz::as_text(data + 1, size - 1));
  tally_fuzz::write_file(csv_path, (data[0] & 1) ? body : kHeader + body);

  tally::import::ImportOptions opts;
  opts.mapping_path = mapping_path;
  opts.db_path = db_path;
  opts.files = {csv_path};
  opts.dry_run = true;
  try {
    auto summary = tally::import::run_import(
        opts,
        [](const std::string&, const std::string& path) -> std::unique_ptr<tally::import::RecordSource> {
          return std::make_unique<CsvSource>(path);
        });
    (void)tally::import::format_summary(summary);
    if (summary.files.size() != 1) __builtin_trap();
    const auto& f = summary.files[0];
    if (f.read != f.inserted + f.updated + f.rejected) __builtin_trap();
  } catch (const std::runtime_error&) {
    // DiagnosticError, malformed input, ...: refused with a message.
  }
  // Nothing may be left behind by a dry run.
  std::error_code ec;
  if (std::filesystem::file_size(db_path, ec) != db_size ||
      std::filesystem::exists(db_path + ".rejects.csv", ec))
    __builtin_trap();
  return 0;
}

// csv: every result table as its own CSV file in `dir`, plus kpis.csv.
#include <tally/sdk.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "csv_writer.hpp"

namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, const std::string& text) {
  errno = 0;
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file)
    throw tally::sdk::Error("cannot open " + path.string() +
                            " for writing: " + (errno ? std::strerror(errno) : "unknown reason"));
  file << text;
  file.close();
  if (!file)
    throw tally::sdk::Error("cannot write " + path.string() + ": " +
                            (errno ? std::strerror(errno) : "unknown reason"));
}

class CsvReport final : public tally::sdk::Report {
 public:
  void render(tally::sdk::ReportContext& ctx) override {
    const auto metrics = ctx.metrics();
    const std::string dir = ctx.text("dir");
    const bool guard = ctx.flag("formula_guard");
    for (const auto& m : metrics)
      if (!m.ok) ctx.warn("csv: metric " + m.name + " failed, no CSV for it: " + m.error);

    if (dir.empty()) throw tally::sdk::Error("csv report: `dir:` is empty; set the folder to write into");
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw tally::sdk::Error("cannot create folder " + dir + ": " + ec.message());
    size_t files = 2;
    write_file(fs::path(dir) / "kpis.csv", tally::csv::kpis(metrics, guard));
    tally::csv::RunInfo run{ctx.title(), ctx.period(), std::nullopt, ctx.facts(), ctx.warnings()};
    if (ctx.has_compare()) run.compare = ctx.period(tally::sdk::Which::Compare);
    write_file(fs::path(dir) / "run.csv", tally::csv::run_info(run, metrics));
    for (const auto& m : metrics)
      for (const auto& t : m.tables) {
        write_file(fs::path(dir) / tally::csv::file_name(m.name, t.name), tally::csv::table(t, guard));
        ++files;
      }
    ctx.info("wrote " + std::to_string(files) + " CSV files to " + dir);
  }
};

}  // namespace

TALLY_REPORT(CsvReport)

// `tally new-plugin NAME`: an out-of-tree plugin project that builds against
// the installed SDK with find_package(TallySDK) and one tally_add_plugin().
#define BOOST_DLL_USE_STD_FS
#include <boost/dll/runtime_symbol_info.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>

#include "cli/commands.hpp"

namespace tally::cli {

namespace fs = std::filesystem;

namespace {

// A path as one shell word: quoted only when it needs to be.
std::string shell_word(const std::string& s) {
  if (!s.empty() &&
      s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,") ==
          std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size())
    text.replace(pos, from.size(), to);
  return text;
}

std::string class_name(const std::string& name) {
  std::string out;
  bool upper = true;
  for (char c : name) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

const char* kCMake = R"TALLY(cmake_minimum_required(VERSION 3.20)
project(@NAME@ LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 17)

# The installed Tally SDK: headers and tally_add_plugin().
find_package(TallySDK 1.0 REQUIRED)

tally_add_plugin(NAME @NAME@ MANIFEST @NAME@.plugin.yaml SOURCES @NAME@.cpp)
@CASES@)TALLY";

const char* kCMakeCases = R"TALLY(
# Golden cases in tests/cases/<case>/, one ctest test each (`tally test-plugin .` runs them too).
enable_testing()
tally_add_plugin_cases()
)TALLY";

// The metric's golden case, worked out by hand: in Q1 2025 Ada won 1,000.00
// (and lost 400.00), Bo won 250.50; Bo's 9,999.00 closed in December 2024.
const char* kCaseSeed = R"TALLY(-- Two reps and four deals; only deals closed in Q1 2025 count.
INSERT INTO reps (id, name, region) VALUES (1, 'Ada', 'EMEA'), (2, 'Bo', 'NA');
INSERT INTO opportunities (id, owner_id, amount, status, created_at, closed_at) VALUES
  (1, 1, 1000.00, 'won',  '2025-01-05', '2025-02-01'),
  (2, 2,  250.50, 'won',  '2025-01-10', '2025-03-15'),
  (3, 1,  400.00, 'lost', '2025-01-12', '2025-03-20'),
  (4, 2, 9999.00, 'won',  '2024-11-01', '2024-12-20');
)TALLY";

const char* kCaseConfig = R"TALLY(title: Golden case
period: {from: 2025-01-01, to: 2025-04-01}
metrics:
  - use: @NAME@
)TALLY";

const char* kCaseExpected = R"TALLY({
  "metrics": [{
    "name": "@NAME@",
    "status": "ok",
    "kpis": [{"name": "won_amount", "unit": "money", "value": 1250.50}],
    "tables": [{"name": "by_rep", "rows": [["Ada", 1, 1000.00], ["Bo", 1, 250.50]]}]
  }]
}
)TALLY";

// The report's golden case: the shipped win_rate metric on the same seed (in
// Q1 2025, 2 of the 3 closed deals were won), written by the report to a file
// under --out and compared whole.
const char* kReportCaseConfig = R"TALLY(title: Golden case
period: {from: 2025-01-01, to: 2025-04-01}
metrics:
  - use: win_rate
reports:
  - use: @NAME@
    params: {path: kpis.txt}
)TALLY";

const char* kReportCaseExpected = R"TALLY(Golden case
Win rate
  win_rate = 0.666667
  won = 2.000000
  closed = 3.000000
)TALLY";

const char* kMetricSource = R"TALLY(// @NAME@: a Tally metric plugin.
#include <tally/sdk.hpp>

using tally::sdk::Chart;
using tally::sdk::Unit;
using tally::sdk::Which;

class @CLASS@ final : public tally::sdk::Metric {
 public:
  void run(tally::sdk::Context& ctx) override {
    const std::string group = ctx.text("group_by");

    // Headline KPI, for the period and the comparison period.
    ctx.kpi("won_amount", "Won amount", Unit::Money, [&](Which which) -> std::optional<double> {
      auto rows = ctx.query("opportunities")
                      .use_period(which)
                      .select("won_amount", "sum_if(amount, status = 'won')")
                      .where("in_period(closed_at)")
                      .run();
      return rows.next() ? rows.optional_number(0) : std::nullopt;
    });

    // A breakdown table with a chart hint.
    auto table = ctx.table("by_" + group, "Won amount by " + group);
    table.column(group, Unit::Text).column("won_deals", Unit::Count).column("won_amount", Unit::Money);
    table.chart(Chart::Bar, group, "won_amount");
    auto rows = ctx.query("opportunities")
                    .group_by(group, group)
                    .select("won_deals", "count_if(status = 'won')")
                    .select("won_amount", "sum_if(amount, status = 'won')")
                    .where("in_period(closed_at)")
                    .order_by("won_amount", true)
                    .run();
    while (rows.next())
      table.row({rows.is_null(0) ? tally::sdk::Value{} : tally::sdk::Value{rows.text(0)}, rows.integer(1),
                 rows.number(2)});
  }
};

TALLY_METRIC(@CLASS@)
)TALLY";

const char* kReportSource = R"TALLY(// @NAME@: a Tally report plugin.
#include <tally/sdk.hpp>

#include <fstream>

class @CLASS@ final : public tally::sdk::Report {
 public:
  void render(tally::sdk::ReportContext& ctx) override {
    std::ofstream out(ctx.text("path"));
    if (!out) throw tally::sdk::Error("cannot write " + ctx.text("path"));
    out << ctx.title() << '\n';
    for (const auto& metric : ctx.metrics()) {
      out << metric.title << (metric.ok ? "" : ": failed: " + metric.error) << '\n';
      for (const auto& kpi : metric.kpis)
        out << "  " << kpi.name << " = " << (kpi.value ? std::to_string(*kpi.value) : "n/a") << '\n';
    }
  }
};

TALLY_REPORT(@CLASS@)
)TALLY";

const char* kMetricManifest = R"TALLY(name: @NAME@
kind: metric
version: 0.1.0
title: @TITLE@
summary: Won amount in the period, by a dimension
needs: [opportunities]
params:
  group_by: {type: enum, values: [rep, team, manager, region, segment, industry, source, product], default: rep,
             doc: "the dimension to break the won amount down by"}
)TALLY";

const char* kReportManifest = R"TALLY(name: @NAME@
kind: report
version: 0.1.0
title: @TITLE@
summary: Writes KPI values to a text file
params:
  path: {type: path, required: true, doc: "file to write; {title}, {from} and {to} are expanded"}
)TALLY";

const char* kReadme = R"TALLY(# @NAME@

A Tally @KIND@ plugin.

## Build and test
```sh
cmake -S . -B build -DCMAKE_PREFIX_PATH=/path/to/tally/install
cmake --build build
ctest --test-dir build --output-on-failure     # or: tally test-plugin .
```
The build writes `build/plugins/libtally_@NAME@.so`, sealed (its content hash in its Tally note), and its
manifest `build/plugins/@NAME@.plugin.yaml`. Point Tally at it with `TALLY_PLUGIN_PATH=$PWD/build/plugins`
or `plugin_paths:` in a report config, check it with `tally describe @NAME@`, and install it with
`tally plugin install build/plugins`.

Golden cases live in `tests/cases/<case>/`: `seed.sql` (or `seed.yaml`) fills an empty database and
`config.yaml` is a report config without `data:`. A metric's `expected.json` holds the parts of
`tally run --format json` that must come out (money within half a cent, percentages within 1e-6); a
report's `expected/<file>` is a file it writes under `--out` (or `expected.<ext>` its standard output),
compared as text. See Tally's docs/plugin-guide.md.
)TALLY";

}  // namespace

int new_plugin(const NewPluginArgs& args) {
  if (!std::regex_match(args.name, std::regex("[a-z][a-z0-9_]*"))) {
    std::cerr << "tally new-plugin: name '" << args.name << "' must be lower_snake_case (a-z, 0-9, _)\n";
    return kInvalid;
  }
  fs::path dir = args.dir.empty() ? fs::path(args.name) : fs::path(args.dir);
  if (fs::exists(dir) && !fs::is_empty(dir)) {
    std::cerr << "tally new-plugin: '" << dir.string() << "' already exists and is not empty\n";
    return kInvalid;
  }
  fs::create_directories(dir);
  bool metric = args.kind == "metric";
  auto fill = [&](const std::string& text) {
    std::string out = replace_all(text, "@NAME@", args.name);
    out = replace_all(out, "@CLASS@", class_name(args.name));
    out = replace_all(out, "@TITLE@", class_name(args.name));
    out = replace_all(out, "@CASES@", kCMakeCases);
    return replace_all(out, "@KIND@", args.kind);
  };
  auto write = [&](const std::string& file, const std::string& text) {
    errno = 0;
    std::ofstream out(dir / file);
    if (!out)
      throw std::runtime_error("cannot open " + (dir / file).string() +
                               " for writing: " + (errno ? std::strerror(errno) : "unknown reason"));
    out << fill(text);
    out.close();
    if (!out)
      throw std::runtime_error("cannot write " + (dir / file).string() + ": " +
                               (errno ? std::strerror(errno) : "unknown reason"));
  };
  write("CMakeLists.txt", kCMake);
  write(args.name + ".cpp", metric ? kMetricSource : kReportSource);
  write(args.name + ".plugin.yaml", metric ? kMetricManifest : kReportManifest);
  write("README.md", kReadme);
  fs::create_directories(dir / "tests" / "cases" / "basic");
  write("tests/cases/basic/seed.sql", kCaseSeed);
  if (metric) {
    write("tests/cases/basic/config.yaml", kCaseConfig);
    write("tests/cases/basic/expected.json", kCaseExpected);
  } else {
    fs::create_directories(dir / "tests" / "cases" / "basic" / "expected");
    write("tests/cases/basic/config.yaml", kReportCaseConfig);
    write("tests/cases/basic/expected/kpis.txt", kReportCaseExpected);
  }
  // The SDK installed beside this tally, if any: the build command then
  // works exactly as printed.
  std::error_code ec;
  const fs::path prefix = boost::dll::program_location(ec).parent_path().parent_path();
  const bool installed =
      !ec && fs::exists(prefix / TALLY_INSTALL_LIBDIR / "cmake" / "TallySDK" / "TallySDKConfig.cmake", ec);
  const std::string quoted_dir = shell_word(dir.string()), build = shell_word((dir / "build").string());
  std::cout << "created " << dir.string() << "/ (" << args.kind << " plugin '" << args.name << "'"
            << ", with one golden case); build and test it with:\n  cmake -S " << quoted_dir << " -B "
            << build << " -DCMAKE_PREFIX_PATH="
            << (installed ? shell_word(fs::canonical(prefix, ec).string())
                          : std::string("<where Tally is installed>"))
            << " && cmake --build " << build << " && ctest --test-dir " << build << " --output-on-failure\n";
  if (!installed)
    std::cout << "(this tally runs from a build tree: install the SDK first, e.g. "
                 "`cmake --install build --component sdk --prefix DIR`, and use that DIR)\n";
  return kOk;
}

}  // namespace tally::cli

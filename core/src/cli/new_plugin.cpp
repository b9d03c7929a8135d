// `tally new-plugin NAME`: an out-of-tree plugin project that builds against
// the installed SDK with find_package(TallySDK) and one tally_add_plugin().
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

## Build
```sh
cmake -S . -B build -DCMAKE_PREFIX_PATH=/path/to/tally/install
cmake --build build
```
The build writes `build/plugins/libtally_@NAME@.so` and its manifest `build/plugins/@NAME@.plugin.yaml`
(with the library's sha256 filled in). Point Tally at it with `TALLY_PLUGIN_PATH=$PWD/build/plugins` or
`plugin_paths:` in a report config, then check it with `tally describe @NAME@`.
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
  std::cout << "created " << dir.string() << "/ (" << args.kind << " plugin '" << args.name
            << "'); build it with: cmake -S " << dir.string() << " -B " << (dir / "build").string()
            << " && cmake --build " << (dir / "build").string() << '\n';
  return kOk;
}

}  // namespace tally::cli

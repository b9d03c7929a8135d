// `tally test-plugin DIR`: runs a plugin's golden cases,
// DIR/tests/cases/<case>/{seed.sql or seed.yaml, config.yaml, expected.json}.
// Each case seeds a fresh database, runs the config with `tally run --format
// json` (this executable, the plugin's build folder first on the search
// path), and compares the output with expected.json: every key the expected
// file has must be there and equal, numbers within a tolerance that follows
// their unit (money to half a cent, percent and ratios to 1e-6), and the
// differences are listed one per line with their path.
#include <yaml-cpp/yaml.h>

// Boost.DLL on std::filesystem paths.
#define BOOST_DLL_USE_STD_FS
#include <boost/dll/runtime_symbol_info.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.hpp"
#include "store/seed.hpp"
#include "util/text.hpp"

namespace tally::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string sql_literal(const YAML::Node& v) {
  if (!v || v.IsNull()) return "NULL";
  const std::string text = v.Scalar();
  if (v.Tag() != "!" && !text.empty()) {  // plain (unquoted) scalars may be numbers
    char* end = nullptr;
    std::strtod(text.c_str(), &end);
    if (end && *end == '\0') return text;
    if (text == "true") return "1";
    if (text == "false") return "0";
    if (text == "null" || text == "~") return "NULL";
  }
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// seed.yaml: `table: [{column: value, ...}, ...]`, as INSERT statements.
std::string sql_of_seed_yaml(const fs::path& path) {
  YAML::Node root = YAML::LoadFile(path.string());
  if (!root.IsMap()) throw std::runtime_error(path.string() + ": must map table names to lists of rows");
  std::string sql;
  for (const auto& table : root) {
    const std::string name = table.first.as<std::string>();
    if (!table.second.IsSequence())
      throw std::runtime_error(path.string() + ": '" + name + "' must be a list of rows ({column: value})");
    for (const auto& row : table.second) {
      if (!row.IsMap())
        throw std::runtime_error(path.string() + ":" + std::to_string(row.Mark().line + 1) + ": a row of '" +
                                 name + "' must be a map {column: value}");
      std::string columns, values;
      for (const auto& cell : row) {
        columns += (columns.empty() ? "" : ", ") + cell.first.as<std::string>();
        values += (values.empty() ? "" : ", ") + sql_literal(cell.second);
      }
      sql += "INSERT INTO " + name + " (" + columns + ") VALUES (" + values + ");\n";
    }
  }
  return sql;
}

double tolerance_for(const std::string& unit, double expected) {
  if (unit == "money") return 0.005;
  if (unit == "percent" || unit == "ratio") return 1e-6;
  return 1e-9 * std::max(1.0, std::fabs(expected));
}

std::string label(const json& item, size_t index) {
  if (item.is_object() && item.contains("name") && item["name"].is_string())
    return item["name"].get<std::string>();
  return std::to_string(index);
}

// Compares `actual` against `expected` (a subset), collecting differences.
void compare(const json& expected, const json& actual, const std::string& path, const std::string& unit,
             std::vector<std::string>& diffs) {
  if (expected.is_number() && actual.is_number()) {
    const double e = expected.get<double>(), a = actual.get<double>();
    const double tol = tolerance_for(unit, e);
    if (std::fabs(e - a) > tol)
      diffs.push_back(path + ": expected " + expected.dump() + ", got " + actual.dump() + " (" +
                      (unit.empty() ? "number" : unit) + ", tolerance " + fmt_number(tol) + ")");
    return;
  }
  if (expected.type() != actual.type()) {
    diffs.push_back(path + ": expected " + expected.dump() + ", got " + actual.dump());
    return;
  }
  if (expected.is_object()) {
    const std::string own_unit =
        expected.contains("unit") && actual.contains("unit") && actual["unit"].is_string()
            ? actual["unit"].get<std::string>()
            : unit;
    for (const auto& [key, value] : expected.items()) {
      if (!actual.contains(key)) {
        diffs.push_back(path + "." + key + ": missing (expected " + value.dump() + ")");
        continue;
      }
      if (key == "rows" && actual.contains("columns") && value.is_array() && actual[key].is_array()) {
        // Table cells: each column's type is its unit.
        const json& columns = actual["columns"];
        if (value.size() != actual[key].size())
          diffs.push_back(path + ".rows: expected " + std::to_string(value.size()) + " rows, got " +
                          std::to_string(actual[key].size()));
        for (size_t r = 0; r < std::min(value.size(), actual[key].size()); ++r) {
          const json& er = value[r];
          const json& ar = actual[key][r];
          if (!er.is_array() || !ar.is_array() || er.size() != ar.size()) {
            diffs.push_back(path + ".rows[" + std::to_string(r) + "]: expected " + er.dump() + ", got " +
                            ar.dump());
            continue;
          }
          for (size_t c = 0; c < er.size(); ++c) {
            std::string column_unit, column_name = std::to_string(c);
            if (c < columns.size() && columns[c].is_object()) {
              column_unit = columns[c].value("type", "");
              column_name = columns[c].value("name", column_name);
            }
            compare(er[c], ar[c], path + ".rows[" + std::to_string(r) + "][" + column_name + "]", column_unit,
                    diffs);
          }
        }
        continue;
      }
      compare(value, actual[key], path + "." + key, own_unit, diffs);
    }
    return;
  }
  if (expected.is_array()) {
    if (expected.size() != actual.size())
      diffs.push_back(path + ": expected " + std::to_string(expected.size()) + " items, got " +
                      std::to_string(actual.size()));
    for (size_t i = 0; i < std::min(expected.size(), actual.size()); ++i)
      compare(expected[i], actual[i], path + "[" + label(expected[i], i) + "]", unit, diffs);
    return;
  }
  if (expected != actual) diffs.push_back(path + ": expected " + expected.dump() + ", got " + actual.dump());
}

struct Captured {
  int exit_code = -1;
  std::string out;
};

Captured capture(const std::string& command) {
  Captured result;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), &::pclose);
  if (!pipe) return result;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe.get())) > 0) result.out.append(buffer, n);
  const int status = ::pclose(pipe.release());
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// Runs one case; returns "" when it passes, else what differs.
std::string run_case(const fs::path& case_dir, const std::string& plugin_path, const fs::path& scratch) {
  const fs::path config = case_dir / "config.yaml";
  const fs::path expected_path = case_dir / "expected.json";
  if (!fs::exists(config)) return "no config.yaml";
  if (!fs::exists(expected_path)) return "no expected.json";
  std::string sql;
  if (fs::exists(case_dir / "seed.sql"))
    sql = read_text(case_dir / "seed.sql");
  else if (fs::exists(case_dir / "seed.yaml"))
    sql = sql_of_seed_yaml(case_dir / "seed.yaml");
  else
    return "no seed.sql or seed.yaml";
  const fs::path db = scratch / (case_dir.filename().string() + ".db");
  fs::remove(db);
  try {
    store::seed_database(db.string(), sql);
  } catch (const std::exception& e) {
    return "seeding the database failed: " + std::string(e.what());
  }
  json expected;
  try {
    expected = json::parse(read_text(expected_path));
  } catch (const std::exception& e) {
    return expected_path.string() + ": not valid JSON: " + e.what();
  }
  std::error_code ec;
  const std::string self = boost::dll::program_location(ec).string();
  const char* old_path = std::getenv("TALLY_PLUGIN_PATH");
  const std::string search = plugin_path + (old_path && *old_path ? std::string(":") + old_path : "");
  const std::string command = "TALLY_PLUGIN_PATH=" + shell_quote(search) + " " + shell_quote(self) +
                              " -q run " + shell_quote(config.string()) + " --data " +
                              shell_quote(db.string()) + " --format json";
  Captured run = capture(command);
  json actual;
  try {
    actual = json::parse(run.out);
  } catch (const std::exception&) {
    return "`tally run` gave no JSON (exit " + std::to_string(run.exit_code) + "); its messages are above";
  }
  std::vector<std::string> diffs;
  compare(expected, actual, "", "", diffs);
  if (diffs.empty()) return "";
  std::string text;
  for (const auto& d : diffs) text += "\n    " + (d.front() == '.' ? d.substr(1) : d);
  return std::to_string(diffs.size()) + " difference(s):" + text;
}

}  // namespace

std::string fmt_number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

int test_plugin(const TestPluginArgs& args) {
  const fs::path cases = fs::path(args.dir) / "tests" / "cases";
  std::error_code ec;
  if (!fs::is_directory(cases, ec)) {
    std::cerr
        << "tally test-plugin: no golden cases: " << cases.string()
        << " does not exist (each case is a folder with seed.sql or seed.yaml, config.yaml, expected.json)\n";
    return kInvalid;
  }
  std::string plugin_path = args.plugin_path;
  if (plugin_path.empty()) plugin_path = (fs::path(args.dir) / "build" / "plugins").string();
  std::vector<fs::path> folders;
  for (const auto& e : fs::directory_iterator(cases, ec))
    if (e.is_directory() && (args.only.empty() || e.path().filename() == args.only))
      folders.push_back(e.path());
  std::sort(folders.begin(), folders.end());
  if (folders.empty()) {
    std::cerr << "tally test-plugin: no case" << (args.only.empty() ? "s" : " '" + args.only + "'") << " in "
              << cases.string() << '\n';
    return kInvalid;
  }
  std::string pattern = (fs::temp_directory_path() / "tally-cases-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) {
    std::cerr << "tally test-plugin: cannot create a temporary folder\n";
    return kInvalid;
  }
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(p, e);
    }
  } cleanup{pattern};
  int failed = 0;
  for (const auto& folder : folders) {
    std::string outcome;
    try {
      outcome = run_case(folder, plugin_path, pattern);
    } catch (const std::exception& e) {
      outcome = e.what();
    }
    if (outcome.empty()) {
      std::cout << "ok     " << folder.filename().string() << '\n';
    } else {
      std::cout << "FAILED " << folder.filename().string() << ": " << escape_for_terminal(outcome) << '\n';
      ++failed;
    }
  }
  std::cout << folders.size() - failed << " of " << folders.size() << " case(s) passed\n";
  return failed ? kSomethingFailed : kOk;
}

}  // namespace tally::cli

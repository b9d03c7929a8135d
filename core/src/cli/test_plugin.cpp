// `tally test-plugin DIR`: runs a plugin's golden cases, DIR/tests/cases/<case>/,
// (over 400 lines: one command whose case runner differs per plugin kind, kept together)
// with this executable and the plugin's build folder first on the search path.
// What a case holds and what is compared follows the plugin's kind (its manifest):
//   metric: seed.sql or seed.yaml, config.yaml, expected.json: `tally run --format
//           json` must have every key expected.json has, equal, numbers within a
//           tolerance that follows their unit (money to half a cent, percent and
//           ratios to 1e-6);
//   report: seed, config.yaml with the report under `reports:`, and expected.<ext>
//           (standard output), expected_fragments.txt and/or expected/<file>
//           (files written under --out), compared as text after normalising
//           what changes from run to run;
//   source: mapping.yaml, input/<files>, expected.json ({table: [rows]}) and
//           optionally expected_rejects.csv, after `tally import` into an empty store.
// Differences are listed one per line with their path, text as a line diff.
// (Over 400 lines: the three kinds' case runners share the seeding, capture and
// listing helpers here; the comparisons themselves are in cli/golden_compare.cpp.)
#include <yaml-cpp/yaml.h>

// Boost.DLL on std::filesystem paths.
#define BOOST_DLL_USE_STD_FS
#include <algorithm>
#include <boost/dll/runtime_symbol_info.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/golden_compare.hpp"
#include "query/query.hpp"
#include "store/backend.hpp"
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

enum class Kind { Metric, Report, Source };

// The plugin's kind from its manifest (DIR/*.plugin.yaml, the first with a
// `kind:`); a folder without one is taken for a metric plugin.
Kind plugin_kind(const fs::path& dir) {
  std::vector<fs::path> manifests;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().filename().string().size() > 12 &&
        e.path().filename().string().ends_with(".plugin.yaml"))
      manifests.push_back(e.path());
  std::sort(manifests.begin(), manifests.end());
  for (const auto& m : manifests) {
    YAML::Node root;
    try {
      root = YAML::LoadFile(m.string());
    } catch (const YAML::Exception&) {
      continue;  // `tally check` and the loader name a broken manifest
    }
    if (!root.IsMap() || !root["kind"] || !root["kind"].IsScalar()) continue;
    const std::string kind = root["kind"].Scalar();
    if (kind == "report") return Kind::Report;
    if (kind == "source") return Kind::Source;
    return Kind::Metric;
  }
  return Kind::Metric;
}

// What every case needs: this executable with the plugin's build folder first
// on the search path, and a scratch folder.
struct Harness {
  std::string tally;  // "TALLY_PLUGIN_PATH=... /path/to/tally -q"
  fs::path scratch;
};

std::string listed(const std::vector<std::string>& diffs) {
  std::string text = std::to_string(diffs.size()) + " difference(s):";
  for (const auto& d : diffs) {
    std::string shown = d.front() == '.' ? d.substr(1) : d;
    for (size_t at = shown.find('\n'); at != std::string::npos; at = shown.find('\n', at + 5))
      shown.replace(at, 1, "\n      ");
    text += "\n    " + shown;
  }
  return text;
}

// Seeds `db` from the case's seed.sql or seed.yaml; "" when done, else why not.
std::string seed(const fs::path& case_dir, const fs::path& db) {
  std::string sql;
  if (fs::exists(case_dir / "seed.sql"))
    sql = read_text(case_dir / "seed.sql");
  else if (fs::exists(case_dir / "seed.yaml"))
    sql = sql_of_seed_yaml(case_dir / "seed.yaml");
  else
    return "no seed.sql or seed.yaml";
  fs::remove(db);
  try {
    store::seed_database(db.string(), sql);
  } catch (const std::exception& e) {
    return "seeding the database failed: " + std::string(e.what());
  }
  return "";
}

// A metric case: `tally run --format json` against expected.json, a subset with tolerances.
std::string metric_case(const fs::path& case_dir, const Harness& h) {
  const fs::path config = case_dir / "config.yaml", expected_path = case_dir / "expected.json";
  if (!fs::exists(config)) return "no config.yaml";
  if (!fs::exists(expected_path)) return "no expected.json";
  const fs::path db = h.scratch / (case_dir.filename().string() + ".db");
  if (auto problem = seed(case_dir, db); !problem.empty()) return problem;
  json expected;
  try {
    expected = json::parse(read_text(expected_path));
  } catch (const std::exception& e) {
    return expected_path.string() + ": not valid JSON: " + e.what();
  }
  Captured run = capture(h.tally + " run " + shell_quote(config.string()) + " --data " +
                         shell_quote(db.string()) + " --format json");
  json actual;
  try {
    actual = json::parse(run.out);
  } catch (const std::exception&) {
    return "`tally run` gave no JSON (exit " + std::to_string(run.exit_code) + "); its messages are above";
  }
  std::vector<std::string> diffs;
  golden::compare_json(expected, actual, "", "", diffs);
  return diffs.empty() ? "" : listed(diffs);
}

// A report case: `tally run` with the config's own reports (files under
// --out), its standard output against expected.<ext>, its lines against
// expected_fragments.txt, and each file expected/<path> against <out>/<path>;
// all after normalising what changes from run to run (see docs/plugin-guide.md).
std::string report_case(const fs::path& case_dir, const Harness& h) {
  const fs::path config = case_dir / "config.yaml";
  if (!fs::exists(config)) return "no config.yaml";
  const std::string name = case_dir.filename().string();
  const fs::path db = h.scratch / (name + ".db"), out = h.scratch / (name + ".out");
  if (auto problem = seed(case_dir, db); !problem.empty()) return problem;
  fs::remove_all(out);
  fs::create_directories(out);
  Captured run = capture(h.tally + " run " + shell_quote(config.string()) + " --data " +
                         shell_quote(db.string()) + " --out " + shell_quote(out.string()));
  if (run.exit_code != 0)
    return "`tally run` exited " + std::to_string(run.exit_code) + "; its messages are above";
  const std::vector<golden::Replacement> replacements = {
      {out.string(), "{out}"}, {db.string(), "{data}"}, {TALLY_VERSION, "{version}"}};
  const std::string stdout_text = golden::normalise(run.out, replacements);
  std::vector<std::string> diffs;
  int expectations = 0;
  std::vector<fs::path> stdout_files;
  for (const auto& e : fs::directory_iterator(case_dir))
    if (e.is_regular_file() && e.path().filename().string().starts_with("expected."))
      stdout_files.push_back(e.path());
  if (stdout_files.size() > 1)
    return "more than one expected.* file: the standard output is compared with one";
  for (const auto& file : stdout_files) {
    ++expectations;
    if (auto d = golden::text_diff(read_text(file), stdout_text); !d.empty())
      diffs.push_back("standard output vs " + file.filename().string() + ":\n" + d);
  }
  if (fs::exists(case_dir / "expected_fragments.txt")) {
    ++expectations;
    for (const auto& m :
         golden::missing_fragments(read_text(case_dir / "expected_fragments.txt"), stdout_text))
      diffs.push_back("standard output: " + m);
  }
  if (fs::is_directory(case_dir / "expected")) {
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(case_dir / "expected"))
      if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      ++expectations;
      const fs::path rel = fs::relative(file, case_dir / "expected");
      if (!fs::exists(out / rel)) {
        diffs.push_back("expected/" + rel.string() + ": the report wrote no " + rel.string() +
                        " under --out");
        continue;
      }
      const std::string actual = golden::normalise(read_text(out / rel), replacements);
      if (auto d = golden::text_diff(read_text(file), actual); !d.empty())
        diffs.push_back("expected/" + rel.string() + ":\n" + d);
    }
  }
  if (expectations == 0)
    return "nothing to compare: give expected.<ext> (the standard output), expected_fragments.txt or "
           "expected/<file> (a file written under --out)";
  return diffs.empty() ? "" : listed(diffs);
}

json json_of(const Value& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  return nullptr;
}

// Every row of `table` in the store, by id, as {column: value}.
json table_rows(const fs::path& db, const std::string& table) {
  auto backend = store::open_backend(db.string());
  auto connection = backend->connect();
  query::CompiledQuery q;
  q.sql = "SELECT * FROM \"" + table + "\" ORDER BY id";
  auto cursor = connection->execute(q);
  json rows = json::array();
  while (cursor->next()) {
    json row = json::object();
    for (size_t c = 0; c < cursor->column_count(); ++c) row[cursor->column_name(c)] = json_of(cursor->get(c));
    rows.push_back(std::move(row));
  }
  return rows;
}

// A source case: `tally import --mapping mapping.yaml` of the files in input/
// (in name order) into an empty store, then every table expected.json names
// against the store's rows (by id: the same number of rows, each with the
// columns given), and the rejects file against expected_rejects.csv when there is one.
std::string source_case(const fs::path& case_dir, const Harness& h) {
  const fs::path mapping = case_dir / "mapping.yaml", input = case_dir / "input";
  const fs::path expected_path = case_dir / "expected.json";
  if (!fs::exists(mapping)) return "no mapping.yaml (the import mapping of the files in input/)";
  if (!fs::exists(expected_path)) return "no expected.json";
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(input, ec))
    if (e.is_regular_file()) files.push_back(e.path());
  if (files.empty()) return "no input/ folder with the files to import";
  std::sort(files.begin(), files.end());
  json expected;
  try {
    expected = json::parse(read_text(expected_path));
  } catch (const std::exception& e) {
    return expected_path.string() + ": not valid JSON: " + e.what();
  }
  if (!expected.is_object()) return "expected.json must map table names to lists of rows";
  const fs::path db = h.scratch / (case_dir.filename().string() + ".db");
  fs::remove(db);
  fs::remove(db.string() + ".rejects.csv");
  std::string command =
      h.tally + " import --mapping " + shell_quote(mapping.string()) + " --db " + shell_quote(db.string());
  for (const auto& f : files) command += " " + shell_quote(f.string());
  const bool rejects_expected = fs::exists(case_dir / "expected_rejects.csv");
  Captured run = capture(command);
  // 1: rows were rejected, which only a case with expected_rejects.csv expects.
  if (run.exit_code != 0 && !(run.exit_code == 1 && rejects_expected))
    return "`tally import` exited " + std::to_string(run.exit_code) + ":\n" + run.out;
  std::vector<std::string> diffs;
  for (const auto& [table, rows] : expected.items()) {
    if (table.empty() || table.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos) {
      diffs.push_back(table + ": not a table name");
      continue;
    }
    json actual;
    try {
      actual = table_rows(db, table);
    } catch (const std::exception& e) {
      diffs.push_back(table + ": cannot read it: " + e.what());
      continue;
    }
    golden::compare_json(rows, actual, table, "", diffs);
  }
  const fs::path rejects = db.string() + ".rejects.csv";
  if (rejects_expected) {
    const std::vector<golden::Replacement> replacements = {{input.string() + "/", ""}};
    if (!fs::exists(rejects))
      diffs.push_back("expected_rejects.csv: the import rejected no row");
    else if (auto d = golden::text_diff(read_text(case_dir / "expected_rejects.csv"),
                                        golden::normalise(read_text(rejects), replacements));
             !d.empty())
      diffs.push_back("rejects vs expected_rejects.csv:\n" + d);
  } else if (fs::exists(rejects)) {
    diffs.push_back("the import rejected rows (" + rejects.string() +
                    "); a case that expects them has expected_rejects.csv");
  }
  return diffs.empty() ? "" : listed(diffs);
}

// Runs one case; returns "" when it passes, else what differs.
std::string run_case(const fs::path& case_dir, Kind kind, const Harness& h) {
  switch (kind) {
    case Kind::Report: return report_case(case_dir, h);
    case Kind::Source: return source_case(case_dir, h);
    case Kind::Metric: break;
  }
  return metric_case(case_dir, h);
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
    std::cerr << "tally test-plugin: no golden cases: " << cases.string()
              << " does not exist (each case is a folder with seed.sql or seed.yaml, config.yaml and "
                 "expected.json; see docs/plugin-guide.md for report and source plugins)\n";
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
  std::error_code self_ec;
  const std::string self = boost::dll::program_location(self_ec).string();
  const char* old_path = std::getenv("TALLY_PLUGIN_PATH");
  const std::string search = plugin_path + (old_path && *old_path ? std::string(":") + old_path : "");
  const Harness harness{"TALLY_PLUGIN_PATH=" + shell_quote(search) + " " + shell_quote(self) + " -q",
                        pattern};
  const Kind kind = plugin_kind(args.dir);
  int failed = 0;
  for (const auto& folder : folders) {
    std::string outcome;
    try {
      outcome = run_case(folder, kind, harness);
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

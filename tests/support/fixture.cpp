#include "support/fixture.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/config.hpp"
#include "plugins/registry.hpp"
#include "run/runner.hpp"
#include "store/backend.hpp"
#include "store/sqlite.hpp"

namespace tally::testing {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "tally-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  std::string p = file(name);
  fs::create_directories(fs::path(p).parent_path());
  std::ofstream out(p, std::ios::binary);
  out << content;
  return p;
}

MetricRun span(std::string from, std::string to, std::string compare, std::string params_yaml,
               std::string filters_yaml) {
  MetricRun r;
  r.from = std::move(from);
  r.to = std::move(to);
  r.compare = std::move(compare);
  r.params_yaml = std::move(params_yaml);
  r.filters_yaml = std::move(filters_yaml);
  return r;
}

StoreFixture::StoreFixture() : db_path_(dir_.file("store.db")) {
  auto db = store::open_for_writing(db_path_, true);
  db.exec(
      "INSERT INTO stages(name, position, probability, is_closed, is_won) VALUES"
      " ('Prospecting', 1, 0.1, 0, 0), ('Qualification', 2, 0.2, 0, 0), ('Proposal', 3, 0.5, 0, 0),"
      " ('Negotiation', 4, 0.8, 0, 0), ('Closed Won', 5, 1.0, 1, 1), ('Closed Lost', 6, 0.0, 1, 0)");
}

void StoreFixture::exec(const std::string& sql) const {
  SQLite::Database db(db_path_, SQLite::OPEN_READWRITE);
  db.exec(sql);
}

run::RunResult StoreFixture::run_config(const std::string& config_yaml, unsigned jobs) const {
  static int counter = 0;
  std::string path = dir_.write("config-" + std::to_string(++counter) + ".yaml", config_yaml);
  config::Config cfg = config::load_config(path, config::process_env(), Date{2026, 1, 1});
  std::vector<std::string> dirs = cfg.plugin_paths;
  dirs.push_back(TALLY_TEST_PLUGIN_DIR);
  plugins::Registry registry(dirs);
  auto problems = config::validate(
      cfg, [&](const std::string& n) { return registry.find(n); }, registry.names(plugins::Kind::Metric),
      registry.names(plugins::Kind::Report));
  if (!problems.empty()) throw DiagnosticError(problems);
  auto backend = store::open_backend(cfg.data.empty() ? db_path_ : cfg.data);
  return run::run_metrics(cfg, registry, *backend, jobs);
}

run::MetricResult StoreFixture::run_metric(const std::string& plugin, const MetricRun& r) const {
  std::ostringstream yaml;
  yaml << "title: test\n"
       << "data: " << db_path_ << "\n"
       << "fiscal_year_start: " << r.fiscal_year_start << "\n"
       << "period: {from: " << r.from << ", to: " << r.to << ", compare: " << r.compare << "}\n";
  if (!r.filters_yaml.empty()) yaml << "filters: {" << r.filters_yaml << "}\n";
  yaml << "metrics:\n  - use: " << plugin << "\n";
  if (!r.params_yaml.empty()) yaml << "    params: {" << r.params_yaml << "}\n";
  if (!r.targets_yaml.empty()) yaml << "    targets: {" << r.targets_yaml << "}\n";
  try {
    auto result = run_config(yaml.str());
    return result.metrics.at(0);
  } catch (const std::exception& e) {
    run::MetricResult failed;
    failed.name = plugin;
    failed.plugin = plugin;
    failed.ok = false;
    failed.error = e.what();
    return failed;
  }
}

const run::Kpi& kpi(const run::MetricResult& m, const std::string& name) {
  if (const run::Kpi* k = m.find_kpi(name)) return *k;
  std::string names;
  for (const auto& k : m.kpis) names += " " + k.name;
  ADD_FAILURE() << "no KPI '" << name << "' in " << m.name << "; it has:" << names
                << (m.ok ? "" : " (metric failed: " + m.error + ")");
  static const run::Kpi missing;
  return missing;
}

const run::Table& table(const run::MetricResult& m, const std::string& name) {
  if (const run::Table* t = m.find_table(name)) return *t;
  std::string names;
  for (const auto& t : m.tables) names += " " + t.name;
  ADD_FAILURE() << "no table '" << name << "' in " << m.name << "; it has:" << names
                << (m.ok ? "" : " (metric failed: " + m.error + ")");
  static const run::Table missing;
  return missing;
}

const std::vector<Value>& row(const run::Table& t, const std::string& key_column, const std::string& key) {
  int c = t.column_index(key_column);
  if (c >= 0)
    for (const auto& r : t.rows) {
      const auto* s = std::get_if<std::string>(&r[static_cast<size_t>(c)]);
      if (s && *s == key) return r;
    }
  ADD_FAILURE() << "table '" << t.name << "' has no row with " << key_column << " = '" << key << "'";
  static const std::vector<Value> missing;
  return missing;
}

namespace {
const Value* cell(const run::Table& t, const std::vector<Value>& r, const std::string& column) {
  int c = t.column_index(column);
  if (c < 0 || static_cast<size_t>(c) >= r.size()) {
    ADD_FAILURE() << "table '" << t.name << "' has no column '" << column << "' (or the row is missing)";
    return nullptr;
  }
  return &r[static_cast<size_t>(c)];
}
}  // namespace

double number(const run::Table& t, const std::vector<Value>& r, const std::string& column) {
  const Value* v = cell(t, r, column);
  if (!v) return std::nan("");
  if (auto* i = std::get_if<int64_t>(v)) return static_cast<double>(*i);
  if (auto* d = std::get_if<double>(v)) return *d;
  ADD_FAILURE() << "cell " << t.name << "." << column << " is not a number";
  return std::nan("");
}

std::string text(const run::Table& t, const std::vector<Value>& r, const std::string& column) {
  const Value* v = cell(t, r, column);
  if (!v) return {};
  if (auto* s = std::get_if<std::string>(v)) return *s;
  ADD_FAILURE() << "cell " << t.name << "." << column << " is not text";
  return {};
}

bool is_na(const run::Table& t, const std::vector<Value>& r, const std::string& column) {
  const Value* v = cell(t, r, column);
  return v && is_null(*v);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace tally::testing

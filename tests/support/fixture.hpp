// Test fixtures shared by host and plugin tests: a temporary Tally store
// filled by SQL, and a way to run one metric plugin on it through the real
// host (manifest checks, loader, C boundary, runner), exactly as `tally run`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "run/result.hpp"

namespace tally::testing {

// A fresh temporary directory, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes `content` to path()/name and returns the full path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

struct MetricRun {
  std::string from;              // 'YYYY-MM-DD', inclusive
  std::string to;                // exclusive
  std::string compare = "none";  // none | previous_period | previous_year
  std::string params_yaml;       // flow-map body, e.g. "group_by: competitor, top_n: 3"
  std::string filters_yaml;      // flow-map body, e.g. "region: [EMEA]"
  std::string targets_yaml;      // flow-map body, e.g. "win_rate: 0.3"
  int fiscal_year_start = 1;
};

// A run over [from, to), without designated initializers.
MetricRun span(std::string from, std::string to, std::string compare = "none", std::string params_yaml = "",
               std::string filters_yaml = "");

// A temporary store with the canonical schema and the default stages:
// Prospecting(1, 0.1) Qualification(2, 0.2) Proposal(3, 0.5) Negotiation(4, 0.8)
// Closed Won(5, 1, closed, won) Closed Lost(6, 0, closed) — tests may replace them.
class StoreFixture {
 public:
  StoreFixture();
  const std::string& db_path() const { return db_path_; }
  const TempDir& dir() const { return dir_; }

  // Runs SQL statements on the store (several separated by ';').
  void exec(const std::string& sql) const;
  // Runs one metric plugin from the build tree on this store; the result
  // has ok=false and the error when the plugin or a config check fails.
  run::MetricResult run_metric(const std::string& plugin, const MetricRun& run) const;
  // Runs a whole config text (written into the temp dir) through the host,
  // `jobs` metrics at a time.
  run::RunResult run_config(const std::string& config_yaml, unsigned jobs = 1) const;

 private:
  TempDir dir_;
  std::string db_path_;
};

// A file's whole content, byte for byte ("" when it cannot be read).
std::string slurp(const std::string& path);

// Lookups that fail the current test with a clear message when absent.
const run::Kpi& kpi(const run::MetricResult& m, const std::string& name);
const run::Table& table(const run::MetricResult& m, const std::string& name);
// The row whose column `key_column` has text `key`.
const std::vector<Value>& row(const run::Table& t, const std::string& key_column, const std::string& key);
// A cell by column name, as double (int or real) / text / null-check.
double number(const run::Table& t, const std::vector<Value>& row, const std::string& column);
std::string text(const run::Table& t, const std::vector<Value>& row, const std::string& column);
bool is_na(const run::Table& t, const std::vector<Value>& row, const std::string& column);

}  // namespace tally::testing

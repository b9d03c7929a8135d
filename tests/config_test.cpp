// Report configs: parsing, ${VAR} substitution, periods, compare periods and
// validation against manifests. Diagnostics are checked word for word,
// with their line:column, because they are what an admin reads.
#include "config/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>

namespace tally::config {
namespace {

namespace fs = std::filesystem;

// "line:column: message" per diagnostic, one a line; the temp file name is left out.
std::string describe(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) {
    out += std::to_string(d.where.line) + ":" + std::to_string(d.where.column) + ": " + d.message + "\n";
  }
  return out;
}

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("tally_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& text, const std::string& name = "report.yaml") {
    const fs::path path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  Config load(const std::string& text, const EnvLookup& env = env_of({}), Date today = Date{2026, 1, 15}) {
    return load_config(write(text), env, today);
  }

  // The diagnostics load_config throws, or "no error".
  std::string errors(const std::string& text, const EnvLookup& env = env_of({})) {
    try {
      load(text, env);
    } catch (const DiagnosticError& e) {
      return describe(e.diagnostics());
    }
    return "no error";
  }

  fs::path dir_;
};

const char* kMinimal = "period: {last: quarter}\nmetrics: [{use: pipeline}]\n";

TEST_F(ConfigTest, MinimalConfigHasDefaults) {
  Config config = load(kMinimal);
  EXPECT_EQ(config.currency, "USD");
  EXPECT_EQ(config.fiscal_year_start, 1);
  EXPECT_EQ(config.as_of, (Date{2026, 1, 15}));
  EXPECT_EQ(config.period.from, (Date{2025, 10, 1}));
  EXPECT_EQ(config.period.to, (Date{2026, 1, 1}));
  EXPECT_EQ(config.compare, CompareMode::None);
  EXPECT_FALSE(config.compare_period.has_value());
  ASSERT_EQ(config.metrics.size(), 1u);
  EXPECT_EQ(config.metrics[0].use, "pipeline");
  EXPECT_EQ(config.metrics[0].name, "pipeline");
  EXPECT_EQ(config.metrics[0].where.line, 2);
  EXPECT_EQ(config.metrics[0].where.column, 12);
  EXPECT_TRUE(config.reports.empty());
}

TEST_F(ConfigTest, FullConfig) {
  Config config = load(R"(title: Quarterly sales review
data: data/demo.db
currency: EUR
fiscal_year_start: april
as_of: 2025-11-20
period: {last: quarter, compare: previous_period}
filters: {region: [EMEA, NA], segment: SMB}
plugin_paths: [plugins, /opt/tally/plugins]
metrics:
  - use: pipeline
  - use: win_loss
    as: losses_by_competitor
    title: Losses by competitor
    params: {group_by: competitor, top_n: 5}
    targets: {win_rate: 0.3}
reports:
  - use: table
  - use: html
    path: out/quarterly.html
)");
  EXPECT_EQ(config.title, "Quarterly sales review");
  EXPECT_EQ(config.data, (dir_ / "data/demo.db").string());
  EXPECT_EQ(config.data_where.line, 2);
  EXPECT_EQ(config.currency, "EUR");
  EXPECT_EQ(config.fiscal_year_start, 4);
  // Fiscal quarters from April: 2025-11-20 is in Q3 (Oct-Dec), so the last one is Q2.
  EXPECT_EQ(config.period.from, (Date{2025, 7, 1}));
  EXPECT_EQ(config.period.to, (Date{2025, 10, 1}));
  ASSERT_TRUE(config.compare_period.has_value());
  EXPECT_EQ(config.compare_period->from, (Date{2025, 4, 1}));
  EXPECT_EQ(config.compare_period->to, (Date{2025, 7, 1}));
  EXPECT_EQ(config.filters.at("region"), (std::vector<std::string>{"EMEA", "NA"}));
  EXPECT_EQ(config.filters.at("segment"), (std::vector<std::string>{"SMB"}));
  EXPECT_EQ(config.plugin_paths,
            (std::vector<std::string>{(dir_ / "plugins").string(), "/opt/tally/plugins"}));
  ASSERT_EQ(config.metrics.size(), 2u);
  const PluginUse& win_loss = config.metrics[1];
  EXPECT_EQ(win_loss.use, "win_loss");
  EXPECT_EQ(win_loss.name, "losses_by_competitor");
  EXPECT_EQ(win_loss.title, "Losses by competitor");
  EXPECT_EQ(std::get<std::string>(win_loss.params.at("group_by").scalar), "competitor");
  EXPECT_EQ(std::get<std::string>(win_loss.params.at("top_n").scalar), "5");
  EXPECT_EQ(win_loss.param_where.at("top_n").line, 14);
  EXPECT_EQ(win_loss.param_where.at("top_n").column, 43);
  EXPECT_DOUBLE_EQ(win_loss.targets.at("win_rate"), 0.3);
  ASSERT_EQ(config.reports.size(), 2u);
  EXPECT_TRUE(config.reports[0].params.empty());
  EXPECT_EQ(std::get<std::string>(config.reports[1].params.at("path").scalar), "out/quarterly.html");
}

TEST_F(ConfigTest, DataUrlAndAbsolutePathAreKeptAsWritten) {
  EXPECT_EQ(load(std::string("data: postgresql://db/sales\n") + kMinimal).data, "postgresql://db/sales");
  EXPECT_EQ(load(std::string("data: /var/tally.db\n") + kMinimal).data, "/var/tally.db");
}

TEST_F(ConfigTest, UnknownTopLevelKeySuggestsTheClosest) {
  EXPECT_EQ(
      errors(std::string("titel: Review\n") + kMinimal),
      "1:1: unknown key 'titel'; did you mean 'title'? valid: title, data, currency, fiscal_year_start, "
      "as_of, period, compare, filters, plugin_paths, metrics, reports, deliver, alerts, require_signed, "
      "trusted_keys\n");
  EXPECT_EQ(
      errors(std::string("colour: red\n") + kMinimal),
      "1:1: unknown key 'colour'; valid: title, data, currency, fiscal_year_start, as_of, period, compare, "
      "filters, plugin_paths, metrics, reports, deliver, alerts, require_signed, trusted_keys\n");
}

TEST_F(ConfigTest, ReportsAllProblemsAtOnce) {
  EXPECT_EQ(
      errors(R"(title: x
currency: usd
fiscal_year_start: 13
period: {from: 2025-02-30, to: 2025-04-01}
filters: {regon: EMEA}
metrics:
  - use: win_loss
    as: Bad-Name
)"),
      "2:11: currency must be a 3-letter code in capitals, like USD or EUR; got 'usd'\n"
      "3:20: fiscal_year_start must be a month: 1-12 or a name like april or Apr; got '13'\n"
      "4:16: invalid date '2025-02-30' for from; expected YYYY-MM-DD\n"
      "5:11: unknown dimension 'regon' in filters; did you mean 'region'? valid: rep, team, manager, region, "
      "segment, industry, source, product\n"
      "8:9: `as: Bad-Name` is not a valid name: use lowercase letters, digits and _, like "
      "losses_by_competitor\n");
}

TEST_F(ConfigTest, FromNotBeforeToPointsAtTo) {
  EXPECT_EQ(
      errors("period:\n  from: 2025-07-01\n  to: 2025-07-01\nmetrics: [pipeline]\n"),
      "3:7: period to (2025-07-01) must be after from (2025-07-01); to is the first day not included\n");
}

TEST_F(ConfigTest, MissingPeriodAndMetrics) {
  EXPECT_EQ(errors("title: x\n"),
            "1:1: period is required: add e.g. `period: {last: quarter}`\n"
            "1:1: metrics is required: list the metric plugins to run, e.g. `metrics: [{use: pipeline}]`\n");
  EXPECT_EQ(errors("period: {last: month}\nmetrics: []\n"),
            "2:10: metrics must list at least one metric, like `- use: pipeline`\n");
}

TEST_F(ConfigTest, BadPeriodShapes) {
  EXPECT_EQ(
      errors("period: {last: quater}\nmetrics: [a]\n"),
      "1:16: unknown period 'quater'; did you mean 'quarter'? valid: day, week, month, quarter, year\n");
  EXPECT_EQ(errors("period: {last: month, from: 2025-01-01, to: 2025-02-01}\nmetrics: [a]\n"),
            "1:10: use either from/to or last in period, not both\n");
  EXPECT_EQ(errors("period: {from: 2025-01-01}\nmetrics: [a]\n"), "1:10: period has from but no to\n");
  EXPECT_EQ(
      errors("period: {last: month, compare: previous_yaer}\nmetrics: [a]\n"),
      "1:32: unknown compare mode 'previous_yaer'; did you mean 'previous_year'? valid: previous_period, "
      "previous_year, none\n");
  EXPECT_EQ(errors("period: {from: 2025-01-01, to: 2025-02-01T00:00}\nmetrics: [a]\n"),
            "1:32: invalid date '2025-02-01T00:00' for to; expected YYYY-MM-DD\n");
  EXPECT_EQ(errors("period: last quarter\nmetrics: [a]\n"),
            "1:9: period must be a map, like {last: quarter} or {from: 2025-07-01, to: 2025-10-01}\n");
}

TEST_F(ConfigTest, TopLevelCompare) {
  Config config = load("period: {from: 2024-03-01, to: 2024-03-08}\ncompare: previous_year\nmetrics: [a]\n");
  EXPECT_EQ(config.compare, CompareMode::PreviousYear);
  ASSERT_TRUE(config.compare_period);
  EXPECT_EQ(config.compare_period->from, (Date{2023, 3, 1}));
  EXPECT_EQ(config.compare_period->to, (Date{2023, 3, 8}));
  EXPECT_EQ(errors("period: {last: year, compare: none}\ncompare: previous_year\nmetrics: [a]\n"),
            "2:1: compare is also given in period; keep one of them\n");
}

TEST_F(ConfigTest, AsOfAndFiscalYearStartForms) {
  Config config = load("as_of: 2025-05-10\nfiscal_year_start: Apr\nperiod: {this: year}\nmetrics: [a]\n");
  EXPECT_EQ(config.fiscal_year_start, 4);
  EXPECT_EQ(config.period.from, (Date{2025, 4, 1}));
  EXPECT_EQ(config.period.to, (Date{2026, 4, 1}));
  EXPECT_EQ(load("fiscal_year_start: 7\nperiod: {last: day}\nmetrics: [a]\n").fiscal_year_start, 7);
  EXPECT_EQ(errors("as_of: 2025-13-01\nperiod: {last: day}\nmetrics: [a]\n"),
            "1:8: invalid date '2025-13-01' for as_of; expected YYYY-MM-DD\n");
}

TEST_F(ConfigTest, EnvSubstitution) {
  auto env = env_of({{"DB", "postgresql://warehouse/sales"}, {"REGION", "EMEA"}, {"EMPTY", ""}});
  Config config = load(R"(title: "Sales for ${REGION:-all} (${MISSING:-everyone}) costs $$5"
data: ${DB}
as_of: ${AS_OF:-}
period: {last: month}
filters: {region: ["${REGION}", "${EMPTY:-NA}"]}
metrics: [pipeline]
)",
                       env);
  EXPECT_EQ(config.title, "Sales for EMEA (everyone) costs $5");
  EXPECT_EQ(config.data, "postgresql://warehouse/sales");
  EXPECT_EQ(config.as_of, (Date{2026, 1, 15}));
  EXPECT_EQ(config.filters.at("region"), (std::vector<std::string>{"EMEA", "NA"}));
}

TEST_F(ConfigTest, EnvErrorsPointAtTheScalar) {
  EXPECT_EQ(errors("title: x\ndata: ${DB_PATH}\nperiod: {last: month}\nmetrics: [a]\n"),
            "2:7: environment variable DB_PATH is not set\n");
  EXPECT_EQ(errors("data: ${DB_URL:?set it to the warehouse URL}\nperiod: {last: month}\nmetrics: [a]\n"),
            "1:7: environment variable DB_URL is not set: set it to the warehouse URL\n");
  auto empty = env_of({{"EMPTY", ""}});
  EXPECT_EQ(errors("title: ${EMPTY:?need it}\nperiod: {last: month}\nmetrics: [a]\n", empty),
            "1:8: environment variable EMPTY is empty: need it\n");
  EXPECT_EQ(load("title: a${EMPTY-x}b\nperiod: {last: month}\nmetrics: [a]\n", empty).title, "ab");
  EXPECT_EQ(load("title: a${UNSET-x}b$c\nperiod: {last: month}\nmetrics: [a]\n", empty).title, "axb$c");
  EXPECT_EQ(errors("title: ${1X}\nperiod: {last: month}\nmetrics: [a]\n"),
            "1:8: invalid variable reference '${1X}'; use ${VAR}, ${VAR:-default} or ${VAR:?message}\n");
  EXPECT_EQ(errors("title: cost ${X\nperiod: {last: month}\nmetrics: [a]\n"),
            "1:8: unterminated '${' in 'cost ${X'; write $$ for a literal $\n");
}

TEST_F(ConfigTest, EnvInParams) {
  Config config =
      load("period: {last: month}\nmetrics:\n  - use: win_loss\n    params: {top_n: \"${TOP:-7}\"}\n");
  EXPECT_EQ(std::get<std::string>(config.metrics[0].params.at("top_n").scalar), "7");
}

TEST_F(ConfigTest, YamlSyntaxErrorHasThePosition) {
  EXPECT_EQ(errors("title: x\nperiod: {last: month\nmetrics: [a]\n"),
            "3:8: invalid YAML: end of map flow not found\n");
  EXPECT_EQ(errors("title: x\n  bad: indent\n"), "2:6: invalid YAML: illegal map value\n");
}

TEST_F(ConfigTest, MissingFileNamesTheFile) {
  const std::string path = (dir_ / "nope.yaml").string();
  try {
    load_config(path, env_of({}), Date{2026, 1, 15});
    FAIL() << "expected an error";
  } catch (const DiagnosticError& e) {
    ASSERT_EQ(e.diagnostics().size(), 1u);
    EXPECT_EQ(e.diagnostics()[0].format(), path + ": cannot read config: No such file or directory");
  }
}

TEST_F(ConfigTest, DuplicateMetricNameNeedsAs) {
  EXPECT_EQ(
      errors("period: {last: month}\nmetrics:\n  - use: win_loss\n  - use: win_loss\n"),
      "4:5: metric name 'win_loss' is already used at line 3; add `as:` to give this one its own name\n");
  EXPECT_EQ(errors("period: {last: month}\nmetrics:\n  - use: a\n    as: x\n  - use: b\n    as: x\n"),
            "6:9: metric name 'x' is already used at line 4; pick another `as:` name\n");
  Config config =
      load("period: {last: month}\nmetrics:\n  - use: win_loss\n  - use: win_loss\n    as: by_rep\n");
  EXPECT_EQ(config.metrics[1].name, "by_rep");
}

TEST_F(ConfigTest, MetricEntryProblems) {
  EXPECT_EQ(errors("period: {last: month}\nmetrics:\n  - use: win_loss\n    group_by: rep\n  - as: x\n"),
            "4:5: unknown key 'group_by' in metric; valid: use, as, title, params, targets, isolation, "
            "timeout, memory\n"
            "5:5: metric needs `use:` naming the plugin to run\n");
  EXPECT_EQ(errors("period: {last: month}\nmetrics: [\"${M:-}\"]\n"),
            "2:11: metric needs `use:` naming the plugin to run\n");
  EXPECT_EQ(errors("period: {last: month}\nmetrics: pipeline\n"),
            "2:10: metrics must be a list: each item starts with `- use:`\n");
  EXPECT_EQ(errors("period: {last: month}\nmetrics:\n  - use: a\n    targets: {win_rate: high}\n"),
            "4:25: target for 'win_rate' must be a number; got 'high'\n");
}

TEST_F(ConfigTest, ReportParamsInlineOrUnderParams) {
  Config config = load(R"(period: {last: month}
metrics: [pipeline]
reports:
  - use: html
    path: out/demo.html
  - use: csv
    params: {dir: out}
)");
  ASSERT_EQ(config.reports.size(), 2u);
  EXPECT_EQ(std::get<std::string>(config.reports[0].params.at("path").scalar), "out/demo.html");
  EXPECT_EQ(config.reports[0].param_where.at("path").line, 5);
  EXPECT_EQ(config.reports[0].param_where.at("path").column, 11);
  EXPECT_EQ(std::get<std::string>(config.reports[1].params.at("dir").scalar), "out");
  EXPECT_EQ(errors("period: {last: month}\nmetrics: [a]\nreports:\n  - use: html\n    path: a\n    params: "
                   "{path: b}\n"),
            "5:5: param 'path' for html is given twice (inline and under params:)\n");
}

TEST_F(ConfigTest, FilterShapes) {
  EXPECT_EQ(errors("period: {last: month}\nfilters: {region: []}\nmetrics: [a]\n"),
            "2:19: filter region needs at least one value\n");
  EXPECT_EQ(errors("period: {last: month}\nfilters: {region: {a: b}}\nmetrics: [a]\n"),
            "2:19: filter region must be a list, like [a, b]\n");
}

TEST_F(ConfigTest, DuplicateKey) {
  EXPECT_EQ(errors("title: a\ntitle: b\nperiod: {last: month}\nmetrics: [a]\n"),
            "2:1: duplicate key 'title'\n");
}

// --- periods -------------------------------------------------------------

class PeriodTest : public ConfigTest {
 protected:
  Period resolve(const std::string& period, const std::string& as_of, int fiscal_start = 1) {
    Config config = load("as_of: " + as_of + "\nfiscal_year_start: " + std::to_string(fiscal_start) +
                         "\nperiod: " + period + "\nmetrics: [a]\n");
    return config.period;
  }
};

std::string text(const Period& period) {
  return period.from.iso() + ".." + period.to.iso();
}

TEST_F(PeriodTest, LastAndThisCalendar) {
  EXPECT_EQ(text(resolve("{last: quarter}", "2026-01-15")), "2025-10-01..2026-01-01");
  EXPECT_EQ(text(resolve("{this: quarter}", "2026-01-15")), "2026-01-01..2026-04-01");
  EXPECT_EQ(text(resolve("{last: month}", "2026-01-15")), "2025-12-01..2026-01-01");
  EXPECT_EQ(text(resolve("{this: month}", "2024-02-10")), "2024-02-01..2024-03-01");
  EXPECT_EQ(text(resolve("{last: year}", "2026-01-15")), "2025-01-01..2026-01-01");
  EXPECT_EQ(text(resolve("{this: year}", "2026-01-15")), "2026-01-01..2027-01-01");
  EXPECT_EQ(text(resolve("{last: day}", "2026-03-01")), "2026-02-28..2026-03-01");
  EXPECT_EQ(text(resolve("{this: day}", "2026-03-01")), "2026-03-01..2026-03-02");
  // 2026-01-15 is a Thursday; weeks start on Monday.
  EXPECT_EQ(text(resolve("{last: week}", "2026-01-15")), "2026-01-05..2026-01-12");
  EXPECT_EQ(text(resolve("{this: week}", "2026-01-15")), "2026-01-12..2026-01-19");
  // On a Monday, the last week is the one that just ended.
  EXPECT_EQ(text(resolve("{last: week}", "2026-01-12")), "2026-01-05..2026-01-12");
  // On the first day of a quarter, the last quarter is the one just ended.
  EXPECT_EQ(text(resolve("{last: quarter}", "2025-07-01")), "2025-04-01..2025-07-01");
}

TEST_F(PeriodTest, FiscalYearStartingInApril) {
  // FY Q1 = Apr-Jun, Q2 = Jul-Sep, Q3 = Oct-Dec, Q4 = Jan-Mar.
  EXPECT_EQ(text(resolve("{last: quarter}", "2026-01-15", 4)), "2025-10-01..2026-01-01");
  EXPECT_EQ(text(resolve("{this: quarter}", "2026-05-15", 4)), "2026-04-01..2026-07-01");
  EXPECT_EQ(text(resolve("{last: year}", "2026-01-15", 4)), "2024-04-01..2025-04-01");
  EXPECT_EQ(text(resolve("{this: year}", "2026-01-15", 4)), "2025-04-01..2026-04-01");
  EXPECT_EQ(text(resolve("{last: year}", "2026-04-01", 4)), "2025-04-01..2026-04-01");
  // Fiscal start does not change months and weeks.
  EXPECT_EQ(text(resolve("{last: month}", "2026-04-01", 4)), "2026-03-01..2026-04-01");
}

TEST_F(PeriodTest, FiscalQuartersNotAlignedToCalendarQuarters) {
  // FY from February: quarters Feb-Apr, May-Jul, Aug-Oct, Nov-Jan.
  EXPECT_EQ(text(resolve("{this: quarter}", "2026-01-15", 2)), "2025-11-01..2026-02-01");
  EXPECT_EQ(text(resolve("{last: quarter}", "2026-01-15", 2)), "2025-08-01..2025-11-01");
}

TEST(ComparePeriod, PreviousPeriodWholeMonths) {
  // Q3 -> Q2 although Q3 has 92 days and Q2 has 91.
  EXPECT_EQ(text(compare_period_for({{2025, 7, 1}, {2025, 10, 1}}, CompareMode::PreviousPeriod)),
            "2025-04-01..2025-07-01");
  // Jan-Mar -> Oct-Dec of the year before.
  EXPECT_EQ(text(compare_period_for({{2026, 1, 1}, {2026, 4, 1}}, CompareMode::PreviousPeriod)),
            "2025-10-01..2026-01-01");
  // March -> February, of a leap year.
  EXPECT_EQ(text(compare_period_for({{2024, 3, 1}, {2024, 4, 1}}, CompareMode::PreviousPeriod)),
            "2024-02-01..2024-03-01");
}

TEST(ComparePeriod, PreviousPeriodDays) {
  EXPECT_EQ(text(compare_period_for({{2025, 7, 15}, {2025, 7, 22}}, CompareMode::PreviousPeriod)),
            "2025-07-08..2025-07-15");
  EXPECT_EQ(text(compare_period_for({{2024, 3, 1}, {2024, 3, 15}}, CompareMode::PreviousPeriod)),
            "2024-02-16..2024-03-01");
}

TEST(ComparePeriod, PreviousYear) {
  EXPECT_EQ(text(compare_period_for({{2025, 7, 1}, {2025, 10, 1}}, CompareMode::PreviousYear)),
            "2024-07-01..2024-10-01");
  // Feb 29 has no twin: it becomes Feb 28.
  EXPECT_EQ(text(compare_period_for({{2024, 2, 29}, {2024, 3, 1}}, CompareMode::PreviousYear)),
            "2023-02-28..2023-03-01");
  EXPECT_EQ(text(compare_period_for({{2024, 2, 1}, {2024, 2, 29}}, CompareMode::PreviousYear)),
            "2023-02-01..2023-02-28");
  // A period that would collapse to nothing keeps one day.
  EXPECT_EQ(text(compare_period_for({{2024, 2, 28}, {2024, 2, 29}}, CompareMode::PreviousYear)),
            "2023-02-28..2023-03-01");
}

// --- validate ------------------------------------------------------------

class ValidateTest : public ConfigTest {
 protected:
  void SetUp() override {
    ConfigTest::SetUp();
    plugins::Manifest win_loss = plugins::parse_manifest_text(R"(name: win_loss
kind: metric
version: 1.0.0
summary: Won and lost deals
params:
  group_by: {type: enum, values: [reason, competitor, segment, product, rep], default: reason, doc: "break down by"}
  top_n: {type: int, min: 1, max: 100, default: 10, doc: "rows to show"}
  min_amount: {type: number, min: 0, doc: "ignore smaller deals"}
  include_open: {type: bool, default: false, doc: "count open deals"}
  stages: {type: list, values: [won, lost, open], doc: "stages to count"}
  since: {type: date, doc: "first close date"}
)",
                                                              "win_loss.plugin.yaml", false);
    plugins::Manifest quota = plugins::parse_manifest_text(
        "name: quota_attainment\nkind: metric\nversion: 0.1.0\nsummary: Quota attainment\n"
        "params:\n  quota_table: {type: string, required: true, doc: \"where quotas live\"}\n",
        "quota.plugin.yaml", false);
    plugins::Manifest pipeline =
        plugins::parse_manifest_text("name: pipeline\nkind: metric\nversion: 1.0.0\nsummary: Open pipeline\n",
                                     "pipeline.plugin.yaml", false);
    plugins::Manifest html = plugins::parse_manifest_text(
        "name: html\nkind: report\nversion: 1.0.0\nsummary: HTML page\n"
        "params:\n  path: {type: path, default: \"{title}.html\", doc: \"output file\"}\n",
        "html.plugin.yaml", false);
    for (auto* m : {&win_loss, &quota, &pipeline, &html}) manifests_[m->name] = *m;
  }

  std::string check(const std::string& text, Config* out = nullptr) {
    Config config = load(text);
    auto find = [this](const std::string& name) -> const plugins::Manifest* {
      auto it = manifests_.find(name);
      return it == manifests_.end() ? nullptr : &it->second;
    };
    auto diagnostics = validate(config, find, {"pipeline", "quota_attainment", "win_loss"}, {"html"});
    if (out) *out = config;
    return diagnostics.empty() ? "ok" : describe(diagnostics);
  }

  std::map<std::string, plugins::Manifest> manifests_;
};

TEST_F(ValidateTest, UnknownPluginSuggestsAndListsInstalled) {
  EXPECT_EQ(
      check("period: {last: month}\nmetrics:\n  - use: pipline\n"),
      "3:5: unknown metric plugin 'pipline'; did you mean 'pipeline'? installed: pipeline, quota_attainment, "
      "win_loss\n");
  EXPECT_EQ(check("period: {last: month}\nmetrics: [pipeline]\nreports: [pdf]\n"),
            "3:11: unknown report plugin 'pdf'; installed: html\n");
}

TEST_F(ValidateTest, WrongKind) {
  EXPECT_EQ(check("period: {last: month}\nmetrics: [html]\n"),
            "2:11: 'html' is a report plugin, not a metric plugin; installed metric plugins: pipeline, "
            "quota_attainment, win_loss\n");
}

TEST_F(ValidateTest, UnknownParamListsValid) {
  EXPECT_EQ(
      check("period: {last: month}\nmetrics:\n  - use: win_loss\n    params: {grup_by: rep}\n"),
      "4:23: unknown param 'grup_by' for win_loss; valid: group_by, top_n, min_amount, include_open, stages, "
      "since\n");
  EXPECT_EQ(check("period: {last: month}\nmetrics:\n  - use: pipeline\n    params: {x: 1}\n"),
            "4:17: unknown param 'x' for pipeline; pipeline takes no params\n");
}

TEST_F(ValidateTest, TypeEnumAndRangeErrors) {
  EXPECT_EQ(
      check(R"(period: {last: month}
metrics:
  - use: win_loss
    params:
      group_by: compettor
      top_n: ten
      min_amount: -5
      include_open: maybe
      stages: [won, lots]
      since: 2025-02-29
  - use: win_loss
    as: second
    params: {top_n: 500, group_by: [rep, segment], min_amount: 1e400}
)"),
      "5:17: param 'group_by' for win_loss: 'compettor' is not allowed; did you mean 'competitor'? valid: "
      "reason, competitor, segment, product, rep\n"
      "6:14: param 'top_n' for win_loss: expected a whole number, got 'ten'\n"
      "7:19: param 'min_amount' for win_loss: -5 is below the minimum 0\n"
      "8:21: param 'include_open' for win_loss: expected true or false, got 'maybe'\n"
      "9:15: param 'stages' for win_loss: 'lots' is not allowed; did you mean 'lost'? valid: won, lost, "
      "open\n"
      "10:14: param 'since' for win_loss: expected a date YYYY-MM-DD, got '2025-02-29'\n"
      "13:21: param 'top_n' for win_loss: 500 is above the maximum 100\n"
      "13:36: param 'group_by' for win_loss: expected a single enum value, got a list\n"
      "13:64: param 'min_amount' for win_loss: expected a number, got '1e400'\n");
}

TEST_F(ValidateTest, TypedValuesAndDefaults) {
  Config config;
  ASSERT_EQ(check(R"(period: {last: month}
metrics:
  - use: win_loss
    params: {top_n: 25, min_amount: 1000.5, include_open: yes, stages: won, since: 2025-01-31}
  - use: win_loss
    as: defaults
reports:
  - use: html
)",
                  &config),
            "ok");
  const auto& given = config.metrics[0].params;
  EXPECT_EQ(std::get<int64_t>(given.at("top_n").scalar), 25);
  EXPECT_DOUBLE_EQ(std::get<double>(given.at("min_amount").scalar), 1000.5);
  EXPECT_EQ(std::get<int64_t>(given.at("include_open").scalar), 1);
  EXPECT_TRUE(given.at("stages").is_list);
  EXPECT_EQ(given.at("stages").list, (std::vector<std::string>{"won"}));
  EXPECT_EQ(std::get<std::string>(given.at("since").scalar), "2025-01-31");
  EXPECT_EQ(std::get<std::string>(given.at("group_by").scalar), "reason");  // default

  const auto& defaults = config.metrics[1].params;
  EXPECT_EQ(std::get<std::string>(defaults.at("group_by").scalar), "reason");
  EXPECT_EQ(std::get<int64_t>(defaults.at("top_n").scalar), 10);
  EXPECT_EQ(std::get<int64_t>(defaults.at("include_open").scalar), 0);
  EXPECT_EQ(defaults.count("min_amount"), 0u);  // no default: n/a
  EXPECT_EQ(std::get<std::string>(config.reports[0].params.at("path").scalar), "{title}.html");

  // Validating again changes nothing.
  auto find = [this](const std::string& name) -> const plugins::Manifest* { return &manifests_.at(name); };
  EXPECT_TRUE(validate(config, find, {}, {}).empty());
  EXPECT_EQ(std::get<int64_t>(config.metrics[0].params.at("top_n").scalar), 25);
}

TEST_F(ValidateTest, MissingRequiredParamPointsAtUse) {
  EXPECT_EQ(check("period: {last: month}\nmetrics:\n  - use: quota_attainment\n"),
            "3:5: missing required param 'quota_table' for quota_attainment (where quotas live)\n");
}

TEST_F(ValidateTest, InlineReportParamsAreValidated) {
  Config config;
  EXPECT_EQ(
      check("period: {last: month}\nmetrics: [pipeline]\nreports:\n  - use: html\n    path: out/demo.html\n",
            &config),
      "ok");
  EXPECT_EQ(std::get<std::string>(config.reports[0].params.at("path").scalar), "out/demo.html");
  EXPECT_EQ(
      check("period: {last: month}\nmetrics: [pipeline]\nreports:\n  - use: html\n    paht: out/demo.html\n"),
      "5:11: unknown param 'paht' for html; valid: path\n");
}

}  // namespace
}  // namespace tally::config

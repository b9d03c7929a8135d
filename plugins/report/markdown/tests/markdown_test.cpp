// The markdown report's text, without a host: GFM tables, KPI list, n/a,
// escaping and failed metrics.
#include <gtest/gtest.h>

#include "../markdown_writer.hpp"

namespace {

using tally::sdk::Chart;
using tally::sdk::Kpi;
using tally::sdk::MetricView;
using tally::sdk::TableView;
using tally::sdk::Unit;
using tally::sdk::Value;
namespace md = tally::markdown;

md::Document sample() {
  md::Document doc;
  doc.title = "Q4 review";
  doc.period = {"2025-10-01", "2026-01-01"};
  doc.compare = tally::sdk::Period{"2025-07-01", "2025-10-01"};
  MetricView m;
  m.name = "win_loss";
  m.plugin = "win_loss";
  m.title = "Win/loss";
  Kpi rate;
  rate.name = "win_rate";
  rate.label = "Win rate";
  rate.unit = Unit::Percent;
  rate.value = 0.32;
  rate.previous = 0.28;
  rate.target = 0.4;
  Kpi lost;
  lost.name = "lost_amount";
  lost.label = "Lost amount";
  lost.unit = Unit::Money;
  lost.value = 1'234'567.0;
  m.kpis = {rate, lost};
  TableView t;
  t.name = "by_reason";
  t.title = "Lost deals by reason";
  t.chart = Chart::Bar;
  t.columns = {
      {"reason", Unit::Text}, {"lost", Unit::Count}, {"amount", Unit::Money}, {"share", Unit::Percent}};
  t.rows = {{std::string("price | too high"), int64_t{12}, 45'000.7, 0.5},
            {std::string("timing"), int64_t{3}, Value{}, Value{}}};
  TableView trend;
  trend.name = "trend";
  trend.title = "Monthly";
  trend.chart = Chart::Line;
  trend.chart_x = "month";
  trend.chart_ys = {"won"};
  trend.columns = {{"month", Unit::Date}, {"won", Unit::Count}};
  trend.rows = {{std::string("2025-10-01"), int64_t{1}},
                {std::string("2025-11-01"), int64_t{8}},
                {std::string("2025-12-01"), int64_t{4}}};
  m.tables = {t, trend};
  MetricView failed;
  failed.name = "churn";
  failed.title = "Churn";
  failed.ok = false;
  failed.error = "no subscriptions";
  doc.metrics = {m, failed};
  return doc;
}

}  // namespace

TEST(Markdown, HeaderAndKpiList) {
  std::string s = md::render(sample());
  EXPECT_EQ(s.rfind("# Q4 review\n\nPeriod 1 Oct 2025 – 31 Dec 2025 (inclusive), compared with 1 Jul 2025 – "
                    "30 Sep 2025 (inclusive). Money in USD.\n\n## Win/loss\n\n",
                    0),
            0u)
      << s;
  EXPECT_NE(s.find("- **Win rate**: 32.0% ▲ +4.0 pp (better), was 28.0%; target 40.0% (80% of target)\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("- **Lost amount**: $1,234,567, was n/a\n"), std::string::npos) << s;
}

TEST(Markdown, GithubTablesWithAlignedNumbersAndEscaping) {
  std::string s = md::render(sample());
  EXPECT_NE(s.find("### Lost deals by reason\n\n"
                   "| Reason | Lost | Amount | Share |\n"
                   "| --- | --: | --: | --: |\n"
                   "| price \\| too high | 12 | $45,001 | 50.0% |\n"
                   "| Timing | 3 | n/a | n/a |\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("Trend of Won: `▁█▄`"), std::string::npos) << s;
  // Month starts read as months.
  EXPECT_NE(s.find("| Month | Won |\n| --- | --: |\n| Oct 2025 | 1 |\n"), std::string::npos) << s;
}

TEST(Markdown, WarningsAndProvenanceUnderTheTitle) {
  md::Document doc = sample();
  doc.warnings = {"one", "two"};
  doc.facts = {{"data_source", "postgresql://ann:pw@db/sales"}, {"tally_version", "0.1.0"}};
  std::string s = md::render(doc);
  EXPECT_NE(s.find("Money in USD.\n\n> **Warning:** one\n>\n> **Warning:** two\n\n"
                   "Data source: postgresql://ann@db/sales · Tally version: 0.1.0\n\n## Win/loss"),
            std::string::npos)
      << s;
  EXPECT_EQ(s.find("pw@"), std::string::npos);
}

TEST(Markdown, CompareStatusNotesAndTargetSource) {
  md::Document doc = sample();
  auto& m = doc.metrics[0];
  m.notes = {"New business only."};
  m.kpis[0].compare_status = TALLY_COMPARE_NOT_COMPARABLE;
  m.kpis[0].note = "cohort still maturing";
  m.kpis[0].target_source = "config";
  m.kpis[1].compare_status = TALLY_COMPARE_NO_DATA;
  m.kpis[1].previous = 0.0;
  std::string s = md::render(doc);
  EXPECT_NE(s.find("## Win/loss\n\n> **Note:** New business only.\n\n"), std::string::npos) << s;
  EXPECT_NE(s.find("- **Win rate**: 32.0%, not comparable; target 40.0% (80% of target), from config — "
                   "_cohort still maturing_\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("- **Lost amount**: $1,234,567, no data to compare\n"), std::string::npos) << s;
}

TEST(Markdown, FailedMetricIsAQuote) {
  std::string s = md::render(sample());
  EXPECT_NE(s.find("## Churn\n\n> **Failed:** no subscriptions\n"), std::string::npos) << s;
}

TEST(Markdown, EmptyTableSaysSo) {
  md::Document doc = sample();
  doc.compare.reset();
  doc.metrics[0].tables[0].rows.clear();
  std::string s = md::render(doc);
  EXPECT_NE(s.find("| --- | --: | --: | --: |\n\n_No rows in this period._\n"), std::string::npos) << s;
  EXPECT_NE(s.find("- **Win rate**: 32.0%; target 40.0% (80% of target)\n"), std::string::npos) << s;
}

TEST(Markdown, EscapesMarkup) {
  EXPECT_EQ(md::escape("a|b*c`d[e]<f>\\g\nh"), "a\\|b\\*c\\`d\\[e\\]\\<f\\>\\\\g h");
}

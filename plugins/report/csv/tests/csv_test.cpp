// The csv report's files, without a host: RFC 4180 quoting, header rows,
// unformatted numbers, n/a as empty, kpis.csv and safe file names.
#include <gtest/gtest.h>

#include "../csv_writer.hpp"

namespace {

using tally::sdk::Kpi;
using tally::sdk::MetricView;
using tally::sdk::TableView;
using tally::sdk::Unit;
using tally::sdk::Value;
namespace csv = tally::csv;

}  // namespace

TEST(Csv, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(csv::field("plain"), "plain");
  EXPECT_EQ(csv::field(""), "");
  EXPECT_EQ(csv::field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv::field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv::field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv::field(" padded "), "\" padded \"");
}

TEST(Csv, TableHasHeaderAndUnformattedNumbers) {
  TableView t;
  t.name = "by_stage";
  t.columns = {
      {"stage", Unit::Text}, {"deals", Unit::Count}, {"amount", Unit::Money}, {"win_rate", Unit::Percent}};
  t.rows = {{std::string("Proposal, late"), int64_t{1234}, 1234567.25, 0.3125},
            {std::string("Prospecting"), int64_t{0}, Value{}, 1e6}};
  EXPECT_EQ(csv::table(t),
            "stage,deals,amount,win_rate\r\n"
            "\"Proposal, late\",1234,1234567.25,0.3125\r\n"
            "Prospecting,0,,1000000\r\n");
}

TEST(Csv, EmptyTableIsJustTheHeader) {
  TableView t;
  t.columns = {{"a", Unit::Text}, {"b b", Unit::Count}};
  EXPECT_EQ(csv::table(t), "a,b b\r\n");
}

TEST(Csv, KpisOfEveryMetric) {
  MetricView m;
  m.name = "win_loss";
  Kpi rate;
  rate.name = "win_rate";
  rate.label = "Win rate, closed";
  rate.unit = Unit::Percent;
  rate.value = 0.5;
  rate.previous = 0.25;
  Kpi lost;
  lost.name = "lost";
  lost.label = "Lost";
  lost.unit = Unit::Money;
  lost.target = 100.0;
  m.kpis = {rate, lost};
  MetricView failed;
  failed.name = "churn";
  failed.ok = false;
  failed.kpis = {rate};
  EXPECT_EQ(csv::kpis({m, failed}),
            "metric,kpi,label,unit,value,previous,change,target,compare_status,note,target_source\r\n"
            "win_loss,win_rate,\"Win rate, closed\",percent,0.5,0.25,0.25,,ok,,\r\n"
            "win_loss,lost,Lost,money,,,,100,ok,,\r\n");
}

TEST(Csv, KpisSayWhenTheComparisonIsNotLikeForLike) {
  MetricView m;
  m.name = "lead_funnel";
  Kpi k;
  k.name = "won";
  k.label = "Won";
  k.unit = Unit::Money;
  k.value = 448113.799999997;
  k.previous = 0.0;
  k.compare_status = TALLY_COMPARE_NO_DATA;
  k.target = 500000.004;
  k.target_source = "quotas table, sum of 12 reps";
  Kpi c = k;
  c.name = "conv";
  c.compare_status = TALLY_COMPARE_NOT_COMPARABLE;
  c.note = "cohort still maturing";
  m.kpis = {k, c};
  // No change when not comparable; money to the cent.
  EXPECT_EQ(csv::kpis({m}),
            "metric,kpi,label,unit,value,previous,change,target,compare_status,note,target_source\r\n"
            "lead_funnel,won,Won,money,448113.8,0,,500000,no_data,,\"quotas table, sum of 12 reps\"\r\n"
            "lead_funnel,conv,Won,money,448113.8,0,,500000,not_comparable,cohort still maturing,"
            "\"quotas table, sum of 12 reps\"\r\n");
}

TEST(Csv, MoneyColumnsAreRoundedToCents) {
  TableView t;
  t.columns = {{"amount", Unit::Money}, {"ratio", Unit::Number}};
  t.rows = {{448113.799999997, 0.123456789}};
  EXPECT_EQ(csv::table(t), "amount,ratio\r\n448113.8,0.123456789\r\n");
}

TEST(Csv, RunFileStatesPeriodProvenanceWarningsAndNotes) {
  csv::RunInfo run;
  run.title = "Review";
  run.period = {"2025-10-01", "2026-01-01"};
  run.facts = {{"data_source", "postgresql://ann:pw@db/sales"}, {"tally_version", "0.1.0"}};
  run.warnings = {"target for 'x' matches no KPI"};
  MetricView m;
  m.name = "churn";
  m.notes = {"breakdown covers churned accounts only"};
  EXPECT_EQ(csv::run_info(run, {m}),
            "field,value\r\n"
            "title,Review\r\n"
            "period,1 Oct 2025 – 31 Dec 2025 (inclusive)\r\n"
            "period_from,2025-10-01\r\n"
            "period_to_exclusive,2026-01-01\r\n"
            "data_source,postgresql://ann@db/sales\r\n"
            "tally_version,0.1.0\r\n"
            "warning,target for 'x' matches no KPI\r\n"
            "note:churn,breakdown covers churned accounts only\r\n");
}

TEST(Csv, FileNamesStayInTheFolder) {
  EXPECT_EQ(csv::file_name("win_loss", "by_reason"), "win_loss__by_reason.csv");
  EXPECT_EQ(csv::file_name("../x", "a/b"), "___x__a_b.csv");
}

TEST(Csv, FormulasAreNeutralisedWithALeadingQuote) {
  EXPECT_EQ(csv::field("=HYPERLINK(\"http://x\",\"y\")"), "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
  EXPECT_EQ(csv::field("+cmd"), "'+cmd");
  EXPECT_EQ(csv::field("-1+2"), "'-1+2");
  EXPECT_EQ(csv::field("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(csv::field("\tx"), "'\tx");
  EXPECT_EQ(csv::field("\rx"), "\"'\rx\"");
  // Text that reads as a number is a value, not a formula.
  EXPECT_EQ(csv::field("-12.5"), "-12.5");
  EXPECT_EQ(csv::field("+3"), "+3");
  EXPECT_EQ(csv::field("-1e6"), "-1e6");
  EXPECT_EQ(csv::field("a=b"), "a=b");
  // formula_guard: false writes the text as it is.
  EXPECT_EQ(csv::field("=1+2", false), "=1+2");
  EXPECT_EQ(csv::field("@x", false), "@x");
}

TEST(Csv, TheGuardCoversTableCellsAndKpiLabels) {
  TableView t;
  t.name = "t";
  t.columns = {{"rep", Unit::Text}, {"delta", Unit::Money}};
  t.rows = {{std::string("=cmd|' /C calc'!A0"), -12.5}, {std::string("-5"), int64_t{-3}}};
  EXPECT_EQ(csv::table(t), "rep,delta\r\n'=cmd|' /C calc'!A0,-12.5\r\n-5,-3\r\n");
  EXPECT_EQ(csv::table(t, false), "rep,delta\r\n=cmd|' /C calc'!A0,-12.5\r\n-5,-3\r\n");
  MetricView m;
  m.name = "m";
  m.ok = true;
  Kpi k;
  k.name = "k";
  k.label = "@label";
  k.unit = Unit::Count;
  k.value = -2;
  m.kpis = {k};
  EXPECT_EQ(csv::kpis({m}),
            "metric,kpi,label,unit,value,previous,change,target,compare_status,note,target_source\r\n"
            "m,k,'@label,count,-2,,,,ok,,\r\n");
}

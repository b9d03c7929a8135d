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
            "metric,kpi,label,unit,value,previous,change,target\r\n"
            "win_loss,win_rate,\"Win rate, closed\",percent,0.5,0.25,0.25,\r\n"
            "win_loss,lost,Lost,money,,,,100\r\n");
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
            "metric,kpi,label,unit,value,previous,change,target\r\nm,k,'@label,count,-2,,,\r\n");
}

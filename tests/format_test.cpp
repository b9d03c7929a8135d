// The SDK's words-for-people helpers (format.hpp) that every report uses:
// labels, the period, month buckets, column number formats, cents, and the
// data source without its password. Values worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <tally/format.hpp>

namespace {

namespace fmt = tally::format;
using tally::sdk::TableView;
using tally::sdk::Unit;
using tally::sdk::Value;

TEST(FormatLabels, SnakeCaseBecomesWordsWithAcronymsUpperCase) {
  EXPECT_EQ(fmt::humanize("win_rate"), "Win rate");
  EXPECT_EQ(fmt::humanize("ending_arr"), "Ending ARR");
  EXPECT_EQ(fmt::humanize("mrr_lost"), "MRR lost");
  EXPECT_EQ(fmt::humanize("p50_days"), "P50 days");
  EXPECT_EQ(fmt::humanize("created_in_period"), "Created in period");
  EXPECT_EQ(fmt::humanize("skipped_a_stage"), "Skipped a stage");
  EXPECT_EQ(fmt::humanize("mid_market"), "Mid-market");
  EXPECT_EQ(fmt::humanize("emea"), "EMEA");
  EXPECT_EQ(fmt::humanize("top_by_tickets_per_user"), "Top by tickets per user");
  EXPECT_EQ(fmt::humanize("q4"), "Q4");
  EXPECT_EQ(fmt::humanize("no decision"), "No decision");
  EXPECT_EQ(fmt::humanize("emea mid_market"), "EMEA mid-market");
}

TEST(FormatLabels, TextThatIsNotSnakeCaseIsLeftAlone) {
  EXPECT_EQ(fmt::humanize("Closed Won"), "Closed Won");
  EXPECT_EQ(fmt::humanize("Ann O'Neil"), "Ann O'Neil");
  EXPECT_EQ(fmt::humanize("ann@example.com"), "ann@example.com");
  EXPECT_EQ(fmt::humanize("2025"), "2025");
  EXPECT_EQ(fmt::humanize(""), "");
}

TEST(FormatLabels, SnakeCaseInsideTitlesBecomesWords) {
  EXPECT_EQ(fmt::label("Accounts (top by tickets_per_user)"), "Accounts (top by tickets per user)");
  EXPECT_EQ(fmt::label("Movement by mrr_lost"), "Movement by MRR lost");
  EXPECT_EQ(fmt::label("created_in_period"), "Created in period");
  EXPECT_EQ(fmt::label("Win rate"), "Win rate");
  EXPECT_EQ(fmt::label("ACME_Corp rep"), "ACME_Corp rep");  // not lower snake_case: left alone
}

TEST(FormatDates, PeriodIsStatedOneWayWithTheLastDayInclusive) {
  EXPECT_EQ(fmt::period({"2025-10-01", "2026-01-01"}), "1 Oct 2025 – 31 Dec 2025 (inclusive)");
  // A leap February ends on the 29th.
  EXPECT_EQ(fmt::period({"2024-02-01", "2024-03-01"}), "1 Feb 2024 – 29 Feb 2024 (inclusive)");
  EXPECT_EQ(fmt::human_date("2025-07-04"), "4 Jul 2025");
  EXPECT_EQ(fmt::human_date("not a date"), "not a date");
}

TEST(FormatDates, MonthStartsReadAsMonths) {
  EXPECT_EQ(fmt::human_month("2025-10-01"), "Oct 2025");
  TableView t;
  t.columns = {{"month", Unit::Text}, {"closed", Unit::Date}};
  t.rows = {{Value{std::string("2025-10-01")}, Value{std::string("2025-10-01")}},
            {Value{std::string("2025-11-01")}, Value{std::string("2025-11-17")}}};
  auto month = fmt::column_format(t, 0);
  auto closed = fmt::column_format(t, 1);
  EXPECT_TRUE(month.months);
  EXPECT_EQ(fmt::cell(t.rows[1][0], month), "Nov 2025");
  // One day that is not the 1st: the column holds dates, not months.
  EXPECT_FALSE(closed.months);
  EXPECT_EQ(fmt::cell(t.rows[0][1], closed), "2025-10-01");
}

TableView one_column(Unit unit, std::vector<Value> values) {
  TableView t;
  t.columns = {{"x", unit}};
  for (auto& v : values) t.rows.push_back({v});
  return t;
}

std::vector<std::string> cells(const TableView& t) {
  auto f = fmt::column_format(t, 0);
  std::vector<std::string> out;
  for (const auto& r : t.rows) out.push_back(fmt::cell(r[0], f));
  return out;
}

TEST(FormatColumns, OneNumberFormatPerColumn) {
  // Money: any amount from 1,000 up makes the column whole dollars.
  EXPECT_EQ(cells(one_column(Unit::Money, {305.22, 14754.0})), (std::vector<std::string>{"$305", "$14,754"}));
  // Small amounts keep their cents, all of them.
  EXPECT_EQ(cells(one_column(Unit::Money, {305.22, 12.5, 7.0})),
            (std::vector<std::string>{"$305.22", "$12.50", "$7.00"}));
  // Numbers: 13, 12.4, 10 all with one decimal.
  EXPECT_EQ(cells(one_column(Unit::Number, {int64_t{13}, 12.4, int64_t{10}})),
            (std::vector<std::string>{"13.0", "12.4", "10.0"}));
  // Some need two decimals: all get two.
  EXPECT_EQ(cells(one_column(Unit::Number, {1.0, 2.25})), (std::vector<std::string>{"1.00", "2.25"}));
  // 1 next to 1.00 (an int and a whole double) is 1 and 1.
  EXPECT_EQ(cells(one_column(Unit::Number, {int64_t{1}, 1.0})), (std::vector<std::string>{"1", "1"}));
  EXPECT_EQ(cells(one_column(Unit::Percent, {0.3126, 0.5})), (std::vector<std::string>{"31.3%", "50.0%"}));
  EXPECT_EQ(cells(one_column(Unit::Days, {12.0, 3.4})), (std::vector<std::string>{"12.0 d", "3.4 d"}));
  EXPECT_EQ(cells(one_column(Unit::Money, {Value{}, 5.0})), (std::vector<std::string>{"n/a", "$5"}));
}

TEST(FormatColumns, TextValuesAreHumanised) {
  EXPECT_EQ(cells(one_column(Unit::Text, {std::string("mid_market"), std::string("Acme Corp")})),
            (std::vector<std::string>{"Mid-market", "Acme Corp"}));
}

TEST(FormatMachines, MoneyIsRoundedToCents) {
  EXPECT_EQ(fmt::cents(448113.799999997), 448113.8);
  EXPECT_EQ(fmt::plain(fmt::cents(448113.799999997)), "448113.8");
  EXPECT_EQ(fmt::cents(10.005000001), 10.01);
  EXPECT_EQ(fmt::cents(-0.001), 0.0);
  EXPECT_FALSE(std::signbit(fmt::cents(-0.001)));
  EXPECT_EQ(fmt::for_machines(0.3333333, Unit::Percent), 0.3333333);
  EXPECT_EQ(fmt::for_machines(0.3333333, Unit::Money), 0.33);
}

TEST(FormatProvenance, DataSourceNeverCarriesAPassword) {
  EXPECT_EQ(fmt::redact_source("postgresql://ann:s3cret@db.example:5432/sales"),
            "postgresql://ann@db.example:5432/sales");
  EXPECT_EQ(fmt::redact_source("clickhouse://db/x?user=a&password=p&secure=1"),
            "clickhouse://db/x?user=a&secure=1");
  EXPECT_EQ(fmt::redact_source("clickhouse://db/x?password=p&secure=1"), "clickhouse://db/x?secure=1");
  EXPECT_EQ(fmt::redact_source("clickhouse://db/x?Password=p"), "clickhouse://db/x");
  EXPECT_EQ(fmt::redact_source("host=db user=a password=x dbname=s"), "host=db user=a dbname=s");
  EXPECT_EQ(fmt::redact_source("sqlite:data/demo.db"), "sqlite:data/demo.db");
  EXPECT_EQ(fmt::redact_source("postgresql://ann@db/sales"), "postgresql://ann@db/sales");
}

TEST(FormatProvenance, FactsInAFixedOrderForPeople) {
  auto p = fmt::provenance({{"tally_version", "0.1.0"},
                            {"data_source", "postgresql://a:pw@h/db"},
                            {"data_to", "2025-12-31"},
                            {"data_from", "2024-01-02"},
                            {"generated_at", "2026-12-02T01:00:00Z"}});
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0], (std::pair<std::string, std::string>{"Data source", "postgresql://a@h/db"}));
  EXPECT_EQ(p[1], (std::pair<std::string, std::string>{"Data covers", "2 Jan 2024 – 31 Dec 2025"}));
  EXPECT_EQ(p[2].first, "Generated at");
  EXPECT_EQ(p[3], (std::pair<std::string, std::string>{"Tally version", "0.1.0"}));
}

TEST(FormatKpis, ComparisonFollowsTheCompareStatus) {
  tally::sdk::Kpi k;
  k.unit = Unit::Count;
  k.value = 4238;
  k.previous = 0;
  EXPECT_EQ(fmt::comparison(k), "+4,238");
  k.compare_status = TALLY_COMPARE_NO_DATA;
  EXPECT_EQ(fmt::comparison(k), "no data");
  k.compare_status = TALLY_COMPARE_NOT_COMPARABLE;
  EXPECT_EQ(fmt::comparison(k), "not comparable");
  EXPECT_STREQ(fmt::compare_status_name(TALLY_COMPARE_NOT_COMPARABLE), "not_comparable");
}

}  // namespace

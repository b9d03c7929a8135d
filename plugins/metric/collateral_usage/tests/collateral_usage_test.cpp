// Collateral usage on a small store; every expected figure is worked out by hand in the comments.
#include <gtest/gtest.h>

#include "support/fixture.hpp"

using namespace tally::testing;

namespace {

// Period Q1 2025 = [2025-01-01, 2025-04-01); previous period [2024-10-01, 2025-01-01).
// Deals: 1 Ann won 2025-02-01, 2 Bob lost 2025-03-01, 3 Ann lost 2025-03-05, 4 Bob won 2025-01-20
//        (no collateral), 5 Ann open, 6 Bob won 2024-11-01.
// Uses:  Deck       Ann/1 01-10, Ann/1 01-11, Bob/2 02-10, Ann/5 03-01
//        Case study Bob/2 2025-02-20, Bob/6 2024-10-15
//        Old flyer  Ann/3 2024-12-20
//        Never      (no use);   Future: created 2025-06-01, after the period
void seed(const StoreFixture& f) {
  f.exec(
      "INSERT INTO reps(id,name,region) VALUES (1,'Ann','EMEA'),(2,'Bob','NA');"
      "INSERT INTO collateral(id,name,type,created_at) VALUES (1,'Deck','deck','2024-01-01'),"
      "(2,'Case study','case_study','2024-01-01'),(3,'Old flyer','flyer','2024-01-01'),"
      "(4,'Never','whitepaper','2024-01-01'),(5,'Future','deck','2025-06-01');"
      "INSERT INTO opportunities(id,owner_id,amount,status,created_at,closed_at) VALUES"
      " (1,1,100,'won','2024-12-01','2025-02-01'),(2,2,100,'lost','2024-12-01','2025-03-01'),"
      " (3,1,100,'lost','2024-12-01','2025-03-05'),(4,2,100,'won','2024-12-01','2025-01-20'),"
      " (5,1,100,'open','2024-12-01',NULL),(6,2,100,'won','2024-09-01','2024-11-01');"
      "INSERT INTO collateral_usage(collateral_id,rep_id,opportunity_id,used_at) VALUES"
      " (1,1,1,'2025-01-10 09:00:00'),(1,1,1,'2025-01-11 10:00:00'),(1,2,2,'2025-02-10 11:00:00'),"
      " (1,1,5,'2025-03-01 12:00:00'),(2,2,2,'2025-02-20 08:00:00'),(2,2,6,'2024-10-15 08:00:00'),"
      " (3,1,3,'2024-12-20 15:00:00');");
}

MetricRun q1(std::string params = "", std::string filters = "") {
  return span("2025-01-01", "2025-04-01", "previous_period", std::move(params), std::move(filters));
}

}  // namespace

TEST(CollateralUsage, PerItem) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("collateral_usage", q1());
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "items");
  ASSERT_EQ(t.rows.size(), 4u);                   // Future did not exist at the period end
  EXPECT_EQ(text(t, t.rows[0], "item"), "Deck");  // most used first
  const auto& deck = row(t, "item", "Deck");
  EXPECT_DOUBLE_EQ(number(t, deck, "uses"), 4);
  EXPECT_DOUBLE_EQ(number(t, deck, "reps"), 2);
  EXPECT_EQ(text(t, deck, "last_used"), "2025-03-01");
  // Closed deals with Deck: 1 won, 2 lost -> 0.5; without it: 4 won, 3 lost -> 0.5.
  EXPECT_DOUBLE_EQ(number(t, deck, "win_rate_with"), 0.5);
  EXPECT_DOUBLE_EQ(number(t, deck, "win_rate_without"), 0.5);
  // Case study: deal 2 lost -> 0; without: 1, 4 won, 3 lost -> 2/3. One rep, one use in the period.
  const auto& cs = row(t, "item", "Case study");
  EXPECT_DOUBLE_EQ(number(t, cs, "uses"), 1);
  EXPECT_DOUBLE_EQ(number(t, cs, "win_rate_with"), 0.0);
  EXPECT_DOUBLE_EQ(number(t, cs, "win_rate_without"), 2.0 / 3.0);
  // Never: no use, no last use, no deals -> n/a.
  const auto& never = row(t, "item", "Never");
  EXPECT_DOUBLE_EQ(number(t, never, "uses"), 0);
  EXPECT_TRUE(is_na(t, never, "last_used"));
  EXPECT_TRUE(is_na(t, never, "win_rate_with"));
  EXPECT_DOUBLE_EQ(number(t, never, "unused"), 1);
  // Old flyer: last used 2024-12-20, before the period, on deal 3 that closed lost in it.
  const auto& flyer = row(t, "item", "Old flyer");
  EXPECT_DOUBLE_EQ(number(t, flyer, "uses"), 0);
  EXPECT_EQ(text(t, flyer, "last_used"), "2024-12-20");
  EXPECT_DOUBLE_EQ(number(t, flyer, "lost_with"), 1);
}

TEST(CollateralUsage, KpisAndUnused) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("collateral_usage", q1());
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "items_used").value, 2);    // Deck, Case study
  EXPECT_DOUBLE_EQ(*kpi(m, "items_unused").value, 2);  // nothing since 2025-01-01: Old flyer, Never
  EXPECT_FALSE(kpi(m, "items_unused").higher_is_better);
  // Closed in Q1 with any collateral: 1 won, 2 and 3 lost -> 1/3; without: 4 won -> 1.
  EXPECT_DOUBLE_EQ(*kpi(m, "win_rate_with_collateral").value, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(*kpi(m, "win_rate_without_collateral").value, 1.0);
  const auto& u = table(m, "unused_items");
  ASSERT_EQ(u.rows.size(), 2u);
  EXPECT_EQ(text(u, u.rows[0], "item"), "Never");  // never used first
  EXPECT_EQ(text(u, u.rows[1], "item"), "Old flyer");

  // Previous period: used Case study (2024-10-15) and Old flyer (2024-12-20); Deck and Never unused
  // since 2024-10-01. Closed: 6 won with Case study -> 1; none without -> n/a.
  EXPECT_DOUBLE_EQ(*kpi(m, "items_used").previous, 2);
  EXPECT_DOUBLE_EQ(*kpi(m, "items_unused").previous, 2);
  EXPECT_DOUBLE_EQ(*kpi(m, "win_rate_with_collateral").previous, 1.0);
  EXPECT_FALSE(kpi(m, "win_rate_without_collateral").previous.has_value());
}

TEST(CollateralUsage, UnusedMonthsParam) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("collateral_usage", q1("unused_months: 1"));
  ASSERT_TRUE(m.ok) << m.error;
  // Cutoff 2025-03-01: Deck (2025-03-01) is used; Case study (02-20), Old flyer, Never are not.
  EXPECT_DOUBLE_EQ(*kpi(m, "items_unused").value, 3);
}

TEST(CollateralUsage, EmptyPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("collateral_usage",
                        MetricRun{.from = "2020-01-01", .to = "2020-04-01", .compare = "previous_period"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "items_used").value, 0);
  EXPECT_DOUBLE_EQ(*kpi(m, "items_unused").value, 0);  // no item existed yet
  EXPECT_FALSE(kpi(m, "win_rate_with_collateral").value.has_value());
  EXPECT_FALSE(kpi(m, "win_rate_without_collateral").value.has_value());
  EXPECT_TRUE(table(m, "items").rows.empty());
}

TEST(CollateralUsage, OneDayPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("collateral_usage", MetricRun{.from = "2025-03-01", .to = "2025-03-02"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "items_used").value, 1);  // Deck, on deal 5
  // Closed that day: 2, lost, with Deck and Case study.
  EXPECT_DOUBLE_EQ(*kpi(m, "win_rate_with_collateral").value, 0.0);
  EXPECT_FALSE(kpi(m, "win_rate_without_collateral").value.has_value());
}

TEST(CollateralUsage, RegionFilter) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("collateral_usage", q1("top_n: 1", "region: [EMEA]"));
  ASSERT_TRUE(m.ok) << m.error;
  // Ann's uses only: Deck 3 times (deals 1, 1, 5), one rep.
  const auto& t = table(m, "items");
  ASSERT_EQ(t.rows.size(), 1u);  // top_n
  EXPECT_DOUBLE_EQ(number(t, row(t, "item", "Deck"), "uses"), 3);
  EXPECT_DOUBLE_EQ(number(t, row(t, "item", "Deck"), "reps"), 1);
  // Ann's closed deals: 1 won (Deck), 3 lost (Old flyer) -> 0.5 with; none without -> n/a.
  EXPECT_DOUBLE_EQ(*kpi(m, "win_rate_with_collateral").value, 0.5);
  EXPECT_FALSE(kpi(m, "win_rate_without_collateral").value.has_value());
}

TEST(CollateralUsage, DealTypesCompareLikeWithLike) {
  StoreFixture f;
  seed(f);
  // Two renewals closed in Q1, both won, neither used collateral: they lift
  // "without" unless the comparison keeps to new business.
  f.exec(
      "INSERT INTO opportunities(id,owner_id,amount,type,status,created_at,closed_at) VALUES"
      " (7,1,100,'renewal','won','2024-12-01','2025-02-02'),(8,2,100,'renewal','won','2024-12-01','2025-02-"
      "03')");
  auto all = f.run_metric("collateral_usage", q1());
  ASSERT_TRUE(all.ok) << all.error;
  // With any collateral (uses before the period end): 1 won; 2, 3 lost -> 1/3.
  // Without: 4, 7, 8 won, none lost -> 1.
  EXPECT_DOUBLE_EQ(*kpi(all, "win_rate_with_collateral").value, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(*kpi(all, "win_rate_without_collateral").value, 1.0);
  const auto& all_items = table(all, "items");
  // Deck used on 1 (won), 2 (lost); without Deck: 4, 7, 8 won, 3 lost -> 3/4.
  EXPECT_DOUBLE_EQ(number(all_items, row(all_items, "item", "Deck"), "win_rate_without"), 0.75);
  auto nb = f.run_metric("collateral_usage", q1("deal_types: [new_business]"));
  ASSERT_TRUE(nb.ok) << nb.error;
  // New business only: with 1/3 as before; without: 4 won -> 1; without Deck: 4 won, 3 lost -> 1/2.
  EXPECT_DOUBLE_EQ(*kpi(nb, "win_rate_with_collateral").value, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(*kpi(nb, "win_rate_without_collateral").value, 1.0);
  const auto& nb_items = table(nb, "items");
  EXPECT_DOUBLE_EQ(number(nb_items, row(nb_items, "item", "Deck"), "win_rate_without"), 0.5);
}

TEST(CollateralUsage, GroupByRegionIncludesNullGroup) {
  StoreFixture f;
  seed(f);
  // Cy has no region: deal 7 won 02-15 with Deck used by Cy on 02-01; deal 8 lost 03-10 and
  // renewal 9 won 02-20, neither with collateral.
  f.exec(
      "INSERT INTO reps(id,name,region) VALUES (3,'Cy',NULL);"
      "INSERT INTO opportunities(id,owner_id,amount,type,status,created_at,closed_at) VALUES"
      " (7,3,100,'new_business','won','2024-12-01','2025-02-15'),"
      " (8,3,100,'new_business','lost','2024-12-01','2025-03-10'),"
      " (9,3,100,'renewal','won','2024-12-01','2025-02-20');"
      "INSERT INTO collateral_usage(collateral_id,rep_id,opportunity_id,used_at) VALUES"
      " (1,3,7,'2025-02-01 09:00:00');");
  auto m = f.run_metric("collateral_usage", q1("group_by: region"));
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "by_region");
  EXPECT_EQ(t.chart, TALLY_CHART_BAR);
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(text(t, t.rows[0], "region"), "EMEA");    // most uses first
  EXPECT_EQ(text(t, t.rows[2], "region"), "(none)");  // NULL group last
  // EMEA (Ann): uses in Q1 Deck x3 -> 3, 1 rep. With: 1 won, 3 lost (Old flyer, used before) -> 1/2.
  // Ann's closed deals are 1 and 3, both with collateral: without is 0/0 -> n/a.
  const auto& emea = row(t, "region", "EMEA");
  EXPECT_EQ(number(t, emea, "uses"), 3);
  EXPECT_EQ(number(t, emea, "reps"), 1);
  EXPECT_DOUBLE_EQ(number(t, emea, "win_rate_with"), 0.5);
  EXPECT_TRUE(is_na(t, emea, "win_rate_without"));
  // NA (Bob): Deck and Case study on deal 2 -> 2 uses, 1 rep; with: 2 lost -> 0; without: 4 won -> 1.
  const auto& na = row(t, "region", "NA");
  EXPECT_EQ(number(t, na, "uses"), 2);
  EXPECT_EQ(number(t, na, "reps"), 1);
  EXPECT_DOUBLE_EQ(number(t, na, "win_rate_with"), 0.0);
  EXPECT_DOUBLE_EQ(number(t, na, "win_rate_without"), 1.0);
  // (none) (Cy): 1 use; with: 7 won -> 1; without: 9 won, 8 lost -> 1/2.
  const auto& none = row(t, "region", "(none)");
  EXPECT_EQ(number(t, none, "uses"), 1);
  EXPECT_EQ(number(t, none, "reps"), 1);
  EXPECT_DOUBLE_EQ(number(t, none, "win_rate_with"), 1.0);
  EXPECT_DOUBLE_EQ(number(t, none, "win_rate_without"), 0.5);
  // Headline unchanged: with 1, 7 won, 2, 3 lost -> 1/2; without 4, 9 won, 8 lost -> 2/3.
  EXPECT_DOUBLE_EQ(*kpi(m, "win_rate_with_collateral").value, 0.5);
  EXPECT_DOUBLE_EQ(*kpi(m, "win_rate_without_collateral").value, 2.0 / 3.0);
  EXPECT_NE(m.find_table("items"), nullptr);

  // deal_types [new_business] drops renewal 9: (none) without is 8 lost only -> 0; uses unchanged.
  auto nb = f.run_metric("collateral_usage", q1("group_by: region, deal_types: [new_business]"));
  ASSERT_TRUE(nb.ok) << nb.error;
  const auto& nt = table(nb, "by_region");
  EXPECT_DOUBLE_EQ(number(nt, row(nt, "region", "(none)"), "win_rate_with"), 1.0);
  EXPECT_DOUBLE_EQ(number(nt, row(nt, "region", "(none)"), "win_rate_without"), 0.0);
  EXPECT_EQ(number(nt, row(nt, "region", "(none)"), "uses"), 1);
  EXPECT_DOUBLE_EQ(number(nt, row(nt, "region", "NA"), "win_rate_without"), 1.0);
}

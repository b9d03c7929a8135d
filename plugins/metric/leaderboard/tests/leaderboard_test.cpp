// Numbers below are worked out by hand from the rows each test inserts.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "support/fixture.hpp"

using namespace tally::testing;

namespace {

// Q1 2025, closed deals: Ann won 100 + 200, lost 1 (win rate 2/3, quota 300 -> 100 %);
// Bob won 250 (win rate 1, quota 500 -> 50 %); Dan won 80, lost 3 (win rate 1/4, no quota);
// Cid has a quota of 200 and no closed deal. Bob's open deal does not count.
void seed(const StoreFixture& f) {
  f.exec(
      "INSERT INTO reps(id,name,region) VALUES "
      "(1,'Ann','EMEA'),(2,'Bob','NA'),(3,'Cid','EMEA'),(4,'Dan','NA');"
      "INSERT INTO quotas(rep_id,period_start,period_end,amount) VALUES"
      " (1,'2025-01-01','2025-04-01',300),(2,'2025-01-01','2025-04-01',500),(3,'2025-01-01','2025-04-01',200)"
      ";"
      "INSERT INTO opportunities(id,owner_id,amount,status,created_at,closed_at) VALUES"
      " (1,1,100,'won','2024-12-01','2025-01-15'),(2,1,200,'won','2024-12-01','2025-02-15'),"
      " (3,1,999,'lost','2024-12-01','2025-02-16'),(4,2,250,'won','2024-12-01','2025-02-10'),"
      " (5,4,80,'won','2024-12-01','2025-02-11'),(6,4,10,'lost','2024-12-01','2025-02-12'),"
      " (7,4,10,'lost','2024-12-01','2025-02-13'),(8,4,10,'lost','2024-12-01','2025-02-14'),"
      " (9,2,5000,'open','2025-01-01',NULL);");
}

std::vector<std::string> reps_in_order(const tally::run::Table& t) {
  std::vector<std::string> names;
  for (const auto& r : t.rows) names.push_back(text(t, r, "rep"));
  return names;
}

}  // namespace

TEST(Leaderboard, RankedByRevenue) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("leaderboard", span("2025-01-01", "2025-04-01"));
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "leaderboard");
  EXPECT_EQ(reps_in_order(t), (std::vector<std::string>{"Ann", "Bob", "Dan", "Cid"}));
  const auto& ann = row(t, "rep", "Ann");
  EXPECT_EQ(number(t, ann, "rank"), 1);
  EXPECT_EQ(number(t, ann, "deals_won"), 2);
  EXPECT_EQ(number(t, ann, "revenue"), 300);
  EXPECT_EQ(number(t, ann, "avg_deal_size"), 150);
  EXPECT_DOUBLE_EQ(number(t, ann, "win_rate"), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(number(t, ann, "attainment"), 1.0);
  const auto& cid = row(t, "rep", "Cid");  // a quota and no deals
  EXPECT_EQ(number(t, cid, "rank"), 4);
  EXPECT_TRUE(is_na(t, cid, "avg_deal_size"));
  EXPECT_TRUE(is_na(t, cid, "win_rate"));
  EXPECT_DOUBLE_EQ(number(t, cid, "attainment"), 0);
  EXPECT_TRUE(is_na(t, row(t, "rep", "Dan"), "attainment"));
}

TEST(Leaderboard, RankByWinRatePutsNaLast) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("leaderboard", span("2025-01-01", "2025-04-01", "none", "rank_by: win_rate"));
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "leaderboard");
  EXPECT_EQ(reps_in_order(t), (std::vector<std::string>{"Bob", "Ann", "Dan", "Cid"}));
  EXPECT_DOUBLE_EQ(number(t, row(t, "rep", "Dan"), "win_rate"), 0.25);
  EXPECT_TRUE(is_na(t, row(t, "rep", "Cid"), "rank"));
}

TEST(Leaderboard, TiesShareARank) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("leaderboard", span("2025-01-01", "2025-04-01", "none", "rank_by: deals_won"));
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "leaderboard");
  EXPECT_EQ(reps_in_order(t), (std::vector<std::string>{"Ann", "Bob", "Dan", "Cid"}));
  EXPECT_EQ(number(t, row(t, "rep", "Bob"), "rank"), 2);
  EXPECT_EQ(number(t, row(t, "rep", "Dan"), "rank"), 2);
  EXPECT_EQ(number(t, row(t, "rep", "Cid"), "rank"), 4);
}

TEST(Leaderboard, RankByAttainmentAndTopN) {
  StoreFixture f;
  seed(f);
  auto m =
      f.run_metric("leaderboard", span("2025-01-01", "2025-04-01", "none", "rank_by: attainment, top_n: 3"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_EQ(reps_in_order(table(m, "leaderboard")), (std::vector<std::string>{"Ann", "Bob", "Cid"}));
}

TEST(Leaderboard, EmptyPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("leaderboard", span("2030-01-01", "2030-04-01"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_TRUE(table(m, "leaderboard").rows.empty());
}

TEST(Leaderboard, OneDayPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("leaderboard", span("2025-02-10", "2025-02-11"));
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "leaderboard");
  ASSERT_EQ(t.rows.size(), 1u);  // Bob's single deal; no quota lies inside one day
  EXPECT_EQ(number(t, row(t, "rep", "Bob"), "avg_deal_size"), 250);
  EXPECT_TRUE(is_na(t, row(t, "rep", "Bob"), "attainment"));
}

TEST(Leaderboard, FilterByRegion) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("leaderboard", span("2025-01-01", "2025-04-01", "none", "", "region: [NA]"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_EQ(reps_in_order(table(m, "leaderboard")), (std::vector<std::string>{"Bob", "Dan"}));
}

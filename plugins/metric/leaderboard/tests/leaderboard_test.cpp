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

// Level region, Q1 2025: EMEA = Ann + Cid: won 2 (300), lost 1 -> average 150, win rate 2/3,
// quota 300 + 200 = 500 -> attainment 0.6. NA = Bob + Dan: won 2 (250 + 80 = 330), lost 3 ->
// average 165, win rate 2/5, quota 500 (Dan has none) -> attainment 0.66.
TEST(Leaderboard, LevelRegionSumsReps) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("leaderboard", span("2025-01-01", "2025-04-01", "none", "level: region"));
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "leaderboard");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(text(t, t.rows[0], "region"), "NA");  // 330 before 300
  const auto& emea = row(t, "region", "EMEA");
  EXPECT_EQ(number(t, emea, "rank"), 2);
  EXPECT_EQ(number(t, emea, "deals_won"), 2);
  EXPECT_EQ(number(t, emea, "revenue"), 300);
  EXPECT_EQ(number(t, emea, "avg_deal_size"), 150);
  EXPECT_DOUBLE_EQ(number(t, emea, "win_rate"), 2.0 / 3.0);
  EXPECT_EQ(number(t, emea, "quota"), 500);
  EXPECT_DOUBLE_EQ(number(t, emea, "attainment"), 0.6);
  const auto& na = row(t, "region", "NA");
  EXPECT_EQ(number(t, na, "revenue"), 330);
  EXPECT_EQ(number(t, na, "avg_deal_size"), 165);
  EXPECT_DOUBLE_EQ(number(t, na, "win_rate"), 0.4);
  EXPECT_DOUBLE_EQ(number(t, na, "attainment"), 330.0 / 500.0);

  auto by_win_rate = f.run_metric(
      "leaderboard", span("2025-01-01", "2025-04-01", "none", "level: region, rank_by: win_rate"));
  ASSERT_TRUE(by_win_rate.ok) << by_win_rate.error;
  const auto& w = table(by_win_rate, "leaderboard");
  EXPECT_EQ(text(w, w.rows[0], "region"), "EMEA");
}

// Level team: Red = Ann + Bob: won 3 (550), lost 1 -> win rate 3/4, quota 800 -> 0.6875.
// Blue = Dan: won 1 (80), lost 3, no quota -> attainment n/a. Cid has no team: "(none)" with
// his quota of 200 and no deal -> revenue 0, average and win rate n/a, attainment 0.
TEST(Leaderboard, LevelTeamKeepsRepsWithoutTeam) {
  StoreFixture f;
  seed(f);
  f.exec(
      "INSERT INTO teams(id,name,region) VALUES (10,'Red','EMEA'),(20,'Blue','NA');"
      "UPDATE reps SET team_id = 10 WHERE id IN (1, 2); UPDATE reps SET team_id = 20 WHERE id = 4;");
  auto m = f.run_metric("leaderboard", span("2025-01-01", "2025-04-01", "none", "level: team"));
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "leaderboard");
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(text(t, t.rows[0], "team"), "Red");
  EXPECT_EQ(text(t, t.rows[1], "team"), "Blue");
  const auto& red = row(t, "team", "Red");
  EXPECT_EQ(number(t, red, "deals_won"), 3);
  EXPECT_EQ(number(t, red, "revenue"), 550);
  EXPECT_DOUBLE_EQ(number(t, red, "avg_deal_size"), 550.0 / 3.0);
  EXPECT_DOUBLE_EQ(number(t, red, "win_rate"), 0.75);
  EXPECT_DOUBLE_EQ(number(t, red, "attainment"), 550.0 / 800.0);
  const auto& blue = row(t, "team", "Blue");
  EXPECT_DOUBLE_EQ(number(t, blue, "win_rate"), 0.25);
  EXPECT_TRUE(is_na(t, blue, "attainment"));
  const auto& none = row(t, "team", "(none)");
  EXPECT_EQ(number(t, none, "rank"), 3);
  EXPECT_EQ(number(t, none, "revenue"), 0);
  EXPECT_TRUE(is_na(t, none, "avg_deal_size"));
  EXPECT_TRUE(is_na(t, none, "win_rate"));
  EXPECT_DOUBLE_EQ(number(t, none, "attainment"), 0);
}

// Level manager: Meg manages Ann and Dan: won 3 (300 + 80 = 380), lost 4, quota 300 ->
// attainment 380/300. Bob and Cid have no manager: won 1 (250), quota 700 -> 250/700.
// With the EMEA filter only Ann (Meg) and Cid ((none): quota 200, nothing won) remain.
TEST(Leaderboard, LevelManagerAndFilter) {
  StoreFixture f;
  seed(f);
  f.exec(
      "INSERT INTO reps(id,name,region,role) VALUES (5,'Meg','EMEA','manager');"
      "UPDATE reps SET manager_id = 5 WHERE id IN (1, 4);");
  auto m = f.run_metric("leaderboard",
                        span("2025-01-01", "2025-04-01", "none", "level: manager, rank_by: attainment"));
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "leaderboard");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(text(t, t.rows[0], "manager"), "Meg");
  EXPECT_DOUBLE_EQ(number(t, row(t, "manager", "Meg"), "attainment"), 380.0 / 300.0);
  EXPECT_DOUBLE_EQ(number(t, row(t, "manager", "Meg"), "win_rate"), 3.0 / 7.0);
  EXPECT_DOUBLE_EQ(number(t, row(t, "manager", "(none)"), "attainment"), 250.0 / 700.0);

  auto emea = f.run_metric("leaderboard",
                           span("2025-01-01", "2025-04-01", "none", "level: manager", "region: [EMEA]"));
  ASSERT_TRUE(emea.ok) << emea.error;
  const auto& e = table(emea, "leaderboard");
  EXPECT_EQ(number(e, row(e, "manager", "Meg"), "revenue"), 300);
  EXPECT_EQ(number(e, row(e, "manager", "(none)"), "revenue"), 0);
  EXPECT_EQ(number(e, row(e, "manager", "(none)"), "quota"), 200);
}

TEST(Leaderboard, LevelEmptyPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("leaderboard", span("2030-01-01", "2030-04-01", "none", "level: region"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_TRUE(table(m, "leaderboard").rows.empty());
}

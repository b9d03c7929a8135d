// Hand-computed checks of territory_balance over Q1 2025 (period end 2025-04-01).
// Pipeline per rep: EMEA 2300/2 = 1150, NA 6000/1, APAC 400/1; median 1150.
#include <gtest/gtest.h>

#include "support/fixture.hpp"

// MetricRun is filled with designated initializers; the fields left out keep their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace tally::testing;

namespace {

void seed(StoreFixture& f) {
  f.exec(
      "INSERT INTO reps(id,name,region,role,hired_at,left_at) VALUES"
      " (1,'Ann','EMEA','rep',NULL,NULL),(2,'Alf','EMEA','rep',NULL,NULL),(3,'Bob','NA','rep',NULL,NULL),"
      " (4,'Meg','EMEA','manager',NULL,NULL),(5,'Zed','APAC','rep',NULL,NULL),"
      " (6,'Lou','LATAM','rep',NULL,'2025-02-01'),(7,'Ian','APAC','rep','2025-05-01',NULL);"
      "INSERT INTO opportunities(id,owner_id,amount,status,created_at,closed_at,stage) VALUES"
      " (1,1,1000,'open','2025-01-10',NULL,'Proposal'),"
      " (2,2,1000,'open','2024-12-01',NULL,'Qualification'),"
      " (3,1,500,'won','2025-01-05','2025-02-01','Closed Won'),"
      " (4,1,300,'won','2025-02-01','2025-05-01','Closed Won'),"
      " (5,1,200,'lost','2025-01-15','2025-03-01','Closed Lost'),"
      " (6,3,6000,'open','2025-03-01',NULL,'Proposal'),"
      " (7,3,100,'open','2025-04-05',NULL,'Prospecting'),"
      " (8,5,400,'open','2025-01-01',NULL,'Prospecting'),"
      " (9,6,900,'open','2025-01-20',NULL,'Prospecting');");
}

}  // namespace

TEST(TerritoryBalance, RegionsAndFlags) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("territory_balance",
                        {.from = "2025-01-01", .to = "2025-04-01", .compare = "previous_year"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "regions").value, 4);
  EXPECT_DOUBLE_EQ(*kpi(m, "open_pipeline").value, 9600);  // 2300 + 6000 + 400 + 900
  EXPECT_DOUBLE_EQ(*kpi(m, "median_pipeline_per_rep").value, 1150);
  EXPECT_DOUBLE_EQ(*kpi(m, "regions_flagged").value, 2);  // NA (5.2x) and APAC (0.35x)
  EXPECT_FALSE(kpi(m, "regions_flagged").higher_is_better);
  // Q1 2024: reps but no pipeline yet, so the median is 0 and nothing can be flagged.
  EXPECT_DOUBLE_EQ(*kpi(m, "median_pipeline_per_rep").previous, 0);
  EXPECT_DOUBLE_EQ(*kpi(m, "regions_flagged").previous, 0);

  const auto& t = table(m, "by_region");
  const auto& emea = row(t, "region", "EMEA");
  EXPECT_EQ(number(t, emea, "reps"), 2);        // the manager does not count
  EXPECT_EQ(number(t, emea, "open_deals"), 3);  // opp 4 was still open at the period end
  EXPECT_DOUBLE_EQ(number(t, emea, "open_pipeline"), 2300);
  EXPECT_DOUBLE_EQ(number(t, emea, "won_revenue"), 500);
  EXPECT_DOUBLE_EQ(number(t, emea, "pipeline_per_rep"), 1150);
  EXPECT_DOUBLE_EQ(number(t, emea, "ratio_to_median"), 1.0);
  EXPECT_EQ(number(t, emea, "rebalance"), 0);
  const auto& na = row(t, "region", "NA");
  EXPECT_DOUBLE_EQ(number(t, na, "open_pipeline"), 6000);  // opp 7 was created after the period
  EXPECT_DOUBLE_EQ(number(t, na, "ratio_to_median"), 6000.0 / 1150.0);
  EXPECT_EQ(number(t, na, "rebalance"), 1);
  EXPECT_NE(text(t, na, "note").find("over-loaded"), std::string::npos);
  const auto& apac = row(t, "region", "APAC");
  EXPECT_EQ(number(t, apac, "reps"), 1);  // Ian is hired after the period
  EXPECT_EQ(number(t, apac, "rebalance"), 1);
  EXPECT_NE(text(t, apac, "note").find("under-loaded"), std::string::npos);
  const auto& latam = row(t, "region", "LATAM");  // Lou left: no reps
  EXPECT_EQ(number(t, latam, "reps"), 0);
  EXPECT_TRUE(is_na(t, latam, "pipeline_per_rep"));
  EXPECT_EQ(number(t, latam, "rebalance"), 0);
  EXPECT_NE(text(t, latam, "note").find("no reps"), std::string::npos);
}

TEST(TerritoryBalance, Thresholds) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("territory_balance",
                        {.from = "2025-01-01", .to = "2025-04-01", .params_yaml = "low_ratio: 0.3"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "regions_flagged").value, 1);  // APAC's 0.35x is no longer below
}

TEST(TerritoryBalance, OneDayPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("territory_balance", {.from = "2025-03-01", .to = "2025-03-02"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "by_region");
  const auto& emea = row(t, "region", "EMEA");
  EXPECT_DOUBLE_EQ(number(t, emea, "open_pipeline"), 2300);  // opp 5 closed on 03-01, before the end
  EXPECT_DOUBLE_EQ(number(t, emea, "won_revenue"), 0);
  EXPECT_EQ(number(t, row(t, "region", "LATAM"), "reps"), 0);  // Lou left on 02-01
}

TEST(TerritoryBalance, EmptyStoreHasNoMedian) {
  StoreFixture f;
  auto m = f.run_metric("territory_balance", {.from = "2025-01-01", .to = "2025-04-01"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "regions").value, 0);
  EXPECT_FALSE(kpi(m, "median_pipeline_per_rep").value.has_value());
  EXPECT_DOUBLE_EQ(*kpi(m, "regions_flagged").value, 0);
}

TEST(TerritoryBalance, RegionFilter) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("territory_balance",
                        {.from = "2025-01-01", .to = "2025-04-01", .filters_yaml = "region: [EMEA]"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "regions").value, 1);
  EXPECT_DOUBLE_EQ(*kpi(m, "median_pipeline_per_rep").value, 1150);
  EXPECT_DOUBLE_EQ(*kpi(m, "regions_flagged").value, 0);
}

TEST(TerritoryBalance, SegmentFilterCountsDealOwners) {
  StoreFixture f;
  seed(f);
  f.exec(
      "INSERT INTO accounts(id,name,segment) VALUES (20,'Small Co','smb');"
      "UPDATE opportunities SET account_id = 20 WHERE id IN (1, 2);");
  auto m = f.run_metric("territory_balance",
                        {.from = "2025-01-01", .to = "2025-04-01", .filters_yaml = "segment: [smb]"});
  ASSERT_TRUE(m.ok) << m.error;
  // Reps have no segment, so the owners of the smb deals (Ann, Alf) stand in for reps.
  const auto& t = table(m, "by_region");
  ASSERT_EQ(t.rows.size(), 1u);
  const auto& emea = row(t, "region", "EMEA");
  EXPECT_EQ(number(t, emea, "reps"), 2);
  EXPECT_DOUBLE_EQ(number(t, emea, "pipeline_per_rep"), 1000);
}

// Teams: North = Ann + Bob, South = Alf + Zed; Meg (a manager), Lou (left) and Ian (hired later)
// have none. Open at 2025-04-01: North #1 1000 + #4 300 + #6 6000 = 7300 over 2 reps = 3650;
// South #2 1000 + #8 400 = 1400 over 2 = 700; "(none)": Lou's #9 900 and no rep. Median of
// 3650 and 700 = 2175: South (0.32x) is flagged, North (1.68x) is not.
// Q1 2024: no deal yet; North 2, South 2 and "(none)" 1 rep (Lou had not left) -> 3 units, median 0.
TEST(TerritoryBalance, ByTeam) {
  StoreFixture f;
  seed(f);
  f.exec(
      "INSERT INTO teams(id,name,region) VALUES (10,'North','EMEA'),(20,'South','EMEA');"
      "UPDATE reps SET team_id = 10 WHERE id IN (1, 3); UPDATE reps SET team_id = 20 WHERE id IN (2, 5);");
  auto m = f.run_metric(
      "territory_balance",
      {.from = "2025-01-01", .to = "2025-04-01", .compare = "previous_year", .params_yaml = "by: team"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_EQ(m.find_table("by_region"), nullptr);
  EXPECT_DOUBLE_EQ(*kpi(m, "regions").value, 3);
  EXPECT_EQ(kpi(m, "regions").label, "Teams");
  EXPECT_DOUBLE_EQ(*kpi(m, "open_pipeline").value, 9600);
  EXPECT_DOUBLE_EQ(*kpi(m, "median_pipeline_per_rep").value, 2175);
  EXPECT_DOUBLE_EQ(*kpi(m, "regions_flagged").value, 1);
  EXPECT_DOUBLE_EQ(*kpi(m, "regions").previous, 3);
  EXPECT_DOUBLE_EQ(*kpi(m, "median_pipeline_per_rep").previous, 0);

  const auto& t = table(m, "by_team");
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(text(t, t.rows[0], "team"), "North");  // highest pipeline per rep first
  const auto& north = row(t, "team", "North");
  EXPECT_EQ(number(t, north, "reps"), 2);
  EXPECT_EQ(number(t, north, "open_deals"), 3);
  EXPECT_DOUBLE_EQ(number(t, north, "open_pipeline"), 7300);
  EXPECT_DOUBLE_EQ(number(t, north, "won_revenue"), 500);
  EXPECT_DOUBLE_EQ(number(t, north, "pipeline_per_rep"), 3650);
  EXPECT_EQ(number(t, north, "rebalance"), 0);
  const auto& south = row(t, "team", "South");
  EXPECT_DOUBLE_EQ(number(t, south, "pipeline_per_rep"), 700);
  EXPECT_DOUBLE_EQ(number(t, south, "ratio_to_median"), 700.0 / 2175.0);
  EXPECT_EQ(number(t, south, "rebalance"), 1);
  const auto& none = row(t, "team", "(none)");
  EXPECT_EQ(number(t, none, "reps"), 0);
  EXPECT_DOUBLE_EQ(number(t, none, "open_pipeline"), 900);
  EXPECT_TRUE(is_na(t, none, "pipeline_per_rep"));
  EXPECT_NE(text(t, none, "note").find("uncovered"), std::string::npos);
}

// Meg manages Ann, Alf and Zed: #1 + #2 + #4 + #8 = 2700 over 3 reps = 900. No manager: Bob
// (Meg herself is not counted as a rep, Lou left, Ian comes later) with #6 6000 + #9 900 = 6900.
// Median (900 + 6900) / 2 = 3900: Meg's 0.23x is flagged. With the EMEA filter: Meg's team keeps
// Ann and Alf (#1 + #2 + #4 = 2300 over 2 = 1150) and no "(none)" unit is left.
TEST(TerritoryBalance, ByManagerAndFilter) {
  StoreFixture f;
  seed(f);
  f.exec("UPDATE reps SET manager_id = 4 WHERE id IN (1, 2, 5);");
  auto m = f.run_metric("territory_balance",
                        {.from = "2025-01-01", .to = "2025-04-01", .params_yaml = "by: manager"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "regions").value, 2);
  EXPECT_DOUBLE_EQ(*kpi(m, "median_pipeline_per_rep").value, 3900);
  EXPECT_DOUBLE_EQ(*kpi(m, "regions_flagged").value, 1);
  const auto& t = table(m, "by_manager");
  EXPECT_EQ(number(t, row(t, "manager", "Meg"), "reps"), 3);
  EXPECT_DOUBLE_EQ(number(t, row(t, "manager", "Meg"), "pipeline_per_rep"), 900);
  EXPECT_EQ(number(t, row(t, "manager", "Meg"), "rebalance"), 1);
  EXPECT_EQ(number(t, row(t, "manager", "(none)"), "reps"), 1);
  EXPECT_DOUBLE_EQ(number(t, row(t, "manager", "(none)"), "open_pipeline"), 6900);

  auto emea = f.run_metric("territory_balance", {.from = "2025-01-01",
                                                 .to = "2025-04-01",
                                                 .params_yaml = "by: manager",
                                                 .filters_yaml = "region: [EMEA]"});
  ASSERT_TRUE(emea.ok) << emea.error;
  const auto& e = table(emea, "by_manager");
  ASSERT_EQ(e.rows.size(), 1u);
  EXPECT_DOUBLE_EQ(number(e, row(e, "manager", "Meg"), "pipeline_per_rep"), 1150);
}

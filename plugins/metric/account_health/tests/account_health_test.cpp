// Hand-computed checks of account_health over Q1 2025 (3 months). Customers:
// Acme (since 2024), Beta (from 2025-02-15), Old (ended 2025-01-15); Gamma is
// a prospect whose subscription only starts in April.
#include <gtest/gtest.h>

#include "support/fixture.hpp"

// MetricRun is filled with designated initializers; the fields left out keep their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace tally::testing;

namespace {

void seed(StoreFixture& f) {
  f.exec(
      "INSERT INTO reps(id,name,region) VALUES (1,'Ann','EMEA'),(2,'Bob','NA');"
      "INSERT INTO accounts(id,name,region,owner_id) VALUES"
      " (10,'Acme','EMEA',1),(11,'Beta','NA',2),(12,'Gamma','NA',2),(13,'Old','NA',2);"
      "INSERT INTO subscriptions(id,account_id,started_at,ended_at,mrr) VALUES"
      " (1,10,'2024-01-01',NULL,100),(2,11,'2025-02-15',NULL,100),(3,13,'2024-01-01','2025-01-15',0),"
      " (4,12,'2025-04-01',NULL,100);"
      "INSERT INTO activities(rep_id,type,occurred_at,account_id) VALUES"
      " (1,'call','2025-01-10 10:00:00',10),(1,'meeting','2025-02-10 10:00:00',10),"
      " (1,'conversation','2025-03-10 10:00:00',10),(1,'email','2025-03-11 10:00:00',10),"
      " (2,'call','2025-03-01 10:00:00',11),(2,'call','2025-02-01 10:00:00',12),"
      " (1,'call','2024-02-01 10:00:00',10);"
      "INSERT INTO product_usage(account_id,user_id,day,logins,session_minutes) VALUES"
      " (10,'u1','2025-01-05',2,30),(10,'u1','2025-02-05',1,15),(10,'u2','2025-02-06',0,0),"
      " (10,'u3','2025-03-01',3,45),(11,'b1','2025-03-02',2,10),(11,'b2','2025-03-03',1,2),"
      " (12,'g1','2025-02-02',5,50);"
      "INSERT INTO support_tickets(account_id,user_id,opened_at) VALUES"
      " (10,'u1','2025-01-20 09:00:00'),(10,'u3','2025-03-15 09:00:00'),(11,'b1','2025-03-20 09:00:00'),"
      " (13,'o1','2025-01-05 09:00:00'),(12,'g1','2025-02-05 09:00:00');");
}

}  // namespace

TEST(AccountHealth, Kpis) {
  StoreFixture f;
  seed(f);
  auto m =
      f.run_metric("account_health", {.from = "2025-01-01", .to = "2025-04-01", .compare = "previous_year"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "customers").value, 3);
  // Acme 3 (call, meeting, conversation; the email does not count) + Beta 1, over 3 customers x 3 months.
  EXPECT_DOUBLE_EQ(*kpi(m, "conversations_per_customer_month").value, 4.0 / 9.0);
  EXPECT_DOUBLE_EQ(*kpi(m, "logins").value, 9);        // Acme 6 + Beta 3; Gamma is no customer
  EXPECT_DOUBLE_EQ(*kpi(m, "active_users").value, 4);  // u1 u3 b1 b2 (u2 never logged in)
  EXPECT_DOUBLE_EQ(*kpi(m, "mean_session_minutes").value, 102.0 / 9.0);
  EXPECT_DOUBLE_EQ(*kpi(m, "tickets_per_user").value, 1.0);  // 4 tickets / 4 active users
  EXPECT_DOUBLE_EQ(*kpi(m, "tickets_per_customer").value, 4.0 / 3.0);
  EXPECT_FALSE(kpi(m, "tickets_per_user").higher_is_better);
  // Q1 2024: Acme and Old, one call on Acme.
  EXPECT_DOUBLE_EQ(*kpi(m, "customers").previous, 2);
  EXPECT_DOUBLE_EQ(*kpi(m, "conversations_per_customer_month").previous, 1.0 / 6.0);
  EXPECT_FALSE(kpi(m, "mean_session_minutes").previous.has_value());  // no logins then
}

TEST(AccountHealth, PerAccountTable) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("account_health", {.from = "2025-01-01", .to = "2025-04-01"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "by_account");
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(std::get<std::string>(t.rows[0][0]), "Acme");  // most tickets first
  const auto& acme = row(t, "account", "Acme");
  EXPECT_EQ(number(t, acme, "conversations"), 3);
  EXPECT_DOUBLE_EQ(number(t, acme, "conversations_per_month"), 1.0);
  EXPECT_EQ(number(t, acme, "logins"), 6);
  EXPECT_EQ(number(t, acme, "active_users"), 2);
  EXPECT_DOUBLE_EQ(number(t, acme, "mean_session_minutes"), 15.0);
  EXPECT_DOUBLE_EQ(number(t, acme, "tickets_per_user"), 1.0);
  const auto& beta = row(t, "account", "Beta");
  EXPECT_DOUBLE_EQ(number(t, beta, "mean_session_minutes"), 4.0);
  const auto& old = row(t, "account", "Old");  // a ticket but no users
  EXPECT_EQ(number(t, old, "tickets"), 1);
  EXPECT_TRUE(is_na(t, old, "tickets_per_user"));
  EXPECT_TRUE(is_na(t, old, "mean_session_minutes"));

  auto top =
      f.run_metric("account_health",
                   {.from = "2025-01-01", .to = "2025-04-01", .params_yaml = "rank_by: logins, top_n: 1"});
  ASSERT_TRUE(top.ok) << top.error;
  const auto& one = table(top, "by_account");
  ASSERT_EQ(one.rows.size(), 1u);
  EXPECT_EQ(std::get<std::string>(one.rows[0][0]), "Acme");
}

TEST(AccountHealth, EmptyPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("account_health", {.from = "2023-01-01", .to = "2023-04-01"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "customers").value, 0);
  EXPECT_FALSE(kpi(m, "conversations_per_customer_month").value.has_value());
  EXPECT_DOUBLE_EQ(*kpi(m, "logins").value, 0);
  EXPECT_FALSE(kpi(m, "mean_session_minutes").value.has_value());
  EXPECT_FALSE(kpi(m, "tickets_per_customer").value.has_value());
  EXPECT_TRUE(table(m, "by_account").rows.empty());
}

TEST(AccountHealth, OneDayPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("account_health", {.from = "2025-03-01", .to = "2025-03-02"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "customers").value, 2);  // Acme, Beta
  // One call on Beta; the day is 1/31 of March.
  EXPECT_DOUBLE_EQ(*kpi(m, "conversations_per_customer_month").value, 1.0 / (2.0 / 31.0));
  EXPECT_DOUBLE_EQ(*kpi(m, "mean_session_minutes").value, 15.0);  // u3: 45 minutes over 3 logins
}

TEST(AccountHealth, RegionFilter) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("account_health",
                        {.from = "2025-01-01", .to = "2025-04-01", .filters_yaml = "region: [EMEA]"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "customers").value, 1);
  EXPECT_DOUBLE_EQ(*kpi(m, "conversations_per_customer_month").value, 1.0);
}

TEST(AccountHealth, GroupBySegment) {
  StoreFixture f;
  seed(f);
  // Acme enterprise, Beta and the prospect Gamma smb, Old without a segment.
  f.exec(
      "UPDATE accounts SET segment = 'enterprise' WHERE id = 10;"
      "UPDATE accounts SET segment = 'smb' WHERE id IN (11, 12);");
  auto m = f.run_metric("account_health",
                        {.from = "2025-01-01", .to = "2025-04-01", .params_yaml = "group_by: segment"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "customers").value, 3);  // KPIs are not sliced
  const auto& t = table(m, "by_segment");
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(std::get<std::string>(t.rows[2][0]), "(none)");  // the NULL group comes last
  // Acme: 3 conversations over 3 months, 6 logins / 90 minutes, 2 users, 2 tickets.
  const auto& ent = row(t, "segment", "enterprise");
  EXPECT_EQ(number(t, ent, "customers"), 1);
  EXPECT_DOUBLE_EQ(number(t, ent, "conversations_per_customer_month"), 1.0);
  EXPECT_EQ(number(t, ent, "logins"), 6);
  EXPECT_EQ(number(t, ent, "active_users"), 2);
  EXPECT_DOUBLE_EQ(number(t, ent, "mean_session_minutes"), 15.0);
  EXPECT_DOUBLE_EQ(number(t, ent, "tickets_per_user"), 1.0);
  EXPECT_DOUBLE_EQ(number(t, ent, "tickets_per_customer"), 2.0);
  // Beta only (Gamma is no customer): 1 call, 3 logins / 12 minutes, 2 users, 1 ticket.
  const auto& smb = row(t, "segment", "smb");
  EXPECT_EQ(number(t, smb, "customers"), 1);
  EXPECT_DOUBLE_EQ(number(t, smb, "conversations_per_customer_month"), 1.0 / 3.0);
  EXPECT_EQ(number(t, smb, "logins"), 3);
  EXPECT_DOUBLE_EQ(number(t, smb, "mean_session_minutes"), 4.0);
  EXPECT_DOUBLE_EQ(number(t, smb, "tickets_per_user"), 0.5);
  // Old: a ticket but no users or logins, so those ratios are n/a.
  const auto& none = row(t, "segment", "(none)");
  EXPECT_EQ(number(t, none, "customers"), 1);
  EXPECT_DOUBLE_EQ(number(t, none, "conversations_per_customer_month"), 0.0);
  EXPECT_TRUE(is_na(t, none, "mean_session_minutes"));
  EXPECT_TRUE(is_na(t, none, "tickets_per_user"));
  EXPECT_DOUBLE_EQ(number(t, none, "tickets_per_customer"), 1.0);
}

TEST(AccountHealth, GroupByOwnerRegion) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("account_health",
                        {.from = "2025-01-01", .to = "2025-04-01", .params_yaml = "group_by: region"});
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "by_region");
  ASSERT_EQ(t.rows.size(), 2u);
  // Bob (NA) owns Beta and Old: 1 conversation over 2 customers x 3 months, 2 tickets, 2 users.
  const auto& na = row(t, "region", "NA");
  EXPECT_EQ(number(t, na, "customers"), 2);
  EXPECT_DOUBLE_EQ(number(t, na, "conversations_per_customer_month"), 1.0 / 6.0);
  EXPECT_DOUBLE_EQ(number(t, na, "tickets_per_user"), 1.0);
  EXPECT_DOUBLE_EQ(number(t, na, "tickets_per_customer"), 1.0);
  EXPECT_EQ(number(t, row(t, "region", "EMEA"), "customers"), 1);
}

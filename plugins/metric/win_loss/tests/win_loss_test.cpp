// Win/loss on a small store; every expected figure is worked out by hand in the comments.
#include <gtest/gtest.h>

#include "support/fixture.hpp"

using namespace tally::testing;

namespace {

// Period Q1 2025 = [2025-01-01, 2025-04-01); previous period [2024-10-01, 2025-01-01).
//   1 Ann  won  100 Acme(enterprise) Widget competitor Rival  closed 2025-01-15  assisted (2 activities)
//   2 Ann  won  200 Beta(smb)        Gadget no competitor     closed 2025-02-10  activity, not assisted
//   3 Bob  lost 300 Acme             Widget Rival, price      closed 2025-03-01  assisted
//   4 Bob  lost  50 Beta             Widget no reason         closed 2025-03-20
//   5 Bob  won  400 closed 2025-04-01 (after the period); 7 Ann open
//   6 Ann  lost  70 timing closed 2024-12-01; 8 Bob won 500 closed 2024-11-11 assisted; 9 Ann lost 30
//   2024-10-05
void seed(const StoreFixture& f) {
  f.exec(
      "INSERT INTO reps(id,name,region) VALUES (1,'Ann','EMEA'),(2,'Bob','NA'),(3,'Cid','EMEA');"
      "INSERT INTO accounts(id,name,segment) VALUES (1,'Acme','enterprise'),(2,'Beta','smb');"
      "INSERT INTO products(id,name) VALUES (1,'Widget'),(2,'Gadget');"
      "INSERT INTO "
      "opportunities(id,owner_id,account_id,product_id,amount,status,created_at,closed_at,loss_reason,"
      "competitor) VALUES"
      " (1,1,1,1,100,'won','2024-12-01','2025-01-15',NULL,'Rival'),"
      " (2,1,2,2,200,'won','2024-12-01','2025-02-10',NULL,NULL),"
      " (3,2,1,1,300,'lost','2024-12-01','2025-03-01','price','Rival'),"
      " (4,2,2,1,50,'lost','2024-12-01','2025-03-20',NULL,NULL),"
      " (5,2,1,1,400,'won','2024-12-01','2025-04-01',NULL,NULL),"
      " (6,1,1,1,70,'lost','2024-09-01','2024-12-01','timing',NULL),"
      " (7,1,1,1,999,'open','2025-01-01',NULL,NULL,NULL),"
      " (8,2,1,1,500,'won','2024-09-01','2024-11-11',NULL,NULL),"
      " (9,1,1,1,30,'lost','2024-09-01','2024-10-05',NULL,NULL);"
      "INSERT INTO activities(rep_id,type,occurred_at,opportunity_id,assisting_rep_id) VALUES"
      " (1,'meeting','2025-01-05',1,3),(1,'demo','2025-01-10',1,3),"
      " (1,'call','2025-01-20',2,NULL),"
      " (2,'meeting','2025-02-01',3,3),"
      " (2,'meeting','2024-11-01',8,1);");
}

MetricRun q1(std::string params = "", std::string filters = "") {
  return span("2025-01-01", "2025-04-01", "previous_period", std::move(params), std::move(filters));
}

}  // namespace

TEST(WinLoss, RateOnClosedBasis) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("win_loss", q1());
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "win_rate").value, 2.0 / 4.0);  // 1, 2 won; 3, 4 lost
  EXPECT_DOUBLE_EQ(*kpi(m, "won_deals").value, 2);
  EXPECT_DOUBLE_EQ(*kpi(m, "lost_deals").value, 2);
  // A rise in lost deals is bad news: reports colour it red.
  EXPECT_FALSE(kpi(m, "lost_deals").higher_is_better);
  EXPECT_TRUE(kpi(m, "won_deals").higher_is_better);
  EXPECT_DOUBLE_EQ(*kpi(m, "won_amount").value, 300);
  // Previous: 8 won; 6, 9 lost.
  EXPECT_DOUBLE_EQ(*kpi(m, "win_rate").previous, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(*kpi(m, "won_amount").previous, 500);
}

TEST(WinLoss, LostByReason) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("win_loss", q1());  // group_by defaults to reason
  ASSERT_TRUE(m.ok) << m.error;
  const auto& t = table(m, "by_reason");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_DOUBLE_EQ(number(t, row(t, "reason", "price"), "lost"), 1);
  EXPECT_DOUBLE_EQ(number(t, row(t, "reason", "price"), "lost_amount"), 300);
  EXPECT_DOUBLE_EQ(number(t, row(t, "reason", "(none)"), "lost_amount"), 50);
  EXPECT_DOUBLE_EQ(number(t, row(t, "reason", "(none)"), "share_of_lost"), 0.5);
}

TEST(WinLoss, ByCompetitorProductAndRep) {
  StoreFixture f;
  seed(f);
  auto c = f.run_metric("win_loss", q1("group_by: competitor"));
  ASSERT_TRUE(c.ok) << c.error;
  const auto& tc = table(c, "by_competitor");
  EXPECT_DOUBLE_EQ(number(tc, row(tc, "competitor", "Rival"), "won"), 1);
  EXPECT_DOUBLE_EQ(number(tc, row(tc, "competitor", "Rival"), "lost"), 1);
  EXPECT_DOUBLE_EQ(number(tc, row(tc, "competitor", "Rival"), "win_rate"), 0.5);
  EXPECT_DOUBLE_EQ(number(tc, row(tc, "competitor", "Rival"), "lost_amount"), 300);
  EXPECT_DOUBLE_EQ(number(tc, row(tc, "competitor", "(none)"), "won_amount"), 200);

  auto p = f.run_metric("win_loss", q1("group_by: product"));
  ASSERT_TRUE(p.ok) << p.error;
  const auto& tp = table(p, "by_product");
  // A group with a single deal: Gadget = deal 2, won.
  EXPECT_DOUBLE_EQ(number(tp, row(tp, "product", "Gadget"), "won"), 1);
  EXPECT_DOUBLE_EQ(number(tp, row(tp, "product", "Gadget"), "win_rate"), 1.0);
  EXPECT_DOUBLE_EQ(number(tp, row(tp, "product", "Widget"), "win_rate"), 1.0 / 3.0);

  auto r = f.run_metric("win_loss", q1("group_by: rep"));
  ASSERT_TRUE(r.ok) << r.error;
  const auto& tr = table(r, "by_rep");
  EXPECT_DOUBLE_EQ(number(tr, row(tr, "rep", "Bob"), "win_rate"), 0.0);
  EXPECT_DOUBLE_EQ(number(tr, row(tr, "rep", "Ann"), "won"), 2);

  auto s = f.run_metric("win_loss", q1("group_by: segment"));
  ASSERT_TRUE(s.ok) << s.error;
  const auto& ts = table(s, "by_segment");
  EXPECT_DOUBLE_EQ(number(ts, row(ts, "segment", "enterprise"), "lost_amount"), 300);
}

TEST(WinLoss, AssistedVsAlone) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("win_loss", q1());
  ASSERT_TRUE(m.ok) << m.error;
  // Assisted closed deals: 1 (won, 100; two assisted activities count once), 3 (lost, 300).
  EXPECT_DOUBLE_EQ(*kpi(m, "assisted_share").value, 1.0 / 2.0);
  EXPECT_DOUBLE_EQ(*kpi(m, "assisted_share").previous, 1.0);  // 8 was assisted
  const auto& t = table(m, "assisted");
  EXPECT_DOUBLE_EQ(number(t, row(t, "closed_by", "assisted"), "won"), 1);
  EXPECT_DOUBLE_EQ(number(t, row(t, "closed_by", "assisted"), "lost"), 1);
  EXPECT_DOUBLE_EQ(number(t, row(t, "closed_by", "assisted"), "won_amount"), 100);
  EXPECT_DOUBLE_EQ(number(t, row(t, "closed_by", "owner alone"), "won_amount"), 200);
  EXPECT_DOUBLE_EQ(number(t, row(t, "closed_by", "owner alone"), "win_rate"),
                   0.5);  // deal 2 won, deal 4 lost
}

TEST(WinLoss, EmptyPeriodIsNa) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("win_loss",
                        MetricRun{.from = "2020-01-01", .to = "2020-04-01", .compare = "previous_period"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_FALSE(kpi(m, "win_rate").value.has_value());
  EXPECT_FALSE(kpi(m, "assisted_share").value.has_value());
  EXPECT_DOUBLE_EQ(*kpi(m, "won_deals").value, 0);
  EXPECT_TRUE(table(m, "by_reason").rows.empty());
  const auto& t = table(m, "assisted");
  EXPECT_TRUE(is_na(t, row(t, "closed_by", "assisted"), "win_rate"));
}

TEST(WinLoss, OneDayPeriod) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("win_loss", MetricRun{.from = "2025-03-01", .to = "2025-03-02"});
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "win_rate").value, 0.0);          // only 3, lost
  EXPECT_FALSE(kpi(m, "assisted_share").value.has_value());  // no won deal
  EXPECT_FALSE(kpi(m, "win_rate").previous.has_value());
}

TEST(WinLoss, RegionFilter) {
  StoreFixture f;
  seed(f);
  auto m = f.run_metric("win_loss", q1("group_by: none", "region: [EMEA]"));
  ASSERT_TRUE(m.ok) << m.error;
  // Ann's deals: 1 and 2, both won.
  EXPECT_DOUBLE_EQ(*kpi(m, "win_rate").value, 1.0);
  EXPECT_DOUBLE_EQ(*kpi(m, "won_amount").value, 300);
  EXPECT_DOUBLE_EQ(*kpi(m, "assisted_share").value, 0.5);  // 1 of Ann's 2 wins
  EXPECT_EQ(m.find_table("by_reason"), nullptr);           // group_by: none
}

// Issue 11: lost deals without a value. In Q1 2025 deal 1 (won 100) and two
// lost deals without an amount (reason 'price'). lost_amount for 'price' is
// n/a, not $0.00; won amount stays 100; a note counts the 2 unknown.
TEST(WinLoss, UnknownAmountsAreNotZero) {
  StoreFixture f;
  f.exec(
      "INSERT INTO opportunities(id,amount,status,created_at,closed_at,loss_reason) VALUES"
      " (1,100,'won','2025-01-01','2025-01-15',NULL),(2,NULL,'lost','2025-01-01','2025-02-01','price'),"
      " (3,NULL,'lost','2025-01-01','2025-02-02','price')");
  auto m = f.run_metric("win_loss", span("2025-01-01", "2025-04-01"));
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_DOUBLE_EQ(*kpi(m, "won_amount").value, 100);
  EXPECT_DOUBLE_EQ(*kpi(m, "win_rate").value, 1.0 / 3.0);
  const auto& t = table(m, "by_reason");
  EXPECT_DOUBLE_EQ(number(t, row(t, "reason", "price"), "lost"), 2);
  EXPECT_TRUE(is_na(t, row(t, "reason", "price"), "lost_amount"));
  ASSERT_EQ(m.notes.size(), 1u);
  EXPECT_EQ(m.notes[0],
            "amount unknown on 2 closed deals: Won and lost amounts count the known amounts only");

  // Only unknown won amounts: won amount is n/a.
  f.exec("UPDATE opportunities SET amount = NULL WHERE id = 1");
  auto none = f.run_metric("win_loss", span("2025-01-01", "2025-04-01"));
  ASSERT_TRUE(none.ok) << none.error;
  EXPECT_FALSE(kpi(none, "won_amount").value.has_value());
}

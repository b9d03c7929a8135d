// Customer (logo) churn, gross revenue churn and net revenue retention, with churned
// customers broken down by reason, a dimension (segment by default) and tenure, and a trend.
//
// An account is active at t when one of its subscriptions has started_at < t and
// (ended_at is null or ended_at >= t). A churned customer is an account active at the
// period start and not active at the period end. MRR at t is the sum of mrr_delta of the
// subscription events before t; churn, contraction and expansion MRR count only the events
// in the period of subscriptions that started before the period start, so new customers'
// revenue never enters NRR.
#include <tally/calendar.hpp>
#include <tally/drilldown.hpp>
#include <tally/format.hpp>
#include <tally/sdk.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace {

using tally::sdk::Chart;
using tally::sdk::Context;
using tally::sdk::Error;
using tally::sdk::Unit;
using tally::sdk::Value;
using tally::sdk::Which;

constexpr const char* kNone = "(none)";

// ---- dates as 'YYYY-MM-DD' text ----

// The start of the trend bucket holding `date`: weeks start Monday, quarters are fiscal.
std::string bucket_start(const std::string& unit, const std::string& date, int fiscal_start) {
  const tally::sdk::Date v = tally::sdk::parse_date(date);
  if (unit == "week") return tally::sdk::week_start(v).iso();
  if (unit == "month") return tally::sdk::month_start(v).iso();
  return tally::sdk::quarter_start(v, fiscal_start).iso();
}

std::string next_bucket(const std::string& unit, const std::string& start) {
  const tally::sdk::Date v = tally::sdk::parse_date(start);
  if (unit == "week") return v.add_days(7).iso();
  return v.add_months(unit == "month" ? 1 : 3).iso();
}

// Whole months from `a` to `b` (dates or timestamps).
int months_between(const std::string& a, const std::string& b) {
  const tally::sdk::Date x = tally::sdk::parse_date(a), y = tally::sdk::parse_date(b);
  int months = (y.year * 12 + y.month) - (x.year * 12 + x.month);
  if (y.day < x.day) --months;
  return months;
}

const char* tenure_cohort(int months) {
  if (months < 6) return "< 6 months";
  if (months < 12) return "6-12 months";
  if (months < 24) return "1-2 years";
  return "2+ years";
}

// ---- the computation ----
struct Account {
  std::string group;
  bool active_at_start = false;
  bool churned = false;
  std::string first_start;
  std::string churned_at;  // the last subscription end, for churned accounts
};

struct Period {
  std::vector<Account> accounts;  // only accounts active at the start
  std::map<int64_t, size_t> index;
  int64_t active_at_start = 0;
  int64_t churned = 0;
  double start_mrr = 0;
  double churned_mrr = 0;
  double contraction_mrr = 0;
  double expansion_mrr = 0;

  std::optional<double> logo_churn_rate() const {
    return tally::sdk::ratio_opt(static_cast<double>(churned), static_cast<double>(active_at_start));
  }
  std::optional<double> gross_revenue_churn() const {
    return tally::sdk::ratio_opt(churned_mrr + contraction_mrr, start_mrr);
  }
  std::optional<double> net_revenue_retention() const {
    return tally::sdk::ratio_opt(start_mrr + expansion_mrr - contraction_mrr - churned_mrr, start_mrr);
  }
};

class Churn final : public tally::sdk::Metric {
 public:
  void run(Context& ctx) override {
    group_ = ctx.text("group_by");
    Period current = compute(ctx, Which::Current);
    std::optional<Period> previous;
    if (ctx.has_compare()) previous = compute(ctx, Which::Compare);

    tally::sdk::PeriodKpis kpis(ctx, current, previous);
    kpis.add("logo_churn_rate", "Customer churn rate", Unit::Percent, false,
             [](const Period& p) { return p.logo_churn_rate(); });
    kpis.add("gross_revenue_churn", "Gross revenue churn", Unit::Percent, false,
             [](const Period& p) { return p.gross_revenue_churn(); });
    kpis.add("net_revenue_retention", "Net revenue retention", Unit::Percent, true,
             [](const Period& p) { return p.net_revenue_retention(); });
    kpis.add("churned_customers", "Churned customers", Unit::Count, false,
             [](const Period& p) -> std::optional<double> { return static_cast<double>(p.churned); });
    kpis.add("churned_mrr", "Churned MRR", Unit::Money, false,
             [](const Period& p) -> std::optional<double> { return p.churned_mrr; });

    declare_drilldowns(ctx, current);
    breakdowns(ctx, current);
    std::string trend = ctx.text("trend");
    if (trend != "none") trend_table(ctx, current, trend);
  }

 private:
  std::string group_;

  // The accounts behind the customer counts (accounts dataset) and the
  // subscription events behind the MRR figures.
  static void declare_drilldowns(const Context& ctx, const Period& p) {
    std::vector<int64_t> at_start, churned;
    for (const auto& [id, index] : p.index) {
      at_start.push_back(id);
      if (p.accounts[index].churned) churned.push_back(id);
    }
    using tally::sdk::records_with_ids;
    tally::sdk::drilldown(ctx, "churned_customers", records_with_ids(ctx, "accounts", churned));
    tally::sdk::drilldown_ratio(ctx, "logo_churn_rate", records_with_ids(ctx, "accounts", churned),
                                records_with_ids(ctx, "accounts", at_start));
    tally::sdk::drilldown_sum(ctx, "churned_mrr", "subscription_events",
                              "type = 'churn' and " + kStartCohortInPeriod, "abs(mrr_delta)");
    // The MRR at the start is the sum of every event before it.
    auto start = [&] {
      auto q = ctx.query("subscription_events");
      q.where("occurred_at < period_from");
      tally::sdk::summing(q, "mrr_delta");
      return q;
    };
    auto lost = ctx.query("subscription_events");
    lost.where("type in ('churn', 'contraction') and " + kStartCohortInPeriod);
    tally::sdk::drilldown_ratio(ctx, "gross_revenue_churn", tally::sdk::summing(lost, "abs(mrr_delta)"),
                                start());
    // Retained: the start's MRR, plus the start cohort's expansion, less its contraction and churn.
    auto retained = ctx.query("subscription_events");
    retained.where("occurred_at < period_from or (type in ('expansion', 'contraction', 'churn') and " +
                   kStartCohortInPeriod + ")");
    tally::sdk::summing(retained,
                        "if(occurred_at < period_from, mrr_delta, "
                        "if(type = 'expansion', abs(mrr_delta), -abs(mrr_delta)))");
    tally::sdk::drilldown_ratio(ctx, "net_revenue_retention", retained, start());
  }

  Period compute(Context& ctx, Which which) const {
    Period p;
    // One row per account that had a subscription before the period end.
    auto q = ctx.query("subscriptions");
    q.use_period(which).group_by("account", "account_id");
    if (group_ != "none") q.group_by("grp", group_);
    q.select("active_at_start",
             "max(if(started_at < period_from and (ended_at is null or ended_at >= period_from), 1, 0))")
        .select("active_at_end", "max(if(ended_at is null or ended_at >= period_to, 1, 0))")
        .select("first_start", "min(started_at)")
        .select("last_end", "max(ended_at)")
        .where("started_at < period_to");
    auto rows = q.run();
    const uint32_t c = group_ != "none" ? 2 : 1;
    while (rows.next()) {
      if (rows.integer(c) == 0) continue;  // not a customer at the start
      Account a;
      a.group = group_ == "none" ? "" : (rows.is_null(1) ? kNone : rows.text(1));
      a.active_at_start = true;
      a.churned = rows.integer(c + 1) == 0;
      a.first_start = rows.text(c + 2);
      a.churned_at = a.churned ? rows.text(c + 3) : "";
      ++p.active_at_start;
      if (a.churned) ++p.churned;
      p.index[rows.integer(0)] = p.accounts.size();
      p.accounts.push_back(std::move(a));
    }

    auto mrr =
        ctx.query("subscription_events")
            .use_period(which)
            .select("start_mrr", "sum_if(mrr_delta, occurred_at < period_from)")
            .select("churned", "sum_if(abs(mrr_delta), type = 'churn' and " + kStartCohortInPeriod + ")")
            .select("contraction",
                    "sum_if(abs(mrr_delta), type = 'contraction' and " + kStartCohortInPeriod + ")")
            .select("expansion",
                    "sum_if(abs(mrr_delta), type = 'expansion' and " + kStartCohortInPeriod + ")")
            .where("occurred_at < period_to")
            .run();
    if (mrr.next()) {
      p.start_mrr = mrr.number(0);
      p.churned_mrr = mrr.number(1);
      p.contraction_mrr = mrr.number(2);
      p.expansion_mrr = mrr.number(3);
    }
    return p;
  }

  static inline const std::string kStartCohortInPeriod =
      "in_period(occurred_at) and subscription_started_at < period_from";

  // Why the breakdowns' MRR lost does not add up to the Churned MRR headline.
  static std::string breakdown_note(double tables_mrr, double headline, int64_t customers,
                                    const std::string& currency) {
    auto money = [&](double v) { return tally::format::money(v, currency); };
    return "The breakdown tables add up to " + money(tables_mrr) + " of MRR lost by the " +
           std::to_string(customers) + " customers who left entirely; Churned MRR (" + money(headline) +
           ") counts every cancelled subscription that started before the period, including those of "
           "customers who stay, and leaves out subscriptions started in the period.";
  }

  // Churned customers by reason, by the group_by dimension and by tenure at churn.
  void breakdowns(Context& ctx, const Period& p) const {
    // The reason of each churned account's latest churn event in the period, and the MRR lost.
    struct Lost {
      std::string reason = kNone;
      std::string latest;
      double mrr = 0;
    };
    std::map<int64_t, Lost> lost;
    auto events = ctx.query("subscription_events")
                      .group_by("account", "account_id")
                      .group_by("reason", "reason")
                      .select("latest", "max(occurred_at)")
                      .select("mrr", "sum(abs(mrr_delta))")
                      .where("type = 'churn' and in_period(occurred_at)")
                      .run();
    while (events.next()) {
      auto it = p.index.find(events.integer(0));
      if (it == p.index.end() || !p.accounts[it->second].churned) continue;
      Lost& l = lost[events.integer(0)];
      std::string latest = events.text(2);
      if (latest >= l.latest) {
        l.latest = latest;
        l.reason = events.is_null(1) ? kNone : events.text(1);
      }
      l.mrr += events.number(3);
    }
    auto lost_of = [&](int64_t account) {
      auto it = lost.find(account);
      return it == lost.end() ? Lost{} : it->second;
    };

    struct Row {
      int64_t active = 0;
      int64_t churned = 0;
      double mrr = 0;
      std::vector<int64_t> churned_ids, active_ids;  // the accounts counted (drill-down)
    };
    std::map<std::string, Row> by_reason, by_group, by_tenure;
    for (const auto& [id, i] : p.index) {
      const Account& a = p.accounts[i];
      if (!group_.empty() && group_ != "none") {
        by_group[a.group].active += 1;
        by_group[a.group].active_ids.push_back(id);
      }
      if (!a.churned) continue;
      Lost l = lost_of(id);
      for (Row* r :
           {&by_reason[l.reason], &by_tenure[tenure_cohort(months_between(a.first_start, a.churned_at))]}) {
        r->churned += 1;
        r->mrr += l.mrr;
        r->churned_ids.push_back(id);
      }
      if (group_ != "none") {
        by_group[a.group].churned += 1;
        by_group[a.group].mrr += l.mrr;
        by_group[a.group].churned_ids.push_back(id);
      }
    }

    // The tables count customers who left entirely, with all their churn events of the period; the
    // headline counts every churn event of subscriptions started before the period, including
    // those of customers who stay. Say so when the two differ (to the cent).
    double tables_mrr = 0;
    for (const auto& [reason, r] : by_reason) tables_mrr += r.mrr;
    if (std::fabs(tables_mrr - p.churned_mrr) >= 0.005)
      ctx.note(breakdown_note(tables_mrr, p.churned_mrr, p.churned, ctx.currency()));

    auto reasons = ctx.table("by_reason", "Churned customers by reason");
    reasons.column("reason", Unit::Text)
        .column("customers", Unit::Count)
        .column("mrr_lost", Unit::Money)
        .column("share_of_churned", Unit::Percent);
    reasons.chart(Chart::Bar, "reason", "customers");
    std::vector<std::pair<std::string, Row>> sorted(by_reason.begin(), by_reason.end());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.second.churned > b.second.churned; });
    using tally::sdk::records_with_ids;
    for (const auto& [reason, r] : sorted) {
      reasons.row({reason, r.churned, r.mrr,
                   tally::sdk::ratio(static_cast<double>(r.churned), static_cast<double>(p.churned))});
      tally::sdk::drilldown_row(ctx, "by_reason", reason, records_with_ids(ctx, "accounts", r.churned_ids));
    }

    if (group_ != "none") {
      auto groups = ctx.table("by_" + group_, "Customer churn by " + group_);
      groups.column(group_, Unit::Text)
          .column("active_at_start", Unit::Count)
          .column("churned", Unit::Count)
          .column("logo_churn_rate", Unit::Percent)
          .column("mrr_lost", Unit::Money);
      groups.chart(Chart::Bar, group_, "logo_churn_rate");
      for (const auto& [name, r] : by_group) {
        groups.row({name, r.active, r.churned,
                    tally::sdk::ratio(static_cast<double>(r.churned), static_cast<double>(r.active)), r.mrr});
        tally::sdk::drilldown_row_ratio(ctx, "by_" + group_, name,
                                        records_with_ids(ctx, "accounts", r.churned_ids),
                                        records_with_ids(ctx, "accounts", r.active_ids));
      }
    }

    auto tenure = ctx.table("by_tenure", "Churned customers by tenure at churn");
    tenure.column("tenure", Unit::Text).column("customers", Unit::Count).column("mrr_lost", Unit::Money);
    tenure.chart(Chart::Bar, "tenure", "customers");
    for (const char* cohort : {"< 6 months", "6-12 months", "1-2 years", "2+ years"}) {
      Row r = by_tenure.count(cohort) ? by_tenure[cohort] : Row{};
      tenure.row({std::string(cohort), r.churned, r.mrr});
      tally::sdk::drilldown_row(ctx, "by_tenure", cohort, records_with_ids(ctx, "accounts", r.churned_ids));
    }
  }

  // Per bucket: the period's churned customers by churn date, churned MRR (same basis as the
  // churned_mrr KPI) and the logo churn rate against the customers active at the bucket start.
  void trend_table(Context& ctx, const Period& p, const std::string& unit) const {
    const auto period = ctx.period(Which::Current);
    const int fiscal = ctx.fiscal_year_start();
    std::vector<std::string> buckets;
    for (std::string b = bucket_start(unit, period.from, fiscal); b < period.to; b = next_bucket(unit, b))
      buckets.push_back(b);
    if (buckets.size() > 400)
      throw Error("trend '" + unit + "' gives too many buckets for this period; use a coarser one");

    std::map<std::string, int64_t> churned;
    std::map<std::string, std::vector<int64_t>> churned_ids;  // each bucket's churned accounts
    for (const auto& [id, index] : p.index) {
      const auto& a = p.accounts[index];
      if (!a.churned) continue;
      churned[bucket_start(unit, a.churned_at, fiscal)] += 1;
      churned_ids[bucket_start(unit, a.churned_at, fiscal)].push_back(id);
    }

    std::map<std::string, double> mrr;
    auto days = ctx.query("subscription_events")
                    .group_by("day", "date(occurred_at)")
                    .select("mrr", "sum(abs(mrr_delta))")
                    .where("type = 'churn' and " + kStartCohortInPeriod)
                    .run();
    while (days.next()) mrr[bucket_start(unit, days.text(0), fiscal)] += days.number(1);

    auto t = ctx.table("trend", "Churn trend by " + unit);
    t.column(unit, Unit::Date)
        .column("churned_customers", Unit::Count)
        .column("churned_mrr", Unit::Money)
        .column("active_at_start", Unit::Count)
        .column("logo_churn_rate", Unit::Percent);
    t.chart(Chart::Line, unit, "logo_churn_rate");
    for (const auto& b : buckets) {
      const std::string at = std::max(b, period.from);
      auto active = ctx.query("subscriptions")
                        .select("n", "count_distinct(account_id)")
                        .where("started_at < :at and (ended_at is null or ended_at >= :at)")
                        .bind("at", Value{at})
                        .run();
      int64_t n = active.next() ? active.integer(0) : 0;
      int64_t c = churned.count(b) ? churned[b] : 0;
      t.row({b, c, mrr.count(b) ? mrr[b] : 0.0, n,
             tally::sdk::ratio(static_cast<double>(c), static_cast<double>(n))});
      // The bucket's churned customers.
      tally::sdk::drilldown_row(ctx, "trend", b,
                                tally::sdk::records_with_ids(ctx, "accounts", churned_ids[b]));
    }
  }
};

}  // namespace

TALLY_METRIC(Churn)

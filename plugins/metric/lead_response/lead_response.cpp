// Lead response time: minutes from lead creation to the first rep touch, over
// leads created in the period. Leads without a response are never dropped:
// they are counted as unanswered and left out of the time statistics only.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <tally/drilldown.hpp>
#include <tally/quality.hpp>
#include <tally/sdk.hpp>
#include <vector>

namespace {

using tally::sdk::Chart;
using tally::sdk::Context;
using tally::sdk::Unit;
using tally::sdk::Value;
using tally::sdk::Which;

// Timestamps have whole seconds: rounding to the second removes the engines'
// floating-point noise, so a 10-minute response is exactly 10, not 10.0000001.
constexpr const char* kMinutes = "round(minutes_between(created_at, first_response_at) * 60) / 60";
// A first response before the lead was created is a data error: such a lead
// is neither answered (its time is unknown) nor unanswered; it is counted
// in a note and left out of the times and the threshold share.
constexpr const char* kBackwards =
    "first_response_at is not null and minutes_between(created_at, first_response_at) < 0";

struct Stats {
  int64_t leads = 0;
  int64_t answered = 0;
  std::optional<double> mean, median, p90;
  int64_t within = 0;
  int64_t backwards = 0;

  int64_t unanswered() const { return leads - answered - backwards; }
  std::optional<double> within_share() const {
    return tally::sdk::ratio_opt(static_cast<double>(within), static_cast<double>(answered));
  }
};

class LeadResponse final : public tally::sdk::Metric {
 public:
  void run(Context& ctx) override {
    threshold_ = ctx.number("threshold_minutes");
    const std::string group = ctx.text("group_by");
    const std::string trend = ctx.text("trend");

    const Stats now = totals(ctx, Which::Current);
    tally::sdk::quality::note_backwards(ctx, now.backwards, "lead", "leads", "answered before created",
                                        "the response times and the threshold share");
    std::optional<Stats> before;
    if (ctx.has_compare()) before = totals(ctx, Which::Compare);
    tally::sdk::PeriodKpis kpis(ctx, now, before);
    const auto count = [](int64_t n) { return std::optional<double>(static_cast<double>(n)); };
    kpis.add("leads", "Leads created", Unit::Count, true, [&](const Stats& s) { return count(s.leads); });
    kpis.add("unanswered_leads", "Leads without a response", Unit::Count, false,
             [&](const Stats& s) { return count(s.unanswered()); });
    kpis.add("mean_response_minutes", "Mean response time", Unit::Minutes, false,
             [](const Stats& s) { return s.mean; });
    kpis.add("median_response_minutes", "Median response time", Unit::Minutes, false,
             [](const Stats& s) { return s.median; });
    kpis.add("p90_response_minutes", "p90 response time", Unit::Minutes, false,
             [](const Stats& s) { return s.p90; });
    kpis.add("answered_within_threshold", "Share answered within the threshold", Unit::Percent, true,
             [](const Stats& s) { return s.within_share(); });

    declare_drilldowns(ctx);
    if (group != "none") {
      auto groups = grouped(ctx, group);
      std::vector<std::pair<std::string, Stats>> sorted(groups.begin(), groups.end());
      std::stable_sort(sorted.begin(), sorted.end(),
                       [](const auto& a, const auto& b) { return a.second.leads > b.second.leads; });
      const auto top_n = static_cast<size_t>(ctx.integer("top_n"));
      if (sorted.size() > top_n) sorted.resize(top_n);
      auto t = ctx.table("by_" + group, "Lead response time by " + group);
      columns(t, group, Unit::Text);
      t.chart(Chart::Bar, group, "median_minutes");
      for (const auto& [key, s] : sorted) {
        row(t, key.empty() ? "(none)" : key, s);
        tally::sdk::drilldown_group(ctx, "by_" + group, key.empty() ? "(none)" : key, "leads",
                                    "in_period(created_at)", group);
      }
    }
    if (trend != "none") {
      auto buckets = grouped(ctx, "bucket('" + trend + "', created_at)");
      auto t = ctx.table("trend", "Lead response time per " + trend);
      columns(t, trend, Unit::Date);
      t.chart(Chart::Line, trend, "median_minutes,p90_minutes");
      for (const auto& [bucket, s] : buckets) {
        row(t, bucket, s);
        tally::sdk::drilldown_bucket(ctx, "trend", bucket, "leads", "in_period(created_at)", trend,
                                     "created_at");
      }
    }
  }

 private:
  static void columns(tally::sdk::Table& t, const std::string& key, Unit key_unit) {
    t.column(key, key_unit)
        .column("leads", Unit::Count)
        .column("answered", Unit::Count)
        .column("unanswered", Unit::Count)
        .column("mean_minutes", Unit::Minutes)
        .column("median_minutes", Unit::Minutes)
        .column("p90_minutes", Unit::Minutes)
        .column("within_threshold", Unit::Percent);
  }

  static void row(tally::sdk::Table& t, const std::string& key, const Stats& s) {
    t.row({key, s.leads, s.answered, s.unanswered(), tally::sdk::opt(s.mean), tally::sdk::opt(s.median),
           tally::sdk::opt(s.p90), tally::sdk::opt(s.within_share())});
  }

  // Two queries so the time statistics only ever see answered leads, whatever
  // the engine's aggregates do with NULLs.
  tally::sdk::Query counts_query(Context& ctx, Which which) const {
    auto q = ctx.query("leads");
    q.use_period(which)
        .select("leads", "count(*)")
        .select("backwards", std::string("count_if(") + kBackwards + ")")
        .where("in_period(created_at)");
    return q;
  }
  tally::sdk::Query times_query(Context& ctx, Which which) const {
    auto q = ctx.query("leads");
    q.use_period(which)
        .select("answered", "count(*)")
        .select("mean", std::string("avg(") + kMinutes + ")")
        .select("median", std::string("median(") + kMinutes + ")")
        .select("p90", std::string("quantile(") + kMinutes + ", 0.9)")
        .select("within", std::string("count_if(") + kMinutes + " <= :threshold)")
        .where(
            "in_period(created_at) and first_response_at is not null and "
            "minutes_between(created_at, first_response_at) >= 0")
        .bind("threshold", Value{threshold_});
    return q;
  }

  // The leads behind the KPIs: the time statistics rest on the answered ones.
  void declare_drilldowns(Context& ctx) const {
    tally::sdk::drilldown(ctx, "leads", "leads", "in_period(created_at)");
    tally::sdk::drilldown(ctx, "unanswered_leads", "leads",
                          "in_period(created_at) and first_response_at is null");
    // Answered: a response at or after the lead's creation (kBackwards is neither).
    const char* answered_leads =
        "in_period(created_at) and first_response_at is not null and "
        "minutes_between(created_at, first_response_at) >= 0";
    tally::sdk::drilldown_mean(ctx, "mean_response_minutes", "leads", answered_leads, kMinutes);
    tally::sdk::drilldown_median(ctx, "median_response_minutes", "leads", answered_leads, kMinutes);
    auto slow = ctx.query("leads");
    slow.where(answered_leads);
    tally::sdk::drilldown(ctx, "p90_response_minutes", tally::sdk::p90_of(slow, kMinutes));
    auto within = ctx.query("leads");
    within.where(answered_leads)
        .where(std::string(kMinutes) + " <= :threshold")
        .bind("threshold", Value{threshold_});
    auto answered = ctx.query("leads");
    answered.where(answered_leads);
    tally::sdk::drilldown_ratio(ctx, "answered_within_threshold", within, answered);
  }

  static void read_times(tally::sdk::Rows& rows, uint32_t first, Stats& s) {
    s.answered = rows.integer(first);
    s.mean = rows.optional_number(first + 1);
    s.median = rows.optional_number(first + 2);
    s.p90 = rows.optional_number(first + 3);
    s.within = rows.integer(first + 4);
  }

  Stats totals(Context& ctx, Which which) const {
    Stats s;
    auto counts = counts_query(ctx, which).run();
    if (counts.next()) {
      s.leads = counts.integer(0);
      s.backwards = counts.integer(1);
    }
    auto times = times_query(ctx, which).run();
    if (times.next()) read_times(times, 0, s);
    return s;
  }

  std::map<std::string, Stats> grouped(Context& ctx, const std::string& expr) const {
    std::map<std::string, Stats> out;
    auto counts = counts_query(ctx, Which::Current).group_by("grp", expr).run();
    while (counts.next()) {
      out[counts.text(0)].leads = counts.integer(1);
      out[counts.text(0)].backwards = counts.integer(2);
    }
    auto times = times_query(ctx, Which::Current).group_by("grp", expr).run();
    while (times.next()) read_times(times, 1, out[times.text(0)]);
    return out;
  }

  double threshold_ = 5;
};

}  // namespace

TALLY_METRIC(LeadResponse)

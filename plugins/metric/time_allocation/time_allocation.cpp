// Time allocation: share of logged time per category per rep (time entries
// whose day is in the period), set against the deals each rep won and the
// revenue they brought in the same period.
#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <string>
#include <tally/drilldown.hpp>
#include <tally/sdk.hpp>
#include <vector>

namespace {

using tally::sdk::Chart;
using tally::sdk::Context;
using tally::sdk::Unit;
using tally::sdk::Value;
using tally::sdk::Which;

constexpr std::array<const char*, 9> kCategories = {"selling",    "prospecting", "presenting",
                                                    "data_entry", "admin",       "internal_meetings",
                                                    "travel",     "training",    "prep"};

struct RepTime {
  std::map<std::string, double> minutes;  // by category
  double total = 0;
  int64_t deals_won = 0;
  double revenue = 0;
  bool revenue_unknown = false;  // deals won, none with an amount: n/a, not $0
};

double minutes_of(const std::map<std::string, double>& m, const std::string& category) {
  auto it = m.find(category);
  return it == m.end() ? 0.0 : it->second;
}

class TimeAllocation final : public tally::sdk::Metric {
 public:
  void run(Context& ctx) override {
    const auto top_n = static_cast<size_t>(ctx.integer("top_n"));

    tally::sdk::Kpi selling;
    selling.name = "selling_share";
    selling.label = "Share of logged time spent selling";
    selling.unit = Unit::Percent;
    selling.target = ctx.number("benchmark_selling_share");
    tally::sdk::Kpi hours;
    hours.name = "logged_hours";
    hours.label = "Logged hours";
    hours.unit = Unit::Hours;

    std::map<std::string, double> by_category = category_minutes(ctx, Which::Current);
    const auto total_of = [](const std::map<std::string, double>& m) {
      double total = 0;
      for (const auto& [c, minutes] : m) total += minutes;
      return total;
    };
    double total = total_of(by_category);
    selling.value = tally::sdk::ratio_opt(minutes_of(by_category, "selling"), total);
    hours.value = total / 60.0;
    if (ctx.has_compare()) {
      auto before = category_minutes(ctx, Which::Compare);
      selling.previous = tally::sdk::ratio_opt(minutes_of(before, "selling"), total_of(before));
      hours.previous = total_of(before) / 60.0;
    }
    ctx.kpi(selling);
    ctx.kpi(hours);
    // Minutes over minutes: the share is the selling entries' minutes over all entries' minutes.
    auto selling_entries = ctx.query("time_entries");
    selling_entries.where("in_period(day) and category = 'selling'");
    auto all_entries = ctx.query("time_entries");
    all_entries.where("in_period(day)");
    tally::sdk::drilldown_ratio(ctx, "selling_share", tally::sdk::summing(selling_entries, "minutes"),
                                tally::sdk::summing(all_entries, "minutes"));
    tally::sdk::drilldown_sum(ctx, "logged_hours", "time_entries", "in_period(day)", "minutes / 60.0");

    category_table(ctx, by_category, total);
    rep_table(ctx, top_n);
    if (const std::string dim = ctx.text("group_by"); dim != "none") group_table(ctx, dim);
  }

 private:
  static std::map<std::string, double> category_minutes(Context& ctx, Which which) {
    auto rows = ctx.query("time_entries")
                    .use_period(which)
                    .group_by("category", "category")
                    .select("minutes", "sum(minutes)")
                    .where("in_period(day)")
                    .run();
    std::map<std::string, double> out;
    while (rows.next()) out[rows.text(0)] += rows.number(1);
    return out;
  }

  static void category_table(Context& ctx, const std::map<std::string, double>& minutes, double total) {
    auto t = ctx.table("by_category", "Logged time by category");
    t.column("category", Unit::Text).column("hours", Unit::Hours).column("share", Unit::Percent);
    t.chart(Chart::Bar, "category", "share");
    std::vector<std::string> order(kCategories.begin(), kCategories.end());
    for (const auto& [c, m] : minutes)  // categories outside the standard list still show
      if (std::find(order.begin(), order.end(), c) == order.end()) order.push_back(c);
    for (const auto& c : order) {
      const double m = minutes_of(minutes, c);
      t.row({c, m / 60.0, tally::sdk::ratio(m, total)});
      // The row's entries, their hours summed.
      auto entries = ctx.query("time_entries");
      entries.where("in_period(day) and category = :category").bind("category", c);
      tally::sdk::drilldown_row(ctx, "by_category", c, tally::sdk::summing(entries, "minutes / 60.0"));
    }
  }

  // The headline figures per value of a rep dimension; entries whose rep has no
  // value (e.g. no team) form the "(none)" group.
  static void group_table(Context& ctx, const std::string& dim) {
    auto rows = ctx.query("time_entries")
                    .group_by(dim)
                    .select("minutes", "sum(minutes)")
                    .select("selling", "sum_if(minutes, category = 'selling')")
                    .where("in_period(day)")
                    .run();
    auto t = ctx.table("by_" + dim, "Logged time and selling share by " + dim);
    t.column(dim, Unit::Text).column("logged_hours", Unit::Hours).column("selling_share", Unit::Percent);
    t.chart(Chart::Bar, dim, "selling_share");
    while (rows.next()) {
      const double minutes = rows.is_null(1) ? 0.0 : rows.number(1);
      t.row({rows.is_null(0) ? std::string("(none)") : rows.text(0), minutes / 60.0,
             tally::sdk::ratio(rows.number(2), minutes)});
      // The group's entries, their hours summed.
      const std::string name = rows.is_null(0) ? std::string("(none)") : rows.text(0);
      auto entries = tally::sdk::group_records(ctx, name, "time_entries", "in_period(day)", dim);
      tally::sdk::drilldown_row(ctx, "by_" + dim, name, tally::sdk::summing(entries, "minutes / 60.0"));
    }
  }

  static void rep_table(Context& ctx, size_t top_n) {
    std::map<std::string, RepTime> reps;
    auto time = ctx.query("time_entries")
                    .group_by("rep")
                    .group_by("category", "category")
                    .select("minutes", "sum(minutes)")
                    .where("in_period(day)")
                    .run();
    while (time.next()) {
      auto& r = reps[time.text(0)];
      r.minutes[time.text(1)] += time.number(2);
      r.total += time.number(2);
    }
    auto won = ctx.query("opportunities")
                   .group_by("rep")
                   .select("deals_won", "count(*)")
                   .select("revenue", "sum(amount)")
                   .where("status = 'won' and in_period(closed_at)")
                   .run();
    while (won.next()) {
      auto& r = reps[won.text(0)];
      r.deals_won = won.integer(1);
      r.revenue = won.number(2);
      r.revenue_unknown = won.is_null(2);
    }

    std::vector<std::pair<std::string, const RepTime*>> sorted;
    for (const auto& [rep, r] : reps) sorted.emplace_back(rep, &r);
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
      return a.second->revenue != b.second->revenue ? a.second->revenue > b.second->revenue
                                                    : a.second->total > b.second->total;
    });
    if (sorted.size() > top_n) sorted.resize(top_n);

    auto t = ctx.table("by_rep", "Time allocation per rep vs deals won and revenue");
    t.column("rep", Unit::Text).column("logged_hours", Unit::Hours);
    for (const char* c : kCategories) t.column(std::string(c) + "_share", Unit::Percent);
    t.column("deals_won", Unit::Count)
        .column("revenue", Unit::Money)
        .column("revenue_per_selling_hour", Unit::Money);
    t.chart(Chart::StackedBar, "rep",
            "selling_share,prospecting_share,presenting_share,data_entry_share,admin_share,"
            "internal_meetings_share,travel_share,training_share,prep_share");
    for (const auto& [rep, r] : sorted) {
      std::vector<Value> row;
      row.reserve(kCategories.size() + 5);  // built in place: GCC 12 warns falsely on moved variants
      row.emplace_back(rep.empty() ? std::string("(none)") : rep);
      const std::string name = rep.empty() ? std::string("(none)") : rep;
      auto entries = tally::sdk::group_records(ctx, name, "time_entries", "in_period(day)", "rep");
      tally::sdk::drilldown_row(ctx, "by_rep", name, tally::sdk::summing(entries, "minutes / 60.0"));
      row.emplace_back(r->total / 60.0);
      for (const char* c : kCategories)
        row.emplace_back(tally::sdk::ratio(minutes_of(r->minutes, c), r->total));
      row.emplace_back(r->deals_won);
      row.emplace_back(r->revenue_unknown ? Value{} : Value{r->revenue});
      row.emplace_back(r->revenue_unknown
                           ? Value{}
                           : tally::sdk::ratio(r->revenue, minutes_of(r->minutes, "selling") / 60.0));
      t.row(row);
    }
  }
};

}  // namespace

TALLY_METRIC(TimeAllocation)

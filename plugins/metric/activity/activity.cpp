// Activity volume per rep against daily minimums, and call outcomes: calls per
// rep and the close rate they lead to (won deals / distinct prospects called).
// (Over 400 lines: the volume KPIs, the per-rep table and call outcomes, each a few queries over
// the same activities, with the drill-downs of each.)
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <tally/calendar.hpp>
#include <tally/drilldown.hpp>
#include <tally/sdk.hpp>
#include <vector>

namespace {

using tally::sdk::Chart;
using tally::sdk::Context;
using tally::sdk::Error;
using tally::sdk::Unit;
using tally::sdk::Value;
using tally::sdk::Which;

constexpr std::array<const char*, 9> kTypes = {
    "call", "email", "reply", "conversation", "meeting", "demo", "proposal", "referral_request", "social"};

// Monday..Friday days in [from, to).
int64_t working_days(const tally::sdk::Period& p) {
  return tally::sdk::working_days(tally::sdk::parse_date(p.from), tally::sdk::parse_date(p.to));
}

std::string label(const std::string& s) {
  return s.empty() ? "(none)" : s;
}

// "call=50" items of the daily_minimums param, checked strictly.
std::map<std::string, double> parse_minimums(const std::vector<std::string>& items) {
  std::string valid;
  for (const char* t : kTypes) valid += std::string(valid.empty() ? "" : ", ") + t;
  std::map<std::string, double> minimums;
  for (const auto& item : items) {
    const auto bad = [&](const std::string& why) {
      return Error("daily_minimums: bad item '" + item + "': " + why +
                   " (expected type=number, e.g. call=50; types: " + valid + ")");
    };
    const auto eq = item.find('=');
    if (eq == std::string::npos) throw bad("no '='");
    std::string type = item.substr(0, eq);
    std::string number = item.substr(eq + 1);
    const auto trim = [](std::string& s) {
      s.erase(0, s.find_first_not_of(" \t"));
      s.erase(s.find_last_not_of(" \t") + 1);
    };
    trim(type);
    trim(number);
    if (std::find_if(kTypes.begin(), kTypes.end(), [&](const char* t) { return type == t; }) == kTypes.end())
      throw bad("unknown activity type '" + type + "'");
    double value = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (number.empty() || ec != std::errc() || end != number.data() + number.size() || value < 0)
      throw bad("'" + number + "' is not a non-negative number");
    if (minimums.count(type)) throw bad("type '" + type + "' is given twice");
    minimums[type] = value;
  }
  return minimums;
}

struct RepVolume {
  std::map<std::string, int64_t> by_type;
  int64_t total = 0;
};

struct CallStats {
  int64_t calls = 0;
  std::set<int64_t> prospects;  // accounts called
};

// Everything the KPIs and tables need for one period.
struct Snapshot {
  int64_t working_days = 0;
  int64_t total = 0;
  std::map<std::string, int64_t> by_type;
  std::map<std::string, RepVolume> reps;  // roster plus everyone who logged an activity
  std::map<std::string, CallStats> calls_by_rep;
  std::map<std::string, CallStats> calls_by_industry;
  std::set<int64_t> prospects;
  std::map<int64_t, int64_t> won_by_account;

  int64_t won_for(const std::set<int64_t>& accounts) const {
    int64_t won = 0;
    for (int64_t a : accounts)
      if (auto it = won_by_account.find(a); it != won_by_account.end()) won += it->second;
    return won;
  }
};

class Activity final : public tally::sdk::Metric {
 public:
  void run(Context& ctx) override {
    minimums_ = parse_minimums(ctx.list("daily_minimums"));
    per_ = ctx.text("per");
    const auto top_n = static_cast<size_t>(ctx.integer("top_n"));

    const Snapshot now = snapshot(ctx, Which::Current);
    std::optional<Snapshot> before;
    if (ctx.has_compare()) before = snapshot(ctx, Which::Compare);
    const auto both = [&](auto&& f) { return std::pair{f(now), before ? f(*before) : std::nullopt}; };

    kpi(ctx, "activities", "Activities", Unit::Count, true,
        both([](const Snapshot& s) { return std::optional<double>(static_cast<double>(s.total)); }));
    tally::sdk::drilldown(ctx, "activities", "activities", "in_period(occurred_at)");
    kpi(ctx, "activities_per_rep_per_day", "Activities per rep per working day", Unit::Number, true,
        both([](const Snapshot& s) {
          return tally::sdk::ratio_opt(static_cast<double>(s.total),
                                       static_cast<double>(s.reps.size() * s.working_days));
        }));
    kpi(ctx, "reps_below_minimum", "Reps below a daily minimum", Unit::Count, false,
        both([&](const Snapshot& s) -> std::optional<double> {
          if (s.working_days == 0) return std::nullopt;
          int64_t below = 0;
          for (const auto& [rep, volume] : s.reps) below += shortfall(volume, s.working_days).empty() ? 0 : 1;
          return static_cast<double>(below);
        }));
    kpi(ctx, "call_close_rate", "Call close rate (won deals / prospects called)", Unit::Percent, true,
        both([](const Snapshot& s) {
          return tally::sdk::ratio_opt(static_cast<double>(s.won_for(s.prospects)),
                                       static_cast<double>(s.prospects.size()));
        }));

    declare_computed_drilldowns(ctx, now);
    rep_table(ctx, now, top_n);
    type_table(ctx, now);
    trend_table(ctx);
    call_tables(ctx, now, top_n);
    if (const std::string dim = ctx.text("group_by"); dim != "none") group_table(ctx, now, dim);
  }

 private:
  // The reps below a minimum (by name), and the won deals of the prospects
  // called over those prospects' accounts.
  void declare_computed_drilldowns(const Context& ctx, const Snapshot& s) const {
    std::vector<std::string> below;
    if (s.working_days > 0)
      for (const auto& [rep, volume] : s.reps)
        if (!shortfall(volume, s.working_days).empty()) below.push_back(rep);
    tally::sdk::drilldown(ctx, "reps_below_minimum",
                          tally::sdk::records_with_values(ctx, "reps", "name", below));
    // Per rep per day: the activities over the reps (the roster and those who logged one), each
    // counting the period's working days.
    std::vector<std::string> reps;
    for (const auto& [rep, volume] : s.reps) reps.push_back(rep);
    auto rep_days = tally::sdk::records_with_values(ctx, "reps", "name", reps);
    tally::sdk::stating(rep_days, "working_days", static_cast<double>(s.working_days));
    tally::sdk::summing(rep_days, ":drilldown_constant_working_days");
    auto activities = ctx.query("activities");
    activities.where("in_period(occurred_at)");
    tally::sdk::drilldown_ratio(ctx, "activities_per_rep_per_day", activities, rep_days);
    const std::vector<int64_t> prospects(s.prospects.begin(), s.prospects.end());
    const std::string accounts = tally::sdk::id_list(prospects);
    auto won = ctx.query("opportunities");
    won.where("status = 'won' and in_period(closed_at)")
        .where(accounts.empty() ? "false" : "account_id in (" + accounts + ")");
    tally::sdk::drilldown_ratio(ctx, "call_close_rate", won,
                                tally::sdk::records_with_ids(ctx, "accounts", prospects));
  }

  // Averages are per working day, or per 5-working-day week.
  double divisor(int64_t days) const { return per_ == "week" ? days / 5.0 : static_cast<double>(days); }

  // "call 32.0 < 50" for each type whose per-day average is below its minimum.
  std::string shortfall(const RepVolume& v, int64_t days) const {
    std::string out;
    for (const auto& [type, minimum] : minimums_) {
      auto it = v.by_type.find(type);
      const double per_day = (it == v.by_type.end() ? 0.0 : static_cast<double>(it->second)) / days;
      if (per_day < minimum) {
        char buf[128];
        std::snprintf(buf, sizeof buf, "%s%s %.1f < %g", out.empty() ? "" : ", ", type.c_str(), per_day,
                      minimum);
        out += buf;
      }
    }
    return out;
  }

  static void kpi(Context& ctx, const char* name, const char* title, Unit unit, bool higher_is_better,
                  std::pair<std::optional<double>, std::optional<double>> values) {
    tally::sdk::Kpi k;
    k.name = name;
    k.label = title;
    k.unit = unit;
    k.value = values.first;
    k.previous = values.second;
    k.higher_is_better = higher_is_better;
    ctx.kpi(k);
  }

  Snapshot snapshot(Context& ctx, Which which) const {
    Snapshot s;
    s.working_days = working_days(ctx.period(which));

    roster(ctx, which, s);
    // One scan of the period's activities: volumes per (rep, type), and for
    // calls also per prospect account and its industry, so distinct prospects
    // can be counted in C++. Other types collapse to one row per (rep, type).
    auto rows = ctx.query("activities")
                    .use_period(which)
                    .group_by("rep")
                    .group_by("type", "type")
                    .group_by("call_account", "if(type = 'call', account_id, null)")
                    .group_by("call_industry", "if(type = 'call', industry, null)")
                    .select("n", "count(*)")
                    .where("in_period(occurred_at)")
                    .run();
    while (rows.next()) {
      const std::string rep = rows.text(0), type = rows.text(1);
      const int64_t n = rows.integer(4);
      s.total += n;
      s.by_type[type] += n;
      if (!rep.empty()) {  // unassigned activities count in totals only
        auto& v = s.reps[rep];
        v.by_type[type] += n;
        v.total += n;
      }
      if (type != "call") continue;
      auto& by_rep = s.calls_by_rep[label(rep)];
      by_rep.calls += n;
      auto& by_industry = s.calls_by_industry[label(rows.text(3))];
      by_industry.calls += n;
      if (!rows.is_null(2)) {  // a call without an account has no prospect
        const int64_t account = rows.integer(2);
        by_rep.prospects.insert(account);
        by_industry.prospects.insert(account);
        s.prospects.insert(account);
      }
    }

    auto won = ctx.query("opportunities")
                   .use_period(which)
                   .group_by("account", "account_id")
                   .select("won", "count(*)")
                   .where("status = 'won' and in_period(closed_at) and account_id is not null")
                   .run();
    while (won.next()) s.won_by_account[won.integer(0)] = won.integer(1);
    return s;
  }

  // Reps expected to be active in the period (not managers), so reps who logged
  // nothing are still flagged. Datasets a report filter cannot apply to fall
  // back to the reps who logged activities.
  static void roster(Context& ctx, Which which, Snapshot& s) {
    try {
      auto reps = ctx.query("reps")
                      .use_period(which)
                      .group_by("rep")
                      .select("n", "count(*)")
                      .where(
                          "role != 'manager' and (hired_at is null or hired_at < period_to)"
                          " and (left_at is null or left_at >= period_from)")
                      .run();
      while (reps.next())
        if (!reps.text(0).empty()) s.reps[reps.text(0)];
    } catch (const Error& e) {
      ctx.warn(std::string("activity: rep roster unavailable, using reps with activities: ") + e.what());
    }
  }

  void rep_table(Context& ctx, const Snapshot& s, size_t top_n) const {
    auto t = ctx.table("by_rep", "Activities per rep per " + per_ + " (working days Mon-Fri)");
    t.column("rep", Unit::Text).column("activities", Unit::Count).column("per_" + per_, Unit::Number);
    for (const char* type : kTypes) t.column(std::string(type) + "_per_" + per_, Unit::Number);
    t.column("below_minimum", Unit::Flag).column("shortfall", Unit::Text);
    t.chart(Chart::Bar, "rep", "per_" + per_);

    std::vector<std::pair<std::string, const RepVolume*>> reps;
    for (const auto& [rep, v] : s.reps) reps.emplace_back(rep, &v);
    std::stable_sort(reps.begin(), reps.end(),
                     [](const auto& a, const auto& b) { return a.second->total > b.second->total; });
    if (reps.size() > top_n) reps.resize(top_n);
    const double div = divisor(s.working_days);
    for (const auto& [rep, v] : reps) {
      std::vector<Value> row;
      row.reserve(kTypes.size() + 5);  // built in place: GCC 12 warns falsely on moved variants
      tally::sdk::drilldown_group(ctx, "by_rep", rep, "activities", "in_period(occurred_at)", "rep");
      row.emplace_back(rep);
      row.emplace_back(v->total);
      row.emplace_back(tally::sdk::ratio(static_cast<double>(v->total), div));
      for (const char* type : kTypes) {
        auto it = v->by_type.find(type);
        row.emplace_back(
            tally::sdk::ratio(it == v->by_type.end() ? 0.0 : static_cast<double>(it->second), div));
      }
      if (s.working_days == 0) {
        row.emplace_back();
        row.emplace_back();
      } else {
        const std::string why = shortfall(*v, s.working_days);
        row.emplace_back(int64_t{why.empty() ? 0 : 1});
        row.emplace_back(why);
      }
      t.row(row);
    }
  }

  void type_table(Context& ctx, const Snapshot& s) const {
    auto t = ctx.table("by_type", "Activities by type against daily minimums");
    t.column("type", Unit::Text)
        .column("activities", Unit::Count)
        .column("per_rep_per_" + per_, Unit::Number)
        .column("daily_minimum", Unit::Number)
        .column("reps_below", Unit::Count);
    t.chart(Chart::Bar, "type", "activities");
    const double rep_periods = static_cast<double>(s.reps.size()) * divisor(s.working_days);
    for (const char* type : kTypes) {
      auto n = s.by_type.find(type);
      const int64_t count = n == s.by_type.end() ? 0 : n->second;
      Value minimum, below;
      if (auto m = minimums_.find(type); m != minimums_.end()) {
        minimum = m->second;
        if (s.working_days > 0) {
          int64_t reps_below = 0;
          for (const auto& [rep, v] : s.reps) {
            auto c = v.by_type.find(type);
            const double per_day =
                (c == v.by_type.end() ? 0.0 : static_cast<double>(c->second)) / s.working_days;
            reps_below += per_day < m->second ? 1 : 0;
          }
          below = reps_below;
        }
      }
      t.row({std::string(type), count, tally::sdk::ratio(static_cast<double>(count), rep_periods), minimum,
             below});
      tally::sdk::drilldown_group(ctx, "by_type", type, "activities", "in_period(occurred_at)", "type");
    }
  }

  void trend_table(Context& ctx) const {
    auto rows = ctx.query("activities")
                    .group_by("bucket", "bucket('" + per_ + "', occurred_at)")
                    .group_by("type", "type")
                    .select("n", "count(*)")
                    .where("in_period(occurred_at)")
                    .order_by("bucket")
                    .run();
    std::map<std::string, std::map<std::string, int64_t>> buckets;
    while (rows.next()) buckets[rows.text(0)][rows.text(1)] += rows.integer(2);
    auto t = ctx.table("trend", "Activities per " + per_);
    t.column(per_, Unit::Date);
    for (const char* type : kTypes) t.column(type, Unit::Count);
    t.column("total", Unit::Count);
    t.chart(Chart::Line, per_, "total");
    for (const auto& [bucket, counts] : buckets) {
      std::vector<Value> row;
      row.reserve(kTypes.size() + 2);  // built in place: GCC 12 warns falsely on moved variants
      tally::sdk::drilldown_bucket(ctx, "trend", bucket, "activities", "in_period(occurred_at)", per_,
                                   "occurred_at");
      row.emplace_back(bucket);
      int64_t total = 0;
      for (const char* type : kTypes) {
        auto it = counts.find(type);
        const int64_t n = it == counts.end() ? 0 : it->second;
        row.emplace_back(n);
      }
      for (const auto& [type, n] : counts) total += n;
      row.emplace_back(total);
      t.row(row);
    }
  }

  // The headline figures per value of one dimension. The roster cannot be sliced
  // by account dimensions, so "per rep" here counts the reps who logged
  // activities in the group. Rows with no value for the dimension form "(none)".
  void group_table(Context& ctx, const Snapshot& s, const std::string& dim) const {
    const auto group_label = [](tally::sdk::Rows& r) {
      return r.is_null(0) ? std::string("(none)") : r.text(0);
    };
    // Prospects called per group: one row per (group, account called).
    std::map<std::string, std::set<int64_t>> prospects;
    auto called = ctx.query("activities")
                      .group_by(dim)
                      .group_by("account", "account_id")
                      .select("n", "count(*)")
                      .where("type = 'call' and account_id is not null and in_period(occurred_at)")
                      .run();
    while (called.next()) prospects[group_label(called)].insert(called.integer(1));

    auto rows = ctx.query("activities")
                    .group_by(dim)
                    .select("activities", "count(*)")
                    .select("reps", "count_distinct(rep_id)")
                    .select("calls", "count_if(type = 'call')")
                    .where("in_period(occurred_at)")
                    .order_by("activities", true)
                    .run();
    auto t = ctx.table("by_" + dim, "Activities and call close rate by " + dim);
    t.column(dim, Unit::Text)
        .column("activities", Unit::Count)
        .column("reps", Unit::Count)
        .column("per_rep_per_" + per_, Unit::Number)
        .column("calls", Unit::Count)
        .column("prospects_called", Unit::Count)
        .column("won_deals", Unit::Count)
        .column("call_close_rate", Unit::Percent);
    t.chart(Chart::Bar, dim, "activities");
    const double div = divisor(s.working_days);
    while (rows.next()) {
      const std::string group = group_label(rows);
      const int64_t activities = rows.integer(1), reps = rows.integer(2);
      const auto it = prospects.find(group);
      const std::set<int64_t> none;
      const std::set<int64_t>& called_accounts = it == prospects.end() ? none : it->second;
      const int64_t won = s.won_for(called_accounts);
      const auto prospect_count = static_cast<int64_t>(called_accounts.size());
      t.row({group, activities, reps,
             tally::sdk::ratio(static_cast<double>(activities), static_cast<double>(reps) * div),
             rows.integer(3), prospect_count, won,
             tally::sdk::ratio(static_cast<double>(won), static_cast<double>(prospect_count))});
      tally::sdk::drilldown_group(ctx, "by_" + dim, group, "activities", "in_period(occurred_at)", dim);
    }
  }

  static void call_tables(Context& ctx, const Snapshot& s, size_t top_n) {
    const auto fill = [&](const char* name, const char* title, const char* key,
                          const std::map<std::string, CallStats>& groups) {
      std::vector<std::pair<std::string, const CallStats*>> sorted;
      for (const auto& [k, v] : groups) sorted.emplace_back(k, &v);
      std::stable_sort(sorted.begin(), sorted.end(),
                       [](const auto& a, const auto& b) { return a.second->calls > b.second->calls; });
      if (sorted.size() > top_n) sorted.resize(top_n);
      auto t = ctx.table(name, title);
      t.column(key, Unit::Text)
          .column("calls", Unit::Count)
          .column("prospects_called", Unit::Count)
          .column("won_deals", Unit::Count)
          .column("close_rate", Unit::Percent);
      t.chart(Chart::Bar, key, "close_rate");
      for (const auto& [k, v] : sorted) {
        const int64_t won = s.won_for(v->prospects);
        const auto prospects = static_cast<int64_t>(v->prospects.size());
        t.row({k, v->calls, prospects, won,
               tally::sdk::ratio(static_cast<double>(won), static_cast<double>(prospects))});
        // The row's calls.
        tally::sdk::drilldown_group(ctx, name, k, "activities", "type = 'call' and in_period(occurred_at)",
                                    key);
      }
    };
    fill("calls_by_rep", "Calls per rep and the close rate they lead to", "rep", s.calls_by_rep);
    fill("calls_by_industry", "Calls and close rate by prospect industry", "industry", s.calls_by_industry);
  }

  std::map<std::string, double> minimums_;
  std::string per_;
};

}  // namespace

TALLY_METRIC(Activity)

// Stage conversion (KPIS.md) over a cohort: the opportunities created in the
// period, followed through their stage history (whenever it happened).
// (Over 400 lines: one funnel walk with its cohort and drill-down tables.)
//
// Funnel steps are the open stages in pipeline order, then the won stage
// (Closed Won) as the final step; other closed stages are not steps.
//   reached(S)    a deal reached S when its history has S, or a later step
//                 (mode any: skipping A but reaching B counts as passing A);
//                 a deal with status won reached the final step.
//   mode ordered  keeps only deals whose history has every step from the first
//                 up to the furthest one they reached.
//   next-step     reached(next) / reached(S); cumulative: reached(S) / reached(first).
//   leakage(S)    (lost deals whose last open stage was S + open deals sitting
//                 in S for more than stall_days at the period end) / reached(S).
// Deals with no funnel-step history are counted apart (deals_without_history).
// group_by <dimension>: the same funnel per group of the dimension (by_<dim>).
// Cohort age (tally/compare.hpp): only stages entered before the cutoff count,
// and a deal closed on or after it counts as open: the current cohort as of
// as_of, the comparison cohort the same number of days after its period's end.
// While the current period runs, the conversion KPIs are not comparable.
// (Over 400 lines: the funnel, its tables and the drill-downs of the deals it
// counted share one pass over the stage history.)
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tally/compare.hpp>
#include <tally/drilldown.hpp>

#include <algorithm>
#include <tally/sdk.hpp>
#include <vector>

namespace {

using tally::sdk::Chart;
using tally::sdk::Context;
using tally::sdk::Unit;
using tally::sdk::Which;

struct Step {
  std::string name;
  bool won = false;  // the final step
};

struct Funnel {
  std::vector<int64_t> reached, lost, stalled;
  int64_t cohort = 0;           // opportunities created in the period
  int64_t without_history = 0;  // no history row in any funnel step
  int64_t skipped = 0;          // reached a step without every step before it
  int64_t dropped = 0;          // left out of the funnel (ordered mode: = skipped)
  // The deals behind the counts above (drill-down), per step where per step.
  std::vector<std::vector<int64_t>> reached_ids, lost_ids, stalled_ids;
  std::vector<int64_t> with_history_ids, skipped_ids;

  std::optional<double> leakage(size_t i) const {
    return tally::sdk::ratio_opt(static_cast<double>(lost[i] + stalled[i]), static_cast<double>(reached[i]));
  }
  // The step with the largest leak (open steps only; the earlier one wins a
  // tie); -1 when no step has a rate.
  int largest_leak() const {
    int best = -1;
    for (size_t i = 0; i < reached.size(); ++i) {
      auto rate = leakage(i);
      if (rate && (best < 0 || *rate > *leakage(best))) best = static_cast<int>(i);
    }
    return best;
  }
};

class StageConversion final : public tally::sdk::Metric {
 public:
  void run(Context& ctx) override {
    const bool ordered = ctx.text("mode") == "ordered";
    const double stall_days = static_cast<double>(ctx.integer("stall_days"));
    const std::vector<Step> steps = funnel_steps(ctx);
    if (steps.empty())
      throw tally::sdk::Error("the stages table has no open or won stage to build a funnel from");

    cutoffs_ = tally::sdk::cohort_cutoffs(ctx);
    const Funnel current = compute(ctx, Which::Current, steps, ordered, stall_days, cutoffs_.current);
    std::optional<Funnel> previous;
    if (ctx.has_compare())
      previous = compute(ctx, Which::Compare, steps, ordered, stall_days,
                         cutoffs_.compare.value_or(cutoffs_.current));
    auto pick = [&](Which w) -> const Funnel& { return w == Which::Current ? current : *previous; };

    ctx.kpi("cohort_deals", "Deals created in period", Unit::Count,
            [&](Which w) -> std::optional<double> { return pick(w).cohort; });
    cohort_kpi(ctx, "win_conversion", "Cumulative conversion to " + steps.back().name, Unit::Percent,
               [&](Which w) -> std::optional<double> {
                 const Funnel& f = pick(w);
                 return tally::sdk::ratio_opt(static_cast<double>(f.reached.back()),
                                              static_cast<double>(f.reached.front()));
               });
    cohort_kpi(
        ctx, "largest_leak_rate", "Largest stage leakage", Unit::Percent,
        [&](Which w) -> std::optional<double> {
          const Funnel& f = pick(w);
          const int i = f.largest_leak();
          return i < 0 ? std::nullopt : f.leakage(i);
        },
        /*higher_is_better=*/false);
    ctx.kpi(
        "deals_without_history", "Deals without stage history", Unit::Count,
        [&](Which w) -> std::optional<double> { return pick(w).without_history; },
        /*higher_is_better=*/false);
    ctx.kpi(
        "deals_skipping_stages", ordered ? "Deals left out (skipped a stage)" : "Deals that skipped a stage",
        Unit::Count, [&](Which w) -> std::optional<double> { return pick(w).skipped; },
        /*higher_is_better=*/false);

    tally::sdk::drilldown(ctx, "cohort_deals", "opportunities", "in_period(created_at)");
    declare_computed_drilldowns(ctx, steps, current);
    funnel_table(ctx, steps, current);
    cohort_table(ctx, current, ordered);
    const std::string dim = ctx.text("group_by");
    if (!dim.empty() && dim != "none") group_table(ctx, steps, ordered, stall_days, dim, cutoffs_.current);
  }

 private:
  tally::sdk::CohortCutoffs cutoffs_;

  // A KPI of the cohort: compared at the same age, or not comparable while the cohort forms.
  template <typename Fn>
  void cohort_kpi(const Context& ctx, const std::string& name, const std::string& label, Unit unit,
                  Fn&& value_of, bool higher_is_better = true) const {
    tally::sdk::Kpi k;
    k.name = name;
    k.label = label;
    k.unit = unit;
    k.value = value_of(Which::Current);
    k.higher_is_better = higher_is_better;
    if (ctx.has_compare()) {
      if (cutoffs_.comparable) {
        k.previous = value_of(Which::Compare);
        k.note = "cohorts compared " + std::to_string(cutoffs_.age_days) + " days after period end";
      } else {
        k.compare_status = TALLY_COMPARE_NOT_COMPARABLE;
        k.note = cutoffs_.note();
      }
    }
    ctx.kpi(k);
  }

  // The deals the funnel counted: per KPI, and per row of the funnel table
  // (its deals, the step's name as the row).
  static void declare_computed_drilldowns(const Context& ctx, const std::vector<Step>& steps,
                                          const Funnel& f) {
    using tally::sdk::records_with_ids;
    tally::sdk::drilldown_ratio(ctx, "win_conversion",
                                records_with_ids(ctx, "opportunities", f.reached_ids.back()),
                                records_with_ids(ctx, "opportunities", f.reached_ids.front()));
    if (const int leak = f.largest_leak(); leak >= 0) {
      std::vector<int64_t> leaked = f.lost_ids[leak];
      leaked.insert(leaked.end(), f.stalled_ids[leak].begin(), f.stalled_ids[leak].end());
      tally::sdk::drilldown_ratio(ctx, "largest_leak_rate", records_with_ids(ctx, "opportunities", leaked),
                                  records_with_ids(ctx, "opportunities", f.reached_ids[leak]));
    }
    const std::string with_history = tally::sdk::id_list(f.with_history_ids);
    tally::sdk::drilldown(
        ctx, "deals_without_history", "opportunities",
        "in_period(created_at)" +
            (with_history.empty() ? std::string() : " and id not in (" + with_history + ")"));
    tally::sdk::drilldown(ctx, "deals_skipping_stages",
                          records_with_ids(ctx, "opportunities", f.skipped_ids));
    for (size_t i = 0; i < steps.size(); ++i)
      tally::sdk::drilldown_row(ctx, "funnel", steps[i].name,
                                records_with_ids(ctx, "opportunities", f.reached_ids[i]));
    if (const int leak = f.largest_leak(); leak >= 0) {
      std::vector<int64_t> leaked = f.lost_ids[leak];
      leaked.insert(leaked.end(), f.stalled_ids[leak].begin(), f.stalled_ids[leak].end());
      tally::sdk::drilldown_row_ratio(ctx, "largest_leak", steps[leak].name,
                                      records_with_ids(ctx, "opportunities", leaked),
                                      records_with_ids(ctx, "opportunities", f.reached_ids[leak]));
    }
    // The cohort table: created in the period, without history, skipped a stage.
    auto created = ctx.query("opportunities");
    created.where("in_period(created_at)");
    tally::sdk::drilldown_row(ctx, "cohort", "created_in_period", created);
    auto without = ctx.query("opportunities");
    without.where("in_period(created_at)" +
                  (with_history.empty() ? std::string() : " and id not in (" + with_history + ")"));
    tally::sdk::drilldown_row(ctx, "cohort", "deals_without_history", without);
    for (const char* label : {"skipped_a_stage", "left_out_skipped_stage"})
      tally::sdk::drilldown_row(ctx, "cohort", label, records_with_ids(ctx, "opportunities", f.skipped_ids));
  }

  // The pipeline's stages in order (a reference dataset: report filters do
  // not apply to it, so a stage no filtered deal entered still shows as 0).
  static std::vector<Step> funnel_steps(const Context& ctx) {
    return steps_from(ctx.query("stages")
                          .group_by("name", "name")
                          .group_by("position", "position")
                          .group_by("is_closed", "is_closed")
                          .group_by("is_won", "is_won")
                          .select("stages", "count(*)")
                          .order_by("position")
                          .run());
  }

  static std::vector<Step> steps_from(tally::sdk::Rows rows) {
    std::vector<Step> open;
    std::optional<Step> won;
    while (rows.next()) {
      const bool closed = rows.integer(2) != 0;
      const bool is_won = rows.integer(3) != 0;
      if (!closed)
        open.push_back({rows.text(0), false});
      else if (is_won && !won)
        won = Step{rows.text(0), true};
    }
    if (won) open.push_back(*won);
    return open;
  }

  // A group of a dimension; nullopt is the NULL group (deals without a rep, segment, ...).
  using GroupKey = std::optional<std::string>;

  static Funnel compute(const Context& ctx, Which which, const std::vector<Step>& steps, bool ordered,
                        double stall_days, const std::string& cutoff) {
    auto funnels = compute_groups(ctx, which, steps, ordered, stall_days, "", cutoff);
    auto it = funnels.find(GroupKey{""});
    return it != funnels.end() ? it->second : empty_funnel(steps.size());
  }

  static Funnel empty_funnel(size_t steps) {
    Funnel f;
    f.reached.assign(steps, 0);
    f.lost.assign(steps, 0);
    f.stalled.assign(steps, 0);
    f.reached_ids.assign(steps, {});
    f.lost_ids.assign(steps, {});
    f.stalled_ids.assign(steps, {});
    return f;
  }

  // One funnel per group of `dim` (the query layer groups by it); with no dim,
  // a single funnel under the key "".
  static std::map<GroupKey, Funnel> compute_groups(const Context& ctx, Which which,
                                                   const std::vector<Step>& steps, bool ordered,
                                                   double stall_days, const std::string& dim,
                                                   const std::string& cutoff) {
    const size_t n = steps.size();
    std::map<GroupKey, Funnel> funnels;
    auto funnel_of = [&](const GroupKey& key) -> Funnel& {
      auto it = funnels.find(key);
      if (it == funnels.end()) it = funnels.emplace(key, empty_funnel(n)).first;
      return it->second;
    };
    std::map<GroupKey, int64_t> with_history;
    {
      auto cohort = ctx.query("opportunities");
      if (!dim.empty()) cohort.group_by("grp", dim);
      auto rows = cohort.select("deals", "count(*)").where("in_period(created_at)").use_period(which).run();
      while (rows.next()) {
        if (dim.empty()) {
          funnel_of(GroupKey{""}).cohort = rows.integer(0);
        } else {
          funnel_of(rows.is_null(0) ? GroupKey{} : GroupKey{rows.text(0)}).cohort = rows.integer(1);
        }
      }
    }

    // One row per deal of the cohort that has history: per step, the latest
    // time it entered the step, and the days it has sat there at the period
    // end when it is still in it (exited_at is null).
    auto q = ctx.query("stage_history");
    // The deal's status at the cutoff: one closed on or after it was still open then.
    q.group_by("deal", "opportunity_id")
        .group_by("status", "if(opportunity_closed_at >= :cutoff, 'open', opportunity_status)");
    // The dimension is one value per deal, so grouping by it too keeps one row per deal.
    if (!dim.empty()) q.group_by("grp", dim);
    const uint32_t first_step_col = dim.empty() ? 2 : 3;
    for (size_t i = 0; i < n; ++i) {
      const std::string s = ":s" + std::to_string(i);
      q.select("entered_" + std::to_string(i), "max(if(stage = " + s + ", entered_at, null))");
      q.select("sitting_" + std::to_string(i),
               "max(if(stage = " + s + " and exited_at is null, days_between(entered_at, period_to), null))");
      q.bind("s" + std::to_string(i), tally::sdk::Value{steps[i].name});
    }
    q.where("in_period(opportunity_created_at) and entered_at < :cutoff").use_period(which);
    q.bind("cutoff", tally::sdk::Value{cutoff});
    auto rows = q.run();

    while (rows.next()) {
      const std::string status = rows.text(1);
      const GroupKey key = dim.empty() ? GroupKey{""} : rows.is_null(2) ? GroupKey{} : GroupKey{rows.text(2)};
      Funnel& f = funnel_of(key);
      std::vector<bool> has(n, false);
      int furthest = -1;
      int last_open = -1;  // the open step entered last
      std::string last_entered;
      for (size_t i = 0; i < n; ++i) {
        const uint32_t col = first_step_col + 2 * static_cast<uint32_t>(i);
        if (rows.is_null(col)) continue;
        has[i] = true;
        furthest = static_cast<int>(i);
        const std::string entered = rows.text(col);
        if (!steps[i].won && entered >= last_entered) {
          last_entered = entered;
          last_open = static_cast<int>(i);
        }
      }
      if (status == "won" && steps.back().won && !has[n - 1]) {
        has[n - 1] = true;  // won without a Closed Won history row: it still reached the final step
        furthest = static_cast<int>(n - 1);
      }
      if (furthest < 0) continue;  // no funnel-step history: counted as without history
      ++with_history[key];
      const int64_t deal = rows.integer(0);
      f.with_history_ids.push_back(deal);

      bool complete = true;
      for (int i = 0; i <= furthest; ++i) complete = complete && has[i];
      if (!complete) {
        ++f.skipped;
        f.skipped_ids.push_back(deal);
      }
      if (ordered && !complete) {
        ++f.dropped;
        continue;
      }
      for (int i = 0; i <= furthest; ++i) {
        ++f.reached[i];
        f.reached_ids[i].push_back(deal);
      }
      if (last_open < 0) continue;
      if (status == "lost") {
        ++f.lost[last_open];
        f.lost_ids[last_open].push_back(deal);
      } else if (status == "open") {
        const uint32_t sitting_col = first_step_col + 1 + 2 * static_cast<uint32_t>(last_open);
        const auto sitting = rows.optional_number(sitting_col);
        if (sitting && *sitting > stall_days) {
          ++f.stalled[last_open];
          f.stalled_ids[last_open].push_back(deal);
        }
      }
    }
    for (auto& [key, f] : funnels) {
      f.without_history = f.cohort - with_history[key];
      if (f.without_history < 0) f.without_history = 0;  // history rows of deals outside the host's filters
    }
    return funnels;
  }

  // The headline figures per group of the dimension: cohort, deals at the
  // first step, deals at the final (won) step and the conversion between them.
  static void group_table(const Context& ctx, const std::vector<Step>& steps, bool ordered, double stall_days,
                          const std::string& dim, const std::string& cutoff) {
    const auto funnels = compute_groups(ctx, Which::Current, steps, ordered, stall_days, dim, cutoff);
    auto t = ctx.table("by_" + dim, "Conversion to " + steps.back().name + " by " + dim);
    t.column(dim, Unit::Text)
        .column("deals", Unit::Count)
        .column("first_stage_deals", Unit::Count)
        .column("won_deals", Unit::Count)
        .column("win_conversion", Unit::Percent);
    t.chart(Chart::Bar, dim, "win_conversion");
    auto add = [&](const std::string& label, const Funnel& f) {
      t.row(
          {label, f.cohort, f.reached.front(), f.reached.back(),
           tally::sdk::ratio(static_cast<double>(f.reached.back()), static_cast<double>(f.reached.front()))});
      // The row's conversion: the deals that reached the final step over those at the first.
      tally::sdk::drilldown_row_ratio(
          ctx, "by_" + dim, label, tally::sdk::records_with_ids(ctx, "opportunities", f.reached_ids.back()),
          tally::sdk::records_with_ids(ctx, "opportunities", f.reached_ids.front()));
    };
    // Named groups in name order, the NULL group last (never dropped).
    for (const auto& [key, f] : funnels)
      if (key) add(*key, f);
    if (auto none = funnels.find(GroupKey{}); none != funnels.end()) add("(none)", none->second);
  }

  static void funnel_table(const Context& ctx, const std::vector<Step>& steps, const Funnel& f) {
    const int leak = f.largest_leak();
    auto t = ctx.table("funnel", "Stage conversion (deals created in period)");
    t.column("stage", Unit::Text)
        .column("deals", Unit::Count)
        .column("next_step_conversion", Unit::Percent)
        .column("cumulative_conversion", Unit::Percent)
        .column("lost", Unit::Count)
        .column("stalled", Unit::Count)
        .column("leakage", Unit::Percent)
        .column("largest_leak", Unit::Flag);
    t.chart(Chart::Funnel, "stage", "deals");
    const double first = static_cast<double>(f.reached.front());
    for (size_t i = 0; i < steps.size(); ++i) {
      const double here = static_cast<double>(f.reached[i]);
      tally::sdk::Value next_step;
      if (i + 1 < steps.size()) next_step = tally::sdk::ratio(static_cast<double>(f.reached[i + 1]), here);
      tally::sdk::Value leakage = steps[i].won ? tally::sdk::Value{} : tally::sdk::opt(f.leakage(i));
      t.row({steps[i].name, f.reached[i], next_step, tally::sdk::ratio(here, first), f.lost[i], f.stalled[i],
             leakage, int64_t{static_cast<int>(i) == leak ? 1 : 0}});
    }
    auto b = ctx.table("largest_leak", "Stage with the largest leak");
    b.column("stage", Unit::Text)
        .column("leakage", Unit::Percent)
        .column("lost", Unit::Count)
        .column("stalled", Unit::Count);
    if (leak >= 0) b.row({steps[leak].name, tally::sdk::opt(f.leakage(leak)), f.lost[leak], f.stalled[leak]});
  }

  static void cohort_table(const Context& ctx, const Funnel& f, bool ordered) {
    auto t = ctx.table("cohort", "Deals created in period: who is in the funnel");
    t.column("group", Unit::Text).column("deals", Unit::Count);
    t.row({std::string("created_in_period"), f.cohort});
    t.row({std::string("in_funnel"), f.cohort - f.without_history - f.dropped});
    t.row({std::string("deals_without_history"), f.without_history});
    t.row({std::string(ordered ? "left_out_skipped_stage" : "skipped_a_stage"), f.skipped});
    // In the funnel: the deals with history, less those left out for skipping a stage.
    std::vector<int64_t> in_funnel = f.with_history_ids;
    if (ordered)
      std::erase_if(in_funnel, [&](int64_t id) {
        return std::find(f.skipped_ids.begin(), f.skipped_ids.end(), id) != f.skipped_ids.end();
      });
    tally::sdk::drilldown_row(ctx, "cohort", "in_funnel",
                              tally::sdk::records_with_ids(ctx, "opportunities", in_funnel));
  }
};

}  // namespace

TALLY_METRIC(StageConversion)

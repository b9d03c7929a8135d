// Sales cycle length (KPIS.md): days from created_at to closed_at over deals
// won in the period (closed_at in period): mean and median; per rep against
// the median of the rep's team (coaching flag when the rep's median cycle is
// > 1.25 x the team's median); and the time deals spent in each stage (p50,
// p90 days of entered_at -> exited_at over stage_history rows that exited in
// the period), naming the slowest stage by its median.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tally/drilldown.hpp>
#include <tally/quality.hpp>
#include <tally/sdk.hpp>
#include <utility>
#include <vector>

namespace {

using tally::sdk::Chart;
using tally::sdk::Context;
using tally::sdk::Unit;
using tally::sdk::Which;

std::string label_or_none(const std::string& text) {
  return text.empty() ? "(none)" : text;
}

constexpr const char* kWonInPeriod = "status = 'won' and in_period(closed_at)";
// A deal closed before it was created (a data error) has no cycle: it is left
// out of every duration and counted in a note.
constexpr const char* kCycleDays =
    "if(days_between(created_at, closed_at) >= 0, days_between(created_at, closed_at), null)";
constexpr const char* kBackwardsCycle = "days_between(created_at, closed_at) < 0";
constexpr const char* kStageDays =
    "if(days_between(entered_at, exited_at) >= 0, days_between(entered_at, exited_at), null)";
constexpr const char* kBackwardsStage = "days_between(entered_at, exited_at) < 0";

class SalesCycle final : public tally::sdk::Metric {
 private:
  struct Cycle {
    double deals = 0;
    int64_t backwards = 0;  // closed before created: left out of the durations
    std::optional<double> mean;
    std::optional<double> median;
  };

  struct RepCycle {
    std::string rep, team;
    int64_t deals = 0;
    std::optional<double> mean, median, team_median, versus;
    bool flagged = false;
  };

  struct StageRow {
    std::string stage;
    int64_t exits = 0;
    std::optional<double> mean, p50, p90;
    int64_t backwards = 0;  // exited before entered: left out of the durations
  };

 public:
  void run(Context& ctx) override {
    const int64_t top_n = ctx.integer("top_n");
    const double factor = ctx.number("coaching_factor");
    // Each period's figures are queried once and shared by the KPIs and tables.
    struct Figures {
      Cycle cycle;
      std::vector<RepCycle> reps;
      std::vector<StageRow> stages;
    };
    auto compute = [&](Which w) {
      return Figures{cycle(ctx, w), rep_cycles(ctx, w, factor), stage_rows(ctx, w)};
    };
    const Figures current = compute(Which::Current);
    std::optional<Figures> previous;
    if (ctx.has_compare()) previous = compute(Which::Compare);
    auto pick = [&](Which w) -> const Figures& { return w == Which::Current ? current : *previous; };

    ctx.kpi(
        "mean_cycle_days", "Mean sales cycle", Unit::Days, [&](Which w) { return pick(w).cycle.mean; },
        /*higher_is_better=*/false);
    ctx.kpi(
        "median_cycle_days", "Median sales cycle", Unit::Days, [&](Which w) { return pick(w).cycle.median; },
        /*higher_is_better=*/false);
    ctx.kpi("won_deals", "Deals won", Unit::Count,
            [&](Which w) -> std::optional<double> { return pick(w).cycle.deals; });
    ctx.kpi(
        "reps_flagged", "Reps over the coaching threshold", Unit::Count,
        [&](Which w) -> std::optional<double> { return flagged_count(pick(w).reps); },
        /*higher_is_better=*/false);
    ctx.kpi(
        "slowest_stage_p50_days", "Median days in the slowest stage", Unit::Days,
        [&](Which w) -> std::optional<double> {
          const auto& stages = pick(w).stages;
          const int slowest = slowest_index(stages);
          return slowest < 0 ? std::nullopt : stages[slowest].p50;
        },
        /*higher_is_better=*/false);
    tally::sdk::drilldown(ctx, "won_deals", "opportunities", kWonInPeriod);
    tally::sdk::drilldown_mean(ctx, "mean_cycle_days", "opportunities", kWonInPeriod, kCycleDays);
    tally::sdk::drilldown_median(ctx, "median_cycle_days", "opportunities", kWonInPeriod, kCycleDays);
    declare_computed_drilldowns(ctx, current.reps, current.stages);
    rep_table(ctx, current.reps, top_n);
    stage_tables(ctx, current.stages);
    backwards_notes(ctx, current.cycle, current.stages);

    const std::string group_by = ctx.text("group_by");
    if (group_by != "none") breakdown(ctx, group_by, top_n);
  }

 private:
  static Cycle cycle(const Context& ctx, Which which) {
    auto rows = ctx.query("opportunities")
                    .select("deals", "count(*)")
                    .select("mean_days", std::string("avg(") + kCycleDays + ")")
                    .select("median_days", std::string("median(") + kCycleDays + ")")
                    .select("backwards", std::string("count_if(") + kBackwardsCycle + ")")
                    .where(kWonInPeriod)
                    .use_period(which)
                    .run();
    Cycle c;
    if (rows.next()) {
      c.deals = static_cast<double>(rows.integer(0));
      c.backwards = rows.integer(3);
      if (c.deals > 0) {
        c.mean = rows.optional_number(1);
        c.median = rows.optional_number(2);
      }
    }
    return c;
  }

  // Per rep against the team's median: the median over all the team's deals
  // won in the period (not the median of the reps' medians). Slowest first.
  static std::vector<RepCycle> rep_cycles(const Context& ctx, Which which, double factor) {
    std::map<std::string, std::optional<double>> team_median;
    {
      auto rows = ctx.query("opportunities")
                      .group_by("team")
                      .select("median_days", std::string("median(") + kCycleDays + ")")
                      .where(kWonInPeriod)
                      .use_period(which)
                      .run();
      while (rows.next()) team_median[rows.text(0)] = rows.optional_number(1);
    }
    auto rows = ctx.query("opportunities")
                    .group_by("rep")
                    .group_by("team")
                    .select("deals", "count(*)")
                    .select("mean_days", std::string("avg(") + kCycleDays + ")")
                    .select("median_days", std::string("median(") + kCycleDays + ")")
                    .where(kWonInPeriod)
                    .use_period(which)
                    .order_by("median_days", true)
                    .run();
    std::vector<RepCycle> reps;
    while (rows.next()) {
      RepCycle r;
      r.rep = label_or_none(rows.text(0));
      r.team = rows.text(1);
      r.deals = rows.integer(2);
      r.mean = rows.optional_number(3);
      r.median = rows.optional_number(4);
      const auto found = team_median.find(r.team);
      if (found != team_median.end()) r.team_median = found->second;
      if (r.median && r.team_median) {
        r.versus = tally::sdk::ratio_opt(*r.median, *r.team_median);
        r.flagged = *r.median > factor * *r.team_median;
      }
      r.team = label_or_none(r.team);
      reps.push_back(std::move(r));
    }
    return reps;
  }

  // The reps flagged (by name, as the table lists them), and the stage
  // exits whose median makes the slowest stage's.
  static void declare_computed_drilldowns(const Context& ctx, const std::vector<RepCycle>& reps,
                                          const std::vector<StageRow>& stages) {
    std::vector<std::string> flagged;
    for (const auto& r : reps)
      if (r.flagged) flagged.push_back(r.rep);
    tally::sdk::drilldown(ctx, "reps_flagged", tally::sdk::records_with_values(ctx, "reps", "name", flagged));
    const int slowest = slowest_index(stages);
    if (slowest < 0) return;
    auto exits = ctx.query("stage_history");
    exits.where("exited_at is not null and in_period(exited_at) and stage = :slowest")
        .bind("slowest", stages[slowest].stage);
    tally::sdk::drilldown(ctx, "slowest_stage_p50_days", tally::sdk::median_of(exits, kStageDays));
  }

  // Intervals that run backwards are data errors: excluded, and said so.
  static void backwards_notes(const Context& ctx, const Cycle& cycle, const std::vector<StageRow>& stages) {
    namespace quality = tally::sdk::quality;
    quality::note_backwards(ctx, cycle.backwards, "won deal", "won deals", "closed before created",
                            "the cycle times");
    int64_t stage_backwards = 0;
    for (const auto& s : stages) stage_backwards += s.backwards;
    quality::note_backwards(ctx, stage_backwards, "stage exit", "stage exits", "before its entry",
                            "the stage durations");
  }

  static double flagged_count(const std::vector<RepCycle>& reps) {
    double n = 0;
    for (const auto& r : reps) n += r.flagged ? 1 : 0;
    return n;
  }

  static void rep_table(const Context& ctx, const std::vector<RepCycle>& reps, int64_t top_n) {
    auto t = ctx.table("by_rep", "Sales cycle per rep against the team median");
    t.column("rep", Unit::Text)
        .column("team", Unit::Text)
        .column("won_deals", Unit::Count)
        .column("mean_days", Unit::Days)
        .column("median_days", Unit::Days)
        .column("team_median_days", Unit::Days)
        .column("vs_team_median", Unit::Number)
        .column("coaching_flag", Unit::Flag);
    t.chart(Chart::Bar, "rep", "median_days");
    int64_t written = 0;
    for (const auto& r : reps) {
      if (written++ >= top_n) break;
      t.row({r.rep, r.team, r.deals, tally::sdk::opt(r.mean), tally::sdk::opt(r.median),
             tally::sdk::opt(r.team_median), tally::sdk::opt(r.versus), int64_t{r.flagged ? 1 : 0}});
      tally::sdk::drilldown_group(ctx, "by_rep", r.rep, "opportunities", kWonInPeriod, "rep");
    }
  }

  // Time in each stage from stage_history rows that exited in the period, in pipeline order.
  static std::vector<StageRow> stage_rows(const Context& ctx, Which which) {
    auto rows = ctx.query("stage_history")
                    .group_by("stage", "stage")
                    .group_by("position", "stage_position")
                    .select("exits", "count(*)")
                    .select("mean_days", std::string("avg(") + kStageDays + ")")
                    .select("p50_days", std::string("quantile(") + kStageDays + ", 0.5)")
                    .select("p90_days", std::string("quantile(") + kStageDays + ", 0.9)")
                    .select("backwards", std::string("count_if(") + kBackwardsStage + ")")
                    .where("exited_at is not null and in_period(exited_at)")
                    .use_period(which)
                    .order_by("position")
                    .run();
    std::vector<StageRow> stages;
    while (rows.next())
      stages.push_back({rows.text(0), rows.integer(2), rows.optional_number(3), rows.optional_number(4),
                        rows.optional_number(5), rows.integer(6)});
    return stages;
  }

  // The slowest stage: the highest median; the earlier stage wins a tie. -1 when none.
  static int slowest_index(const std::vector<StageRow>& stages) {
    int slowest = -1;
    for (size_t i = 0; i < stages.size(); ++i)
      if (stages[i].p50 && (slowest < 0 || *stages[i].p50 > *stages[slowest].p50))
        slowest = static_cast<int>(i);
    return slowest;
  }

  static void stage_tables(const Context& ctx, const std::vector<StageRow>& stages) {
    const int slowest = slowest_index(stages);
    auto t = ctx.table("stage_durations", "Days in each stage (stage exits in period)");
    t.column("stage", Unit::Text)
        .column("exits", Unit::Count)
        .column("mean_days", Unit::Days)
        .column("p50_days", Unit::Days)
        .column("p90_days", Unit::Days)
        .column("slowest", Unit::Flag);
    t.chart(Chart::Bar, "stage", "p50_days,p90_days");
    for (size_t i = 0; i < stages.size(); ++i) {
      const auto& s = stages[i];
      t.row({s.stage, s.exits, tally::sdk::opt(s.mean), tally::sdk::opt(s.p50), tally::sdk::opt(s.p90),
             int64_t{static_cast<int>(i) == slowest ? 1 : 0}});
      for (const char* table : {"stage_durations", "bottleneck"}) {
        if (std::string(table) == "bottleneck" && static_cast<int>(i) != slowest) continue;
        auto exits = ctx.query("stage_history");
        exits.where("exited_at is not null and in_period(exited_at) and stage = :stage")
            .bind("stage", s.stage);
        tally::sdk::drilldown_row(ctx, table, s.stage, tally::sdk::median_of(exits, kStageDays));
      }
    }
    auto b = ctx.table("bottleneck", "Slowest stage (highest median days)");
    b.column("stage", Unit::Text).column("p50_days", Unit::Days).column("p90_days", Unit::Days);
    if (slowest >= 0) {
      const auto& s = stages[slowest];
      b.row({s.stage, tally::sdk::opt(s.p50), tally::sdk::opt(s.p90)});
    }
  }

  static void breakdown(const Context& ctx, const std::string& group_by, int64_t top_n) {
    auto rows = ctx.query("opportunities")
                    .group_by(group_by)
                    .select("deals", "count(*)")
                    .select("mean_days", std::string("avg(") + kCycleDays + ")")
                    .select("median_days", std::string("median(") + kCycleDays + ")")
                    .where(kWonInPeriod)
                    .order_by("deals", true)
                    .limit(top_n)
                    .run();
    auto t = ctx.table("by_" + group_by, "Sales cycle by " + group_by);
    t.column(group_by, Unit::Text)
        .column("won_deals", Unit::Count)
        .column("mean_days", Unit::Days)
        .column("median_days", Unit::Days);
    t.chart(Chart::Bar, group_by, "median_days");
    while (rows.next()) {
      t.row({label_or_none(rows.text(0)), rows.integer(1), tally::sdk::opt(rows.optional_number(2)),
             tally::sdk::opt(rows.optional_number(3))});
      tally::sdk::drilldown_group(ctx, "by_" + group_by, label_or_none(rows.text(0)), "opportunities",
                                  kWonInPeriod, group_by);
    }
  }
};

}  // namespace

TALLY_METRIC(SalesCycle)

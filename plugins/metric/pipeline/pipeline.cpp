// Pipeline by stage at the period end, deals at risk and deals needed to reach target.
//
// "Open at the period end" is decided from timestamps, not from today's status, so a
// historical period (or the comparison period) sees the pipeline as it stood then:
//   created_at < period_to and (closed_at >= period_to or (closed_at is null and status = 'open'))
// Every such deal is shown in the stage its stage history says it was in at the period end, and
// weighted by that stage's probability (its own probability when it is still open in that stage
// today). A deal without a history row covering the end is counted in a note: a still-open one
// stays in its current stage, a closed one goes under "(no stage)" unweighted.
// (Over 400 lines: the stage snapshot, the at-risk deals, the deals needed and their drill-downs
// all rest on the same per-period state; split, it would be passed between files.)
#include <tally/calendar.hpp>
#include <tally/drilldown.hpp>
#include <tally/format.hpp>
#include <tally/quality.hpp>
#include <tally/sdk.hpp>
#include <tally/targets.hpp>

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
using tally::sdk::Period;
using tally::sdk::Unit;
using tally::sdk::Value;
using tally::sdk::Which;

constexpr const char* kNoStage = "(no stage)";
constexpr const char* kNoGroup = "(none)";

// Every deal open at the period end: still open today, or closed since.
constexpr const char* kOpenAtEnd =
    "created_at < period_to and (closed_at >= period_to or (closed_at is null and status = 'open'))";
// The same on stage_history rows, through the opportunity's columns.
constexpr const char* kHistoryOpenAtEnd =
    "opportunity_created_at < period_to and (opportunity_closed_at >= period_to or "
    "(opportunity_closed_at is null and opportunity_status = 'open'))";
// The stage_history row a deal was in at the period end.
constexpr const char* kHistoryCoversEnd =
    "entered_at < period_to and (exited_at is null or exited_at >= period_to)";

struct StageRow {
  std::string stage;
  int64_t position = 0;  // 0: not a known stage, sorted after the known ones
  int64_t deals = 0;
  int64_t known = 0;  // deals with an amount: none means the amount is unknown, not $0
  double amount = 0;
  double weighted = 0;
};

struct AtRiskDeal {
  int64_t id = 0;
  double amount = 0;  // the order: an unknown amount sorts as 0
  bool amount_known = true;
  bool overdue = false;
  bool stalled = false;
  std::string stalled_stage;
  double days_in_stage = 0;
  double stage_p90 = 0;
};

struct DealsNeeded {
  std::optional<double> target;
  std::string target_source;
  double won = 0;
  std::optional<double> average_deal;
  std::optional<double> needed;
  std::string average_from;  // the average deal's won deals closed from this date
};

struct Snapshot {
  std::vector<StageRow> stages;  // pipeline order, "(no stage)" last
  int64_t open_deals = 0;
  double open_amount = 0;  // of the deals with an amount
  double weighted_amount = 0;
  int64_t unknown_amount = 0;  // open deals without an amount: unknown, not $0
  int64_t at_risk_count = 0;
  std::optional<double> open_total() const {
    return tally::sdk::quality::known_total(open_amount, open_deals, unknown_amount);
  }
  std::optional<double> weighted_total() const {
    return tally::sdk::quality::known_total(weighted_amount, open_deals, unknown_amount);
  }
  std::vector<AtRiskDeal> at_risk;   // largest first, at most top_n
  std::vector<int64_t> stalled_ids;  // every stalled deal (detail only), for the drill-down
  DealsNeeded needed;
};

// Each deal open at the current period's end: the stage it was in then (as the by_stage table
// shows it) and what weights its amount, for the drill-downs.
struct DealStage {
  std::string stage;
  bool own = false;  // weighted by its own (effective) probability: still open in that stage
  double stage_probability = 0;
};
using DealStages = std::map<int64_t, DealStage>;

class Pipeline final : public tally::sdk::Metric {
 public:
  void run(Context& ctx) override {
    top_n_ = ctx.integer("top_n");
    stage_p90(ctx);
    Snapshot current = snapshot(ctx, Which::Current, true);
    std::optional<Snapshot> previous;
    if (ctx.has_compare()) previous = snapshot(ctx, Which::Compare, false);

    auto prev = [&](auto field) -> std::optional<double> {
      if (!previous) return std::nullopt;
      return field(*previous);
    };
    emit(ctx, "open_pipeline", "Open pipeline", Unit::Money, current.open_total(),
         prev([](const Snapshot& s) { return s.open_total(); }), true);
    emit(ctx, "weighted_pipeline", "Weighted pipeline", Unit::Money, current.weighted_total(),
         prev([](const Snapshot& s) { return s.weighted_total(); }), true);
    tally::sdk::quality::note_unknown_amounts(ctx, current.unknown_amount, "open deal", "open deals",
                                              "Open and weighted pipeline");
    emit(ctx, "open_deals", "Open deals", Unit::Count, static_cast<double>(current.open_deals),
         prev([](const Snapshot& s) -> std::optional<double> { return static_cast<double>(s.open_deals); }),
         true);
    emit(
        ctx, "deals_at_risk", "Deals at risk", Unit::Count, static_cast<double>(current.at_risk_count),
        prev([](const Snapshot& s) -> std::optional<double> { return static_cast<double>(s.at_risk_count); }),
        false);
    emit(ctx, "deals_needed", "Deals needed to reach target", Unit::Count, current.needed.needed,
         prev([](const Snapshot& s) { return s.needed.needed; }), false);

    for (int i = 0; i < 2; ++i) {
      if (without_history_at_end_[i] == 0) continue;
      const auto p = ctx.period(i == 0 ? Which::Current : Which::Compare);
      const int64_t n = without_history_at_end_[i];
      ctx.note(std::to_string(n) + (n == 1 ? " deal open on " : " deals open on ") +
               tally::format::human_date(p.to, -1) + (n == 1 ? " has" : " have") +
               " no stage history covering that date: still-open ones are shown in their current stage "
               "with their current probability, closed ones under " +
               kNoStage + " unweighted.");
    }
    // Open, weighted and counted pipeline rest on the same deals: those open at the period end.
    // (the weighted one weights each by the stage it was in at the end).
    tally::sdk::drilldown(ctx, "open_deals", "opportunities", kOpenAtEnd);
    const DealStages at_end = deal_stages_at_end(ctx);
    tally::sdk::drilldown(ctx, "weighted_pipeline", weighted(ctx, at_end, nullptr));
    tally::sdk::drilldown_sum(ctx, "open_pipeline", "opportunities", kOpenAtEnd, "amount");
    // At risk: overdue, or stalled past its stage's p90.
    const std::string stalled = tally::sdk::id_list(current.stalled_ids);
    tally::sdk::drilldown(ctx, "deals_at_risk", "opportunities",
                          std::string(kOpenAtEnd) + " and (expected_close_at < period_to" +
                              (stalled.empty() ? "" : " or id in (" + stalled + ")") + ")");
    stage_table(ctx, current, at_end);
    needed_drilldown(ctx, "deals_needed", {}, current.needed);
    at_risk_table(ctx, current);
    needed_table(ctx, current);
    std::string group = ctx.text("group_by");
    if (group != "none") group_table(ctx, group);
  }

 private:
  int64_t top_n_ = 20;
  std::map<std::string, double> p90_[2];        // per stage: [0] current period, [1] comparison period
  int64_t without_history_at_end_[2] = {0, 0};  // deals open at the end without a covering history row

  static void emit(Context& ctx, std::string name, std::string label, Unit unit, std::optional<double> value,
                   std::optional<double> previous, bool higher_is_better) {
    tally::sdk::Kpi k;
    k.name = std::move(name);
    k.label = std::move(label);
    k.unit = unit;
    k.value = value;
    k.previous = previous;
    k.higher_is_better = higher_is_better;
    ctx.kpi(k);
  }

  // `detail`: also list the deals at risk (only the current period's are shown).
  Snapshot snapshot(Context& ctx, Which which, bool detail) {
    Snapshot s;
    int64_t overdue_count = 0;
    s.stages = stages_at_end(ctx, which, overdue_count);
    for (const auto& r : s.stages) {
      s.open_deals += r.deals;
      s.open_amount += r.amount;
      s.weighted_amount += r.weighted;
    }
    at_risk(ctx, which, detail, overdue_count, s);
    s.needed = deals_needed(ctx, which);
    auto unknown = ctx.query("opportunities")
                       .use_period(which)
                       .select("unknown", "count_if(amount is null)")
                       .where(kOpenAtEnd)
                       .run();
    if (unknown.next()) s.unknown_amount = unknown.integer(0);
    return s;
  }

  // Open deals at the period end per stage: still-open deals by their current stage and
  // own-or-stage probability, since-closed ones by the stage history row covering the end.
  // One scan of opportunities also counts the overdue deals.
  std::vector<StageRow> stages_at_end(Context& ctx, Which which, int64_t& overdue_count) {
    int64_t& without_history_ = without_history_at_end_[which == Which::Current ? 0 : 1];
    std::map<std::string, StageRow> by_stage;
    auto add = [&](const std::string& stage, int64_t position, int64_t deals, int64_t known, double amount,
                   double weighted) {
      StageRow& r = by_stage[stage];
      r.stage = stage;
      if (position > 0) r.position = position;
      r.deals += deals;
      r.known += known;
      r.amount += amount;
      r.weighted += weighted;
    };

    // Every deal open at the end, by its current stage: still-open ones with their own-or-stage
    // probability, closed-since ones only counted. One scan also counts the overdue deals.
    struct Current {
      int64_t position = 0;
      int64_t deals = 0;
      int64_t known = 0;
      double amount = 0;
      double weighted = 0;
    };
    std::map<std::string, Current> still_open;  // by current stage
    auto open = ctx.query("opportunities")
                    .use_period(which)
                    .group_by("stage", "stage")
                    .group_by("position", "stage_position")
                    .select("deals", "count_if(closed_at is null)")
                    .select("amount", "sum_if(amount, closed_at is null)")
                    .select("weighted", "sum_if(amount * effective_probability, closed_at is null)")
                    .select("since_deals", "count_if(closed_at is not null)")
                    .select("since_amount", "sum_if(amount, closed_at is not null)")
                    .select("overdue", "count_if(expected_close_at < period_to)")
                    .select("known", "count_if(closed_at is null and amount is not null)")
                    .select("since_known", "count_if(closed_at is not null and amount is not null)")
                    .where(kOpenAtEnd)
                    .run();
    int64_t since_deals = 0;
    double since_amount = 0;
    int64_t since_known = 0;
    overdue_count = 0;
    while (open.next()) {
      if (open.integer(2) > 0) {
        Current& c = still_open[open.is_null(0) ? kNoStage : open.text(0)];
        c.position = open.integer(1);
        c.deals += open.integer(2);
        c.known += open.integer(8);
        c.amount += open.number(3);
        c.weighted += open.number(4);
      }
      since_deals += open.integer(5);
      since_amount += open.number(6);
      overdue_count += open.integer(7);
      since_known += open.integer(9);
    }

    // The stage each of them was in at the end, from the stage history row covering the end. A
    // deal still open in that same stage keeps its own probability; otherwise the stage's is used
    // (the deal's probability today belongs to its state today).
    auto history = ctx.query("stage_history")
                       .use_period(which)
                       .group_by("stage", "stage")
                       .group_by("position", "stage_position")
                       .group_by("now_stage", "if(opportunity_closed_at is null, opportunity_stage, null)")
                       .select("deals", "count_distinct(opportunity_id)")
                       .select("amount", "sum(opportunity_amount)")
                       .select("weighted",
                               "sum(opportunity_amount * if(opportunity_closed_at is null and "
                               "opportunity_stage = stage, opportunity_effective_probability, "
                               "stage_probability))")
                       .select("weighted_now", "sum(opportunity_amount * opportunity_effective_probability)")
                       .select("known", "count_if(opportunity_amount is not null)")
                       .where(kHistoryCoversEnd)
                       .where(kHistoryOpenAtEnd)
                       .run();
    int64_t covered_since = 0, covered_since_known = 0;
    double covered_since_amount = 0;
    while (history.next()) {
      add(history.text(0), history.integer(1), history.integer(3), history.integer(7), history.number(4),
          history.number(5));
      if (history.is_null(2)) {
        covered_since += history.integer(3);
        covered_since_known += history.integer(7);
        covered_since_amount += history.number(4);
      } else if (auto it = still_open.find(history.text(2)); it != still_open.end()) {
        it->second.deals -= history.integer(3);
        it->second.known -= history.integer(7);
        it->second.amount -= history.number(4);
        it->second.weighted -= history.number(6);
      }
    }
    // Deals with no history row at the end: still-open ones in their current stage, closed-since
    // ones under "(no stage)"; both counted for the metric's note.
    for (const auto& [stage, c] : still_open) {
      if (c.deals <= 0) continue;
      add(stage, c.position, c.deals, std::max<int64_t>(0, c.known), std::max(0.0, c.amount),
          std::max(0.0, c.weighted));
      without_history_ += c.deals;
    }
    if (since_deals > covered_since) {
      add(kNoStage, 0, since_deals - covered_since, std::max<int64_t>(0, since_known - covered_since_known),
          std::max(0.0, since_amount - covered_since_amount), 0.0);
      without_history_ += since_deals - covered_since;
    }

    std::vector<StageRow> rows;
    for (auto& [name, r] : by_stage) rows.push_back(r);
    std::stable_sort(rows.begin(), rows.end(), [](const StageRow& a, const StageRow& b) {
      auto key = [](const StageRow& r) {
        if (r.stage == kNoStage) return std::pair<int, int64_t>{2, 0};
        if (r.position <= 0) return std::pair<int, int64_t>{1, 0};
        return std::pair<int, int64_t>{0, r.position};
      };
      return key(a) < key(b);
    });
    return rows;
  }

  // The stage each deal open at the period end was in then and its weight, as stages_at_end
  // sums them: the history row covering the end (the deal's own probability when it is still
  // open in that stage, else the stage's), else a still-open deal's current stage and own
  // probability, else "(no stage)" unweighted.
  static DealStages deal_stages_at_end(Context& ctx) {
    DealStages deals;
    auto open = ctx.query("opportunities")
                    .group_by("id", "id")
                    .group_by("stage", "stage")
                    .select("still_open", "max(if(closed_at is null, 1, 0))")
                    .where(kOpenAtEnd)
                    .run();
    while (open.next()) {
      DealStage& d = deals[open.integer(0)];
      const bool still_open = open.integer(2) == 1;
      d.stage = still_open && !open.is_null(1) ? open.text(1) : kNoStage;
      d.own = still_open;
    }
    auto history =
        ctx.query("stage_history")
            .group_by("id", "opportunity_id")
            .group_by("stage", "stage")
            .select("same", "max(if(opportunity_closed_at is null and opportunity_stage = stage, 1, 0))")
            .select("probability", "max(coalesce(stage_probability, 0))")
            .where(kHistoryCoversEnd)
            .where(kHistoryOpenAtEnd)
            .run();
    while (history.next()) {
      auto it = deals.find(history.integer(0));
      if (it == deals.end()) continue;
      it->second.stage = history.text(1);
      it->second.own = history.integer(2) == 1;
      it->second.stage_probability = history.number(3);
    }
    return deals;
  }

  // The deals of `stage` (every stage when null), each with its weighted amount as its value.
  static tally::sdk::Query weighted(const Context& ctx, const DealStages& deals, const std::string* stage) {
    std::vector<tally::sdk::Weighting> groups;
    groups.push_back({"effective_probability", {}});
    std::map<double, size_t> by_probability;
    for (const auto& [id, d] : deals) {
      if (stage && d.stage != *stage) continue;
      if (d.own) {
        groups[0].ids.push_back(id);
        continue;
      }
      auto [at, added] = by_probability.emplace(d.stage_probability, groups.size());
      if (added) groups.push_back({":drilldown_p" + std::to_string(groups.size()), {}});
      groups[at->second].ids.push_back(id);
    }
    auto records = tally::sdk::weighted_records(ctx, "opportunities", "amount", groups);
    for (const auto& [probability, index] : by_probability)
      records.bind("drilldown_p" + std::to_string(index), Value{probability});
    return records;
  }

  // p90 of days spent in each stage, over stage visits that ended before the period end,
  // for both periods in one pass (the comparison period's visits are a subset). The scan and
  // the durations dominate this metric's cost; one pass is ~25% cheaper than two on SQLite.
  void stage_p90(Context& ctx) {
    const Period now = ctx.period(Which::Current);
    const std::string before_to = ctx.has_compare() ? ctx.period(Which::Compare).to : now.to;
    auto rows =
        ctx.query("stage_history")
            .group_by("stage", "stage")
            .select("p90",
                    "quantile(if(days_between(entered_at, exited_at) >= 0, "
                    "days_between(entered_at, exited_at), null), 0.9)")
            .select("p90_before",
                    "quantile(if(exited_at < :before_to and days_between(entered_at, exited_at) >= 0, "
                    "days_between(entered_at, exited_at), null), 0.9)")
            // A stage left before it was entered is a data error: no duration, counted in a note.
            .select("backwards", "count_if(days_between(entered_at, exited_at) < 0)")
            .where("exited_at is not null and exited_at < :to")
            .bind("to", Value{std::max(now.to, before_to)})
            .bind("before_to", Value{before_to})
            .run();
    const bool now_is_later = now.to >= before_to;
    int64_t backwards = 0;
    while (rows.next()) {
      backwards += rows.integer(3);
      std::optional<double> all = rows.optional_number(1), before = rows.optional_number(2);
      // `all` covers the later end: the current period's unless the comparison ends later.
      std::optional<double> now_value = now_is_later ? all : before;
      std::optional<double> before_value = now_is_later ? before : all;
      if (now_value) p90_[0][rows.text(0)] = *now_value;
      if (before_value) p90_[1][rows.text(0)] = *before_value;
    }
    tally::sdk::quality::note_backwards(ctx, backwards, "stage visit", "stage visits",
                                        "ended before it began",
                                        "the stage durations that flag stalled deals");
  }

  void at_risk(Context& ctx, Which which, bool detail, int64_t overdue_count, Snapshot& s) {
    std::map<int64_t, AtRiskDeal> deals;
    if (detail && overdue_count > 0) {
      // Overdue: open at the end with an expected close date before the end.
      auto top_overdue = ctx.query("opportunities")
                             .use_period(which)
                             .group_by("id", "id")
                             .select("amount", "max(coalesce(amount, 0))")
                             .select("known", "max(if(amount is null, 0, 1))")
                             .where(kOpenAtEnd)
                             .where("expected_close_at < period_to")
                             .order_by("amount", true)
                             .limit(top_n_)
                             .run();
      while (top_overdue.next()) {
        AtRiskDeal& d = deals[top_overdue.integer(0)];
        d.id = top_overdue.integer(0);
        d.amount = top_overdue.number(1);
        d.amount_known = top_overdue.integer(2) == 1;
        d.overdue = true;
      }
    }

    // Stalled: the stage visit covering the end is longer than that stage's p90.
    std::map<std::string, double>& p90 = p90_[which == Which::Current ? 0 : 1];
    int64_t stalled_not_overdue = 0;
    if (!p90.empty()) {
      std::string stalled = "(";
      for (size_t i = 0; i < p90.size(); ++i) {
        if (i > 0) stalled += " or ";
        stalled += "(stage = :s" + std::to_string(i) + " and days_between(entered_at, period_to) > :p" +
                   std::to_string(i) + ")";
      }
      stalled += ")";
      const std::string not_overdue =
          "(opportunity_expected_close_at is null or opportunity_expected_close_at >= period_to)";
      auto q = ctx.query("stage_history");
      q.use_period(which).where(kHistoryCoversEnd).where(kHistoryOpenAtEnd).where(stalled);
      int j = 0;
      for (const auto& [stage, days] : p90) {
        q.bind("s" + std::to_string(j), Value{stage});
        q.bind("p" + std::to_string(j), Value{days});
        ++j;
      }
      if (!detail) {
        q.select("n", "count_distinct(opportunity_id)").where(not_overdue);
        auto rows = q.run();
        if (rows.next()) stalled_not_overdue = rows.integer(0);
      } else {
        // One row per stalled deal: few next to all deals, and it gives both the count and the list.
        // Stage first: grouping by opportunity_id first makes SQLite walk its index in random row order.
        q.group_by("stage", "stage")
            .group_by("id", "opportunity_id")
            .select("amount", "max(coalesce(opportunity_amount, 0))")
            .select("days", "max(days_between(entered_at, period_to))")
            .select("not_overdue", "max(if(" + not_overdue + ", 1, 0))")
            .select("known", "max(if(opportunity_amount is null, 0, 1))");
        auto rows = q.run();
        std::vector<AtRiskDeal> stalled_deals;
        while (rows.next()) {
          AtRiskDeal d;
          d.stalled_stage = rows.text(0);
          d.id = rows.integer(1);
          d.stalled = true;
          d.amount = rows.number(2);
          d.days_in_stage = rows.number(3);
          d.stage_p90 = p90[d.stalled_stage];
          if (rows.integer(4) == 1) ++stalled_not_overdue;
          d.amount_known = rows.integer(5) == 1;
          s.stalled_ids.push_back(d.id);
          stalled_deals.push_back(std::move(d));
        }
        std::stable_sort(stalled_deals.begin(), stalled_deals.end(),
                         [](const AtRiskDeal& a, const AtRiskDeal& b) {
                           return a.amount != b.amount ? a.amount > b.amount : a.id < b.id;
                         });
        if (static_cast<int64_t>(stalled_deals.size()) > top_n_)
          stalled_deals.resize(static_cast<size_t>(top_n_));
        for (const auto& d : stalled_deals) {
          AtRiskDeal& merged = deals[d.id];
          bool overdue = merged.overdue;
          merged = d;
          merged.overdue = overdue;
        }
      }
    }
    s.at_risk_count = overdue_count + stalled_not_overdue;

    for (auto& [id, d] : deals) s.at_risk.push_back(d);
    std::stable_sort(s.at_risk.begin(), s.at_risk.end(), [](const AtRiskDeal& a, const AtRiskDeal& b) {
      return a.amount != b.amount ? a.amount > b.amount : a.id < b.id;
    });
    if (static_cast<int64_t>(s.at_risk.size()) > top_n_) s.at_risk.resize(static_cast<size_t>(top_n_));
  }

  // ceil((target - won so far) / average won deal size); 0 once the target is met.
  static DealsNeeded deals_needed(Context& ctx, Which which) {
    DealsNeeded n;
    // The one revenue target of the report (tally/targets.hpp), as the revenue and forecast plugins.
    const tally::sdk::Target target = tally::sdk::revenue_target(ctx, which, ctx.optional_number("target"));
    n.target = target.value;
    n.target_source = target.source;

    // Won so far (in the period) and the average won deal (period or lookback) in one query.
    const Period period = ctx.period(which);
    int64_t lookback = ctx.integer("avg_deal_lookback");
    const std::string average_from =
        lookback > 0 ? tally::sdk::parse_date(period.to).add_months(-static_cast<int>(lookback)).iso()
                     : period.from;
    n.average_from = average_from;
    auto won = ctx.query("opportunities")
                   .use_period(which)
                   .select("won", "sum_if(amount, in_period(closed_at))")
                   .select("average", "avg_if(amount, closed_at >= :average_from and amount is not null)")
                   .where("status = 'won' and closed_at >= :since and closed_at < period_to")
                   .bind("average_from", Value{average_from})
                   .bind("since", Value{std::min(average_from, period.from)})
                   .run();
    if (won.next()) {
      n.won = won.number(0);
      n.average_deal = won.optional_number(1);
    }

    if (n.target) {
      double remaining = *n.target - n.won;
      if (remaining <= 0)
        n.needed = 0.0;
      else if (n.average_deal && *n.average_deal > 0)
        n.needed = std::ceil(remaining / *n.average_deal);
    }
    return n;
  }

  static void stage_table(Context& ctx, const Snapshot& s, const DealStages& at_end) {
    auto t = ctx.table("by_stage", "Open pipeline at period end by stage");
    t.column("stage", Unit::Text)
        .column("deals", Unit::Count)
        .column("amount", Unit::Money)
        .column("weighted_amount", Unit::Money)
        .column("share_of_amount", Unit::Percent);
    t.chart(Chart::Bar, "stage", "amount,weighted_amount");
    for (const auto& r : s.stages) {
      // A stage whose deals all lack an amount shows n/a, not $0.
      if (r.known == 0 && r.deals > 0)
        t.row({r.stage, r.deals, Value{}, Value{}, Value{}});
      else
        t.row({r.stage, r.deals, r.amount, r.weighted, tally::sdk::ratio(r.amount, s.open_amount)});
      // The deals in the stage at the end, each with its weighted amount.
      tally::sdk::drilldown_row(ctx, "by_stage", r.stage, weighted(ctx, at_end, &r.stage));
    }
  }

  void at_risk_table(Context& ctx, const Snapshot& s) const {
    auto t = ctx.table("at_risk", "Deals at risk (largest first)");
    t.column("deal", Unit::Text)
        .column("account", Unit::Text)
        .column("owner", Unit::Text)
        .column("stage", Unit::Text)
        .column("amount", Unit::Money)
        .column("expected_close", Unit::Date)
        .column("days_in_stage", Unit::Days)
        .column("stage_p90_days", Unit::Days)
        .column("reason", Unit::Text);
    if (s.at_risk.empty()) return;

    // Names for the few listed deals only.
    std::string in = "id in (";
    for (size_t i = 0; i < s.at_risk.size(); ++i) in += (i ? ", :d" : ":d") + std::to_string(i);
    in += ")";
    auto q = ctx.query("opportunities");
    q.group_by("id", "id")
        .group_by("deal", "coalesce(name, '')")
        .group_by("account", "coalesce(account_name, '')")
        .group_by("owner", "coalesce(rep, '')")
        .group_by("stage", "coalesce(stage, '')")
        .group_by("expected_close", "coalesce(expected_close_at, '')")
        .select("n", "count(*)")
        .where(in);
    for (size_t i = 0; i < s.at_risk.size(); ++i) q.bind("d" + std::to_string(i), Value{s.at_risk[i].id});
    struct Names {
      std::string deal, account, owner, stage, expected_close;
    };
    std::map<int64_t, Names> names;
    auto rows = q.run();
    while (rows.next())
      names[rows.integer(0)] =
          Names{rows.text(1), rows.text(2), rows.text(3), rows.text(4), rows.text(5).substr(0, 10)};

    auto text_or_na = [](const std::string& v) -> Value { return v.empty() ? Value{} : Value{v}; };
    for (const auto& d : s.at_risk) {
      const Names& n = names[d.id];
      std::string reason;
      if (d.overdue) reason = "past expected close";
      if (d.stalled) {
        char days[64], p90[64];
        std::snprintf(days, sizeof days, "%.0f", d.days_in_stage);
        std::snprintf(p90, sizeof p90, "%.0f", d.stage_p90);
        reason += (reason.empty() ? "" : "; ") + std::string(days) + " days in " + d.stalled_stage +
                  " (p90 " + p90 + ")";
      }
      std::string stage = d.stalled ? d.stalled_stage : n.stage;
      const std::string key = n.deal.empty() ? "#" + std::to_string(d.id) : n.deal;
      auto deal = tally::sdk::records_with_ids(ctx, "opportunities", {d.id});
      tally::sdk::drilldown_row(ctx, "at_risk", key, tally::sdk::summing(deal, "coalesce(amount, 0)"));
      // An unknown amount is n/a, never $0 (it only sorts as 0).
      t.row({text_or_na(key), text_or_na(n.account), text_or_na(n.owner), text_or_na(stage),
             d.amount_known ? Value{d.amount} : Value{}, text_or_na(n.expected_close),
             d.stalled ? Value{d.days_in_stage} : Value{}, d.stalled ? Value{d.stage_p90} : Value{}, reason});
    }
  }

  // Deals needed: the won deals against the target (their gap to it), over the won deals that
  // make the average deal, rounded up.
  static void needed_drilldown(const Context& ctx, const std::string& kpi, const std::string& row,
                               const DealsNeeded& n) {
    auto won = ctx.query("opportunities");
    won.where("status = 'won' and in_period(closed_at)");
    if (!n.target) {  // no target, nothing needed: the row's won deals, summed (won so far)
      if (!row.empty()) tally::sdk::drilldown_row(ctx, kpi, row, tally::sdk::summing(won, "amount"));
      return;
    }
    tally::sdk::gap_to(won, "amount", *n.target);
    tally::sdk::rounded_up(won);
    auto average = ctx.query("opportunities");
    average.where("status = 'won' and closed_at >= :average_from and closed_at < period_to")
        .where("amount is not null")
        .bind("average_from", Value{n.average_from});
    tally::sdk::averaging(average, "amount");
    if (row.empty())
      tally::sdk::drilldown_ratio(ctx, kpi, won, average);
    else
      tally::sdk::drilldown_row_ratio(ctx, kpi, row, won, average);
  }

  static void needed_table(Context& ctx, const Snapshot& s) {
    auto t = ctx.table("deals_needed", "Deals needed to reach target");
    t.column("target", Unit::Money)
        .column("target_source", Unit::Text)
        .column("won_so_far", Unit::Money)
        .column("remaining", Unit::Money)
        .column("average_deal_size", Unit::Money)
        .column("deals_needed", Unit::Count);
    const DealsNeeded& n = s.needed;
    Value remaining = n.target ? Value{std::max(0.0, *n.target - n.won)} : Value{};
    t.row({tally::sdk::opt(n.target), n.target ? Value{n.target_source} : Value{std::string("(no target)")},
           n.won, remaining, tally::sdk::opt(n.average_deal),
           n.needed ? Value{static_cast<int64_t>(*n.needed)} : Value{}});
    // The row (keyed by where its target comes from): as the KPI.
    needed_drilldown(ctx, "deals_needed", n.target ? n.target_source : "(no target)", n);
  }

  static void group_table(Context& ctx, const std::string& dimension) {
    auto t = ctx.table("by_" + dimension, "Open pipeline at period end by " + dimension);
    t.column(dimension, Unit::Text)
        .column("deals", Unit::Count)
        .column("amount", Unit::Money)
        .column("share_of_amount", Unit::Percent);
    t.chart(Chart::Bar, dimension, "amount");
    auto rows = ctx.query("opportunities")
                    .group_by("grp", dimension)
                    .select("deals", "count(*)")
                    .select("amount", "sum(amount)")  // NULL when no amount is known
                    .where(kOpenAtEnd)
                    .order_by("amount", true)
                    .run();
    struct G {
      std::string name;
      int64_t deals;
      std::optional<double> amount;
    };
    std::vector<G> groups;
    double total = 0;
    while (rows.next()) {
      groups.push_back(
          G{rows.is_null(0) ? kNoGroup : rows.text(0), rows.integer(1), rows.optional_number(2)});
      total += groups.back().amount.value_or(0);
    }
    for (const auto& g : groups) {
      t.row({g.name, g.deals, tally::sdk::opt(g.amount),
             g.amount ? tally::sdk::ratio(*g.amount, total) : Value{}});
      // The row's records: the deals open at the end in the group.
      tally::sdk::drilldown_group(ctx, "by_" + dimension, g.name, "opportunities", kOpenAtEnd, dimension,
                                  kNoGroup);
    }
  }
};

}  // namespace

TALLY_METRIC(Pipeline)

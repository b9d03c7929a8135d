// Forecast for the period.
// (Over 400 lines: the figures of one period, their drill-downs and the tables share the Figures
// struct; split, it would be passed between files.)
//
// Point-in-time figures are taken at a snapshot date (tally/compare.hpp): the period's end, or
// as_of while the period runs; the comparison period at the same number of days after its start.
// weighted pipeline closing in period
//                    = sum(amount x probability) over the deals open on the snapshot date and
//                      expected to close in the period, each in the stage its stage history says
//                      it was in then: the deal's own probability when it is still open in that
//                      stage today, else the stage's. A deal open then without a history row
//                      covering the date keeps its current probability and is counted in a note.
// open pipeline closing in period
//                    = the same deals' amount, without those whose category today is 'omitted'.
// forecast categories: from the store's current state (categories have no history, so the
//                      comparison period's commit and best case are not comparable);
// forecast categories (Salesforce's cumulative roll-up): closed = won in the period;
//                      commit = commit + closed; most likely = most likely + commit + closed;
//                      best case = best case + most likely + commit + closed;
//                      the categories table's pipeline row = pipeline + best case + most likely +
//                      commit (open deals only);
// target             = tally/targets.hpp: param target, else the targets table's revenue rows,
//                      else the quotas (the same target the revenue plugin shows);
// gap                = max(0, target - closed won);
// deals needed       = ceil(gap / average deal size);
// leads needed       = ceil(gap / (lead-to-win conversion x average deal size)), where the conversion
//                      is leads created in [period start - lookback_days, period start) whose
//                      opportunity was won before the snapshot date / leads created in that window.
// group_by           = one more table, by_<dim>: closed won, commit, best case and weighted pipeline per
//                      group of the dimension (NULL groups as "(none)").
#include <tally/calendar.hpp>
#include <tally/compare.hpp>
#include <tally/drilldown.hpp>
#include <tally/quality.hpp>
#include <tally/sdk.hpp>
#include <tally/targets.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

using tally::sdk::Chart;
using tally::sdk::Context;
using tally::sdk::Unit;
using tally::sdk::Value;
using tally::sdk::Which;

// ---- the figures of one period ----

struct Category {
  int64_t deals = 0;
  double amount = 0;
  double weighted = 0;
};

struct Figures {
  int64_t won = 0;
  double won_amount = 0;                 // of the won deals with an amount
  int64_t won_unknown = 0;               // won deals without an amount: unknown, not $0
  std::map<std::string, Category> open;  // by forecast category (normalized)
  std::optional<double> target;
  std::string target_source;
  tally::sdk::Target target_rows;  // for the drill-down: which rows make the target
  std::optional<double> avg_deal_size;
  // Open deals expected to close in the period, as they stood on `snapshot`.
  std::string snapshot;
  int64_t snapshot_deals = 0;
  double snapshot_amount = 0;    // without deals whose category is 'omitted'
  double snapshot_weighted = 0;  // every deal
  int64_t snapshot_counted = 0;  // deals in snapshot_amount
  int64_t snapshot_unknown = 0;  // of those, without an amount
  int64_t snapshot_unknown_all = 0;
  int64_t without_history = 0;  // deals open then with no stage history row covering the date
  int64_t window_leads = 0;
  int64_t window_won_leads = 0;
  // For the drill-downs: the deals in snapshot_amount, and the lead window.
  std::vector<int64_t> snapshot_counted_ids;
  // Every deal open on the snapshot date: weighted by its own (effective) probability, else by
  // the probability of the stage its history puts it in then.
  std::vector<int64_t> own_probability_ids;
  std::map<double, std::vector<int64_t>> stage_probability_ids;
  std::string window_from;

  double sum_open(std::initializer_list<const char*> names, double Category::*field) const {
    double total = 0;
    for (const char* n : names)
      if (auto it = open.find(n); it != open.end()) total += it->second.*field;
    return total;
  }
  // Every deal open on the snapshot date expected to close in the period, whatever its category.
  // A total whose every deal has no amount is n/a (tally/quality.hpp).
  std::optional<double> weighted_pipeline() const {
    return tally::sdk::quality::known_total(snapshot_weighted, snapshot_deals, snapshot_unknown_all);
  }
  std::optional<double> closed_won() const {
    return tally::sdk::quality::known_total(won_amount, won, won_unknown);
  }
  std::optional<double> commit_kpi() const { return commit(); }
  std::optional<double> best_case_kpi() const { return best_case(); }
  double commit() const { return won_amount + sum_open({"commit"}, &Category::amount); }
  double most_likely() const { return commit() + sum_open({"most_likely"}, &Category::amount); }
  double best_case() const { return most_likely() + sum_open({"best_case"}, &Category::amount); }
  std::optional<double> open_pipeline() const {
    return tally::sdk::quality::known_total(snapshot_amount, snapshot_counted, snapshot_unknown);
  }
  // The categories table's pipeline row: today's open deals, cumulative.
  double open_by_category() const {
    return sum_open({"pipeline", "best_case", "most_likely", "commit"}, &Category::amount);
  }
  std::optional<double> conversion() const {
    return tally::sdk::ratio_opt(static_cast<double>(window_won_leads), static_cast<double>(window_leads));
  }
  std::optional<double> gap() const {
    if (!target) return std::nullopt;
    return std::max(0.0, *target - won_amount);
  }
  std::optional<double> deals_needed() const {
    auto g = gap();
    if (!g) return std::nullopt;
    if (*g == 0) return 0.0;
    if (!avg_deal_size || *avg_deal_size <= 0) return std::nullopt;
    return std::ceil(*g / *avg_deal_size);
  }
  std::optional<double> leads_needed() const {
    auto g = gap();
    if (!g) return std::nullopt;
    if (*g == 0) return 0.0;
    auto c = conversion();
    if (!c || *c <= 0 || !avg_deal_size || *avg_deal_size <= 0) return std::nullopt;
    return std::ceil(*g / (*c * *avg_deal_size));
  }
};

// Open deals' categories as stored, mapped onto the roll-up: a missing or unknown one is
// pipeline; 'closed' on a deal that is still open counts as commit.
std::string normalize_category(const std::string& raw) {
  if (raw == "commit" || raw == "closed") return "commit";
  if (raw == "best_case" || raw == "most_likely" || raw == "omitted") return raw;
  return "pipeline";
}

class Forecast final : public tally::sdk::Metric {
 public:
  void run(Context& ctx) override {
    const tally::sdk::SnapshotDates at = tally::sdk::snapshot_dates(ctx);
    Figures current = load(ctx, Which::Current, at.current);
    std::optional<Figures> previous;
    if (ctx.has_compare()) previous = load(ctx, Which::Compare, *at.compare);
    auto pick = [&](Which w) -> const Figures& { return w == Which::Current ? current : *previous; };
    // `today_only`: a figure of today's forecast categories, which have no history to compare with.
    auto money = [&](const char* name, const char* label, std::optional<double> (Figures::*of)() const,
                     bool with_target, bool today_only) {
      tally::sdk::Kpi k;
      k.name = name;
      k.label = label;
      k.unit = Unit::Money;
      k.value = (current.*of)();
      if (previous && !today_only) k.previous = ((*previous).*of)();
      if (previous && today_only) {
        k.compare_status = TALLY_COMPARE_NOT_COMPARABLE;
        k.note = "forecast categories have no history";
      }
      if (with_target) {
        k.target = current.target;
        k.target_source = current.target_source;
      }
      ctx.kpi(k);
    };
    money("weighted_pipeline", "Weighted pipeline closing in period", &Figures::weighted_pipeline, false,
          false);
    money("closed_won", "Closed won", &Figures::closed_won, true, false);
    money("commit_forecast", "Commit forecast", &Figures::commit_kpi, true, true);
    money("best_case_forecast", "Best case forecast", &Figures::best_case_kpi, true, true);
    money("open_pipeline", "Open pipeline closing in period", &Figures::open_pipeline, false, false);
    {
      tally::sdk::Kpi k;
      k.name = "forecast_target";
      k.label = "Target";
      k.unit = Unit::Money;
      k.value = current.target;
      if (previous) k.previous = previous->target;
      k.target_source = current.target_source;
      ctx.kpi(k);
    }
    snapshot_notes(ctx, current, previous);
    tally::sdk::quality::note_unknown_amounts(ctx, current.won_unknown, "won deal", "won deals",
                                              "Closed won, the forecasts and the average deal size");
    tally::sdk::quality::note_unknown_amounts(ctx, current.snapshot_unknown_all,
                                              "open deal closing in period", "open deals closing in period",
                                              "Pipeline closing in period");
    ctx.kpi(
        "gap_to_target", "Gap to target", Unit::Money, [&](Which w) { return pick(w).gap(); }, false);
    ctx.kpi("avg_deal_size", "Average deal size", Unit::Money,
            [&](Which w) { return pick(w).avg_deal_size; });
    ctx.kpi(
        "deals_needed", "Deals needed to reach target", Unit::Count,
        [&](Which w) { return pick(w).deals_needed(); }, false);
    ctx.kpi("lead_to_win_conversion", "Lead-to-win conversion", Unit::Percent,
            [&](Which w) { return pick(w).conversion(); });
    ctx.kpi(
        "leads_needed", "Leads needed to reach target", Unit::Count,
        [&](Which w) { return pick(w).leads_needed(); }, false);

    declare_drilldowns(ctx, current);
    categories_table(ctx, current);
    if (const std::string dim = ctx.text("group_by"); dim != "none") group_table(ctx, dim);
  }

 private:
  // The won deals, the open deals of the forecast categories, the deals open
  // on the snapshot date and the lead window behind the KPIs that have records.
  static void declare_drilldowns(const Context& ctx, const Figures& f) {
    constexpr const char* kWon = "status = 'won' and in_period(closed_at)";
    tally::sdk::drilldown_sum(ctx, "closed_won", "opportunities", kWon, "amount");
    const std::string open = "status = 'open' and in_period(expected_close_at) and forecast_category in ";
    tally::sdk::drilldown_sum(ctx, "commit_forecast", "opportunities",
                              std::string("(") + kWon + ") or (" + open + "('commit', 'closed'))", "amount");
    tally::sdk::drilldown_sum(
        ctx, "best_case_forecast", "opportunities",
        std::string("(") + kWon + ") or (" + open + "('commit', 'closed', 'most_likely', 'best_case'))",
        "amount");
    auto snapshot = tally::sdk::records_with_ids(ctx, "opportunities", f.snapshot_counted_ids);
    tally::sdk::drilldown(ctx, "open_pipeline", tally::sdk::summing(snapshot, "coalesce(amount, 0)"));
    // Every deal open on the snapshot date, its amount weighted as the KPI weights it.
    std::vector<tally::sdk::Weighting> weights = {
        {"coalesce(effective_probability, 0)", f.own_probability_ids}};
    for (const auto& [probability, ids] : f.stage_probability_ids)
      weights.push_back({":drilldown_p" + std::to_string(weights.size()), ids});
    auto weighted = tally::sdk::weighted_records(ctx, "opportunities", "coalesce(amount, 0)", weights);
    size_t index = 1;
    for (const auto& [probability, ids] : f.stage_probability_ids)
      weighted.bind("drilldown_p" + std::to_string(index++), Value{probability});
    tally::sdk::drilldown(ctx, "weighted_pipeline", weighted);
    if (ctx.text("deal_size_basis") == "lookback") {
      auto won = ctx.query("opportunities");
      won.where(
             "status = 'won' and closed_at >= :window_from and closed_at < period_from and amount is not "
             "null")
          .bind("window_from", Value{f.window_from});
      tally::sdk::drilldown(ctx, "avg_deal_size", tally::sdk::averaging(won, "amount"));
    } else {
      tally::sdk::drilldown_mean(ctx, "avg_deal_size", "opportunities",
                                 std::string(kWon) + " and amount is not null", "amount");
    }
    auto leads = [&] {
      auto q = ctx.query("leads");
      q.where("created_at >= :window_from and created_at < period_from")
          .bind("window_from", Value{f.window_from});
      return q;
    };
    auto won_leads = leads();
    won_leads.where("opportunity_status = 'won' and opportunity_closed_at < :cutoff")
        .bind("cutoff", Value{f.snapshot});
    tally::sdk::drilldown_ratio(ctx, "lead_to_win_conversion", won_leads, leads());
    projections(ctx, f, leads());
  }

  // The target (its rows, or the config's value), the gap (the won deals against it) and the
  // projections: the gap over the average deal's records, or over the window's leads each worth
  // the average deal when it was won (their mean: conversion x average deal).
  static void projections(const Context& ctx, const Figures& f, tally::sdk::Query window_leads) {
    tally::sdk::drilldown(ctx, "forecast_target", tally::sdk::target_records(ctx, f.target_rows));
    if (!f.target) return;
    auto won = [&] {
      auto q = ctx.query("opportunities");
      q.where("status = 'won' and in_period(closed_at)");
      tally::sdk::gap_to(q, "amount", *f.target);
      return q;
    };
    tally::sdk::drilldown(ctx, "gap_to_target", won());
    auto needed = won();
    tally::sdk::rounded_up(needed);
    auto average = ctx.query("opportunities");
    if (ctx.text("deal_size_basis") == "lookback")
      average.where("status = 'won' and closed_at >= :window_from and closed_at < period_from")
          .bind("window_from", Value{f.window_from});
    else
      average.where("status = 'won' and in_period(closed_at)");
    average.where("amount is not null");
    tally::sdk::drilldown_ratio(ctx, "deals_needed", needed, tally::sdk::averaging(average, "amount"));
    if (!f.avg_deal_size) return;
    auto needed_leads = won();
    tally::sdk::rounded_up(needed_leads);
    window_leads
        .select("drilldown_mean",
                "if(opportunity_status = 'won' and opportunity_closed_at < :cutoff, "
                ":drilldown_constant_average_deal, 0)")
        .bind("cutoff", Value{f.snapshot});
    tally::sdk::stating(window_leads, "average_deal", *f.avg_deal_size);
    tally::sdk::drilldown_ratio(ctx, "leads_needed", needed_leads, window_leads);
  }

  static Figures load(const Context& ctx, Which which, const std::string& snapshot) {
    Figures f;
    {
      auto q = ctx.query("opportunities");
      q.use_period(which)
          .select("won", "count(*)")
          .select("won_amount", "sum(amount)")
          .select("won_unknown", "count_if(amount is null)")
          .where("status = 'won' and in_period(closed_at)");
      auto rows = q.run();
      if (rows.next()) {
        f.won = rows.integer(0);
        f.won_amount = rows.number(1);
        f.won_unknown = rows.integer(2);
      }
    }
    {
      auto q = ctx.query("opportunities");
      q.use_period(which)
          .group_by("category", "forecast_category")
          .select("deals", "count(*)")
          .select("amount", "sum(amount)")
          .select("weighted", "sum(amount * effective_probability)")
          .where("status = 'open' and in_period(expected_close_at)");
      auto rows = q.run();
      while (rows.next()) {
        Category& c = f.open[normalize_category(rows.text(0))];
        c.deals += rows.integer(1);
        c.amount += rows.number(2);
        c.weighted += rows.number(3);
      }
    }
    const tally::sdk::Target target = tally::sdk::revenue_target(ctx, which, ctx.optional_number("target"));
    f.target = target.value;
    f.target_source = target.source;
    f.target_rows = target;
    open_at(ctx, which, snapshot, f);

    const std::string window_from =
        tally::sdk::parse_date(ctx.period(which).from).add_days(-ctx.integer("lookback_days")).iso();
    f.window_from = window_from;
    lead_conversion(ctx, which, window_from, snapshot, f);
    if (ctx.text("deal_size_basis") == "lookback") {
      auto q = ctx.query("opportunities");
      q.use_period(which)
          .select("won", "count(amount)")
          .select("won_amount", "sum(amount)")
          .where("status = 'won' and closed_at >= :window_from and closed_at < period_from")
          .bind("window_from", Value{window_from});
      auto rows = q.run();
      if (rows.next())
        f.avg_deal_size = tally::sdk::ratio_opt(rows.number(1), static_cast<double>(rows.integer(0)));
    } else {
      f.avg_deal_size = tally::sdk::ratio_opt(f.won_amount, static_cast<double>(f.won - f.won_unknown));
    }
    return f;
  }

  // The deals open on `at` and expected to close in the period: amount and probability from the
  // stage history row covering `at` (one row per deal: few next to all deals), the rest from the
  // deal itself. Deals without such a row keep their current probability and are counted.
  static void open_at(const Context& ctx, Which which, const std::string& at, Figures& f) {
    const char* expected = "expected_close_at >= period_from and expected_close_at < period_to";
    const char* open_then =
        "created_at < :at and (closed_at >= :at or (closed_at is null and status = 'open'))";
    struct Deal {
      double amount = 0;
      double weighted = 0;
      bool omitted = false;
      bool history = false;
      bool unknown = false;  // no amount
      bool own = true;       // weighted by its own probability, else by stage_probability
      double stage_probability = 0;
    };
    std::map<int64_t, Deal> deals;
    {
      auto rows = ctx.query("opportunities")
                      .use_period(which)
                      .group_by("id", "id")
                      .select("amount", "max(coalesce(amount, 0))")
                      .select("weighted", "max(coalesce(amount, 0) * coalesce(effective_probability, 0))")
                      .select("omitted", "max(if(forecast_category = 'omitted', 1, 0))")
                      .select("unknown", "max(if(amount is null, 1, 0))")
                      .where(open_then)
                      .where(expected)
                      .bind("at", Value{at})
                      .run();
      while (rows.next())
        deals[rows.integer(0)] =
            Deal{rows.number(1), rows.number(2), rows.integer(3) == 1, false, rows.integer(4) == 1};
    }
    if (!deals.empty()) {
      auto rows =
          ctx.query("stage_history")
              .use_period(which)
              .group_by("id", "opportunity_id")
              .select("probability",
                      "max(if(opportunity_status = 'open' and opportunity_stage = stage, "
                      "coalesce(opportunity_probability, stage_probability), stage_probability))")
              .select("own", "max(if(opportunity_status = 'open' and opportunity_stage = stage, 1, 0))")
              .select("stage_probability", "max(coalesce(stage_probability, 0))")
              .where("entered_at < :at and (exited_at is null or exited_at >= :at)")
              .where(
                  "opportunity_expected_close_at >= period_from and "
                  "opportunity_expected_close_at < period_to")
              .where(
                  "opportunity_created_at < :at and (opportunity_closed_at >= :at or "
                  "(opportunity_closed_at is null and opportunity_status = 'open'))")
              .bind("at", Value{at})
              .run();
      while (rows.next()) {
        auto it = deals.find(rows.integer(0));
        if (it == deals.end()) continue;
        it->second.history = true;
        it->second.weighted = it->second.amount * rows.number(1);
        it->second.own = rows.integer(2) == 1;
        it->second.stage_probability = rows.number(3);
      }
    }
    f.snapshot = at;
    for (const auto& [id, d] : deals) {
      ++f.snapshot_deals;
      if (!d.omitted) {
        f.snapshot_counted_ids.push_back(id);
        f.snapshot_amount += d.amount;
        ++f.snapshot_counted;
        if (d.unknown) ++f.snapshot_unknown;
      }
      if (d.unknown) ++f.snapshot_unknown_all;
      f.snapshot_weighted += d.weighted;
      if (d.own)
        f.own_probability_ids.push_back(id);
      else
        f.stage_probability_ids[d.stage_probability].push_back(id);
      if (!d.history) ++f.without_history;
    }
  }

  static void snapshot_notes(const Context& ctx, const Figures& now, const std::optional<Figures>& before) {
    std::string when = "on " + now.snapshot;
    if (before) when += " (comparison period: on " + before->snapshot + ")";
    ctx.note("Open and weighted pipeline closing in period: the deals open " + when +
             " and expected to close in the period, each weighted by the stage its stage history gives "
             "for that date; amounts and expected close dates are today's. Forecast categories are today's.");
    auto missing = [](const Figures& f) {
      return std::to_string(f.without_history) + " of " + std::to_string(f.snapshot_deals) +
             " deals open on " + f.snapshot;
    };
    if (now.without_history > 0 || (before && before->without_history > 0)) {
      std::string text = "No stage history covers ";
      if (now.without_history > 0) text += missing(now);
      if (before && before->without_history > 0)
        text += std::string(now.without_history > 0 ? " and " : "") + missing(*before);
      ctx.note(text + ": weighted by their current probability.");
    }
  }

  // Leads created in [window_from, period start) and how many of them led to a won deal.
  // Won before `cutoff`: the snapshot date, so both windows' leads have had as long after their
  // period's start to be won.
  static void lead_conversion(const Context& ctx, Which which, const std::string& window_from,
                              const std::string& cutoff, Figures& f) {
    auto q = ctx.query("leads");
    q.use_period(which)
        .select("leads", "count(*)")
        .select("won", "count_if(opportunity_status = 'won' and opportunity_closed_at < :cutoff)")
        .where("created_at >= :window_from and created_at < period_from")
        .bind("window_from", Value{window_from})
        .bind("cutoff", Value{cutoff});
    auto rows = q.run();
    if (rows.next()) {
      f.window_leads = rows.integer(0);
      f.window_won_leads = rows.integer(1);
    }
  }

  // Per group of `dim`, the headline's closed won, commit, best case and weighted pipeline for the
  // current period, from the same filters as the headline; a NULL group is kept as "(none)".
  static void group_table(const Context& ctx, const std::string& dim) {
    struct Group {
      double won_amount = 0;
      std::map<std::string, Category> open;
      double weighted = 0;
      double amount(const char* name) const {
        auto it = open.find(name);
        return it == open.end() ? 0 : it->second.amount;
      }
      double commit() const { return won_amount + amount("commit"); }
      double best_case() const { return commit() + amount("most_likely") + amount("best_case"); }
    };
    std::map<std::string, Group> groups;
    auto name_of = [](const tally::sdk::Rows& rows) { return rows.is_null(0) ? "(none)" : rows.text(0); };
    {
      auto q = ctx.query("opportunities");
      q.group_by(dim).select("won_amount", "sum(amount)").where("status = 'won' and in_period(closed_at)");
      auto rows = q.run();
      while (rows.next()) groups[name_of(rows)].won_amount += rows.number(1);
    }
    {
      auto q = ctx.query("opportunities");
      q.group_by(dim)
          .group_by("category", "forecast_category")
          .select("amount", "sum(amount)")
          .select("weighted", "sum(amount * effective_probability)")
          .where("status = 'open' and in_period(expected_close_at)");
      auto rows = q.run();
      while (rows.next()) {
        Group& g = groups[name_of(rows)];
        g.open[normalize_category(rows.is_null(1) ? "" : rows.text(1))].amount += rows.number(2);
        g.weighted += rows.number(3);
      }
    }
    std::vector<std::pair<std::string, const Group*>> order;
    for (const auto& [name, g] : groups) order.emplace_back(name, &g);
    std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
      return a.second->best_case() > b.second->best_case();
    });
    auto t = ctx.table("by_" + dim, "Forecast by " + dim);
    t.column(dim, Unit::Text)
        .column("closed_won", Unit::Money)
        .column("commit_forecast", Unit::Money)
        .column("best_case_forecast", Unit::Money)
        .column("weighted_pipeline", Unit::Money);
    t.chart(Chart::Bar, dim, "best_case_forecast");
    for (const auto& [name, g] : order) {
      t.row({name, g->won_amount, g->commit(), g->best_case(), g->weighted});
      // The row's best case: its won deals and its open ones in the forecast categories, summed.
      auto deals =
          tally::sdk::group_records(ctx, name, "opportunities",
                                    "(status = 'won' and in_period(closed_at)) or (status = 'open' and "
                                    "in_period(expected_close_at) and "
                                    "forecast_category in ('commit', 'closed', 'most_likely', 'best_case'))",
                                    dim);
      tally::sdk::drilldown_row(ctx, "by_" + dim, name, tally::sdk::summing(deals, "amount"));
    }
  }

  static void categories_table(const Context& ctx, const Figures& f) {
    auto t = ctx.table("categories", "Forecast categories");
    t.column("category", Unit::Text)
        .column("deals", Unit::Count)
        .column("amount", Unit::Money)
        .column("weighted_amount", Unit::Money)
        .column("forecast", Unit::Money);
    t.chart(Chart::Bar, "category", "forecast");
    auto open = [&](const std::string& name) {
      auto it = f.open.find(name);
      return it == f.open.end() ? Category{} : it->second;
    };
    t.row({std::string("closed"), f.won, f.won_amount, f.won_amount, f.won_amount});
    Category commit = open("commit");
    t.row({std::string("commit"), commit.deals, commit.amount, commit.weighted, f.commit()});
    if (f.open.count("most_likely")) {
      Category ml = open("most_likely");
      t.row({std::string("most_likely"), ml.deals, ml.amount, ml.weighted, f.most_likely()});
    }
    Category best = open("best_case");
    t.row({std::string("best_case"), best.deals, best.amount, best.weighted, f.best_case()});
    Category pipeline = open("pipeline");
    t.row(
        {std::string("pipeline"), pipeline.deals, pipeline.amount, pipeline.weighted, f.open_by_category()});
    Category omitted = open("omitted");
    t.row({std::string("omitted"), omitted.deals, omitted.amount, omitted.weighted, Value{}});
    // Each row's deals, their amounts summed: the won ones, then today's open ones by category.
    const std::string open_in_period = "status = 'open' and in_period(expected_close_at) and ";
    const std::pair<const char*, std::string> rows[] = {
        {"closed", "status = 'won' and in_period(closed_at)"},
        {"commit", open_in_period + "forecast_category in ('commit', 'closed')"},
        {"most_likely", open_in_period + "forecast_category = 'most_likely'"},
        {"best_case", open_in_period + "forecast_category = 'best_case'"},
        {"pipeline",
         open_in_period +
             "coalesce(forecast_category, '') not in ('commit', 'closed', 'most_likely', 'best_case', "
             "'omitted')"},
        {"omitted", open_in_period + "forecast_category = 'omitted'"}};
    for (const auto& [row, condition] : rows) {
      auto deals = ctx.query("opportunities");
      deals.where(condition);
      tally::sdk::drilldown_row(ctx, "categories", row, tally::sdk::summing(deals, "amount"));
    }
  }
};

}  // namespace

TALLY_METRIC(Forecast)

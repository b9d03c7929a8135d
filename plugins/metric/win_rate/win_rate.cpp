// Win rate on two bases (KPIS.md):
//   closed:  won / (won + lost) among opportunities closed in the period;
//   created: won / created, among opportunities created in the period
//            (whatever their status now: open deals count in the denominator).
#include <cstdint>
#include <optional>
#include <string>
#include <tally/drilldown.hpp>
#include <tally/sdk.hpp>

namespace {

using tally::sdk::Chart;
using tally::sdk::Context;
using tally::sdk::Query;
using tally::sdk::Unit;
using tally::sdk::Which;

std::string label_or_none(const std::string& text) {
  return text.empty() ? "(none)" : text;
}

class WinRate final : public tally::sdk::Metric {
 public:
  void run(Context& ctx) override {
    const bool on_created = ctx.text("basis") == "created";
    const std::string group_by = ctx.text("group_by");

    // Each period's totals are queried once and shared by the KPIs.
    const Counts current = counts(ctx, Which::Current, on_created);
    std::optional<Counts> previous;
    if (ctx.has_compare()) previous = counts(ctx, Which::Compare, on_created);
    auto pick = [&](Which w) -> const Counts& { return w == Which::Current ? current : *previous; };
    ctx.kpi("win_rate", on_created ? "Win rate (of created)" : "Win rate", Unit::Percent,
            [&](Which w) { return pick(w).rate(); });
    ctx.kpi("won", "Deals won", Unit::Count, [&](Which w) -> std::optional<double> { return pick(w).won; });
    ctx.kpi(on_created ? "created" : "closed", on_created ? "Deals created" : "Deals closed", Unit::Count,
            [&](Which w) -> std::optional<double> { return pick(w).base; });

    declare_drilldowns(ctx, on_created, "", "");
    if (group_by != "none") breakdown(ctx, group_by, on_created, ctx.integer("top_n"));
  }

 private:
  struct Counts {
    double won = 0;
    double base = 0;  // won + lost (closed basis) or created (created basis)
    std::optional<double> rate() const { return tally::sdk::ratio_opt(won, base); }
  };

  // The same selection for the headline and the breakdown.
  static void shape(Query& q, bool on_created) {
    q.select("won", "count_if(status = 'won')");
    if (on_created) {
      q.select("base", "count(*)").where("in_period(created_at)");
    } else {
      q.select("base", "count_if(status = 'won' or status = 'lost')")
          .where("in_period(closed_at) and status in ('won', 'lost')");
    }
  }

  // The deals behind the KPIs (or behind one row of the breakdown, where
  // the group's value is `row`; "(none)" is the group without one).
  static void declare_drilldowns(const Context& ctx, bool on_created, const std::string& group_by,
                                 const std::string& row) {
    auto base = ctx.query("opportunities");
    base.where(on_created ? "in_period(created_at)" : "in_period(closed_at) and status in ('won', 'lost')");
    auto won = ctx.query("opportunities");
    won.where(on_created ? "in_period(created_at)" : "in_period(closed_at) and status in ('won', 'lost')")
        .where("status = 'won'");
    if (!group_by.empty()) {
      const std::string in_group = "coalesce(" + group_by + ", '') = :group_value";
      const std::string value = row == "(none)" ? "" : row;
      for (auto* q : {&base, &won}) q->where(in_group).bind("group_value", value);
      tally::sdk::drilldown_row_ratio(ctx, "win_rate", row, won, base);
      tally::sdk::drilldown_row_ratio(ctx, "by_" + group_by, row, won, base);  // the table's row
      return;
    }
    tally::sdk::drilldown_ratio(ctx, "win_rate", won, base);
    tally::sdk::drilldown(ctx, "won", won);
    tally::sdk::drilldown(ctx, on_created ? "created" : "closed", base);
  }

  static Counts counts(const Context& ctx, Which which, bool on_created) {
    auto q = ctx.query("opportunities");
    shape(q, on_created);
    auto rows = q.use_period(which).run();
    Counts c;
    if (rows.next()) {
      c.won = static_cast<double>(rows.integer(0));
      c.base = static_cast<double>(rows.integer(1));
    }
    return c;
  }

  static void breakdown(const Context& ctx, const std::string& group_by, bool on_created, int64_t top_n) {
    auto q = ctx.query("opportunities");
    q.group_by(group_by);
    shape(q, on_created);
    auto rows = q.order_by("base", true).limit(top_n).run();
    const std::string base_name = on_created ? "created" : "closed";
    auto t = ctx.table("by_" + group_by, "Win rate by " + group_by);
    t.column(group_by, Unit::Text)
        .column("won", Unit::Count)
        .column(on_created ? "not_won" : "lost", Unit::Count)
        .column(base_name, Unit::Count)
        .column("win_rate", Unit::Percent);
    t.chart(Chart::Bar, group_by, "win_rate");
    while (rows.next()) {
      const int64_t won = rows.integer(1);
      const int64_t base = rows.integer(2);
      t.row({label_or_none(rows.text(0)), won, base - won, base,
             tally::sdk::ratio(static_cast<double>(won), static_cast<double>(base))});
      declare_drilldowns(ctx, on_created, group_by, label_or_none(rows.text(0)));
    }
  }
};

}  // namespace

TALLY_METRIC(WinRate)

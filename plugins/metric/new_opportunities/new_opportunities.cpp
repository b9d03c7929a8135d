// New opportunities: how many deals (and how much amount) were created in the
// period, broken down by a dimension (source/channel by default, or manager),
// with a weekly/monthly/quarterly creation trend. A deal without an amount is
// unknown, not $0: amounts cover the known ones, a note counts the others.
#include <cstdint>
#include <optional>
#include <string>
#include <tally/drilldown.hpp>
#include <tally/quality.hpp>
#include <tally/sdk.hpp>

namespace {

using tally::sdk::Chart;
using tally::sdk::Context;
using tally::sdk::Unit;
using tally::sdk::Which;

// A NULL dimension value (e.g. a deal without a source) still gets a row.
std::string label_or_none(const std::string& text) {
  return text.empty() ? "(none)" : text;
}

class NewOpportunities final : public tally::sdk::Metric {
 public:
  void run(Context& ctx) override {
    const std::string group_by = ctx.text("group_by");
    const std::string trend = ctx.text("trend");
    const int64_t top_n = ctx.integer("top_n");

    // Each period's totals are queried once and shared by the KPIs.
    const Totals current = totals(ctx, Which::Current);
    std::optional<Totals> previous;
    if (ctx.has_compare()) previous = totals(ctx, Which::Compare);
    auto pick = [&](Which w) -> const Totals& { return w == Which::Current ? current : *previous; };
    ctx.kpi("new_opportunities", "New opportunities", Unit::Count,
            [&](Which w) -> std::optional<double> { return pick(w).count; });
    ctx.kpi("new_opportunity_amount", "New opportunity amount", Unit::Money,
            [&](Which w) -> std::optional<double> {
              const Totals& t = pick(w);
              return t.count == 0 ? std::optional<double>(0) : t.amount;
            });
    tally::sdk::quality::note_unknown_amounts(ctx, current.unknown, "new deal", "new deals",
                                              "New opportunity amounts");
    tally::sdk::drilldown(ctx, "new_opportunities", "opportunities", "in_period(created_at)");
    tally::sdk::drilldown_sum(ctx, "new_opportunity_amount", "opportunities", "in_period(created_at)",
                              "amount");

    if (group_by != "none") breakdown(ctx, group_by, top_n, current.count);
    if (trend != "none") trend_table(ctx, trend);
  }

 private:
  struct Totals {
    double count = 0;
    std::optional<double> amount;  // n/a when no deal has an amount
    int64_t unknown = 0;
  };

  static Totals totals(const Context& ctx, Which which) {
    auto rows = ctx.query("opportunities")
                    .select("deals", "count(*)")
                    .select("amount", "sum(amount)")
                    .select("unknown", "count_if(amount is null)")
                    .where("in_period(created_at)")
                    .use_period(which)
                    .run();
    Totals t;
    if (rows.next()) {
      t.count = static_cast<double>(rows.integer(0));
      t.amount = rows.optional_number(1);
      t.unknown = rows.integer(2);
    }
    return t;
  }

  static void breakdown(const Context& ctx, const std::string& group_by, int64_t top_n, double all) {
    auto rows = ctx.query("opportunities")
                    .group_by(group_by)
                    .select("deals", "count(*)")
                    .select("amount", "sum(amount)")
                    .where("in_period(created_at)")
                    .order_by("deals", true)
                    .limit(top_n)
                    .run();
    auto t = ctx.table("by_" + group_by, "New opportunities by " + group_by);
    t.column(group_by, Unit::Text)
        .column("deals", Unit::Count)
        .column("amount", Unit::Money)
        .column("share_of_deals", Unit::Percent);
    t.chart(Chart::Bar, group_by, "deals");
    while (rows.next()) {
      const int64_t deals = rows.integer(1);
      t.row({label_or_none(rows.text(0)), deals, tally::sdk::opt(rows.optional_number(2)),
             tally::sdk::ratio(static_cast<double>(deals), all)});
      for (const std::string& kpi : {std::string("new_opportunities"), "by_" + group_by})
        tally::sdk::drilldown_group(ctx, kpi, label_or_none(rows.text(0)), "opportunities",
                                    "in_period(created_at)", group_by);
    }
  }

  static void trend_table(const Context& ctx, const std::string& unit) {
    auto rows = ctx.query("opportunities")
                    .group_by(unit, "bucket('" + unit + "', created_at)")
                    .select("deals", "count(*)")
                    .select("amount", "sum(amount)")
                    .where("in_period(created_at)")
                    .order_by(unit)
                    .run();
    auto t = ctx.table("trend", "New opportunities per " + unit);
    t.column(unit, Unit::Date).column("deals", Unit::Count).column("amount", Unit::Money);
    t.chart(Chart::Line, unit, "deals");
    while (rows.next()) {
      t.row({rows.text(0), rows.integer(1), tally::sdk::opt(rows.optional_number(2))});
      tally::sdk::drilldown_bucket(ctx, "trend", rows.text(0), "opportunities", "in_period(created_at)", unit,
                                   "created_at");
    }
  }
};

}  // namespace

TALLY_METRIC(NewOpportunities)

// Average deal size (KPIS.md): sum(amount of won deals) / count(won deals),
// over opportunities won with closed_at in the period. A won deal without an
// amount counts as a won deal with amount 0, as the definition divides by the
// number of won deals.
#include <cstdint>
#include <optional>
#include <string>
#include <tally/drilldown.hpp>
#include <tally/sdk.hpp>

namespace {

using tally::sdk::Chart;
using tally::sdk::Context;
using tally::sdk::Unit;
using tally::sdk::Which;

std::string label_or_none(const std::string& text) { return text.empty() ? "(none)" : text; }

constexpr const char* kWonInPeriod = "status = 'won' and in_period(closed_at)";

class AvgDealSize final : public tally::sdk::Metric {
 public:
  void run(Context& ctx) override {
    // Each period's totals are queried once and shared by the KPIs.
    const Totals current = totals(ctx, Which::Current);
    std::optional<Totals> previous;
    if (ctx.has_compare()) previous = totals(ctx, Which::Compare);
    auto pick = [&](Which w) -> const Totals& { return w == Which::Current ? current : *previous; };
    ctx.kpi("avg_deal_size", "Average deal size", Unit::Money, [&](Which w) { return pick(w).average(); });
    ctx.kpi("won_deals", "Deals won", Unit::Count,
            [&](Which w) -> std::optional<double> { return pick(w).deals; });
    ctx.kpi("won_amount", "Won amount", Unit::Money,
            [&](Which w) -> std::optional<double> { return pick(w).amount; });
    // Every headline rests on the same records: the deals won in the period.
    for (const char* kpi : {"avg_deal_size", "won_deals", "won_amount"})
      tally::sdk::drilldown(ctx, kpi, "opportunities", kWonInPeriod);

    const std::string trend = ctx.text("trend");
    if (trend != "none") trend_table(ctx, trend);
    const std::string group_by = ctx.text("group_by");
    if (group_by != "none") breakdown(ctx, group_by, ctx.integer("top_n"));
  }

 private:
  struct Totals {
    double deals = 0;
    double amount = 0;
    std::optional<double> average() const { return tally::sdk::ratio_opt(amount, deals); }
  };

  static Totals totals(const Context& ctx, Which which) {
    auto rows = ctx.query("opportunities")
                    .select("deals", "count(*)")
                    .select("amount", "coalesce(sum(amount), 0)")
                    .where(kWonInPeriod)
                    .use_period(which)
                    .run();
    Totals t;
    if (rows.next()) {
      t.deals = static_cast<double>(rows.integer(0));
      t.amount = rows.number(1);
    }
    return t;
  }

  static void trend_table(const Context& ctx, const std::string& unit) {
    auto rows = ctx.query("opportunities")
                    .group_by(unit, "bucket('" + unit + "', closed_at)")
                    .select("deals", "count(*)")
                    .select("amount", "coalesce(sum(amount), 0)")
                    .where(kWonInPeriod)
                    .order_by(unit)
                    .run();
    auto t = ctx.table("trend", "Average deal size per " + unit);
    t.column(unit, Unit::Date)
        .column("won_deals", Unit::Count)
        .column("won_amount", Unit::Money)
        .column("avg_deal_size", Unit::Money);
    t.chart(Chart::Line, unit, "avg_deal_size");
    while (rows.next()) {
      const int64_t deals = rows.integer(1);
      const double amount = rows.number(2);
      t.row({rows.text(0), deals, amount, tally::sdk::ratio(amount, static_cast<double>(deals))});
    }
  }

  static void breakdown(const Context& ctx, const std::string& group_by, int64_t top_n) {
    auto rows = ctx.query("opportunities")
                    .group_by(group_by)
                    .select("deals", "count(*)")
                    .select("amount", "coalesce(sum(amount), 0)")
                    .where(kWonInPeriod)
                    .order_by("amount", true)
                    .limit(top_n)
                    .run();
    auto t = ctx.table("by_" + group_by, "Average deal size by " + group_by);
    t.column(group_by, Unit::Text)
        .column("won_deals", Unit::Count)
        .column("won_amount", Unit::Money)
        .column("avg_deal_size", Unit::Money);
    t.chart(Chart::Bar, group_by, "avg_deal_size");
    while (rows.next()) {
      const int64_t deals = rows.integer(1);
      const double amount = rows.number(2);
      t.row({label_or_none(rows.text(0)), deals, amount,
             tally::sdk::ratio(amount, static_cast<double>(deals))});
    }
  }
};

}  // namespace

TALLY_METRIC(AvgDealSize)

// Average deal size (KPIS.md): sum(amount of won deals) / count(won deals),
// over opportunities won with closed_at in the period. A won deal without an
// amount is unknown, not $0: sums and averages cover the deals with an amount,
// a note counts the others, and a total with no known amount is n/a.
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

std::string label_or_none(const std::string& text) {
  return text.empty() ? "(none)" : text;
}

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
    ctx.kpi("won_amount", "Won amount", Unit::Money, [&](Which w) -> std::optional<double> {
      const Totals& t = pick(w);
      return t.deals == 0 ? std::optional<double>(0) : t.amount;
    });

    tally::sdk::quality::note_unknown_amounts(ctx, current.unknown(), "won deal", "won deals",
                                              "Won amount and average deal size");
    // The deals won in the period; the average divides by those with a known amount only.
    tally::sdk::drilldown(ctx, "won_deals", "opportunities", kWonInPeriod);
    tally::sdk::drilldown_sum(ctx, "won_amount", "opportunities", kWonInPeriod, "amount");
    tally::sdk::drilldown_mean(ctx, "avg_deal_size", "opportunities",
                               std::string(kWonInPeriod) + " and amount is not null", "amount");

    const std::string trend = ctx.text("trend");
    if (trend != "none") trend_table(ctx, trend);
    const std::string group_by = ctx.text("group_by");
    if (group_by != "none") breakdown(ctx, group_by, ctx.integer("top_n"));
  }

 private:
  struct Totals {
    double deals = 0;
    double known = 0;  // won deals with an amount
    std::optional<double> amount;
    int64_t unknown() const { return static_cast<int64_t>(deals - known); }
    std::optional<double> average() const {
      return amount ? tally::sdk::ratio_opt(*amount, known) : std::nullopt;
    }
  };

  static Totals totals(const Context& ctx, Which which) {
    auto rows = ctx.query("opportunities")
                    .select("deals", "count(*)")
                    .select("amount", "sum(amount)")
                    .select("known", "count(amount)")
                    .where(kWonInPeriod)
                    .use_period(which)
                    .run();
    Totals t;
    if (rows.next()) {
      t.deals = static_cast<double>(rows.integer(0));
      t.amount = rows.optional_number(1);
      t.known = static_cast<double>(rows.integer(2));
    }
    return t;
  }

  // Columns 2 and 3 of a grouped row: sum(amount) (NULL when no amount is
  // known) and count(amount).
  static tally::sdk::Value amount_cell(const tally::sdk::Rows& rows) {
    return tally::sdk::opt(rows.optional_number(2));
  }
  static tally::sdk::Value average_cell(const tally::sdk::Rows& rows) {
    auto amount = rows.optional_number(2);
    if (!amount) return tally::sdk::Value{};
    return tally::sdk::ratio(*amount, static_cast<double>(rows.integer(3)));
  }

  static void trend_table(const Context& ctx, const std::string& unit) {
    auto rows = ctx.query("opportunities")
                    .group_by(unit, "bucket('" + unit + "', closed_at)")
                    .select("deals", "count(*)")
                    .select("amount", "sum(amount)")
                    .select("known", "count(amount)")
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
      t.row({rows.text(0), rows.integer(1), amount_cell(rows), average_cell(rows)});
      tally::sdk::drilldown_bucket(ctx, "trend", rows.text(0), "opportunities", kWonInPeriod, unit,
                                   "closed_at");
    }
  }

  static void breakdown(const Context& ctx, const std::string& group_by, int64_t top_n) {
    auto rows = ctx.query("opportunities")
                    .group_by(group_by)
                    .select("deals", "count(*)")
                    .select("amount", "sum(amount)")
                    .select("known", "count(amount)")
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
      t.row({label_or_none(rows.text(0)), rows.integer(1), amount_cell(rows), average_cell(rows)});
      tally::sdk::drilldown_group(ctx, "by_" + group_by, label_or_none(rows.text(0)), "opportunities",
                                  kWonInPeriod, group_by);
    }
  }
};

}  // namespace

TALLY_METRIC(AvgDealSize)

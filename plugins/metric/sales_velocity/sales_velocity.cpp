// Sales velocity: how much money the pipeline turns into per day.
//
//   velocity = open opportunities x win rate x average deal size / average sales cycle days
//
// open opportunities: created before the period end and still open at it
//                     (status open now, or closed on/after the period end);
// win rate:           won / (won + lost) among deals closed in the period;
// average deal size:  won amount / won deals, closed in the period, over the
//                     deals whose amount is known (unknown is not $0);
// average cycle:      mean of (closed_at - created_at) in days over deals won in the period,
//                     without those closed before they were created (a data error).
#include <tally/drilldown.hpp>
#include <tally/quality.hpp>
#include <tally/sdk.hpp>

#include <optional>
#include <string>

namespace {

using tally::sdk::Chart;
using tally::sdk::Context;
using tally::sdk::Unit;
using tally::sdk::Value;
using tally::sdk::Which;

// The aggregates of one period (and one group, when grouped).
struct Components {
  int64_t open = 0;
  int64_t won = 0;
  int64_t lost = 0;
  double won_amount = 0;
  int64_t won_unknown = 0;           // won deals without an amount
  int64_t backwards = 0;             // won deals closed before they were created
  std::optional<double> cycle_days;  // n/a without won deals

  std::optional<double> win_rate() const {
    return tally::sdk::ratio_opt(static_cast<double>(won), static_cast<double>(won + lost));
  }
  std::optional<double> avg_deal_size() const {
    return tally::sdk::ratio_opt(won_amount, static_cast<double>(won - won_unknown));
  }
  // n/a when any component is n/a or the cycle is zero days.
  std::optional<double> velocity() const {
    auto rate = win_rate();
    auto size = avg_deal_size();
    if (!rate || !size || !cycle_days) return std::nullopt;
    return tally::sdk::ratio_opt(static_cast<double>(open) * *rate * *size, *cycle_days);
  }
};

constexpr const char* kWonInPeriod = "status = 'won' and in_period(closed_at)";

// One query: every deal that can count was created before the period end.
tally::sdk::Query components_query(const Context& ctx, Which which) {
  auto q = ctx.query("opportunities");
  q.use_period(which)
      .select("open", "count_if(status = 'open' or closed_at >= period_to)")
      .select("won", std::string("count_if(") + kWonInPeriod + ")")
      .select("lost", "count_if(status = 'lost' and in_period(closed_at))")
      .select("won_amount", std::string("sum_if(amount, ") + kWonInPeriod + ")")
      .select("cycle_days", std::string("avg_if(days_between(created_at, closed_at), ") + kWonInPeriod +
                                " and days_between(created_at, closed_at) >= 0)")
      .select("won_unknown", tally::sdk::quality::unknown_count(kWonInPeriod))
      .select("backwards",
              std::string("count_if(") + kWonInPeriod + " and days_between(created_at, closed_at) < 0)")
      .where("created_at < period_to");
  return q;
}

Components read(const tally::sdk::Rows& rows, uint32_t first) {
  Components c;
  c.open = rows.integer(first);
  c.won = rows.integer(first + 1);
  c.lost = rows.integer(first + 2);
  c.won_amount = rows.number(first + 3);
  c.cycle_days = rows.optional_number(first + 4);
  c.won_unknown = rows.integer(first + 5);
  c.backwards = rows.integer(first + 6);
  return c;
}

class SalesVelocity final : public tally::sdk::Metric {
 public:
  void run(Context& ctx) override {
    Components current = totals(ctx, Which::Current);
    std::optional<Components> previous;
    if (ctx.has_compare()) previous = totals(ctx, Which::Compare);
    auto pick = [&](Which w) -> const Components& { return w == Which::Current ? current : *previous; };

    ctx.kpi("sales_velocity", "Sales velocity (per day)", Unit::Money,
            [&](Which w) { return pick(w).velocity(); });
    ctx.kpi("open_opportunities", "Open opportunities at period end", Unit::Count,
            [&](Which w) { return std::optional<double>(static_cast<double>(pick(w).open)); });
    ctx.kpi("win_rate", "Win rate", Unit::Percent, [&](Which w) { return pick(w).win_rate(); });
    ctx.kpi("avg_deal_size", "Average deal size", Unit::Money,
            [&](Which w) { return pick(w).avg_deal_size(); });
    ctx.kpi(
        "avg_sales_cycle_days", "Average sales cycle", Unit::Days,
        [&](Which w) { return pick(w).cycle_days; },
        /*higher_is_better=*/false);

    namespace quality = tally::sdk::quality;
    quality::note_unknown_amounts(ctx, current.won_unknown, "won deal", "won deals",
                                  "Average deal size and velocity");
    quality::note_backwards(ctx, current.backwards, "won deal", "won deals", "closed before created",
                            "the average sales cycle");

    tally::sdk::drilldown(ctx, "open_opportunities", "opportunities",
                          "created_at < period_to and (status = 'open' or closed_at >= period_to)");
    tally::sdk::drilldown_ratio(ctx, "win_rate", "opportunities", kWonInPeriod,
                                "status in ('won', 'lost') and in_period(closed_at)");
    tally::sdk::drilldown_mean(ctx, "avg_deal_size", "opportunities",
                               std::string(kWonInPeriod) + " and amount is not null", "amount");
    tally::sdk::drilldown_mean(
        ctx, "avg_sales_cycle_days", "opportunities", kWonInPeriod,
        "if(days_between(created_at, closed_at) >= 0, days_between(created_at, closed_at), null)");
    // Velocity: each open deal is worth win rate x average deal size / average cycle per day
    // (the three KPIs beside it, with their own records), stated as constants; their sum.
    if (auto velocity = current.velocity()) {
      auto open = ctx.query("opportunities");
      open.where("created_at < period_to and (status = 'open' or closed_at >= period_to)");
      tally::sdk::stating(open, "win_rate", *current.win_rate());
      tally::sdk::stating(open, "avg_deal_size", *current.avg_deal_size());
      tally::sdk::stating(open, "avg_sales_cycle_days", *current.cycle_days);
      tally::sdk::stating(open, "per_open_deal",
                          current.open > 0 ? *velocity / static_cast<double>(current.open) : 0.0);
      tally::sdk::drilldown(ctx, "sales_velocity",
                            tally::sdk::summing(open, ":drilldown_constant_per_open_deal"));
    }
    std::string dimension = ctx.text("group_by");
    if (dimension != "none") by_group(ctx, dimension);
  }

 private:
  static Components totals(const Context& ctx, Which which) {
    auto query = components_query(ctx, which);
    auto rows = query.run();
    return rows.next() ? read(rows, 0) : Components{};
  }

  static void by_group(const Context& ctx, const std::string& dimension) {
    auto table = ctx.table("by_" + dimension, "Sales velocity by " + dimension);
    table.column(dimension, Unit::Text)
        .column("open_opportunities", Unit::Count)
        .column("win_rate", Unit::Percent)
        .column("avg_deal_size", Unit::Money)
        .column("avg_sales_cycle_days", Unit::Days)
        .column("sales_velocity", Unit::Money);
    table.chart(Chart::Bar, dimension, "sales_velocity");
    auto query = components_query(ctx, Which::Current);
    query.group_by("grp", dimension).order_by("grp");
    auto rows = query.run();
    while (rows.next()) {
      Components c = read(rows, 1);
      std::string name = rows.is_null(0) ? std::string("(none)") : rows.text(0);
      table.row({name, c.open, tally::sdk::opt(c.win_rate()), tally::sdk::opt(c.avg_deal_size()),
                 tally::sdk::opt(c.cycle_days), tally::sdk::opt(c.velocity())});
      // The row's open deals (its first count).
      tally::sdk::drilldown_group(ctx, "by_" + dimension, name, "opportunities",
                                  "created_at < period_to and (status = 'open' or closed_at >= period_to)",
                                  dimension);
    }
  }
};

}  // namespace

TALLY_METRIC(SalesVelocity)

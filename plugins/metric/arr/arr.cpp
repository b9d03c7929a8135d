// ARR movement from subscription events (ARR = 12 x MRR):
//
//   starting ARR + new + expansion - contraction - churned + reactivation = ending ARR
//
// starting ARR = 12 x sum(mrr_delta) of events before the period start;
// movements    = 12 x sum(mrr_delta) of events in the period, by event type (contraction and
//                churned are shown as positive amounts that are subtracted);
// ending ARR   = 12 x sum(mrr_delta) of events before the period end, computed on its own.
// Everything is summed in integer cents (each event's delta rounded to cents) so the bridge
// must balance exactly; when it does not, the metric fails instead of showing a wrong number.
#include <tally/drilldown.hpp>
#include <tally/sdk.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace {

using tally::sdk::Chart;
using tally::sdk::Context;
using tally::sdk::Unit;
using tally::sdk::Value;
using tally::sdk::Which;

constexpr int64_t kMonthsPerYear = 12;
constexpr const char* kCents = "round(mrr_delta * 100)";

// One ARR bridge, in cents of ARR.
struct Bridge {
  int64_t starting = 0;
  int64_t added = 0;  // new
  int64_t expansion = 0;
  int64_t contraction = 0;  // positive: the amount lost
  int64_t churned = 0;      // positive: the amount lost
  int64_t reactivation = 0;
  int64_t other = 0;  // events of a type outside the vocabulary (must be 0)
  int64_t ending = 0;

  int64_t net_new() const { return added + expansion - contraction - churned + reactivation + other; }
};

double money(int64_t cents) {
  return static_cast<double>(cents) / 100.0;
}

// A sum of whole cents returned as an integer or a real; to ARR cents.
int64_t arr_cents(const tally::sdk::Rows& rows, uint32_t i) {
  return kMonthsPerYear * static_cast<int64_t>(std::llround(rows.number(i)));
}

std::string in_period_of(const char* type) {
  return std::string("sum_if(") + kCents + ", in_period(occurred_at) and type = '" + type + "')";
}

// Adds the bridge selects; read back by read_bridge().
void select_bridge(tally::sdk::Query& q) {
  q.select("starting", std::string("sum_if(") + kCents + ", occurred_at < period_from)")
      .select("new", in_period_of("new"))
      .select("expansion", in_period_of("expansion"))
      .select("contraction", in_period_of("contraction"))
      .select("churn", in_period_of("churn"))
      .select("reactivation", in_period_of("reactivation"))
      .select("moved", std::string("sum_if(") + kCents + ", in_period(occurred_at))")
      .select("ending", std::string("sum(") + kCents + ")")
      .where("occurred_at < period_to");
}

// Reads a bridge and verifies it balances to the cent; `scope` names it in the error.
Bridge read_bridge(const tally::sdk::Rows& rows, uint32_t first, const std::string& scope) {
  Bridge b;
  b.starting = arr_cents(rows, first);
  b.added = arr_cents(rows, first + 1);
  b.expansion = arr_cents(rows, first + 2);
  b.contraction = -arr_cents(rows, first + 3);
  b.churned = -arr_cents(rows, first + 4);
  b.reactivation = arr_cents(rows, first + 5);
  int64_t moved = arr_cents(rows, first + 6);
  b.ending = arr_cents(rows, first + 7);
  b.other = moved - (b.added + b.expansion - b.contraction - b.churned + b.reactivation);
  if (b.other != 0)
    throw tally::sdk::Error(
        "subscription_events" + scope + " has events of a type other than new, expansion, " +
        "contraction, churn, reactivation in the period, moving ARR by " + std::to_string(money(b.other)));
  if (b.starting + b.net_new() != b.ending)
    throw tally::sdk::Error("ARR bridge" + scope + " does not balance: starting " +
                            std::to_string(money(b.starting)) + " + net movement " +
                            std::to_string(money(b.net_new())) + " != ending " +
                            std::to_string(money(b.ending)));
  return b;
}

Bridge totals(const Context& ctx, Which which) {
  auto q = ctx.query("subscription_events");
  q.use_period(which);
  select_bridge(q);
  auto rows = q.run();
  return rows.next() ? read_bridge(rows, 0, "") : Bridge{};
}

class Arr final : public tally::sdk::Metric {
 public:
  void run(Context& ctx) override {
    Bridge current = totals(ctx, Which::Current);
    std::optional<Bridge> previous;
    if (ctx.has_compare()) previous = totals(ctx, Which::Compare);

    struct Line {
      const char* kpi;
      const char* label;
      int64_t (*of)(const Bridge&);
      bool higher_is_better;
    };
    const std::vector<Line> lines = {
        {"starting_arr", "Starting ARR", [](const Bridge& b) { return b.starting; }, true},
        {"new_arr", "New ARR", [](const Bridge& b) { return b.added; }, true},
        {"expansion_arr", "Expansion ARR", [](const Bridge& b) { return b.expansion; }, true},
        {"contraction_arr", "Contraction ARR", [](const Bridge& b) { return b.contraction; }, false},
        {"churned_arr", "Churned ARR", [](const Bridge& b) { return b.churned; }, false},
        {"reactivation_arr", "Reactivation ARR", [](const Bridge& b) { return b.reactivation; }, true},
        {"net_new_arr", "Net new ARR", [](const Bridge& b) { return b.net_new(); }, true},
        {"ending_arr", "Ending ARR", [](const Bridge& b) { return b.ending; }, true},
    };
    for (const auto& line : lines) {
      tally::sdk::Kpi k;
      k.name = line.kpi;
      k.label = line.label;
      k.unit = Unit::Money;
      k.value = money(line.of(current));
      if (previous) k.previous = money(line.of(*previous));
      k.higher_is_better = line.higher_is_better;
      ctx.kpi(k);
    }

    // The subscription events each line of the bridge sums, each as its ARR
    // (contraction and churn as the positive amount lost).
    const std::string arr = std::string(kCents) + " * 12 / 100.0";
    const std::string arr_lost = "-" + std::string(kCents) + " * 12 / 100.0";
    tally::sdk::drilldown_sum(ctx, "starting_arr", "subscription_events", "occurred_at < period_from", arr);
    for (const char* type : {"new", "expansion", "contraction", "churn", "reactivation"}) {
      const std::string t = type;
      const std::string kpi = (t == "churn" ? "churned" : t) + "_arr";
      tally::sdk::drilldown_sum(ctx, kpi, "subscription_events",
                                "type = '" + t + "' and in_period(occurred_at)",
                                t == "contraction" || t == "churn" ? arr_lost : arr);
    }
    tally::sdk::drilldown_sum(ctx, "net_new_arr", "subscription_events", "in_period(occurred_at)", arr);
    tally::sdk::drilldown_sum(ctx, "ending_arr", "subscription_events", "occurred_at < period_to", arr);
    // The bridge table's rows, with their signs (contraction and churn subtract).
    const std::pair<const char*, std::string> steps[] = {
        {"Starting ARR", "occurred_at < period_from"},
        {"New", "type = 'new' and in_period(occurred_at)"},
        {"Expansion", "type = 'expansion' and in_period(occurred_at)"},
        {"Contraction", "type = 'contraction' and in_period(occurred_at)"},
        {"Churned", "type = 'churn' and in_period(occurred_at)"},
        {"Reactivation", "type = 'reactivation' and in_period(occurred_at)"},
        {"Ending ARR", "occurred_at < period_to"}};
    for (const auto& [row, condition] : steps) {
      auto events = ctx.query("subscription_events");
      events.where(condition);
      tally::sdk::drilldown_row(ctx, "bridge", row, tally::sdk::summing(events, arr));
    }
    bridge_table(ctx, current);
    std::string dimension = ctx.text("group_by");
    if (dimension != "none") by_group(ctx, dimension, arr);
    std::string trend = ctx.text("trend");
    if (trend != "none") by_bucket(ctx, trend, current.starting, arr);
  }

 private:
  static void bridge_table(const Context& ctx, const Bridge& b) {
    auto t = ctx.table("bridge", "ARR bridge");
    t.column("step", Unit::Text).column("arr", Unit::Money);
    t.chart(Chart::Bar, "step", "arr");
    t.row({std::string("Starting ARR"), money(b.starting)});
    t.row({std::string("New"), money(b.added)});
    t.row({std::string("Expansion"), money(b.expansion)});
    t.row({std::string("Contraction"), money(-b.contraction)});
    t.row({std::string("Churned"), money(-b.churned)});
    t.row({std::string("Reactivation"), money(b.reactivation)});
    t.row({std::string("Ending ARR"), money(b.ending)});
  }

  // Each row's records: the group's events up to the period end, their ARR summed (its ending ARR).
  static void by_group(const Context& ctx, const std::string& dimension, const std::string& arr) {
    auto t = ctx.table("by_" + dimension, "ARR movement by " + dimension);
    t.column(dimension, Unit::Text)
        .column("starting_arr", Unit::Money)
        .column("new", Unit::Money)
        .column("expansion", Unit::Money)
        .column("contraction", Unit::Money)
        .column("churned", Unit::Money)
        .column("reactivation", Unit::Money)
        .column("net_new_arr", Unit::Money)
        .column("ending_arr", Unit::Money);
    t.chart(Chart::Bar, dimension, "ending_arr");
    auto q = ctx.query("subscription_events");
    q.group_by("grp", dimension);
    select_bridge(q);
    q.order_by("ending", true);
    auto rows = q.run();
    while (rows.next()) {
      std::string name = rows.is_null(0) ? std::string("(none)") : rows.text(0);
      Bridge b = read_bridge(rows, 1, " of " + dimension + " '" + name + "'");
      t.row({name, money(b.starting), money(b.added), money(b.expansion), money(b.contraction),
             money(b.churned), money(b.reactivation), money(b.net_new()), money(b.ending)});
      auto events =
          tally::sdk::group_records(ctx, name, "subscription_events", "occurred_at < period_to", dimension);
      tally::sdk::drilldown_row(ctx, "by_" + dimension, name, tally::sdk::summing(events, arr));
    }
  }

  // Movements per time bucket of the period, with the running ending ARR.
  // Each row's records: the bucket's events, their ARR summed (its net new ARR).
  static void by_bucket(const Context& ctx, const std::string& unit, int64_t starting,
                        const std::string& arr) {
    auto t = ctx.table("movement_by_" + unit, "ARR movement by " + unit);
    t.column(unit, Unit::Date)
        .column("new", Unit::Money)
        .column("expansion", Unit::Money)
        .column("contraction", Unit::Money)
        .column("churned", Unit::Money)
        .column("reactivation", Unit::Money)
        .column("net_new_arr", Unit::Money)
        .column("ending_arr", Unit::Money);
    t.chart(Chart::Line, unit, "new,expansion,contraction,churned,reactivation");
    auto q = ctx.query("subscription_events");
    // `unit` is one of the manifest's enum values, so it is safe to spell out.
    q.group_by("bucket", "bucket('" + unit + "', occurred_at)")
        .select("new", "sum_if(" + std::string(kCents) + ", type = 'new')")
        .select("expansion", "sum_if(" + std::string(kCents) + ", type = 'expansion')")
        .select("contraction", "sum_if(" + std::string(kCents) + ", type = 'contraction')")
        .select("churn", "sum_if(" + std::string(kCents) + ", type = 'churn')")
        .select("reactivation", "sum_if(" + std::string(kCents) + ", type = 'reactivation')")
        .where("in_period(occurred_at)")
        .order_by("bucket");
    auto rows = q.run();
    int64_t running = starting;
    while (rows.next()) {
      int64_t added = arr_cents(rows, 1), expansion = arr_cents(rows, 2), contraction = -arr_cents(rows, 3),
              churned = -arr_cents(rows, 4), reactivation = arr_cents(rows, 5);
      int64_t net = added + expansion - contraction - churned + reactivation;
      running += net;
      t.row({rows.text(0), money(added), money(expansion), money(contraction), money(churned),
             money(reactivation), money(net), money(running)});
      auto events = tally::sdk::bucket_records(ctx, rows.text(0), "subscription_events",
                                               "in_period(occurred_at)", unit, "occurred_at");
      tally::sdk::drilldown_row(ctx, "movement_by_" + unit, rows.text(0), tally::sdk::summing(events, arr));
    }
  }
};

}  // namespace

TALLY_METRIC(Arr)

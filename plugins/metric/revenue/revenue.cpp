// Revenue: won amount of deals closed in the period, split by opportunity type
// (new_business, renewal, expansion), per rep, against the store's revenue targets.
//
// Targets come from the `targets` table: rows of kpi 'revenue', 'revenue_new_business',
// 'revenue_renewal' or 'revenue_expansion' whose [period_start, period_end) lies inside the
// run's period are summed. Headline targets use rows without a rep (rep_id null): company rows
// (team_id null too) when there are any, otherwise the team rows, so a company target and its
// team split are never counted twice. Per-rep targets use the rep's own 'revenue' rows.
//
// A won deal without an amount is unknown, not $0: sums cover the known amounts,
// a note counts the others, and a sum with no known amount is n/a.
#include <tally/drilldown.hpp>
#include <tally/quality.hpp>
#include <tally/sdk.hpp>
#include <tally/targets.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace {

using tally::sdk::Chart;
using tally::sdk::Context;
using tally::sdk::Unit;
using tally::sdk::Value;
using tally::sdk::Which;

constexpr const char* kWonInPeriod = "status = 'won' and in_period(closed_at)";

// Won amounts of one period or group, by opportunity type; n/a when deals of
// that type were won but none had an amount.
struct Split {
  std::optional<double> new_business = 0;
  std::optional<double> renewal = 0;
  std::optional<double> expansion = 0;
  std::optional<double> total = 0;  // all won deals, including any other type
  int64_t unknown = 0;              // won deals without an amount
};

constexpr std::array<const char*, 4> kSplitConditions = {"type = 'new_business'", "type = 'renewal'",
                                                         "type = 'expansion'", "true"};

// Adds the type selects (sum, deals, deals without an amount, per type, the
// total last) to a query; they are read back by read_split().
void select_split(tally::sdk::Query& q) {
  const std::array<const char*, 4> names = {"new_business", "renewal", "expansion", "total"};
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string condition = kSplitConditions[i];
    q.select(names[i], "sum_if(amount, " + condition + ")")
        .select(std::string(names[i]) + "_deals", "count_if(" + condition + ")")
        .select(std::string(names[i]) + "_unknown", tally::sdk::quality::unknown_count(condition));
  }
}

Split read_split(const tally::sdk::Rows& rows, uint32_t first) {
  auto part = [&](uint32_t i) {
    return tally::sdk::quality::known_total(rows.number(first + 3 * i), rows.integer(first + 3 * i + 1),
                                            rows.integer(first + 3 * i + 2));
  };
  return Split{part(0), part(1), part(2), part(3), rows.integer(first + 11)};
}

Split totals(const Context& ctx, Which which) {
  auto q = ctx.query("opportunities");
  q.use_period(which).where(kWonInPeriod);
  select_split(q);
  auto rows = q.run();
  return rows.next() ? read_split(rows, 0) : Split{};
}

// KPI name -> summed target, for rows without a rep inside the period; nullopt when none.
std::map<std::string, double> headline_targets(const Context& ctx, Which which) {
  auto q = ctx.query("targets");
  q.use_period(which)
      .group_by("kpi", "kpi")
      .group_by("level", "if(team_id is null, 'company', 'team')")
      .select("value", "sum(value)")
      .where("rep_id is null and period_start >= period_from and date(period_end) <= period_to")
      .where("kpi in ('revenue', 'revenue_new_business', 'revenue_renewal', 'revenue_expansion')");
  auto rows = q.run();
  std::map<std::string, double> company, team;
  while (rows.next()) {
    auto& into = rows.text(1) == "company" ? company : team;
    into[rows.text(0)] += rows.number(2);
  }
  for (const auto& [kpi, value] : team)
    company.try_emplace(kpi, value);  // team rows only when no company row
  return company;
}

std::optional<double> find(const std::map<std::string, double>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? std::nullopt : std::optional<double>(it->second);
}

struct RepRow {
  std::string name;
  Split won;
  std::optional<double> target;
};

class Revenue final : public tally::sdk::Metric {
 public:
  void run(Context& ctx) override {
    Split current = totals(ctx, Which::Current);
    std::optional<Split> previous;
    if (ctx.has_compare()) previous = totals(ctx, Which::Compare);
    auto targets = headline_targets(ctx, Which::Current);

    struct Part {
      const char* kpi;
      const char* label;
      std::optional<double> Split::*field;
    };
    const std::array<Part, 4> parts = {
        {{"revenue", "Revenue", &Split::total},
         {"revenue_new_business", "New business revenue", &Split::new_business},
         {"revenue_renewal", "Renewal revenue", &Split::renewal},
         {"revenue_expansion", "Expansion revenue", &Split::expansion}}};
    for (const auto& part : parts) {
      tally::sdk::Kpi k;
      k.name = part.kpi;
      k.label = part.label;
      k.unit = Unit::Money;
      k.value = current.*part.field;
      if (previous) k.previous = (*previous).*part.field;
      if (std::string(part.kpi) == "revenue") {
        // The one revenue target every plugin of the report shows (tally/targets.hpp).
        auto target = tally::sdk::revenue_target(ctx, Which::Current, std::nullopt);
        k.target = target.value;
        k.target_source = target.source;
      } else {
        k.target = find(targets, part.kpi);
        if (k.target)
          k.target_source = std::string("targets table (") + part.kpi + "), " +
                            tally::sdk::period_text(ctx.period(Which::Current)) +
                            ", company or sum of team rows";
      }
      ctx.kpi(k);
    }

    tally::sdk::quality::note_unknown_amounts(ctx, current.unknown, "won deal", "won deals",
                                              "Revenue figures");
    tally::sdk::drilldown_sum(ctx, "revenue", "opportunities", kWonInPeriod, "amount");
    tally::sdk::drilldown_sum(ctx, "revenue_new_business", "opportunities",
                              std::string(kWonInPeriod) + " and type = 'new_business'", "amount");
    tally::sdk::drilldown_sum(ctx, "revenue_renewal", "opportunities",
                              std::string(kWonInPeriod) + " and type = 'renewal'", "amount");
    tally::sdk::drilldown_sum(ctx, "revenue_expansion", "opportunities",
                              std::string(kWonInPeriod) + " and type = 'expansion'", "amount");
    by_rep(ctx);
    std::string dimension = ctx.text("group_by");
    if (dimension != "none" && dimension != "rep") by_group(ctx, dimension);
    std::string trend = ctx.text("trend");
    if (trend != "none") by_bucket(ctx, trend);
  }

 private:
  static void add_split_columns(tally::sdk::Table& t) {
    t.column("new_business", Unit::Money)
        .column("renewal", Unit::Money)
        .column("expansion", Unit::Money)
        .column("revenue", Unit::Money);
  }

  static void by_rep(const Context& ctx) {
    std::map<int64_t, RepRow> reps;  // by rep id; deals without an owner under -1
    {
      auto q = ctx.query("opportunities");
      q.group_by("rep_id", "coalesce(owner_id, -1)").group_by("rep", "rep").where(kWonInPeriod);
      select_split(q);
      auto rows = q.run();
      while (rows.next()) {
        RepRow& r = reps[rows.integer(0)];
        r.name = rows.is_null(1) ? std::string("(unassigned)") : rows.text(1);
        r.won = read_split(rows, 2);
      }
    }
    {
      auto q = ctx.query("targets");
      q.group_by("rep_id", "rep_id")
          .group_by("rep", "rep")
          .select("value", "sum(value)")
          .where("rep_id is not null and kpi = 'revenue'")
          .where("period_start >= period_from and date(period_end) <= period_to");
      auto rows = q.run();
      while (rows.next()) {
        RepRow& r = reps[rows.integer(0)];
        if (r.name.empty()) r.name = rows.text(1);
        r.target = rows.number(2);
      }
    }
    std::vector<const RepRow*> order;
    for (const auto& [id, r] : reps) order.push_back(&r);
    std::stable_sort(order.begin(), order.end(), [](const RepRow* a, const RepRow* b) {
      if (a->won.total != b->won.total) return a->won.total.value_or(-1) > b->won.total.value_or(-1);
      return a->name < b->name;
    });

    auto t = ctx.table("by_rep", "Revenue by rep");
    t.column("rep", Unit::Text);
    add_split_columns(t);
    t.column("target", Unit::Money).column("attainment", Unit::Percent);
    t.chart(Chart::StackedBar, "rep", "new_business,renewal,expansion");
    for (const RepRow* r : order) {
      std::optional<double> attainment;
      if (r->target && r->won.total) attainment = tally::sdk::ratio_opt(*r->won.total, *r->target);
      t.row({r->name, tally::sdk::opt(r->won.new_business), tally::sdk::opt(r->won.renewal),
             tally::sdk::opt(r->won.expansion), tally::sdk::opt(r->won.total), tally::sdk::opt(r->target),
             tally::sdk::opt(attainment)});
      // The rep's won deals, their amounts summed (the row's total).
      auto won =
          tally::sdk::group_records(ctx, r->name, "opportunities", kWonInPeriod, "rep", "(unassigned)");
      tally::sdk::drilldown_row(ctx, "by_rep", r->name, tally::sdk::summing(won, "amount"));
    }
  }

  static void by_group(const Context& ctx, const std::string& dimension) {
    auto t = ctx.table("by_" + dimension, "Revenue by " + dimension);
    t.column(dimension, Unit::Text);
    add_split_columns(t);
    t.chart(Chart::StackedBar, dimension, "new_business,renewal,expansion");
    auto q = ctx.query("opportunities");
    q.group_by("grp", dimension).where(kWonInPeriod);
    select_split(q);
    q.order_by("total", true);
    auto rows = q.run();
    while (rows.next()) {
      Split s = read_split(rows, 1);
      t.row({rows.is_null(0) ? std::string("(none)") : rows.text(0), tally::sdk::opt(s.new_business),
             tally::sdk::opt(s.renewal), tally::sdk::opt(s.expansion), tally::sdk::opt(s.total)});
      const std::string name = rows.is_null(0) ? std::string("(none)") : rows.text(0);
      auto won = tally::sdk::group_records(ctx, name, "opportunities", kWonInPeriod, dimension);
      tally::sdk::drilldown_row(ctx, "by_" + dimension, name, tally::sdk::summing(won, "amount"));
    }
  }

  static void by_bucket(const Context& ctx, const std::string& unit) {
    auto t = ctx.table("trend", "Revenue by " + unit);
    t.column(unit, Unit::Date);
    add_split_columns(t);
    t.chart(Chart::StackedBar, unit, "new_business,renewal,expansion");
    auto q = ctx.query("opportunities");
    // `unit` is one of the manifest's enum values, so it is safe to spell out.
    q.group_by("bucket", "bucket('" + unit + "', closed_at)").where(kWonInPeriod);
    select_split(q);
    q.order_by("bucket");
    auto rows = q.run();
    while (rows.next()) {
      Split s = read_split(rows, 1);
      t.row({rows.text(0), tally::sdk::opt(s.new_business), tally::sdk::opt(s.renewal),
             tally::sdk::opt(s.expansion), tally::sdk::opt(s.total)});
      auto won =
          tally::sdk::bucket_records(ctx, rows.text(0), "opportunities", kWonInPeriod, unit, "closed_at");
      tally::sdk::drilldown_row(ctx, "trend", rows.text(0), tally::sdk::summing(won, "amount"));
    }
  }
};

}  // namespace

TALLY_METRIC(Revenue)

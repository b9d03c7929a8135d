// Quota attainment: per rep, won amount of deals closed in the period / the rep's quota for the
// period (the sum of the rep's `quotas` rows whose [period_start, period_end) lies inside the
// period). A rep without a quota (or with a zero quota) has attainment n/a and is still listed.
// Team KPI: the share of reps with a quota whose attainment is at or above 100 %.
// A won deal without an amount adds nothing to attainment; a note counts them.
#include <tally/drilldown.hpp>
#include <tally/quality.hpp>
#include <tally/sdk.hpp>

#include <algorithm>
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

struct Rep {
  std::string name;
  double won_amount = 0;
  std::optional<double> quota;  // nullopt: no quota rows in the period
  std::string group;            // team/region/manager when grouped

  std::optional<double> attainment() const {
    return quota ? tally::sdk::ratio_opt(won_amount, *quota) : std::nullopt;
  }
};

// Reps that won a deal or have a quota in the period, by rep id. With a `dimension`
// (team, region, manager: attributes of the rep on both datasets) each rep also gets its group.
std::map<int64_t, Rep> load_reps(const Context& ctx, Which which, const std::string& dimension = "none") {
  bool grouped = dimension != "none";
  std::map<int64_t, Rep> reps;
  auto read_group = [&](const tally::sdk::Rows& rows, Rep& r) {
    if (grouped && r.group.empty()) r.group = rows.is_null(2) ? std::string("(none)") : rows.text(2);
  };
  {
    auto q = ctx.query("opportunities");
    q.use_period(which).group_by("rep_id", "owner_id").group_by("rep", "rep");
    if (grouped) q.group_by("grp", dimension);
    q.select("won_amount", "sum(amount)")
        .where("status = 'won' and in_period(closed_at) and owner_id is not null");
    auto rows = q.run();
    const uint32_t value = grouped ? 3 : 2;
    while (rows.next()) {
      Rep& r = reps[rows.integer(0)];
      r.name = rows.text(1);
      read_group(rows, r);
      r.won_amount += rows.number(value);
    }
  }
  {
    auto q = ctx.query("quotas");
    q.use_period(which).group_by("rep_id", "rep_id").group_by("rep", "rep");
    if (grouped) q.group_by("grp", dimension);
    q.select("quota", "sum(amount)")
        .where("rep_id is not null and period_start >= period_from and date(period_end) <= period_to");
    auto rows = q.run();
    const uint32_t value = grouped ? 3 : 2;
    while (rows.next()) {
      Rep& r = reps[rows.integer(0)];
      if (r.name.empty()) r.name = rows.text(1);
      read_group(rows, r);
      r.quota = r.quota.value_or(0.0) + rows.number(value);
    }
  }
  return reps;
}

// The team's figures over a set of reps.
struct Summary {
  int64_t reps = 0;
  int64_t with_quota = 0;  // reps with a non-zero quota
  int64_t at_quota = 0;
  double won_of_quota_reps = 0;
  double quota = 0;

  void add(const Rep& r) {
    ++reps;
    auto a = r.attainment();
    if (!a) return;
    ++with_quota;
    if (*a >= 1.0) ++at_quota;
    won_of_quota_reps += r.won_amount;
    quota += *r.quota;
  }
  std::optional<double> share_at_quota() const {
    return tally::sdk::ratio_opt(static_cast<double>(at_quota), static_cast<double>(with_quota));
  }
  std::optional<double> attainment() const { return tally::sdk::ratio_opt(won_of_quota_reps, quota); }
};

Summary summarize(const std::map<int64_t, Rep>& reps) {
  Summary s;
  for (const auto& [id, r] : reps) s.add(r);
  return s;
}

class QuotaAttainment final : public tally::sdk::Metric {
 public:
  void run(Context& ctx) override {
    std::string dimension = ctx.text("group_by");
    auto reps = load_reps(ctx, Which::Current, dimension);
    {
      auto unknown = ctx.query("opportunities")
                         .select("n", "count_if(amount is null)")
                         .where("status = 'won' and in_period(closed_at) and owner_id is not null")
                         .run();
      if (unknown.next())
        tally::sdk::quality::note_unknown_amounts(ctx, unknown.integer(0), "won deal", "won deals",
                                                  "Won amounts and attainment");
    }
    Summary current = summarize(reps);
    std::optional<Summary> previous;
    if (ctx.has_compare()) previous = summarize(load_reps(ctx, Which::Compare));
    auto pick = [&](Which w) -> const Summary& { return w == Which::Current ? current : *previous; };

    ctx.kpi("share_at_quota", "Reps at or above quota", Unit::Percent,
            [&](Which w) { return pick(w).share_at_quota(); });
    ctx.kpi("team_attainment", "Team quota attainment", Unit::Percent,
            [&](Which w) { return pick(w).attainment(); });
    ctx.kpi("reps_with_quota", "Reps with a quota", Unit::Count,
            [&](Which w) { return std::optional<double>(static_cast<double>(pick(w).with_quota)); });
    ctx.kpi("reps_at_quota", "Reps at or above 100 %", Unit::Count,
            [&](Which w) { return std::optional<double>(static_cast<double>(pick(w).at_quota)); });

    declare_drilldowns(ctx, reps);
    by_rep(ctx, reps, dimension);
    if (dimension != "none") by_group(ctx, reps, dimension);
  }

 private:
  // The reps counted (reps dataset), and the won deals and quota rows behind
  // the team's attainment, of the reps with a quota in the period.
  static void declare_drilldowns(const Context& ctx, const std::map<int64_t, Rep>& reps) {
    std::string with_quota, at_quota;
    for (const auto& [id, r] : reps) {
      const auto a = r.attainment();
      if (!a) continue;
      with_quota += (with_quota.empty() ? "" : ", ") + std::to_string(id);
      if (*a >= 1.0) at_quota += (at_quota.empty() ? "" : ", ") + std::to_string(id);
    }
    // No rep: an id no row has, so the list is empty rather than absent.
    if (with_quota.empty()) with_quota = "-1";
    if (at_quota.empty()) at_quota = "-1";
    tally::sdk::drilldown(ctx, "reps_with_quota", "reps", "id in (" + with_quota + ")");
    tally::sdk::drilldown(ctx, "reps_at_quota", "reps", "id in (" + at_quota + ")");
    tally::sdk::drilldown_ratio(ctx, "share_at_quota", "reps", "id in (" + at_quota + ")",
                                "id in (" + with_quota + ")");
    auto quotas = ctx.query("quotas");
    quotas.where("rep_id in (" + with_quota +
                 ") and period_start >= period_from and date(period_end) <= period_to");
    auto won = ctx.query("opportunities");
    won.where("status = 'won' and in_period(closed_at) and owner_id in (" + with_quota + ")");
    // Won amount over quota amount.
    tally::sdk::drilldown_ratio(ctx, "team_attainment", tally::sdk::summing(won, "amount"),
                                tally::sdk::summing(quotas, "amount"));
  }

  static void by_rep(const Context& ctx, const std::map<int64_t, Rep>& reps, const std::string& dimension) {
    std::vector<std::pair<int64_t, const Rep*>> order;
    for (const auto& [id, r] : reps) order.emplace_back(id, &r);
    // Highest attainment first, reps without a quota last.
    std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
      auto x = a.second->attainment(), y = b.second->attainment();
      if (x.has_value() != y.has_value()) return x.has_value();
      if (x && *x != *y) return *x > *y;
      return a.second->name < b.second->name;
    });
    bool grouped = dimension != "none";
    auto t = ctx.table("by_rep", "Quota attainment by rep");
    t.column("rep", Unit::Text);
    if (grouped) t.column(dimension, Unit::Text);
    t.column("won_amount", Unit::Money)
        .column("quota", Unit::Money)
        .column("attainment", Unit::Percent)
        .column("at_quota", Unit::Flag);
    t.chart(Chart::Bar, "rep", "attainment");
    for (const auto& [id, r] : order) {
      auto a = r->attainment();
      std::vector<Value> cells{r->name};
      if (grouped) cells.emplace_back(r->group);
      cells.emplace_back(r->won_amount);
      cells.emplace_back(tally::sdk::opt(r->quota));
      cells.emplace_back(tally::sdk::opt(a));
      cells.emplace_back(a ? Value{int64_t{*a >= 1.0 ? 1 : 0}} : Value{});
      t.row(cells);
      // The row's won deals (their amounts summed), over its quota rows.
      auto won = ctx.query("opportunities");
      won.where("status = 'won' and in_period(closed_at) and owner_id = :rep").bind("rep", Value{id});
      auto quotas = ctx.query("quotas");
      quotas.where("rep_id = :rep and period_start >= period_from and date(period_end) <= period_to")
          .bind("rep", Value{id});
      tally::sdk::drilldown_row_ratio(ctx, "by_rep", r->name, tally::sdk::summing(won, "amount"),
                                      tally::sdk::summing(quotas, "amount"));
    }
  }

  static void by_group(const Context& ctx, const std::map<int64_t, Rep>& reps, const std::string& dimension) {
    std::map<std::string, Summary> groups;
    for (const auto& [id, r] : reps) groups[r.group].add(r);
    auto t = ctx.table("by_" + dimension, "Quota attainment by " + dimension);
    t.column(dimension, Unit::Text)
        .column("reps", Unit::Count)
        .column("reps_with_quota", Unit::Count)
        .column("reps_at_quota", Unit::Count)
        .column("share_at_quota", Unit::Percent)
        .column("won_amount", Unit::Money)
        .column("quota", Unit::Money)
        .column("attainment", Unit::Percent);
    t.chart(Chart::Bar, dimension, "share_at_quota");
    std::map<std::string, std::vector<int64_t>> members;
    for (const auto& [id, r] : reps) members[r.group].push_back(id);
    for (const auto& [name, s] : groups) {
      t.row({name, s.reps, s.with_quota, s.at_quota, tally::sdk::opt(s.share_at_quota()), s.won_of_quota_reps,
             s.quota, tally::sdk::opt(s.attainment())});
      // The group's reps.
      tally::sdk::drilldown_row(ctx, "by_" + dimension, name,
                                tally::sdk::records_with_ids(ctx, "reps", members[name]));
    }
  }
};

}  // namespace

TALLY_METRIC(QuotaAttainment)

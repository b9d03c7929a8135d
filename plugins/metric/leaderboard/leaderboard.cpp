// Sales leaderboard: per rep, over deals closed in the period,
//   deals won, revenue (won amount), average deal size (revenue / deals won),
//   win rate (won / (won + lost)), quota attainment (revenue / the rep's quota for the period:
//   the sum of the rep's `quotas` rows whose [period_start, period_end) lies inside the period);
// ranked by `rank_by`, highest first. Equal values share a rank (1, 2, 2, 4); reps whose
// rank_by value is n/a come last without a rank.
// With `level` team, manager or region the board ranks those groups instead, on the sums of their
// reps' figures (won, lost, revenue, rep quotas); a NULL group is kept as "(none)".
// A won deal without an amount is unknown, not $0: revenue covers the known amounts (n/a when
// none is known), the average divides by the deals with one, and a note counts the others.
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

// The figures of one rep, or of a group of reps (level team, manager or region).
struct Rep {
  std::string name;
  int64_t won = 0;
  int64_t lost = 0;
  double known_revenue = 0;
  int64_t won_unknown = 0;  // won deals without an amount
  std::optional<double> quota;

  std::optional<double> revenue() const {
    return tally::sdk::quality::known_total(known_revenue, won, won_unknown);
  }
  std::optional<double> avg_deal_size() const {
    return tally::sdk::ratio_opt(known_revenue, static_cast<double>(won - won_unknown));
  }
  std::optional<double> win_rate() const {
    return tally::sdk::ratio_opt(static_cast<double>(won), static_cast<double>(won + lost));
  }
  std::optional<double> attainment() const {
    return quota && revenue() ? tally::sdk::ratio_opt(*revenue(), *quota) : std::nullopt;
  }

  std::optional<double> measure(const std::string& rank_by) const {
    if (rank_by == "deals_won") return static_cast<double>(won);
    if (rank_by == "avg_deal_size") return avg_deal_size();
    if (rank_by == "win_rate") return win_rate();
    if (rank_by == "attainment") return attainment();
    return revenue();
  }
};

// Reps with a deal closed in the period or a quota for it, by rep id.
std::map<int64_t, Rep> load_reps(const Context& ctx) {
  std::map<int64_t, Rep> reps;
  {
    auto q = ctx.query("opportunities");
    q.group_by("rep_id", "owner_id")
        .group_by("rep", "rep")
        .select("won", "count_if(status = 'won')")
        .select("lost", "count_if(status = 'lost')")
        .select("revenue", "sum_if(amount, status = 'won')")
        .select("won_unknown", "count_if(status = 'won' and amount is null)")
        .where("in_period(closed_at) and status in ('won', 'lost') and owner_id is not null");
    auto rows = q.run();
    while (rows.next()) {
      Rep& r = reps[rows.integer(0)];
      r.name = rows.text(1);
      r.won = rows.integer(2);
      r.lost = rows.integer(3);
      r.known_revenue = rows.number(4);
      r.won_unknown = rows.integer(5);
    }
  }
  {
    auto q = ctx.query("quotas");
    q.group_by("rep_id", "rep_id")
        .group_by("rep", "rep")
        .select("quota", "sum(amount)")
        .where("rep_id is not null and period_start >= period_from and date(period_end) <= period_to");
    auto rows = q.run();
    while (rows.next()) {
      Rep& r = reps[rows.integer(0)];
      if (r.name.empty()) r.name = rows.text(1);
      r.quota = rows.number(2);
    }
  }
  return reps;
}

// Groups of the `level` dimension with a deal closed in the period or a rep quota for it: the same
// figures as a rep's, summed over the group's reps by the queries.
std::map<std::string, Rep> load_groups(const Context& ctx, const std::string& level) {
  std::map<std::string, Rep> groups;
  auto group = [&](const tally::sdk::Rows& rows) -> Rep& {
    const std::string name = rows.is_null(0) ? "(none)" : rows.text(0);
    Rep& g = groups[name];
    g.name = name;
    return g;
  };
  {
    auto q = ctx.query("opportunities");
    q.group_by(level)
        .select("won", "count_if(status = 'won')")
        .select("lost", "count_if(status = 'lost')")
        .select("revenue", "sum_if(amount, status = 'won')")
        .select("won_unknown", "count_if(status = 'won' and amount is null)")
        .where("in_period(closed_at) and status in ('won', 'lost') and owner_id is not null");
    auto rows = q.run();
    while (rows.next()) {
      Rep& g = group(rows);
      g.won = rows.integer(1);
      g.lost = rows.integer(2);
      g.known_revenue = rows.number(3);
      g.won_unknown = rows.integer(4);
    }
  }
  {
    auto q = ctx.query("quotas");
    q.group_by(level)
        .select("quota", "sum(amount)")
        .where("rep_id is not null and period_start >= period_from and date(period_end) <= period_to");
    auto rows = q.run();
    while (rows.next()) group(rows).quota = rows.number(1);
  }
  return groups;
}

tally::sdk::Query won_query(const Context& ctx, const std::string& condition) {
  auto q = ctx.query("opportunities");
  q.where(condition);
  return q;
}

class Leaderboard final : public tally::sdk::Metric {
 public:
  void run(Context& ctx) override {
    const std::string rank_by = ctx.text("rank_by");
    const int64_t top_n = ctx.integer("top_n");
    const std::string level = ctx.text("level");
    std::vector<const Rep*> order;
    std::map<int64_t, Rep> reps;
    std::map<std::string, Rep> groups;
    if (level == "rep") {
      reps = load_reps(ctx);
      for (const auto& [id, r] : reps) order.push_back(&r);
    } else {
      groups = load_groups(ctx, level);
      for (const auto& [name, g] : groups) order.push_back(&g);
    }
    std::stable_sort(order.begin(), order.end(), [&](const Rep* a, const Rep* b) {
      auto x = a->measure(rank_by), y = b->measure(rank_by);
      if (x.has_value() != y.has_value()) return x.has_value();
      if (x && *x != *y) return *x > *y;
      return a->name < b->name;
    });

    const std::string title = level == "rep" ? "Sales leaderboard by " + rank_by
                                             : "Sales leaderboard of " + level + "s by " + rank_by;
    auto t = ctx.table("leaderboard", title);
    t.column("rank", Unit::Count)
        .column(level, Unit::Text)
        .column("deals_won", Unit::Count)
        .column("revenue", Unit::Money)
        .column("avg_deal_size", Unit::Money)
        .column("win_rate", Unit::Percent)
        .column("quota", Unit::Money)
        .column("attainment", Unit::Percent);
    t.chart(Chart::Bar, level, rank_by);  // every rank_by value is also a column

    int64_t unknown = 0;
    for (const Rep* r : order) unknown += r->won_unknown;
    tally::sdk::quality::note_unknown_amounts(ctx, unknown, "won deal", "won deals",
                                              "Revenue, average deal size and attainment");

    // Per rep row: the deals the rep won and lost in the period (rep level only).
    std::map<const Rep*, int64_t> id_of;
    for (const auto& [id, r] : reps) id_of[&r] = id;
    int64_t rank = 0;
    std::optional<double> last;
    for (size_t i = 0; i < order.size() && static_cast<int64_t>(i) < top_n; ++i) {
      const Rep& r = *order[i];
      auto value = r.measure(rank_by);
      if (value && (!last || *value != *last)) rank = static_cast<int64_t>(i) + 1;
      last = value;
      t.row({value ? Value{rank} : Value{}, r.name, r.won, tally::sdk::opt(r.revenue()),
             tally::sdk::opt(r.avg_deal_size()), tally::sdk::opt(r.win_rate()), tally::sdk::opt(r.quota),
             tally::sdk::opt(r.attainment())});
      if (auto id = id_of.find(&r); id != id_of.end()) {
        const std::string owner = "owner_id = " + std::to_string(id->second) + " and in_period(closed_at)";
        tally::sdk::drilldown_row(ctx, "deals_won", r.name, won_query(ctx, owner + " and status = 'won'"));
        tally::sdk::drilldown_row(ctx, "leaderboard", r.name, won_query(ctx, owner + " and status = 'won'"));
        tally::sdk::drilldown_row_ratio(ctx, "win_rate", r.name,
                                        won_query(ctx, owner + " and status = 'won'"),
                                        won_query(ctx, owner + " and status in ('won', 'lost')"));
      }
    }
  }
};

}  // namespace

TALLY_METRIC(Leaderboard)

// Territory balance: per region, reps at period end, open pipeline at period
// end, won revenue in the period and pipeline per rep; regions whose pipeline
// per rep is far from the median across regions are rebalancing candidates.
// `by` chooses the territory unit (region, team or manager of the owning rep); the KPIs keep
// their names whatever the unit, and a NULL unit is kept as "(none)".
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <tally/drilldown.hpp>
#include <tally/quality.hpp>
#include <tally/sdk.hpp>
#include <vector>

namespace {

using tally::sdk::Chart;
using tally::sdk::Context;
using tally::sdk::Error;
using tally::sdk::Unit;
using tally::sdk::Value;
using tally::sdk::Which;

// Open at period end: created before it and not closed before it.
constexpr const char* kOpenAtEnd =
    "created_at < period_to and ((status = 'open' and closed_at is null) or closed_at >= period_to)";

struct Region {
  int64_t reps = 0;
  int64_t open_deals = 0;
  double open_pipeline = 0;
  double won_revenue = 0;

  std::optional<double> per_rep() const {
    return tally::sdk::ratio_opt(open_pipeline, static_cast<double>(reps));
  }
};

struct Snapshot {
  std::map<std::string, Region> regions;
  std::optional<double> median;  // of pipeline per rep over regions with reps

  bool flagged(const Region& r, double low, double high) const {
    auto ratio = ratio_to_median(r);
    return ratio && (*ratio < low || *ratio > high);
  }
  std::optional<double> ratio_to_median(const Region& r) const {
    auto per_rep = r.per_rep();
    if (!per_rep || !median) return std::nullopt;
    return tally::sdk::ratio_opt(*per_rep, *median);
  }
};

std::optional<double> median_of(std::vector<double> v) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  const size_t mid = v.size() / 2;
  return v.size() % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2.0;
}

std::string money(double v) {
  char buf[64];
  if (v >= 1e6 || v <= -1e6)
    std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
  else if (v >= 1e3 || v <= -1e3)
    std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

class TerritoryBalance final : public tally::sdk::Metric {
 public:
  void run(Context& ctx) override {
    low_ = ctx.number("low_ratio");
    high_ = ctx.number("high_ratio");
    if (low_ > high_) throw Error("low_ratio must not be above high_ratio");
    by_ = ctx.text("by");
    const std::string units = plural(by_);  // "regions", "teams", "managers"
    const std::string units_title = capitalized(units);

    const Snapshot now = snapshot(ctx, Which::Current);
    {
      auto unknown =
          ctx.query("opportunities")
              .select("open", std::string("count_if(amount is null and ") + kOpenAtEnd + ")")
              .select("won", "count_if(amount is null and status = 'won' and in_period(closed_at))")
              .where("created_at < period_to")
              .run();
      if (unknown.next()) {
        tally::sdk::quality::note_unknown_amounts(ctx, unknown.integer(0), "open deal", "open deals",
                                                  "Open pipeline and pipeline per rep");
        tally::sdk::quality::note_unknown_amounts(ctx, unknown.integer(1), "won deal", "won deals",
                                                  "Won revenue");
      }
    }
    std::optional<Snapshot> before;
    if (ctx.has_compare()) before = snapshot(ctx, Which::Compare);
    tally::sdk::PeriodKpis kpis(ctx, now, before);
    kpis.add("regions", units_title, Unit::Count, true,
             [](const Snapshot& s) { return std::optional<double>(static_cast<double>(s.regions.size())); });
    kpis.add("open_pipeline", "Open pipeline at period end", Unit::Money, true, [](const Snapshot& s) {
      double total = 0;
      for (const auto& [name, r] : s.regions) total += r.open_pipeline;
      return std::optional<double>(total);
    });
    kpis.add("median_pipeline_per_rep", "Median pipeline per rep across " + units, Unit::Money, true,
             [](const Snapshot& s) { return s.median; });
    kpis.add("regions_flagged", units_title + " to rebalance", Unit::Count, false, [&](const Snapshot& s) {
      int64_t n = 0;
      for (const auto& [name, r] : s.regions) n += s.flagged(r, low_, high_) ? 1 : 0;
      return std::optional<double>(static_cast<double>(n));
    });

    tally::sdk::drilldown_sum(ctx, "open_pipeline", "opportunities", kOpenAtEnd, "amount");
    // Per region (or team): the deals open at the period end there.
    for (const auto& [name, r] : now.regions)
      for (const std::string& kpi : {std::string("open_pipeline"), "by_" + by_})
        tally::sdk::drilldown_group(ctx, kpi, name, "opportunities", kOpenAtEnd, by_);
    region_table(ctx, now);
    unit_drilldowns(ctx, now);
  }

 private:
  Snapshot snapshot(Context& ctx, Which which) const {
    Snapshot s;
    auto deals = ctx.query("opportunities")
                     .use_period(which)
                     .group_by(by_)
                     .select("open_deals", std::string("count_if(") + kOpenAtEnd + ")")
                     .select("open_pipeline", std::string("sum_if(amount, ") + kOpenAtEnd + ")")
                     .select("won_revenue", "sum_if(amount, status = 'won' and in_period(closed_at))")
                     .where("created_at < period_to")
                     .run();
    while (deals.next()) {
      auto& r = s.regions[label(deals)];
      r.open_deals = deals.integer(1);
      r.open_pipeline = deals.number(2);
      r.won_revenue = deals.number(3);
    }
    count_reps(ctx, which, s);

    std::vector<double> per_rep;
    for (const auto& [name, r] : s.regions)
      if (auto v = r.per_rep()) per_rep.push_back(*v);
    s.median = median_of(per_rep);
    return s;
  }

  // A unit without a name (NULL or empty) is kept as "(none)".
  static std::string label(const tally::sdk::Rows& rows) {
    const std::string name = rows.is_null(0) ? std::string() : rows.text(0);
    return name.empty() ? "(none)" : name;
  }
  static std::string plural(const std::string& unit) { return unit + "s"; }
  static std::string capitalized(std::string s) {
    if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
    return s;
  }

  // Reps (not managers) employed at period end. When the report's filters
  // cannot apply to the reps dataset (e.g. an industry filter), the distinct
  // owners of the region's open or won deals stand in, with a warning.
  void count_reps(Context& ctx, Which which, Snapshot& s) const {
    try {
      auto reps = ctx.query("reps")
                      .use_period(which)
                      .group_by(by_)
                      .select("reps", "count(*)")
                      .where(
                          "role != 'manager' and (hired_at is null or hired_at < period_to)"
                          " and (left_at is null or left_at >= period_to)")
                      .run();
      while (reps.next()) s.regions[label(reps)].reps = reps.integer(1);
    } catch (const Error& e) {
      ctx.warn(std::string("territory_balance: counting deal owners as reps: ") + e.what());
      auto owners =
          ctx.query("opportunities")
              .use_period(which)
              .group_by(by_)
              .select("reps", "count_distinct(owner_id)")
              .where(std::string("(") + kOpenAtEnd + ") or (status = 'won' and in_period(closed_at))")
              .run();
      while (owners.next()) s.regions[label(owners)].reps = owners.integer(1);
    }
  }

  // The KPIs that count units (regions, teams) list one record per unit: the rep with the lowest
  // id in it stands for it (the reps dataset's units are the deals' too: a deal's unit is its
  // owner's). The median lists the units with reps, each with its pipeline per rep as the value.
  void unit_drilldowns(Context& ctx, const Snapshot& s) const {
    std::map<std::string, int64_t> first_rep;
    try {
      auto reps = ctx.query("reps").group_by(by_).select("first", "min(id)").run();
      while (reps.next()) first_rep.emplace(label(reps), reps.integer(1));
    } catch (const Error& e) {
      ctx.warn(std::string("territory_balance: no records for the ") + plural(by_) + ": " + e.what());
      return;
    }
    std::vector<int64_t> all, flagged;
    std::vector<tally::sdk::Weighting> per_rep;
    for (const auto& [name, r] : s.regions) {
      auto it = first_rep.find(name);
      if (it == first_rep.end()) continue;  // only unowned deals: no rep stands for it
      all.push_back(it->second);
      if (s.flagged(r, low_, high_)) flagged.push_back(it->second);
      if (r.per_rep()) per_rep.push_back({":drilldown_unit" + std::to_string(per_rep.size()), {it->second}});
    }
    tally::sdk::drilldown(ctx, "regions", tally::sdk::records_with_ids(ctx, "reps", all));
    tally::sdk::drilldown(ctx, "regions_flagged", tally::sdk::records_with_ids(ctx, "reps", flagged));
    std::vector<int64_t> with_reps;
    std::string value = "0";
    for (auto g = per_rep.rbegin(); g != per_rep.rend(); ++g) {
      with_reps.push_back(g->ids.front());
      value = "if(id = " + std::to_string(g->ids.front()) + ", " + g->factor + ", " + value + ")";
    }
    auto median = tally::sdk::records_with_ids(ctx, "reps", with_reps);
    tally::sdk::median_of(median, value);
    size_t i = 0;
    for (const auto& [name, r] : s.regions)
      if (first_rep.count(name) && r.per_rep())
        median.bind("drilldown_unit" + std::to_string(i++), Value{*r.per_rep()});
    tally::sdk::drilldown(ctx, "median_pipeline_per_rep", median);
  }

  std::string note(const Snapshot& s, const Region& r) const {
    if (r.reps == 0) return r.open_pipeline > 0 ? "no reps: open pipeline is uncovered" : "no reps";
    if (!s.median || *s.median == 0) return "median pipeline per rep is 0: no comparison";
    const double ratio = *s.ratio_to_median(r);
    char buf[200];
    const char* verdict = ratio < low_    ? "under-loaded: too many reps for the pipeline"
                          : ratio > high_ ? "over-loaded: too much pipeline per rep"
                                          : "balanced";
    std::snprintf(buf, sizeof buf, "%s per rep = %.2fx the median %s: %s", money(*r.per_rep()).c_str(), ratio,
                  money(*s.median).c_str(), verdict);
    return buf;
  }

  void region_table(Context& ctx, const Snapshot& s) const {
    std::vector<std::pair<std::string, const Region*>> sorted;
    for (const auto& [name, r] : s.regions) sorted.emplace_back(name, &r);
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
      return a.second->per_rep().value_or(-1) > b.second->per_rep().value_or(-1);
    });
    auto t = ctx.table("by_" + by_, "Territory balance by " + by_);
    t.column(by_, Unit::Text)
        .column("reps", Unit::Count)
        .column("open_deals", Unit::Count)
        .column("open_pipeline", Unit::Money)
        .column("won_revenue", Unit::Money)
        .column("pipeline_per_rep", Unit::Money)
        .column("ratio_to_median", Unit::Number)
        .column("rebalance", Unit::Flag)
        .column("note", Unit::Text);
    t.chart(Chart::Bar, by_, "pipeline_per_rep");
    for (const auto& [name, r] : sorted)
      t.row({name, r->reps, r->open_deals, r->open_pipeline, r->won_revenue, tally::sdk::opt(r->per_rep()),
             tally::sdk::opt(s.ratio_to_median(*r)), int64_t{s.flagged(*r, low_, high_) ? 1 : 0},
             note(s, *r)});
  }

  double low_ = 0.5;
  double high_ = 2.0;
  std::string by_ = "region";  // the territory unit: a standard dimension
};

}  // namespace

TALLY_METRIC(TerritoryBalance)

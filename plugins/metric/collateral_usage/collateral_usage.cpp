// Collateral usage: per content item the reps who used it and how often in the period, when
// it was last used, the items nobody used for N months, and the win rate of deals closed in
// the period where the item (or any collateral) was used vs the deals where it was not.
// group_by <dimension>: uses, reps and the with/without win rates per group (by_<dimension>).
#include <tally/calendar.hpp>
#include <tally/drilldown.hpp>
#include <tally/sdk.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace {

using tally::sdk::Chart;
using tally::sdk::Context;
using tally::sdk::Error;
using tally::sdk::Unit;
using tally::sdk::Value;
using tally::sdk::Which;

constexpr const char* kClosedInPeriod =
    "opportunity_status in ('won', 'lost') and in_period(opportunity_closed_at) and used_at < period_to";

struct Item {
  std::string name;
  std::string type;
  int64_t reps = 0;       // distinct reps who used it in the period
  int64_t uses = 0;       // uses in the period
  std::string last_used;  // latest use before the period end; "" = never
  int64_t won_with = 0;   // deals closed in the period with at least one use of it
  int64_t lost_with = 0;
  bool unused = false;  // no use in the N months before the period end
};

struct Result {
  std::map<int64_t, Item> items;
  int64_t won = 0, lost = 0;                    // deals closed in the period
  int64_t won_with_any = 0, lost_with_any = 0;  // ... with at least one collateral use

  int64_t items_used() const {
    return std::count_if(items.begin(), items.end(), [](const auto& i) { return i.second.uses > 0; });
  }
  int64_t items_unused() const {
    return std::count_if(items.begin(), items.end(), [](const auto& i) { return i.second.unused; });
  }
  std::optional<double> win_rate_with() const {
    return tally::sdk::ratio_opt(static_cast<double>(won_with_any),
                                 static_cast<double>(won_with_any + lost_with_any));
  }
  std::optional<double> win_rate_without() const {
    double w = static_cast<double>(won - won_with_any), l = static_cast<double>(lost - lost_with_any);
    return tally::sdk::ratio_opt(w, w + l);
  }
};

class CollateralUsage final : public tally::sdk::Metric {
 public:
  // "new business", "new business and renewal", "all deal types".
  static std::string deal_scope(const std::vector<std::string>& types) {
    if (types.size() >= 3) return "all deal types";
    std::string out;
    for (size_t i = 0; i < types.size(); ++i) {
      if (i) out += i + 1 == types.size() ? " and " : ", ";
      std::string t = types[i];
      for (char& c : t)
        if (c == '_') c = ' ';
      out += t;
    }
    return out + (types.size() == 1 ? " only" : "");
  }

  void run(Context& ctx) override {
    unused_months_ = static_cast<int>(ctx.integer("unused_months"));
    deal_types_ = ctx.list("deal_types");
    if (deal_types_.empty())
      throw Error("deal_types is empty: name at least one of new_business, renewal, expansion");
    Result current = compute(ctx, Which::Current);
    std::optional<Result> previous;
    if (ctx.has_compare()) previous = compute(ctx, Which::Compare);

    tally::sdk::PeriodKpis kpis(ctx, current, previous);
    kpis.add("items_used", "Items used", Unit::Count, true,
             [](const Result& r) -> std::optional<double> { return static_cast<double>(r.items_used()); });
    kpis.add("items_unused", "Items unused for " + std::to_string(unused_months_) + " months", Unit::Count,
             false,
             [](const Result& r) -> std::optional<double> { return static_cast<double>(r.items_unused()); });
    // The labels say which deals the win rates cover, so they never read as the win_rate plugin's.
    const std::string scope = deal_scope(deal_types_);
    kpis.add("win_rate_with_collateral", "Win rate with collateral, " + scope, Unit::Percent, true,
             [](const Result& r) { return r.win_rate_with(); });
    kpis.add("win_rate_without_collateral", "Win rate without collateral, " + scope, Unit::Percent, true,
             [](const Result& r) { return r.win_rate_without(); });

    declare_drilldowns(ctx, current);
    items_table(ctx, current);
    unused_table(ctx, current);
    const std::string dim = ctx.text("group_by");
    if (!dim.empty() && dim != "none") group_table(ctx, dim);
  }

 private:
  int unused_months_ = 3;
  std::vector<std::string> deal_types_;

  // " and <column> in (:deal_type_0, ...)", or "" when every type counts.
  // Renewals and expansions rarely use collateral and win far more often, so
  // comparing win rates across all types mostly measures the deal-type mix.
  std::string types_condition(const std::string& column) const {
    if (deal_types_.size() >= 3) return "";
    std::string list;
    for (size_t i = 0; i < deal_types_.size(); ++i)
      list += (i ? ", :deal_type_" : ":deal_type_") + std::to_string(i);
    return " and " + column + " in (" + list + ")";
  }
  // The items counted (collateral dataset), and the deals behind the win rates.
  void declare_drilldowns(const Context& ctx, const Result& r) const {
    std::vector<int64_t> used, unused;
    for (const auto& [id, i] : r.items) {
      if (i.uses > 0) used.push_back(id);
      if (i.unused) unused.push_back(id);
    }
    using tally::sdk::records_with_ids;
    tally::sdk::drilldown(ctx, "items_used", records_with_ids(ctx, "collateral", used));
    tally::sdk::drilldown(ctx, "items_unused", records_with_ids(ctx, "collateral", unused));

    // The closed deals with a use, as the win rates count them.
    auto with = ctx.query("collateral_usage");
    with.group_by("id", "opportunity_id")
        .group_by("status", "opportunity_status")
        .select("n", "count(*)")
        .where(std::string(kClosedInPeriod) + types_condition("opportunity_type"));
    bind_types(with);
    std::vector<int64_t> won_with, closed_with;
    auto rows = with.run();
    while (rows.next()) {
      closed_with.push_back(rows.integer(0));
      if (rows.text(1) == "won") won_with.push_back(rows.integer(0));
    }
    tally::sdk::drilldown_ratio(ctx, "win_rate_with_collateral",
                                records_with_ids(ctx, "opportunities", won_with),
                                records_with_ids(ctx, "opportunities", closed_with));
    std::string without;
    for (size_t i = 0; i < closed_with.size(); ++i)
      without += (i ? ", " : "") + std::to_string(closed_with[i]);
    without = without.empty() ? "" : " and id not in (" + without + ")";
    auto deals = [&](const char* statuses) {
      auto q = ctx.query("opportunities");
      q.where(std::string("status in (") + statuses + ") and in_period(closed_at)" + types_condition("type") +
              without);
      bind_types(q);
      return q;
    };
    tally::sdk::drilldown_ratio(ctx, "win_rate_without_collateral", deals("'won'"), deals("'won', 'lost'"));
  }

  void bind_types(tally::sdk::Query& q) const {
    if (deal_types_.size() >= 3) return;
    for (size_t i = 0; i < deal_types_.size(); ++i) q.bind("deal_type_" + std::to_string(i), deal_types_[i]);
  }

  Result compute(Context& ctx, Which which) const {
    Result r;
    const std::string cutoff = tally::sdk::parse_date(ctx.period(which).to).add_months(-unused_months_).iso();

    // The content library as it stood at the period end (a reference dataset:
    // the report's filters narrow the uses below, not the library).
    auto items = ctx.query("collateral")
                     .use_period(which)
                     .group_by("id", "id")
                     .group_by("name", "name")
                     .group_by("type", "type")
                     .select("n", "count(*)")
                     .where("created_at is null or created_at < period_to")
                     .run();
    while (items.next()) {
      Item& i = r.items[items.integer(0)];
      i.name = items.text(1);
      i.type = items.text(2);
    }

    // One pass over the uses before the period end: the latest use and the period's uses
    // and reps (also names items missing from the list above). No deal columns, so no join.
    auto per_item = ctx.query("collateral_usage")
                        .use_period(which)
                        .group_by("id", "collateral_id")
                        .group_by("name", "collateral_name")
                        .group_by("type", "collateral_type")
                        .select("last_used", "max(used_at)")
                        .select("uses", "count_if(in_period(used_at))")
                        .select("reps", "count_distinct(if(in_period(used_at), rep_id, null))")
                        .where("used_at < period_to")
                        .run();
    while (per_item.next()) {
      Item& i = r.items[per_item.integer(0)];
      if (i.name.empty()) i.name = per_item.text(1);
      if (i.type.empty()) i.type = per_item.text(2);
      i.last_used = per_item.text(3);
      i.uses = per_item.integer(4);
      i.reps = per_item.integer(5);
    }
    for (auto& [id, i] : r.items) i.unused = i.last_used.empty() || i.last_used < cutoff;

    // The deals closed in the period that an item was used on, per item and over all items.
    // Both start from the closed deals (few) and look up their uses by deal.
    auto with_item = ctx.query("collateral_usage");
    with_item.use_period(which)
        .group_by("id", "collateral_id")
        .group_by("status", "opportunity_status")
        .select("deals", "count_distinct(opportunity_id)")
        .where(std::string(kClosedInPeriod) + types_condition("opportunity_type"));
    bind_types(with_item);
    auto with_item_rows = with_item.run();
    while (with_item_rows.next()) {
      Item& i = r.items[with_item_rows.integer(0)];
      (with_item_rows.text(1) == "won" ? i.won_with : i.lost_with) = with_item_rows.integer(2);
    }

    auto any = ctx.query("collateral_usage");
    any.use_period(which)
        .group_by("status", "opportunity_status")
        .select("deals", "count_distinct(opportunity_id)")
        .where(std::string(kClosedInPeriod) + types_condition("opportunity_type"));
    bind_types(any);
    auto any_rows = any.run();
    while (any_rows.next())
      (any_rows.text(0) == "won" ? r.won_with_any : r.lost_with_any) = any_rows.integer(1);

    auto closed_query = ctx.query("opportunities");
    closed_query.use_period(which)
        .select("won", "count_if(status = 'won')")
        .select("lost", "count_if(status = 'lost')")
        .where("status in ('won', 'lost') and in_period(closed_at)" + types_condition("type"));
    bind_types(closed_query);
    auto closed = closed_query.run();
    if (closed.next()) {
      r.won = closed.integer(0);
      r.lost = closed.integer(1);
    }
    return r;
  }

  void items_table(Context& ctx, const Result& r) const {
    auto t = ctx.table("items", "Collateral usage by item");
    t.column("item", Unit::Text)
        .column("type", Unit::Text)
        .column("reps", Unit::Count)
        .column("uses", Unit::Count)
        .column("last_used", Unit::Date)
        .column("won_with", Unit::Count)
        .column("lost_with", Unit::Count)
        .column("win_rate_with", Unit::Percent)
        .column("win_rate_without", Unit::Percent)
        .column("unused", Unit::Flag);
    t.chart(Chart::Bar, "item", "uses");
    std::vector<std::pair<int64_t, const Item*>> sorted;
    for (const auto& [id, i] : r.items) sorted.emplace_back(id, &i);
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& x, const auto& y) {
      const Item *a = x.second, *b = y.second;
      return a->uses != b->uses ? a->uses > b->uses : a->name < b->name;
    });
    const int64_t top_n = ctx.integer("top_n");
    int64_t shown = 0;
    for (const auto& [id, i] : sorted) {
      if (shown++ >= top_n) break;
      // The row's records: the item's uses in the period.
      auto uses = ctx.query("collateral_usage");
      uses.where("collateral_id = :item and in_period(used_at)").bind("item", Value{id});
      tally::sdk::drilldown_row(ctx, "items", i->name, uses);
      double without_won = static_cast<double>(r.won - i->won_with);
      double without_lost = static_cast<double>(r.lost - i->lost_with);
      t.row({i->name, i->type.empty() ? Value{} : Value{i->type}, i->reps, i->uses,
             i->last_used.empty() ? Value{} : Value{i->last_used.substr(0, 10)}, i->won_with, i->lost_with,
             tally::sdk::ratio(static_cast<double>(i->won_with),
                               static_cast<double>(i->won_with + i->lost_with)),
             tally::sdk::ratio(without_won, without_won + without_lost), int64_t{i->unused ? 1 : 0}});
    }
  }

  // Uses, reps and win rates with vs without collateral per group of a dimension. Uses and
  // deals with collateral are grouped on collateral_usage (for rep, team, manager and region:
  // the rep who used it), all closed deals on opportunities (the deal's owner); "without" is
  // the group's closed deals minus those with collateral.
  void group_table(Context& ctx, const std::string& dim) const {
    struct Group {
      int64_t uses = 0, reps = 0, won_with = 0, lost_with = 0, won = 0, lost = 0;
    };
    using Key = std::optional<std::string>;  // nullopt: the NULL group
    std::map<Key, Group> groups;
    auto key_of = [](const tally::sdk::Rows& rows) { return rows.is_null(0) ? Key{} : Key{rows.text(0)}; };

    auto usage = ctx.query("collateral_usage")
                     .group_by("grp", dim)
                     .select("uses", "count_if(in_period(used_at))")
                     .select("reps", "count_distinct(if(in_period(used_at), rep_id, null))")
                     .where("used_at < period_to")
                     .run();
    while (usage.next()) {
      Group& g = groups[key_of(usage)];
      g.uses = usage.integer(1);
      g.reps = usage.integer(2);
    }

    // Deals closed in the period with collateral, starting from those deals (see compute()).
    auto with = ctx.query("collateral_usage");
    with.group_by("grp", dim)
        .group_by("status", "opportunity_status")
        .select("deals", "count_distinct(opportunity_id)")
        .where(std::string(kClosedInPeriod) + types_condition("opportunity_type"));
    bind_types(with);
    auto with_rows = with.run();
    while (with_rows.next()) {
      Group& g = groups[key_of(with_rows)];
      (with_rows.text(1) == "won" ? g.won_with : g.lost_with) = with_rows.integer(2);
    }

    auto closed_query = ctx.query("opportunities");
    closed_query.group_by("grp", dim)
        .select("won", "count_if(status = 'won')")
        .select("lost", "count_if(status = 'lost')")
        .where("status in ('won', 'lost') and in_period(closed_at)" + types_condition("type"));
    bind_types(closed_query);
    auto closed = closed_query.run();
    while (closed.next()) {
      Group& g = groups[key_of(closed)];
      g.won = closed.integer(1);
      g.lost = closed.integer(2);
    }

    auto t = ctx.table("by_" + dim, "Collateral usage by " + dim);
    t.column(dim, Unit::Text)
        .column("uses", Unit::Count)
        .column("reps", Unit::Count)
        .column("win_rate_with", Unit::Percent)
        .column("win_rate_without", Unit::Percent);
    t.chart(Chart::Bar, dim, "uses");
    std::vector<std::pair<const Key*, const Group*>> sorted;
    for (const auto& [key, g] : groups) sorted.emplace_back(&key, &g);
    // Most used first, the NULL group last.
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
      if (a.first->has_value() != b.first->has_value()) return a.first->has_value();
      return a.second->uses > b.second->uses;
    });
    for (const auto& [key, g] : sorted) {
      // A deal used with collateral by a rep of another group may exceed the group's own deals.
      const double without_won = static_cast<double>(std::max<int64_t>(g->won - g->won_with, 0));
      const double without_lost = static_cast<double>(std::max<int64_t>(g->lost - g->lost_with, 0));
      t.row({key->value_or("(none)"), g->uses, g->reps,
             tally::sdk::ratio(static_cast<double>(g->won_with),
                               static_cast<double>(g->won_with + g->lost_with)),
             tally::sdk::ratio(without_won, without_won + without_lost)});
      // The row's uses in the period.
      tally::sdk::drilldown_row(ctx, "by_" + dim, key->value_or("(none)"),
                                tally::sdk::group_records(ctx, key->value_or("(none)"), "collateral_usage",
                                                          "in_period(used_at)", dim));
    }
  }

  void unused_table(Context& ctx, const Result& r) const {
    auto t = ctx.table("unused_items", "Items unused for " + std::to_string(unused_months_) + " months");
    t.column("item", Unit::Text).column("type", Unit::Text).column("last_used", Unit::Date);
    std::vector<std::pair<int64_t, const Item*>> unused;
    for (const auto& [id, i] : r.items)
      if (i.unused) unused.emplace_back(id, &i);
    // Never used first, then the longest unused.
    std::stable_sort(unused.begin(), unused.end(), [](const auto& x, const auto& y) {
      const Item *a = x.second, *b = y.second;
      return a->last_used != b->last_used ? a->last_used < b->last_used : a->name < b->name;
    });
    for (const auto& [id, i] : unused) {
      t.row({i->name, i->type.empty() ? Value{} : Value{i->type},
             i->last_used.empty() ? Value{} : Value{i->last_used.substr(0, 10)}});
      tally::sdk::drilldown_row(ctx, "unused_items", i->name,
                                tally::sdk::records_with_ids(ctx, "collateral", {id}));
    }
  }
};

}  // namespace

TALLY_METRIC(CollateralUsage)

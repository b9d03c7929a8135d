// Win/loss analysis: win rate on the closed basis, won and lost deals broken down by loss
// reason, competitor or a standard dimension, and deals another rep assisted vs deals the
// owner closed alone.
//
// Closed in period: status won or lost and closed_at in [from, to).
// Assisted: a closed deal with at least one activity on it whose assisting_rep_id is set.
// A deal without an amount is unknown, not $0: amounts cover the known ones, a note
// counts the others, and an amount with none known is n/a.
#include <tally/drilldown.hpp>
#include <tally/quality.hpp>
#include <tally/sdk.hpp>

#include <optional>
#include <string>
#include <vector>

namespace {

using tally::sdk::Chart;
using tally::sdk::Context;
using tally::sdk::Unit;
using tally::sdk::Value;
using tally::sdk::Which;

constexpr const char* kClosedInPeriod = "status in ('won', 'lost') and in_period(closed_at)";
constexpr const char* kNone = "(none)";

struct Counts {
  int64_t won = 0;
  int64_t lost = 0;
  double won_amount = 0;  // of the deals with an amount
  double lost_amount = 0;
  int64_t won_unknown = 0;  // deals without an amount
  int64_t lost_unknown = 0;

  std::optional<double> won_total() const {
    return tally::sdk::quality::known_total(won_amount, won, won_unknown);
  }
  std::optional<double> lost_total() const {
    return tally::sdk::quality::known_total(lost_amount, lost, lost_unknown);
  }
  std::optional<double> win_rate() const {
    return tally::sdk::ratio_opt(static_cast<double>(won), static_cast<double>(won + lost));
  }
};

struct Result {
  Counts all;
  Counts assisted;
  std::vector<int64_t> assisted_won_ids;     // the deals behind assisted.won
  std::vector<int64_t> assisted_closed_ids;  // ... behind assisted.won + assisted.lost
  Counts alone() const {
    return Counts{all.won - assisted.won,
                  all.lost - assisted.lost,
                  all.won_amount - assisted.won_amount,
                  all.lost_amount - assisted.lost_amount,
                  all.won_unknown - assisted.won_unknown,
                  all.lost_unknown - assisted.lost_unknown};
  }
};

class WinLoss final : public tally::sdk::Metric {
 public:
  void run(Context& ctx) override {
    Result current = totals(ctx, Which::Current);
    std::optional<Result> previous;
    if (ctx.has_compare()) previous = totals(ctx, Which::Compare);
    assisted(ctx, current, previous);

    tally::sdk::PeriodKpis kpis(ctx, current, previous);
    using Opt = std::optional<double>;
    kpis.add("win_rate", "Win rate", Unit::Percent, true, [](const Result& r) { return r.all.win_rate(); });
    kpis.add("won_deals", "Won deals", Unit::Count, true,
             [](const Result& r) { return Opt(static_cast<double>(r.all.won)); });
    // More lost deals is bad news, whatever else moved.
    kpis.add("lost_deals", "Lost deals", Unit::Count, false,
             [](const Result& r) { return Opt(static_cast<double>(r.all.lost)); });
    kpis.add("won_amount", "Won amount", Unit::Money, true,
             [](const Result& r) { return r.all.won_total(); });
    kpis.add("assisted_share", "Won deals with an assisting rep", Unit::Percent, true, [](const Result& r) {
      return tally::sdk::ratio_opt(static_cast<double>(r.assisted.won), static_cast<double>(r.all.won));
    });

    tally::sdk::quality::note_unknown_amounts(ctx, current.all.won_unknown + current.all.lost_unknown,
                                              "closed deal", "closed deals", "Won and lost amounts");
    tally::sdk::drilldown_ratio(ctx, "win_rate", "opportunities", "status = 'won' and in_period(closed_at)",
                                kClosedInPeriod);
    tally::sdk::drilldown(ctx, "won_deals", "opportunities", "status = 'won' and in_period(closed_at)");
    tally::sdk::drilldown_sum(ctx, "won_amount", "opportunities", "status = 'won' and in_period(closed_at)",
                              "amount");
    tally::sdk::drilldown(ctx, "lost_deals", "opportunities", "status = 'lost' and in_period(closed_at)");
    {
      auto won = ctx.query("opportunities");
      won.where("status = 'won' and in_period(closed_at)");
      tally::sdk::drilldown_ratio(
          ctx, "assisted_share", tally::sdk::records_with_ids(ctx, "opportunities", current.assisted_won_ids),
          won);
    }

    std::string group = ctx.text("group_by");
    int64_t top_n = ctx.integer("top_n");
    if (group == "reason")
      reason_table(ctx, top_n);
    else if (group != "none")
      group_table(ctx, group, top_n);
    assisted_table(ctx, current);
  }

 private:
  static Result totals(Context& ctx, Which which) {
    Result r;
    auto totals = ctx.query("opportunities")
                      .use_period(which)
                      .select("won", "count_if(status = 'won')")
                      .select("lost", "count_if(status = 'lost')")
                      .select("won_amount", "sum_if(amount, status = 'won')")
                      .select("lost_amount", "sum_if(amount, status = 'lost')")
                      .select("won_unknown", "count_if(status = 'won' and amount is null)")
                      .select("lost_unknown", "count_if(status = 'lost' and amount is null)")
                      .where(kClosedInPeriod)
                      .run();
    if (totals.next())
      r.all = Counts{totals.integer(0), totals.integer(1), totals.number(2),
                     totals.number(3),  totals.integer(4), totals.integer(5)};
    return r;
  }

  // One row per assisted deal closed in either period (a deal can have many assisted
  // activities), from a single pass over the activities.
  static void assisted(Context& ctx, Result& current, std::optional<Result>& previous) {
    const auto now = ctx.period(Which::Current);
    const auto before = previous ? ctx.period(Which::Compare) : now;
    auto rows = ctx.query("activities")
                    .group_by("opportunity", "opportunity_id")
                    .group_by("status", "opportunity_status")
                    .group_by("closed_at", "opportunity_closed_at")
                    .select("amount", "max(opportunity_amount)")
                    .where("assisting_rep_id is not null and opportunity_id is not null")
                    .where("opportunity_status in ('won', 'lost')")
                    .where(
                        "(opportunity_closed_at >= :from and opportunity_closed_at < :to) or "
                        "(opportunity_closed_at >= :compare_from and opportunity_closed_at < :compare_to)")
                    .bind("from", Value{now.from})
                    .bind("to", Value{now.to})
                    .bind("compare_from", Value{before.from})
                    .bind("compare_to", Value{before.to})
                    .run();
    while (rows.next()) {
      const std::string closed = rows.text(2);
      const bool won = rows.text(1) == "won";
      // Periods may overlap (a one-day period against the day before does not, but be exact anyway).
      for (auto [result, period] :
           {std::pair{&current, now}, std::pair{previous ? &*previous : nullptr, before}}) {
        if (!result || closed < period.from || closed >= period.to) continue;
        (won ? result->assisted.won : result->assisted.lost) += 1;
        if (won) result->assisted_won_ids.push_back(rows.integer(0));
        result->assisted_closed_ids.push_back(rows.integer(0));
        (won ? result->assisted.won_amount : result->assisted.lost_amount) += rows.number(3);
        if (rows.is_null(3)) (won ? result->assisted.won_unknown : result->assisted.lost_unknown) += 1;
      }
    }
  }

  // Lost deals by loss reason; a lost deal without one is "(none)".
  static void reason_table(Context& ctx, int64_t top_n) {
    auto t = ctx.table("by_reason", "Lost deals by loss reason");
    t.column("reason", Unit::Text)
        .column("lost", Unit::Count)
        .column("lost_amount", Unit::Money)
        .column("share_of_lost", Unit::Percent);
    t.chart(Chart::Bar, "reason", "lost");
    auto rows = ctx.query("opportunities")
                    .group_by("reason", "loss_reason")
                    .select("lost", "count(*)")
                    .select("lost_amount", "sum(amount)")  // NULL when no amount is known
                    .where("status = 'lost' and in_period(closed_at)")
                    .order_by("lost", true)
                    .run();
    struct R {
      std::string reason;
      int64_t lost;
      std::optional<double> amount;
    };
    std::vector<R> reasons;
    int64_t total = 0;
    while (rows.next()) {
      reasons.push_back(R{rows.is_null(0) ? kNone : rows.text(0), rows.integer(1), rows.optional_number(2)});
      total += reasons.back().lost;
    }
    int64_t shown = 0;
    for (const auto& r : reasons) {
      if (shown++ >= top_n) break;
      t.row({r.reason, r.lost, tally::sdk::opt(r.amount),
             tally::sdk::ratio(static_cast<double>(r.lost), static_cast<double>(total))});
      for (const char* kpi : {"lost_deals", "by_reason"})
        tally::sdk::drilldown_group(ctx, kpi, r.reason, "opportunities",
                                    "status = 'lost' and in_period(closed_at)", "loss_reason", kNone);
    }
  }

  // Won and lost deals per competitor or standard dimension; NULL is "(none)".
  static void group_table(Context& ctx, const std::string& group, int64_t top_n) {
    const std::string expr = group == "competitor" ? "competitor" : group;
    auto t = ctx.table("by_" + group, "Won and lost deals by " + group);
    t.column(group, Unit::Text)
        .column("won", Unit::Count)
        .column("lost", Unit::Count)
        .column("win_rate", Unit::Percent)
        .column("won_amount", Unit::Money)
        .column("lost_amount", Unit::Money);
    t.chart(Chart::StackedBar, group, "won,lost");
    auto rows = ctx.query("opportunities")
                    .group_by("grp", expr)
                    .select("won", "count_if(status = 'won')")
                    .select("lost", "count_if(status = 'lost')")
                    .select("won_amount", "sum_if(amount, status = 'won')")
                    .select("lost_amount", "sum_if(amount, status = 'lost')")
                    .select("closed", "count(*)")
                    .select("won_unknown", "count_if(status = 'won' and amount is null)")
                    .select("lost_unknown", "count_if(status = 'lost' and amount is null)")
                    .where(kClosedInPeriod)
                    .order_by("closed", true)
                    .limit(top_n)
                    .run();
    while (rows.next()) {
      Counts c{rows.integer(1), rows.integer(2), rows.number(3),
               rows.number(4),  rows.integer(6), rows.integer(7)};
      // The row's records: its won deals, with its closed ones as the denominator.
      const std::string key = rows.is_null(0) ? std::string(kNone) : rows.text(0);
      auto won = ctx.query("opportunities");
      auto closed = ctx.query("opportunities");
      for (auto* q : {&won, &closed})
        q->where(kClosedInPeriod)
            .where("coalesce(" + expr + ", '') = :row")
            .bind("row", Value{key == kNone ? std::string() : key});
      won.where("status = 'won'");
      tally::sdk::drilldown_row_ratio(ctx, "by_" + group, key, won, closed);
      t.row({rows.is_null(0) ? std::string(kNone) : rows.text(0), c.won, c.lost,
             tally::sdk::opt(c.win_rate()), tally::sdk::opt(c.won_total()), tally::sdk::opt(c.lost_total())});
    }
  }

  static void assisted_table(Context& ctx, const Result& r) {
    auto t = ctx.table("assisted", "Deals another rep assisted vs deals the owner closed alone");
    t.column("closed_by", Unit::Text)
        .column("won", Unit::Count)
        .column("lost", Unit::Count)
        .column("win_rate", Unit::Percent)
        .column("won_amount", Unit::Money)
        .column("share_of_won", Unit::Percent);
    t.chart(Chart::Bar, "closed_by", "won");
    auto add = [&](const char* label, const Counts& c) {
      t.row({std::string(label), c.won, c.lost, tally::sdk::opt(c.win_rate()), tally::sdk::opt(c.won_total()),
             tally::sdk::ratio(static_cast<double>(c.won), static_cast<double>(r.all.won))});
    };
    add("assisted", r.assisted);
    add("owner alone", r.alone());
    // Each row's won deals over its closed ones.
    using tally::sdk::records_with_ids;
    tally::sdk::drilldown_row_ratio(ctx, "assisted", "assisted",
                                    records_with_ids(ctx, "opportunities", r.assisted_won_ids),
                                    records_with_ids(ctx, "opportunities", r.assisted_closed_ids));
    const std::string assisted = tally::sdk::id_list(r.assisted_closed_ids);
    auto alone = [&](const char* status) {
      auto q = ctx.query("opportunities");
      q.where(std::string("status in (") + status + ") and in_period(closed_at)" +
              (assisted.empty() ? "" : " and id not in (" + assisted + ")"));
      return q;
    };
    tally::sdk::drilldown_row_ratio(ctx, "assisted", "owner alone", alone("'won'"), alone("'won', 'lost'"));
  }
};

}  // namespace

TALLY_METRIC(WinLoss)

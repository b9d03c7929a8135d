// Account health for existing customers (accounts with a subscription active
// at some point in the period): logged conversations per customer per month,
// product usage and support load.
#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <tally/calendar.hpp>
#include <tally/drilldown.hpp>
#include <tally/sdk.hpp>
#include <utility>
#include <vector>

namespace {

using tally::sdk::Chart;
using tally::sdk::Context;
using tally::sdk::Error;
using tally::sdk::Unit;
using tally::sdk::Value;
using tally::sdk::Which;

// Calendar months in [from, to): whole months stepped from `from`, plus the
// remaining days as a fraction of the month they fall in. A quarter is 3.
double months_between(const std::string& from_text, const std::string& to_text) {
  using tally::sdk::Date;
  const Date from = tally::sdk::parse_date(from_text), to = tally::sdk::parse_date(to_text);
  int whole = (to.year - from.year) * 12 + (to.month - from.month);
  if (to.day < from.day) --whole;
  if (whole < 0) whole = 0;
  const Date cursor = from.add_months(whole);  // the day clamped to the month's length
  const int64_t rest = to.days_since_epoch() - cursor.days_since_epoch();
  return whole + static_cast<double>(std::max<int64_t>(rest, 0)) /
                     tally::sdk::days_in_month(cursor.year, cursor.month);
}

struct Account {
  std::string name;
  int64_t conversations = 0;
  int64_t logins = 0;
  double session_minutes = 0;
  int64_t active_users = 0;
  int64_t tickets = 0;

  Value mean_session() const { return tally::sdk::ratio(session_minutes, static_cast<double>(logins)); }
  Value tickets_per_user() const {
    return tally::sdk::ratio(static_cast<double>(tickets), static_cast<double>(active_users));
  }
};

struct Snapshot {
  double months = 0;
  std::map<int64_t, Account> customers;

  template <typename F>
  double sum(F&& field) const {
    double total = 0;
    for (const auto& [id, a] : customers) total += static_cast<double>(field(a));
    return total;
  }
};

double sort_key(const Account& a, const std::string& rank_by) {
  const auto num = [](const Value& v) { return tally::sdk::is_null(v) ? -1.0 : std::get<double>(v); };
  if (rank_by == "conversations") return static_cast<double>(a.conversations);
  if (rank_by == "logins") return static_cast<double>(a.logins);
  if (rank_by == "active_users") return static_cast<double>(a.active_users);
  if (rank_by == "mean_session_minutes") return num(a.mean_session());
  if (rank_by == "tickets_per_user") return num(a.tickets_per_user());
  return static_cast<double>(a.tickets);
}

class AccountHealth final : public tally::sdk::Metric {
 public:
  void run(Context& ctx) override {
    const Snapshot now = snapshot(ctx, Which::Current);
    std::optional<Snapshot> before;
    if (ctx.has_compare()) before = snapshot(ctx, Which::Compare);

    tally::sdk::PeriodKpis kpis(ctx, now, before);
    using Opt = std::optional<double>;
    kpis.add("customers", "Customers", Unit::Count, true,
             [](const Snapshot& s) { return Opt(static_cast<double>(s.customers.size())); });
    kpis.add("conversations_per_customer_month", "Conversations per customer per month", Unit::Number, true,
             [](const Snapshot& s) {
               return tally::sdk::ratio_opt(s.sum([](const Account& a) { return a.conversations; }),
                                            static_cast<double>(s.customers.size()) * s.months);
             });
    kpis.add("logins", "Logins", Unit::Count, true,
             [](const Snapshot& s) { return Opt(s.sum([](const Account& a) { return a.logins; })); });
    kpis.add("active_users", "Active users", Unit::Count, true,
             [](const Snapshot& s) { return Opt(s.sum([](const Account& a) { return a.active_users; })); });
    kpis.add("mean_session_minutes", "Mean session minutes", Unit::Minutes, true, [](const Snapshot& s) {
      return tally::sdk::ratio_opt(s.sum([](const Account& a) { return a.session_minutes; }),
                                   s.sum([](const Account& a) { return a.logins; }));
    });
    kpis.add("tickets_per_user", "Support tickets per active user", Unit::Number, false,
             [](const Snapshot& s) {
               return tally::sdk::ratio_opt(s.sum([](const Account& a) { return a.tickets; }),
                                            s.sum([](const Account& a) { return a.active_users; }));
             });
    kpis.add("tickets_per_customer", "Support tickets per customer", Unit::Number, false,
             [](const Snapshot& s) {
               return tally::sdk::ratio_opt(s.sum([](const Account& a) { return a.tickets; }),
                                            static_cast<double>(s.customers.size()));
             });

    declare_drilldowns(ctx, now);
    account_table(ctx, now, ctx.text("rank_by"), static_cast<size_t>(ctx.integer("top_n")));
    if (const std::string dim = ctx.text("group_by"); dim != "none") group_table(ctx, now, dim);
  }

 private:
  // The customers (accounts dataset) and their conversations and tickets.
  static void declare_drilldowns(const Context& ctx, const Snapshot& s) {
    std::string ids;
    for (const auto& [id, account] : s.customers) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
    if (ids.empty()) ids = "-1";  // an id no row has: an empty list
    const std::string customers = "id in (" + ids + ")";
    const std::string tickets = "in_period(opened_at) and account_id in (" + ids + ")";
    tally::sdk::drilldown(ctx, "customers", "accounts", customers);
    auto ticket_rows = ctx.query("support_tickets");
    ticket_rows.where(tickets);
    auto customer_rows = ctx.query("accounts");
    customer_rows.where(customers);
    tally::sdk::drilldown_ratio(ctx, "tickets_per_customer", ticket_rows, customer_rows);
    auto conversations = ctx.query("activities");
    conversations.where("type in ('conversation', 'call', 'meeting') and in_period(occurred_at)")
        .where("account_id in (" + ids + ")");
    // Per customer per month: each customer counts the period's months.
    auto customer_months = ctx.query("accounts");
    customer_months.where(customers);
    tally::sdk::stating(customer_months, "months", s.months);
    tally::sdk::summing(customer_months, ":drilldown_constant_months");
    tally::sdk::drilldown_ratio(ctx, "conversations_per_customer_month", conversations, customer_months);
    // Active users: one record per customer's user with logins in the period (the user's first
    // such usage row), so they count as the KPI counts them.
    std::vector<int64_t> first_use;
    auto users =
        ctx.query("product_usage")
            .group_by("account", "account_id")
            .group_by("user", "user_id")
            .select("first", "min(id)")
            .where("in_period(day) and logins > 0 and user_id is not null and account_id in (" + ids + ")")
            .run();
    while (users.next()) first_use.push_back(users.integer(2));
    tally::sdk::drilldown(ctx, "active_users", tally::sdk::records_with_ids(ctx, "product_usage", first_use));
    auto ticket_rows_again = ctx.query("support_tickets");
    ticket_rows_again.where(tickets);
    tally::sdk::drilldown_ratio(ctx, "tickets_per_user", ticket_rows_again,
                                tally::sdk::records_with_ids(ctx, "product_usage", first_use));
    // Logins and session minutes: the customers' usage rows of the period.
    const std::string usage = "in_period(day) and account_id in (" + ids + ")";
    tally::sdk::drilldown_sum(ctx, "logins", "product_usage", usage, "logins");
    auto minutes = ctx.query("product_usage");
    minutes.where(usage);
    auto logins = ctx.query("product_usage");
    logins.where(usage);
    tally::sdk::drilldown_ratio(ctx, "mean_session_minutes", tally::sdk::summing(minutes, "session_minutes"),
                                tally::sdk::summing(logins, "logins"));
  }

  static Snapshot snapshot(Context& ctx, Which which) {
    Snapshot s;
    const auto period = ctx.period(which);
    s.months = months_between(period.from, period.to);

    // Active in the period: started before its end, not ended by its start.
    auto subs = ctx.query("subscriptions")
                    .use_period(which)
                    .group_by("account", "account_id")
                    .group_by("account_label", "account_name")
                    .select("n", "count(*)")
                    .where("started_at < period_to and (ended_at is null or ended_at > period_from)")
                    .run();
    while (subs.next()) s.customers[subs.integer(0)].name = subs.text(1);

    // Each per-account aggregate is kept only for customers.
    const auto per_account = [&](const char* dataset,
                                 std::vector<std::pair<const char*, const char*>> selects, const char* where,
                                 auto&& store) {
      auto q = ctx.query(dataset);
      q.use_period(which).group_by("account", "account_id").where(where);
      for (const auto& [alias, expr] : selects) q.select(alias, expr);
      auto rows = q.run();
      while (rows.next())
        if (auto it = s.customers.find(rows.integer(0)); it != s.customers.end()) store(it->second, rows);
    };
    per_account(
        "activities", {{"conversations", "count(*)"}},
        "type in ('conversation', 'call', 'meeting') and in_period(occurred_at) and account_id is not null",
        [](Account& a, tally::sdk::Rows& r) { a.conversations = r.integer(1); });
    // One scan of the usage table: users count as active on days with logins.
    per_account("product_usage",
                {{"logins", "sum(logins)"},
                 {"session_minutes", "sum(session_minutes)"},
                 {"active_users", "count_distinct(if(logins > 0, user_id, null))"}},
                "in_period(day)", [](Account& a, tally::sdk::Rows& r) {
                  a.logins = r.integer(1);
                  a.session_minutes = r.number(2);
                  a.active_users = r.integer(3);
                });
    per_account("support_tickets", {{"tickets", "count(*)"}}, "in_period(opened_at)",
                [](Account& a, tally::sdk::Rows& r) { a.tickets = r.integer(1); });
    return s;
  }

  // The KPIs per value of one account dimension (rep dimensions are the account
  // owner's, as for the KPIs): the customers query grouped by the dimension puts
  // each customer in its group, and the per-account figures are summed there.
  // Customers with no value for the dimension form "(none)".
  static void group_table(Context& ctx, const Snapshot& s, const std::string& dim) {
    auto rows = ctx.query("subscriptions")
                    .group_by(dim)
                    .group_by("account", "account_id")
                    .select("n", "count(*)")
                    .where("started_at < period_to and (ended_at is null or ended_at > period_from)")
                    .run();
    std::vector<std::string> order;  // dimension ascending, "(none)" last, as the query sorts
    std::map<std::string, Snapshot> groups;
    while (rows.next()) {
      const auto account = s.customers.find(rows.integer(1));
      if (account == s.customers.end()) continue;
      const std::string group = rows.is_null(0) ? std::string("(none)") : rows.text(0);
      if (!groups.count(group)) order.push_back(group);
      groups[group].customers.emplace(account->first, account->second);
    }
    auto t = ctx.table("by_" + dim, "Customer health by " + dim);
    t.column(dim, Unit::Text)
        .column("customers", Unit::Count)
        .column("conversations_per_customer_month", Unit::Number)
        .column("logins", Unit::Count)
        .column("active_users", Unit::Count)
        .column("mean_session_minutes", Unit::Minutes)
        .column("tickets_per_user", Unit::Number)
        .column("tickets_per_customer", Unit::Number);
    t.chart(Chart::Bar, dim, "tickets_per_customer");
    for (const auto& group : order) {
      const Snapshot& g = groups[group];
      const auto customers = static_cast<double>(g.customers.size());
      const double conversations = g.sum([](const Account& a) { return a.conversations; });
      const double logins = g.sum([](const Account& a) { return a.logins; });
      const double users = g.sum([](const Account& a) { return a.active_users; });
      const double tickets = g.sum([](const Account& a) { return a.tickets; });
      std::vector<int64_t> ids;
      for (const auto& [id, a] : g.customers) ids.push_back(id);
      tally::sdk::drilldown_row(ctx, "by_" + dim, group, tally::sdk::records_with_ids(ctx, "accounts", ids));
      t.row({group, static_cast<int64_t>(g.customers.size()),
             tally::sdk::ratio(conversations, customers * s.months), static_cast<int64_t>(logins),
             static_cast<int64_t>(users),
             tally::sdk::ratio(g.sum([](const Account& a) { return a.session_minutes; }), logins),
             tally::sdk::ratio(tickets, users), tally::sdk::ratio(tickets, customers)});
    }
  }

  static void account_table(Context& ctx, const Snapshot& s, const std::string& rank_by, size_t top_n) {
    std::vector<const Account*> sorted;
    std::map<const Account*, int64_t> id_of;
    for (const auto& [id, a] : s.customers) {
      sorted.push_back(&a);
      id_of[&a] = id;
    }
    std::stable_sort(sorted.begin(), sorted.end(), [&](const Account* a, const Account* b) {
      return sort_key(*a, rank_by) > sort_key(*b, rank_by);
    });
    if (sorted.size() > top_n) sorted.resize(top_n);
    auto t = ctx.table("by_account", "Customer health by account (top by " + rank_by + ")");
    t.column("account", Unit::Text)
        .column("conversations", Unit::Count)
        .column("conversations_per_month", Unit::Number)
        .column("logins", Unit::Count)
        .column("active_users", Unit::Count)
        .column("mean_session_minutes", Unit::Minutes)
        .column("tickets", Unit::Count)
        .column("tickets_per_user", Unit::Number);
    t.chart(Chart::Bar, "account", rank_by);
    for (const Account* a : sorted) {
      t.row({a->name, a->conversations, tally::sdk::ratio(static_cast<double>(a->conversations), s.months),
             a->logins, a->active_users, a->mean_session(), a->tickets, a->tickets_per_user()});
      // The row's conversations (its first count).
      auto conversations = ctx.query("activities");
      conversations.where("type in ('conversation', 'call', 'meeting') and in_period(occurred_at)")
          .where("account_id = :account")
          .bind("account", Value{id_of[a]});
      tally::sdk::drilldown_row(ctx, "by_account", a->name, conversations);
    }
  }
};

}  // namespace

TALLY_METRIC(AccountHealth)

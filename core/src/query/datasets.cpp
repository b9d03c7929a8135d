// The datasets plugins query: one per canonical table, each with its own
// columns, related columns reached through LEFT JOINs, and what each standard
// dimension means for it. docs/query-language.md documents this file; keep
// them in step. (Over 400 lines: it is mostly the list itself, a table of
// data that reads best whole.)
#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "query/internal.hpp"

namespace tally::query::detail {

namespace {

// Builds one DatasetDef; the helpers add the joins behind the usual
// dimensions so every dataset spells them the same way.
class DatasetMaker {
 public:
  DatasetMaker(std::string name, std::string table, std::string description, const std::string& own_columns) {
    def_.name = std::move(name);
    def_.table = std::move(table);
    def_.from = def_.table;
    def_.description = std::move(description);
    std::istringstream words(own_columns);
    std::string column;
    while (words >> column) def_.columns.push_back({column, "t." + column, {}});
  }

  // A LEFT JOIN of `table` as `alias` on `alias.key = on`; `on` may use
  // another join, named in `depends`.
  DatasetMaker& join(const std::string& alias, const std::string& table, const std::string& key,
                     const std::string& on, std::vector<std::string> depends = {}) {
    def_.joins.push_back({alias, table, key, on, JoinKind::Left, std::move(depends)});
    return *this;
  }

  DatasetMaker& column(const std::string& name, const std::string& sql, std::vector<std::string> joins = {}) {
    def_.columns.push_back({name, sql, std::move(joins)});
    return *this;
  }

  // An own column whose name a dimension takes (with another meaning) stays
  // reachable under `new_name`.
  DatasetMaker& rename(const std::string& own, const std::string& new_name) {
    for (auto& c : def_.columns)
      if (c.name == own) c.name = new_name;
    return *this;
  }

  // An own column whose value the dataset completes from elsewhere.
  DatasetMaker& redefine(const std::string& own, const std::string& sql, std::vector<std::string> joins) {
    for (auto& c : def_.columns)
      if (c.name == own) c.sql = sql, c.joins = std::move(joins);
    return *this;
  }

  // Reads `t` from a query (its tables written {name}) instead of the table itself.
  DatasetMaker& from(const std::string& sql) {
    def_.from = sql;
    return *this;
  }

  // The same rows as from(), spelled for PostgreSQL's planner (DatasetDef::from_postgres).
  DatasetMaker& from_postgres(const std::string& sql) {
    def_.from_postgres = sql;
    return *this;
  }

  DatasetMaker& dimension(const std::string& name, const std::string& sql,
                          std::vector<std::string> joins = {}) {
    def_.dimensions.push_back({name, sql, std::move(joins)});
    return *this;
  }

  // rep, team, manager and region of the rep joined as `rep` (which must
  // already be joined).
  DatasetMaker& rep_dimensions(const std::string& rep) {
    join(rep + "_team", "teams", "id", rep + ".team_id", {rep});
    join(rep + "_manager", "reps", "id", rep + ".manager_id", {rep});
    dimension("rep", rep + ".name", {rep});
    dimension("team", rep + "_team.name", {rep + "_team"});
    dimension("manager", rep + "_manager.name", {rep + "_manager"});
    dimension("region", rep + ".region", {rep});
    return *this;
  }

  // segment and industry of the account joined as `account`.
  DatasetMaker& account_dimensions(const std::string& account) {
    dimension("segment", account + ".segment", {account});
    dimension("industry", account + ".industry", {account});
    return *this;
  }

  DatasetDef done() {
    // Joins are emitted in definition order, so a join must follow the ones it uses.
    for (size_t i = 0; i < def_.joins.size(); ++i)
      for (const auto& dep : def_.joins[i].depends)
        if (std::none_of(def_.joins.begin(), def_.joins.begin() + static_cast<std::ptrdiff_t>(i),
                         [&](const JoinDef& j) { return j.alias == dep; }))
          throw std::logic_error("dataset " + def_.name + ": join " + def_.joins[i].alias + " needs " + dep +
                                 " first");
    // Standard dimension order, so messages and docs list them alike.
    const auto& order = standard_dimensions();
    std::stable_sort(def_.dimensions.begin(), def_.dimensions.end(),
                     [&](const ColumnDef& a, const ColumnDef& b) {
                       return std::find(order.begin(), order.end(), a.name) <
                              std::find(order.begin(), order.end(), b.name);
                     });
    return std::move(def_);
  }

 private:
  DatasetDef def_;
};

// The lead-to-deal link counts from either side: leads.opportunity_id or
// opportunities.lead_id. A lead's own opportunity_id wins when both are set
// and disagree; when several deals name one lead, the first (lowest id) is
// its deal. Aggregated once per query (one scan), not looked up per row.
constexpr const char* kDealOfLead =
    "(SELECT lead_id, min(id) AS id FROM {opportunities} WHERE lead_id IS NOT NULL GROUP BY lead_id)";
constexpr const char* kLeadDeal = "coalesce(t.opportunity_id, j_deal_of_lead.id)";
constexpr const char* kLeadOfDeal =
    "(SELECT opportunity_id, min(id) AS id FROM {leads} WHERE opportunity_id IS NOT NULL GROUP BY "
    "opportunity_id)";

// Subscription events, completed from the subscriptions that have none (a
// customer snapshot): its start is a `new` event with +mrr, its end a `churn`
// event with -mrr. Real events win, per subscription. Derived rows have
// negative ids and derived = 1 (docs/data-model.md). Every branch names its
// columns, and reads the subscriptions under names no alias takes: ClickHouse
// matches a UNION's columns by name once it drops the unused ones, and lets
// an alias shadow a column of the same name.
// With `not_exists`, "has no events" is a correlated NOT EXISTS, which
// PostgreSQL plans as a hash anti-join built once (NOT IN is a hashed subplan
// each parallel worker builds again: about 2x slower at scale 100). Same
// rows: s_id is the primary key (never NULL) and the NOT IN subquery skips
// NULL subscription ids, so neither form meets a NULL. SQLite and ClickHouse
// keep NOT IN (no index on subscription_id for a correlated lookup; ClickHouse
// has no correlated subqueries).
std::string subscription_events_query(bool not_exists) {
  const std::string subscriptions =
      " FROM (SELECT id AS s_id, account_id AS s_account_id, started_at AS s_started_at, ended_at AS "
      "s_ended_at, "
      "mrr AS s_mrr FROM {subscriptions}) AS s";
  const std::string without_events =
      not_exists
          ? " AND NOT EXISTS (SELECT 1 FROM {subscription_events} AS x WHERE x.subscription_id = s.s_id)"
          : " AND s.s_id NOT IN (SELECT subscription_id FROM {subscription_events} WHERE subscription_id "
            "IS NOT NULL)";
  auto derived = [&](const std::string& id, const std::string& type, const std::string& at,
                     const std::string& mrr) {
    return " UNION ALL SELECT " + id +
           " AS id, NULL AS external_id, s.s_id AS subscription_id, s.s_account_id AS " + "account_id, '" +
           type + "' AS type, " + at + " AS occurred_at, " + mrr +
           " AS mrr_delta, NULL AS reason, 1 AS derived" + subscriptions + " WHERE " + at + " IS NOT NULL" +
           without_events;
  };
  return "(SELECT e.id, e.external_id, e.subscription_id, e.account_id, e.type, e.occurred_at, e.mrr_delta, "
         "e.reason, 0 AS derived FROM {subscription_events} AS e" +
         derived("-2 * s.s_id", "new", "s.s_started_at", "s.s_mrr") +
         derived("-2 * s.s_id - 1", "churn", "s.s_ended_at", "-s.s_mrr") + ")";
}

std::vector<DatasetDef> build_datasets() {
  std::vector<DatasetDef> all;

  all.push_back(
      DatasetMaker(
          "opportunities", "opportunities", "Deals: one row per opportunity, open or closed.",
          "id external_id name account_id owner_id lead_id product_id amount currency type source stage "
          "probability forecast_category status created_at expected_close_at closed_at loss_reason "
          "competitor")
          .join("j_owner", "reps", "id", "t.owner_id")
          .join("j_account", "accounts", "id", "t.account_id")
          .join("j_product", "products", "id", "t.product_id")
          .join("j_stage", "stages", "name", "t.stage")
          .join("j_lead_of_deal", kLeadOfDeal, "opportunity_id", "t.id")
          .redefine("lead_id", "coalesce(t.lead_id, j_lead_of_deal.id)", {"j_lead_of_deal"})
          .column("account_name", "j_account.name", {"j_account"})
          .column("account_country", "j_account.country", {"j_account"})
          .column("account_employees", "j_account.employees", {"j_account"})
          .column("stage_position", "j_stage.position", {"j_stage"})
          .column("stage_probability", "j_stage.probability", {"j_stage"})
          .column("stage_is_closed", "j_stage.is_closed", {"j_stage"})
          .column("stage_is_won", "j_stage.is_won", {"j_stage"})
          .column("effective_probability", "coalesce(t.probability, j_stage.probability)", {"j_stage"})
          .column("owner_hired_at", "j_owner.hired_at", {"j_owner"})
          .column("product_family", "j_product.family", {"j_product"})
          .rep_dimensions("j_owner")
          .account_dimensions("j_account")
          .dimension("source", "t.source")
          .dimension("product", "j_product.name", {"j_product"})
          .done());

  all.push_back(
      DatasetMaker("stage_history", "stage_history",
                   "Every stage an opportunity entered: one row per (opportunity, stage entered).",
                   "id opportunity_id stage entered_at exited_at")
          .join("j_stage", "stages", "name", "t.stage")
          .join("j_opportunity", "opportunities", "id", "t.opportunity_id")
          .join("j_owner", "reps", "id", "j_opportunity.owner_id", {"j_opportunity"})
          .join("j_account", "accounts", "id", "j_opportunity.account_id", {"j_opportunity"})
          .join("j_product", "products", "id", "j_opportunity.product_id", {"j_opportunity"})
          .join("j_opportunity_stage", "stages", "name", "j_opportunity.stage", {"j_opportunity"})
          .column("stage_position", "j_stage.position", {"j_stage"})
          .column("stage_probability", "j_stage.probability", {"j_stage"})
          .column("stage_is_closed", "j_stage.is_closed", {"j_stage"})
          .column("stage_is_won", "j_stage.is_won", {"j_stage"})
          .column("opportunity_status", "j_opportunity.status", {"j_opportunity"})
          .column("opportunity_amount", "j_opportunity.amount", {"j_opportunity"})
          .column("opportunity_created_at", "j_opportunity.created_at", {"j_opportunity"})
          .column("opportunity_closed_at", "j_opportunity.closed_at", {"j_opportunity"})
          .column("opportunity_expected_close_at", "j_opportunity.expected_close_at", {"j_opportunity"})
          .column("opportunity_stage", "j_opportunity.stage", {"j_opportunity"})
          .column("opportunity_type", "j_opportunity.type", {"j_opportunity"})
          .column("opportunity_loss_reason", "j_opportunity.loss_reason", {"j_opportunity"})
          .column("opportunity_competitor", "j_opportunity.competitor", {"j_opportunity"})
          .column("opportunity_owner_id", "j_opportunity.owner_id", {"j_opportunity"})
          .column("opportunity_probability", "j_opportunity.probability", {"j_opportunity"})
          .column("opportunity_forecast_category", "j_opportunity.forecast_category", {"j_opportunity"})
          .column("opportunity_effective_probability",
                  "coalesce(j_opportunity.probability, j_opportunity_stage.probability)",
                  {"j_opportunity", "j_opportunity_stage"})
          .rep_dimensions("j_owner")
          .account_dimensions("j_account")
          .dimension("source", "j_opportunity.source", {"j_opportunity"})
          .dimension("product", "j_product.name", {"j_product"})
          .done());

  all.push_back(
      DatasetMaker("leads", "leads", "Leads and their funnel timestamps: one row per lead.",
                   "id external_id owner_id contact_id account_id source title industry employees country "
                   "region created_at first_response_at mql_at sal_at sql_at converted_at disqualified_at "
                   "opportunity_id")
          .rename("region", "lead_region")
          .join("j_owner", "reps", "id", "t.owner_id")
          .join("j_account", "accounts", "id", "t.account_id")
          .join("j_deal_of_lead", kDealOfLead, "lead_id", "t.id")
          .redefine("opportunity_id", kLeadDeal, {"j_deal_of_lead"})
          .join("j_opportunity", "opportunities", "id", kLeadDeal, {"j_deal_of_lead"})
          .column("account_name", "j_account.name", {"j_account"})
          .column("opportunity_status", "j_opportunity.status", {"j_opportunity"})
          .column("opportunity_amount", "j_opportunity.amount", {"j_opportunity"})
          .column("opportunity_closed_at", "j_opportunity.closed_at", {"j_opportunity"})
          .column("opportunity_created_at", "j_opportunity.created_at", {"j_opportunity"})
          .rep_dimensions("j_owner")
          .dimension("segment", "j_account.segment", {"j_account"})
          .dimension("industry", "t.industry")
          .dimension("source", "t.source")
          .done());

  all.push_back(
      DatasetMaker("activities", "activities",
                   "Rep activities (calls, emails, meetings, demos, ...): one row per activity.",
                   "id external_id rep_id type occurred_at duration_minutes lead_id opportunity_id "
                   "account_id contact_id outcome assisting_rep_id")
          .join("j_rep", "reps", "id", "t.rep_id")
          .join("j_account", "accounts", "id", "t.account_id")
          .join("j_opportunity", "opportunities", "id", "t.opportunity_id")
          .join("j_opportunity_product", "products", "id", "j_opportunity.product_id", {"j_opportunity"})
          .join("j_assisting_rep", "reps", "id", "t.assisting_rep_id")
          .column("opportunity_status", "j_opportunity.status", {"j_opportunity"})
          .column("opportunity_amount", "j_opportunity.amount", {"j_opportunity"})
          .column("opportunity_created_at", "j_opportunity.created_at", {"j_opportunity"})
          .column("opportunity_closed_at", "j_opportunity.closed_at", {"j_opportunity"})
          .column("account_name", "j_account.name", {"j_account"})
          .column("assisting_rep_name", "j_assisting_rep.name", {"j_assisting_rep"})
          .rep_dimensions("j_rep")
          .account_dimensions("j_account")
          .dimension("source", "j_opportunity.source", {"j_opportunity"})
          .dimension("product", "j_opportunity_product.name", {"j_opportunity_product"})
          .done());

  all.push_back(DatasetMaker("collateral_usage", "collateral_usage",
                             "Each time a rep used a content item on an opportunity.",
                             "id collateral_id rep_id opportunity_id used_at")
                    .join("j_collateral", "collateral", "id", "t.collateral_id")
                    .join("j_rep", "reps", "id", "t.rep_id")
                    .join("j_opportunity", "opportunities", "id", "t.opportunity_id")
                    .join("j_account", "accounts", "id", "j_opportunity.account_id", {"j_opportunity"})
                    .join("j_product", "products", "id", "j_opportunity.product_id", {"j_opportunity"})
                    .column("collateral_name", "j_collateral.name", {"j_collateral"})
                    .column("collateral_type", "j_collateral.type", {"j_collateral"})
                    .column("opportunity_status", "j_opportunity.status", {"j_opportunity"})
                    .column("opportunity_closed_at", "j_opportunity.closed_at", {"j_opportunity"})
                    .column("opportunity_amount", "j_opportunity.amount", {"j_opportunity"})
                    .column("opportunity_type", "j_opportunity.type", {"j_opportunity"})
                    .rep_dimensions("j_rep")
                    .account_dimensions("j_account")
                    .dimension("source", "j_opportunity.source", {"j_opportunity"})
                    .dimension("product", "j_product.name", {"j_product"})
                    .done());

  all.push_back(DatasetMaker("collateral", "collateral", "Content items reps can use: one row per item.",
                             "id external_id name type created_at")
                    .done());

  all.push_back(DatasetMaker("subscriptions", "subscriptions",
                             "Recurring-revenue subscriptions: one row each.",
                             "id external_id account_id product_id started_at ended_at mrr")
                    .join("j_account", "accounts", "id", "t.account_id")
                    .join("j_owner", "reps", "id", "j_account.owner_id", {"j_account"})
                    .join("j_product", "products", "id", "t.product_id")
                    .column("account_name", "j_account.name", {"j_account"})
                    .column("account_created_at", "j_account.created_at", {"j_account"})
                    .rep_dimensions("j_owner")
                    .account_dimensions("j_account")
                    .dimension("product", "j_product.name", {"j_product"})
                    .done());

  all.push_back(
      DatasetMaker("subscription_events", "subscription_events",
                   "Changes of recurring revenue: new, expansion, contraction, churn, reactivation.",
                   "id external_id subscription_id account_id type occurred_at mrr_delta reason derived")
          .from(subscription_events_query(false))
          .from_postgres(subscription_events_query(true))
          .join("j_subscription", "subscriptions", "id", "t.subscription_id")
          .join("j_account", "accounts", "id", "t.account_id")
          .join("j_owner", "reps", "id", "j_account.owner_id", {"j_account"})
          .join("j_product", "products", "id", "j_subscription.product_id", {"j_subscription"})
          .column("account_name", "j_account.name", {"j_account"})
          .column("account_created_at", "j_account.created_at", {"j_account"})
          .column("subscription_started_at", "j_subscription.started_at", {"j_subscription"})
          .column("subscription_ended_at", "j_subscription.ended_at", {"j_subscription"})
          .column("subscription_mrr", "j_subscription.mrr", {"j_subscription"})
          .rep_dimensions("j_owner")
          .account_dimensions("j_account")
          .dimension("product", "j_product.name", {"j_product"})
          .done());

  // Quotas and targets belong to a rep or to a whole team: the team-level
  // dimensions fall back to the row's own team.
  for (const auto& [name, own, description] :
       {std::tuple{"quotas", "id rep_id team_id period_start period_end amount",
                   "Quotas per rep or team and period."},
        std::tuple{"targets", "id kpi rep_id team_id period_start period_end value",
                   "KPI targets per rep or team and period."}}) {
    all.push_back(DatasetMaker(name, name, description, own)
                      .join("j_rep", "reps", "id", "t.rep_id")
                      .join("j_rep_team", "teams", "id", "j_rep.team_id", {"j_rep"})
                      .join("j_rep_manager", "reps", "id", "j_rep.manager_id", {"j_rep"})
                      .join("j_team", "teams", "id", "t.team_id")
                      .join("j_team_manager", "reps", "id", "j_team.manager_id", {"j_team"})
                      .dimension("rep", "j_rep.name", {"j_rep"})
                      .dimension("team", "coalesce(j_rep_team.name, j_team.name)", {"j_rep_team", "j_team"})
                      .dimension("manager", "coalesce(j_rep_manager.name, j_team_manager.name)",
                                 {"j_rep_manager", "j_team_manager"})
                      .dimension("region", "coalesce(j_rep.region, j_team.region)", {"j_rep", "j_team"})
                      .done());
  }

  all.push_back(DatasetMaker("time_entries", "time_entries",
                             "Rep time by category: one row per rep, day, category.",
                             "id rep_id day category minutes")
                    .join("j_rep", "reps", "id", "t.rep_id")
                    .rep_dimensions("j_rep")
                    .done());

  for (const auto& [name, own, description] :
       {std::tuple{"product_usage", "id account_id user_id day logins session_minutes",
                   "Product usage per user and day: logins and session minutes."},
        std::tuple{"support_tickets", "id external_id account_id user_id opened_at closed_at priority",
                   "Support tickets: one row per ticket."}}) {
    all.push_back(DatasetMaker(name, name, description, own)
                      .join("j_account", "accounts", "id", "t.account_id")
                      .join("j_owner", "reps", "id", "j_account.owner_id", {"j_account"})
                      .column("account_name", "j_account.name", {"j_account"})
                      .rep_dimensions("j_owner")
                      .account_dimensions("j_account")
                      .done());
  }

  all.push_back(
      DatasetMaker("accounts", "accounts", "Customers and prospects: one row per account.",
                   "id external_id name industry employees annual_revenue country region segment owner_id "
                   "parent_id created_at")
          .rename("region", "account_region")
          .join("j_owner", "reps", "id", "t.owner_id")
          .rep_dimensions("j_owner")
          .dimension("segment", "t.segment")
          .dimension("industry", "t.industry")
          .done());

  all.push_back(DatasetMaker("contacts", "contacts", "People at accounts: one row per contact.",
                             "id external_id account_id name title email")
                    .join("j_account", "accounts", "id", "t.account_id")
                    .join("j_owner", "reps", "id", "j_account.owner_id", {"j_account"})
                    .column("account_name", "j_account.name", {"j_account"})
                    .rep_dimensions("j_owner")
                    .account_dimensions("j_account")
                    .done());

  all.push_back(
      DatasetMaker("reps", "reps", "Sales people: one row per rep.",
                   "id external_id name email team_id manager_id region territory role hired_at left_at")
          .join("j_team", "teams", "id", "t.team_id")
          .join("j_manager", "reps", "id", "t.manager_id")
          .dimension("rep", "t.name")
          .dimension("team", "j_team.name", {"j_team"})
          .dimension("manager", "j_manager.name", {"j_manager"})
          .dimension("region", "t.region")
          .done());

  all.push_back(DatasetMaker("teams", "teams", "Sales teams: one row per team.",
                             "id external_id name region manager_id")
                    .join("j_manager", "reps", "id", "t.manager_id")
                    .dimension("team", "t.name")
                    .dimension("manager", "j_manager.name", {"j_manager"})
                    .dimension("region", "t.region")
                    .done());

  all.push_back(DatasetMaker("products", "products", "Products sold: one row per product.",
                             "id external_id name family list_price")
                    .dimension("product", "t.name")
                    .done());

  all.push_back(
      DatasetMaker("imports", "imports",
                   "One row per `tally import`: files, tables fed (JSON arrays), row counts.",
                   "id started_at finished_at files tables mapping_sha256 rows_read inserted updated "
                   "rejected warnings")
          .done());

  all.push_back(DatasetMaker("stages", "stages", "The pipeline's ordered stages: one row per stage.",
                             "id name position probability is_closed is_won")
                    .done());
  return all;
}

}  // namespace

const std::vector<std::string>& standard_dimensions() {
  static const std::vector<std::string> names = {"rep",     "team",     "manager", "region",
                                                 "segment", "industry", "source",  "product"};
  return names;
}

const std::vector<DatasetDef>& dataset_definitions() {
  static const std::vector<DatasetDef> all = build_datasets();
  return all;
}

const DatasetDef* find_dataset(std::string_view name) {
  for (const auto& d : dataset_definitions())
    if (d.name == name) return &d;
  return nullptr;
}

const ColumnDef* DatasetDef::find_column(std::string_view wanted) const {
  for (const auto& c : columns)
    if (c.name == wanted) return &c;
  return nullptr;
}

const ColumnDef* DatasetDef::find_dimension(std::string_view wanted) const {
  for (const auto& d : dimensions)
    if (d.name == wanted) return &d;
  return nullptr;
}

const JoinDef* DatasetDef::find_join(std::string_view wanted) const {
  for (const auto& j : joins)
    if (j.alias == wanted) return &j;
  return nullptr;
}

}  // namespace tally::query::detail

namespace tally::query {

const std::vector<DatasetInfo>& datasets() {
  static const std::vector<DatasetInfo> infos = [] {
    std::vector<DatasetInfo> out;
    for (const auto& d : detail::dataset_definitions()) {
      DatasetInfo info{d.name, d.table, d.description, {}, {}};
      for (const auto& c : d.columns) info.columns.push_back(c.name);
      for (const auto& dim : d.dimensions) info.dimensions.push_back(dim.name);
      out.push_back(std::move(info));
    }
    return out;
  }();
  return infos;
}

}  // namespace tally::query

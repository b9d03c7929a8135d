#include "import/field_reference.hpp"

#include <map>
#include <sstream>

#include "config/detail.hpp"
#include "import/mapping.hpp"

namespace tally::import {

namespace {

// What each importable field means. The list of fields, their types and
// whether they are required come from the schema; a test fails when a
// field of an importable table has no meaning here.
const std::map<std::string, std::string>& meanings() {
  static const std::map<std::string, std::string> all = {
      {"*.external_id",
       "the row's id in the CRM (the entry's `id:`, stored as `namespace:id`); re-imports update by it"},
      {"teams.name", "the team's name"},
      {"teams.region", "the team's region"},
      {"teams.manager_id", "the rep who manages the team"},
      {"reps.name", "the rep's name"},
      {"reps.email", "the rep's email address"},
      {"reps.team_id", "the rep's team"},
      {"reps.manager_id", "the rep's manager (a rep)"},
      {"reps.region", "the rep's region"},
      {"reps.territory", "the rep's territory"},
      {"reps.role", "what the rep does"},
      {"reps.hired_at", "when the rep started"},
      {"reps.left_at", "when the rep left (empty while employed)"},
      {"accounts.name", "the company's name"},
      {"accounts.industry", "the company's industry or sector"},
      {"accounts.employees", "head count"},
      {"accounts.annual_revenue", "yearly revenue"},
      {"accounts.country", "country"},
      {"accounts.region", "region"},
      {"accounts.segment", "size segment (often from employees with `bands:`)"},
      {"accounts.owner_id", "the rep who owns the account"},
      {"accounts.parent_id", "the parent company (an account)"},
      {"accounts.created_at", "when the account was created in the CRM"},
      {"contacts.account_id", "the contact's company"},
      {"contacts.name", "the person's name"},
      {"contacts.title", "job title"},
      {"contacts.email", "email address"},
      {"products.name", "the product's name (unique)"},
      {"products.family", "product line or series"},
      {"products.list_price", "list price"},
      {"leads.owner_id", "the rep working the lead"},
      {"leads.contact_id", "the person (a contact)"},
      {"leads.account_id", "the person's company (an account)"},
      {"leads.source", "where the lead came from (web, event, referral, ...)"},
      {"leads.title", "the contact's job title"},
      {"leads.industry", "the lead's industry"},
      {"leads.employees", "the lead company's head count"},
      {"leads.country", "country"},
      {"leads.region", "region"},
      {"leads.created_at", "first contact: when the lead entered the funnel"},
      {"leads.first_response_at", "when a rep first responded (response time starts at created_at)"},
      {"leads.mql_at", "when the lead became marketing-qualified"},
      {"leads.sal_at", "when sales accepted the lead"},
      {"leads.sql_at", "when the lead became sales-qualified"},
      {"leads.converted_at", "when the lead became an opportunity (empty = not converted)"},
      {"leads.disqualified_at", "when the lead was disqualified"},
      {"leads.opportunity_id", "the deal the lead became (or fill opportunities.lead_id instead)"},
      {"opportunities.name", "the deal's name"},
      {"opportunities.account_id", "the customer (an account)"},
      {"opportunities.owner_id", "the rep who owns the deal"},
      {"opportunities.lead_id", "the lead the deal came from (or fill leads.opportunity_id instead)"},
      {"opportunities.product_id", "the product sold"},
      {"opportunities.amount", "the deal's value; empty = unknown (not 0)"},
      {"opportunities.currency", "ISO currency code of the amount"},
      {"opportunities.type", "kind of deal"},
      {"opportunities.source", "where the deal came from"},
      {"opportunities.stage", "current stage: one of the mapping's `stages:` or the store's"},
      {"opportunities.probability", "the deal's own win probability, 0..1 (empty = the stage's)"},
      {"opportunities.forecast_category", "forecast category"},
      {"opportunities.status", "open, won or lost (`derive: stage_status` gives it from the stage)"},
      {"opportunities.created_at", "when the deal was created"},
      {"opportunities.expected_close_at", "when an open deal is expected to close"},
      {"opportunities.closed_at", "when the deal was won or lost (empty while open)"},
      {"opportunities.loss_reason", "why a lost deal was lost"},
      {"opportunities.competitor", "the competitor involved"},
      {"activities.rep_id", "the rep who did it"},
      {"activities.type", "kind of activity"},
      {"activities.occurred_at", "when it happened"},
      {"activities.duration_minutes", "how long it took, in minutes"},
      {"activities.lead_id", "the lead it was about"},
      {"activities.opportunity_id", "the deal it was about"},
      {"activities.account_id", "the account it was about"},
      {"activities.contact_id", "the person it was with"},
      {"activities.outcome", "its outcome, in the CRM's words"},
      {"activities.assisting_rep_id", "a second rep who helped"},
      {"collateral.name", "the item's name"},
      {"collateral.type", "kind of item (case study, deck, ...)"},
      {"collateral.created_at", "when it was published"},
      {"subscriptions.account_id", "the customer"},
      {"subscriptions.product_id", "the plan or product"},
      {"subscriptions.started_at", "when it started (`minus: {months: tenure}` gives it from a tenure)"},
      {"subscriptions.ended_at", "when it ended (empty while active)"},
      {"subscriptions.mrr", "current monthly recurring revenue"},
      {"subscription_events.subscription_id", "the subscription that changed"},
      {"subscription_events.account_id", "the customer"},
      {"subscription_events.type", "what happened (new, expansion, contraction, churn, reactivation)"},
      {"subscription_events.occurred_at", "when it happened"},
      {"subscription_events.mrr_delta", "signed change of MRR (a churn is negative: `scale: -1`)"},
      {"subscription_events.reason", "why, in the CRM's words"},
      {"support_tickets.account_id", "the customer"},
      {"support_tickets.user_id", "the customer's user who opened it"},
      {"support_tickets.opened_at", "when it was opened"},
      {"support_tickets.closed_at", "when it was closed (empty while open)"},
      {"support_tickets.priority", "priority, in the CRM's words"},
  };
  return all;
}

std::string type_of(const TableInfo& table, const ColumnInfo& c) {
  if (c.name == "external_id") return "text";
  if (c.name.ends_with("_at")) return "date/datetime";
  if (c.type == "INTEGER" && c.name.ends_with("_id")) {
    // The referenced table, from the column's name (owner_id, manager_id: reps).
    std::string target = c.name.substr(0, c.name.size() - 3);
    if (target == "owner" || target == "manager" || target == "rep" || target == "assisting_rep")
      target = "rep";
    if (target == "parent") target = table.name == "accounts" ? "account" : target;
    return "id of a " + target + " row (`lookup:`)";
  }
  if (c.type == "REAL")
    return c.name == "amount" || c.name == "list_price" || c.name == "annual_revenue" || c.name == "mrr" ||
                   c.name == "mrr_delta"
               ? "money"
               : "number";
  if (c.type == "INTEGER") return "int";
  if (auto* vocabulary = field_vocabulary(table.name, c.name))
    return tally::detail::join(*vocabulary, " \\| ");
  return "text";
}

std::string required_of(const ColumnInfo& c) {
  if (c.name == "external_id") return "yes (`id:`)";
  if (c.not_null && !c.default_value) return "yes";
  if (c.not_null) return "no (default `" + *c.default_value + "`)";
  return "no";
}

}  // namespace

std::string field_meaning(const std::string& table, const std::string& column) {
  const auto& all = meanings();
  if (auto it = all.find(table + "." + column); it != all.end()) return it->second;
  if (auto it = all.find("*." + column); it != all.end()) return it->second;
  return "";
}

std::string field_reference_markdown() {
  std::ostringstream out;
  for (const auto& name : importable_tables()) {
    const TableInfo& table = schema_tables().at(name);
    out << "#### " << name << "\n\n| field | type | required | meaning |\n|---|---|---|---|\n";
    for (const auto& c : table.columns) {
      if (c.name == "id") continue;
      out << "| `" << c.name << "` | " << type_of(table, c) << " | " << required_of(c) << " | "
          << field_meaning(name, c.name) << " |\n";
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace tally::import

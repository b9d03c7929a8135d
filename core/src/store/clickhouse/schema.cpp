// The ClickHouse layout of the store schema at its latest version (store/schema.cpp
// is the reference; keep them in step). ClickHouse stores are written whole by
// `tally demo`, so there is no migration history here: schema_version holds the
// latest version.
#include "store/clickhouse/schema.hpp"

#include <sstream>

namespace tally::store::clickhouse {

namespace {

// "name:T" words; "name:T=default" for a column with a default.
Table table(std::string name, const std::string& columns, std::string shard_key = "") {
  Table t{std::move(name), {}, std::move(shard_key)};
  std::istringstream words(columns);
  std::string word;
  while (words >> word) {
    const size_t colon = word.find(':');
    const size_t eq = word.find('=');
    t.columns.push_back(
        {word.substr(0, colon), word[colon + 1], eq == std::string::npos ? "" : word.substr(eq + 1)});
  }
  return t;
}

}  // namespace

const std::vector<Table>& tables() {
  static const std::vector<Table> all = {
      table("teams", "id:I external_id:S name:S region:S manager_id:I"),
      table("reps",
            "id:I external_id:S name:S email:S team_id:I manager_id:I region:S territory:S role:S='rep' "
            "hired_at:S "
            "left_at:S"),
      table("accounts",
            "id:I external_id:S name:S industry:S employees:I annual_revenue:F country:S region:S segment:S "
            "owner_id:I parent_id:I created_at:S"),
      table("contacts", "id:I external_id:S account_id:I name:S title:S email:S"),
      table("products", "id:I external_id:S name:S family:S list_price:F"),
      table("stages", "id:I name:S position:I probability:F=0 is_closed:I=0 is_won:I=0"),
      table("leads",
            "id:I external_id:S owner_id:I contact_id:I account_id:I source:S title:S industry:S employees:I "
            "country:S region:S created_at:S first_response_at:S mql_at:S sal_at:S sql_at:S converted_at:S "
            "disqualified_at:S opportunity_id:I"),
      table("opportunities",
            "id:I external_id:S name:S account_id:I owner_id:I lead_id:I product_id:I amount:F "
            "currency:S='USD' "
            "type:S='new_business' source:S stage:S probability:F forecast_category:S status:S='open' "
            "created_at:S "
            "expected_close_at:S closed_at:S loss_reason:S competitor:S",
            "id"),
      table("stage_history", "id:I opportunity_id:I stage:S entered_at:S exited_at:S", "opportunity_id"),
      table("activities",
            "id:I external_id:S rep_id:I type:S occurred_at:S duration_minutes:F lead_id:I opportunity_id:I "
            "account_id:I contact_id:I outcome:S assisting_rep_id:I",
            "opportunity_id"),
      table("collateral", "id:I external_id:S name:S type:S created_at:S"),
      table("collateral_usage", "id:I collateral_id:I rep_id:I opportunity_id:I used_at:S", "opportunity_id"),
      table("subscriptions", "id:I external_id:S account_id:I product_id:I started_at:S ended_at:S mrr:F=0"),
      table("subscription_events",
            "id:I subscription_id:I account_id:I type:S occurred_at:S mrr_delta:F reason:S external_id:S"),
      table("quotas", "id:I rep_id:I team_id:I period_start:S period_end:S amount:F"),
      table("targets", "id:I kpi:S rep_id:I team_id:I period_start:S period_end:S value:F"),
      table("time_entries", "id:I rep_id:I day:S category:S minutes:F"),
      table("product_usage", "id:I account_id:I user_id:S day:S logins:I=0 session_minutes:F=0", "id"),
      table("support_tickets", "id:I external_id:S account_id:I user_id:S opened_at:S closed_at:S priority:S",
            "id"),
      table("metadata", "key:S value:S"),
      table("imports",
            "id:I started_at:S finished_at:S files:S tables:S mapping_sha256:S rows_read:I inserted:I "
            "updated:I "
            "rejected:I warnings:I=0"),
  };
  return all;
}

const Table* find_table(const std::string& name) {
  for (const auto& t : tables())
    if (t.name == name) return &t;
  return nullptr;
}

query::ShardLayout shard_layout() {
  query::ShardLayout layout;
  for (const auto& t : tables())
    if (!t.shard_key.empty()) layout[t.name] = {t.shard_key, home_of(t)};
  return layout;
}

std::string stored_epoch_column(const std::string& column) {
  return column + "_epoch Nullable(Int64) MATERIALIZED " + query::clickhouse_exact_epoch_seconds(column);
}

std::string create_statement(const Table& table, const std::string& database, const std::string& as) {
  const std::string order = table.columns.front().name;  // id, or metadata's key
  std::string sql = "CREATE TABLE `" + database + "`." + as + " (";
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const Column& c = table.columns[i];
    const std::string type = c.type == 'I' ? "Int64" : c.type == 'F' ? "Float64" : "String";
    sql += (i ? ", " : "") + c.name + " " + (c.name == order ? type : "Nullable(" + type + ")");
    if (!c.fallback.empty()) sql += " DEFAULT " + c.fallback;
  }
  // Computed by the server as rows arrive; INSERTs and SELECT * leave them out.
  for (const auto& [name, column] : query::duration_timestamps())
    if (name == table.name) sql += ", " + stored_epoch_column(column);
  return sql + ") ENGINE = MergeTree ORDER BY " + order;
}

}  // namespace tally::store::clickhouse

// The canonical schema as the importer sees it: the tables and columns the
// migrations build (read from an in-memory database made by them, so they
// cannot drift: store::canonical_tables()), and the vocabularies of the columns that take fixed values.
#include "import/mapping.hpp"
#include "store/schema.hpp"

namespace tally::import {

namespace {

// Value vocabularies of canonical columns (schema.cpp comments).
const std::map<std::string, std::vector<std::string>>& vocabularies() {
  static const std::map<std::string, std::vector<std::string>> all = {
      {"reps.role", {"rep", "manager", "sdr"}},
      {"accounts.segment", {"smb", "mid_market", "enterprise"}},
      {"leads.segment", {"smb", "mid_market", "enterprise"}},
      {"opportunities.type", {"new_business", "renewal", "expansion"}},
      {"opportunities.forecast_category", {"pipeline", "best_case", "commit", "closed", "omitted"}},
      {"opportunities.status", {"open", "won", "lost"}},
      {"subscription_events.type", {"new", "expansion", "contraction", "churn", "reactivation"}},
      {"activities.type",
       {"call", "email", "reply", "conversation", "meeting", "demo", "proposal", "referral_request",
        "social"}},
  };
  return all;
}

}  // namespace

const std::vector<std::string>* field_vocabulary(const std::string& table, const std::string& column) {
  auto it = vocabularies().find(table + "." + column);
  return it == vocabularies().end() ? nullptr : &it->second;
}

const char* value_type_name(ValueType type) {
  switch (type) {
    case ValueType::Text: return "text";
    case ValueType::Int: return "int";
    case ValueType::Number: return "number";
    case ValueType::Money: return "money";
    case ValueType::Percent: return "percent";
    case ValueType::Date: return "date";
    case ValueType::DateTime: return "datetime";
    case ValueType::Bool: return "bool";
  }
  return "text";
}

const ColumnInfo* TableInfo::find(const std::string& column) const {
  for (const auto& c : columns)
    if (c.name == column) return &c;
  return nullptr;
}

const std::map<std::string, TableInfo>& schema_tables() {
  static const std::map<std::string, TableInfo> tables = [] {
    std::map<std::string, TableInfo> out;
    for (const auto& t : store::canonical_tables()) {
      TableInfo info;
      info.name = t.name;
      for (const auto& c : t.columns) info.columns.push_back({c.name, c.type, c.not_null, c.default_value});
      out.emplace(t.name, std::move(info));
    }
    return out;
  }();
  return tables;
}

std::vector<std::string> importable_tables() {
  std::vector<std::string> out;
  for (const auto& [name, t] : schema_tables())
    if (t.has_external_id()) out.push_back(name);
  return out;
}

}  // namespace tally::import

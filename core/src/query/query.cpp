// QueryBuilder: collects a plugin's expressions (parsed and checked as they
// arrive) and compiles them into one engine's SQL with bound parameters.
// (Over 400 lines: the compiler works on the builder's private state, so
// both stay in this one file.)
#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "query/internal.hpp"
#include "util/date.hpp"
#include "util/text.hpp"

namespace tally::query {

using detail::Node;

namespace {

// While compiling, a parameter appears in the SQL text as \x01<id>\x02. The
// final pass turns each mark into the dialect's placeholder. Marks (not
// placeholders) let a dialect reorder or repeat its arguments, and let the
// repeated GROUP BY expression reuse the SELECT's numbered parameters ($1),
// which PostgreSQL needs to see the two expressions as the same.
using detail::kMarkClose;
using detail::kMarkOpen;

struct Expression {
  std::string text;
  Node ast;
};

struct Aliased {
  std::string alias;
  Expression expr;
};

bool valid_identifier(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  if (!(std::islower(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
           c == '_';
  });
}

double as_number(const Value& v, bool& ok) {
  ok = true;
  if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (auto* d = std::get_if<double>(&v)) return *d;
  ok = false;
  return 0;
}

std::vector<std::string> dataset_names() {
  std::vector<std::string> names;
  for (const auto& d : detail::dataset_definitions()) names.push_back(d.name);
  return names;
}

}  // namespace

namespace detail {

// Everything a QueryBuilder has collected (QueryBuilder::Impl is this).
struct QueryState {
  const DatasetDef* dataset = nullptr;
  std::vector<Aliased> groups;
  std::vector<Aliased> selects;
  std::vector<Expression> wheres;
  std::vector<std::pair<std::string, bool>> orders;
  std::optional<int64_t> limit;
  std::map<std::string, Value> binds;
  Which period = Which::Current;

  bool has_alias(const std::string& alias) const {
    auto named = [&](const Aliased& a) { return a.alias == alias; };
    return std::any_of(groups.begin(), groups.end(), named) ||
           std::any_of(selects.begin(), selects.end(), named);
  }

  std::vector<std::string> aliases() const {
    std::vector<std::string> out;
    for (const auto& g : groups) out.push_back(g.alias);
    for (const auto& s : selects) out.push_back(s.alias);
    return out;
  }

  void check_new_alias(const std::string& alias, const char* call) const {
    if (!valid_identifier(alias))
      throw QueryError(std::string(call) + ": alias '" + alias +
                       "' must be a lower-case identifier: a-z, 0-9 and _, not starting with a digit");
    if (has_alias(alias)) throw QueryError(std::string(call) + ": alias '" + alias + "' is already used");
  }

  Expression parse(const std::string& text) const { return {text, parse_expression(text, *dataset)}; }
};

}  // namespace detail

struct QueryBuilder::Impl : detail::QueryState {};

namespace {

class Compiler {
 public:
  Compiler(const detail::SqlDialect& dialect, const Scope& scope, const detail::QueryState& query)
      : dialect_(dialect), scope_(scope), query_(query) {
    if (query.period == Which::Compare) {
      if (!scope.compare_from || !scope.compare_to)
        throw QueryError("the query uses the comparison period, but this run has no comparison period");
      from_ = *scope.compare_from;
      to_ = *scope.compare_to;
    } else {
      from_ = scope.period_from;
      to_ = scope.period_to;
    }
  }

  std::string render(const Expression& e) {
    current_ = &e;
    return render(e.ast);
  }
  // A WHERE condition.
  std::string render_condition(const Expression& e) {
    current_ = &e;
    return render_condition(e.ast);
  }

  std::string bound(Value v) {
    // NULL has no type to send; the literal takes its type from where it stands.
    if (is_null(v)) return "NULL";
    values_.push_back(std::move(v));
    return std::string(1, kMarkOpen) + std::to_string(values_.size() - 1) + kMarkClose;
  }

  void need_joins(const std::vector<std::string>& aliases) {
    for (const auto& alias : aliases) {
      if (!joins_.insert(alias).second) continue;
      if (const auto* join = query_.dataset->find_join(alias)) need_joins(join->depends);
    }
  }

  // The joins used, in the dataset's order (so dependencies come first).
  std::vector<const detail::JoinDef*> used_joins() const {
    std::vector<const detail::JoinDef*> out;
    for (const auto& j : query_.dataset->joins)
      if (joins_.count(j.alias)) out.push_back(&j);
    return out;
  }

  // Replaces parameter marks by placeholders, putting values in placeholder order.
  CompiledQuery finish(const std::string& marked) const {
    CompiledQuery out;
    const bool numbered = dialect_.placeholder(0) != dialect_.placeholder(1);
    std::map<size_t, size_t> number_of;  // mark id -> placeholder index, for numbered placeholders
    out.sql.reserve(marked.size());
    for (size_t i = 0; i < marked.size(); ++i) {
      if (marked[i] != kMarkOpen) {
        out.sql += marked[i];
        continue;
      }
      const size_t close = marked.find(kMarkClose, i);
      const size_t id = std::stoul(marked.substr(i + 1, close - i - 1));
      i = close;
      if (numbered) {
        auto [it, fresh] = number_of.try_emplace(id, out.params.size());
        if (fresh) out.params.push_back(values_[id]);
        out.sql += dialect_.placeholder(it->second);
      } else {
        out.sql += dialect_.placeholder(out.params.size());
        out.params.push_back(values_[id]);
      }
    }
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& problem, size_t offset) const {
    throw QueryError(detail::expression_error(current_ ? current_->text : "", problem, offset));
  }

  const Value& bound_value(const Node& param) const {
    auto it = query_.binds.find(param.text);
    if (it == query_.binds.end())
      fail("parameter ':" + param.text + "' is not bound; call bind(\"" + param.text + "\", value)",
           param.offset);
    return it->second;
  }

  // Truth values and numbers (docs/query-language.md): where a value is
  // expected, a condition is 1 or 0 (true/false are 1 and 0, as in SQLite);
  // where a condition is expected, a value is true when it is not 0. Engines
  // with a boolean type (PostgreSQL) need both conversions spelled out.
  static bool is_condition(const Node& n) {
    using Kind = Node::Kind;
    switch (n.kind) {
      case Kind::Not:
      case Kind::IsNull:
      case Kind::In: return true;
      case Kind::Binary: return n.text != "+" && n.text != "-" && n.text != "*" && n.text != "/";
      case Kind::Call: return n.text == "in_period";
      default: return false;
    }
  }

  std::string render(const Node& n) {
    if (is_condition(n)) return dialect_.condition_as_value(render_node(n));
    return render_node(n);
  }

  std::string render_condition(const Node& n) {
    if (n.kind == Node::Kind::Boolean) return dialect_.boolean(n.flag);
    if (is_condition(n)) return render_node(n);
    return dialect_.value_as_condition(render_node(n));
  }

  // `a = b`: two conditions compare as truth values (`(x > 1) = true`),
  // anything else as values (`is_won = true` is `is_won = 1`).
  std::string render_operand(const Node& n, const Node& other) {
    const bool truth = (is_condition(n) || n.kind == Node::Kind::Boolean) &&
                       (is_condition(other) || other.kind == Node::Kind::Boolean);
    return truth ? render_condition(n) : render(n);
  }

  std::string render_node(const Node& n) {
    using Kind = Node::Kind;
    switch (n.kind) {
      case Kind::Number:
      case Kind::String: return bound(n.value);
      case Kind::Param: return bound(bound_value(n));
      case Kind::Boolean: return n.flag ? "1" : "0";
      case Kind::Null: return "NULL";
      case Kind::Column: need_joins(n.column->joins); return n.column->sql;
      case Kind::PeriodBound:
        if (n.text == "as_of") {
          if (scope_.as_of.empty()) fail("'as_of' is not set for this run", n.offset);
          return bound(scope_.as_of);
        }
        return bound(n.text == "period_from" ? from_ : to_);
      case Kind::Star: return "*";
      case Kind::Negate: return "(-" + render(n.args[0]) + ")";
      case Kind::Not: return "(NOT " + render_condition(n.args[0]) + ")";
      case Kind::Binary: {
        if (n.text == "AND") return render_and(n);
        if (n.text == "OR")
          return "(" + render_condition(n.args[0]) + " OR " + render_condition(n.args[1]) + ")";
        if (const auto date = text_of(n.args[1]))
          if (auto epochs = epoch_comparison(n.args[0], n.text, *date)) return *epochs;
        std::string left = render_operand(n.args[0], n.args[1]);
        const std::string right = render_operand(n.args[1], n.args[0]);
        if (is_timestamp_upper_bound(n) && !lower_bounded_.contains(n.args[0].column->sql))
          left = dialect_.upper_bound_column(left);
        if (n.text == "/") return dialect_.divide(left, right);
        return "(" + left + " " + n.text + " " + right + ")";
      }
      case Kind::IsNull: {
        // A stored epoch is NULL exactly where its canonical text is, and far
        // cheaper to test than text (compares_stored_epochs).
        std::string x = dialect_.compares_stored_epochs() ? stored_epoch(n.args[0]) : "";
        if (x.empty())
          x = render(n.args[0]);
        else
          need_joins(n.args[0].column->joins);
        return "(" + x + (n.flag ? " IS NOT NULL)" : " IS NULL)");
      }
      case Kind::In: {
        if (n.args.size() - 1 > dialect_.max_inline_values())
          if (auto list = render_long_in(n)) return *list;
        std::vector<std::string> items;
        for (size_t i = 1; i < n.args.size(); ++i) items.push_back(render(n.args[i]));
        return "(" + render(n.args[0]) + (n.flag ? " NOT IN (" : " IN (") + join(items, ", ") + "))";
      }
      case Kind::Call: return render_call(n);
    }
    fail("unsupported expression", n.offset);
  }

  // `x in (...)` with more literals than kMaxInlineValues, all integers, all
  // numbers or all text: one JSON parameter, however long the list (SQLite
  // allows 32766 parameters, PostgreSQL 65535). nullopt for a list of other
  // expressions, which is bound item by item.
  std::optional<std::string> render_long_in(const Node& n) {
    using ListType = detail::SqlDialect::ListType;
    nlohmann::json values = nlohmann::json::array();
    bool integers = true, numbers = true, texts = true;
    for (size_t i = 1; i < n.args.size(); ++i) {
      const Node* item = &n.args[i];
      const bool negated = item->kind == Node::Kind::Negate && item->args[0].kind == Node::Kind::Number;
      if (negated) item = &item->args[0];
      const Value& v = item->kind == Node::Kind::Param ? bound_value(*item) : item->value;
      if (item->kind != Node::Kind::Number && item->kind != Node::Kind::String &&
          item->kind != Node::Kind::Param)
        return std::nullopt;
      if (const auto* i64 = std::get_if<int64_t>(&v)) {
        values.push_back(negated ? -*i64 : *i64);
        texts = false;
      } else if (const auto* d = std::get_if<double>(&v)) {
        values.push_back(negated ? -*d : *d);
        integers = texts = false;
      } else if (const auto* text = std::get_if<std::string>(&v)) {
        if (negated) return std::nullopt;
        values.push_back(*text);
        integers = numbers = false;
      } else {
        return std::nullopt;  // NULL in an IN list: item by item keeps SQL's meaning
      }
    }
    if (!integers && !numbers && !texts) return std::nullopt;
    const ListType type = integers ? ListType::Integer : numbers ? ListType::Real : ListType::Text;
    const std::string mark =
        bound(Value{values.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
    const std::string in = dialect_.in_json_values(render(n.args[0]), mark, type);
    return n.flag ? "(NOT (" + in + "))" : "(" + in + ")";
  }

  // An AND chain: the columns that have a lower bound in it keep their upper
  // bound indexable too (`closed_at >= :from and closed_at < :to` is a
  // narrow range, the best use of the index there is).
  std::string render_and(const Node& n) {
    std::vector<const Node*> conjuncts;
    collect_conjuncts(n, conjuncts);
    std::vector<std::string> added;
    for (const Node* c : conjuncts) {
      if (c->kind != Node::Kind::Binary || (c->text != ">" && c->text != ">=")) continue;
      const Node& column = c->args[0];
      if (column.kind == Node::Kind::Column && lower_bounded_.insert(column.column->sql).second)
        added.push_back(column.column->sql);
    }
    const std::string left = render_condition(n.args[0]);
    const std::string right = render_condition(n.args[1]);
    for (const auto& column : added) lower_bounded_.erase(column);
    return "(" + left + " AND " + right + ")";
  }
  static void collect_conjuncts(const Node& n, std::vector<const Node*>& out) {
    if (n.kind == Node::Kind::Binary && n.text == "AND") {
      collect_conjuncts(n.args[0], out);
      collect_conjuncts(n.args[1], out);
    } else {
      out.push_back(&n);
    }
  }

  // "alias.column", of the base table or a joined one (not an expression).
  static bool is_plain_column(const std::string& sql) {
    const size_t dot = sql.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == sql.size()) return false;
    return std::all_of(sql.begin(), sql.end(), [](char c) {
      return c == '.' || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (c >= '0' && c <= '9');
    });
  }

  // `<timestamp column> < value`: an upper bound with no lower bound beside it,
  // on the base table or a joined one (a joined deal's created_at < period_to).
  static bool is_timestamp_upper_bound(const Node& n) {
    if (n.text != "<" && n.text != "<=") return false;
    const Node& column = n.args[0];
    const Node& bound = n.args[1];
    if (column.kind != Node::Kind::Column || !is_plain_column(column.column->sql)) return false;
    if (!column.column->name.ends_with("_at")) return false;
    return bound.kind == Node::Kind::PeriodBound || bound.kind == Node::Kind::Param ||
           bound.kind == Node::Kind::String;
  }

  // The stored epoch column of a timestamp column of the base table or a
  // joined table (SqlDialect::stored_epoch), as "alias.column"; "" for any
  // other operand, or a base table read through a query.
  std::string stored_epoch(const Node& n) const {
    if (n.kind != Node::Kind::Column || !is_plain_column(n.column->sql)) return "";
    const std::string& sql = n.column->sql;
    const size_t dot = sql.find('.');
    const std::string alias = sql.substr(0, dot), column = sql.substr(dot + 1);
    const detail::DatasetDef& dataset = *query_.dataset;
    std::string table;
    if (alias == "t" && dataset.from == dataset.table && dataset.from_postgres.empty()) table = dataset.table;
    if (const auto* join = dataset.find_join(alias)) table = join->table;
    const std::string epoch = table.empty() ? "" : dialect_.stored_epoch(table, column);
    return epoch.empty() ? "" : alias + "." + epoch;
  }

  // `column < date` or `column >= date` as a comparison of the column's stored
  // epoch with the date's, where the dialect prefers that (compares_stored_epochs).
  // Same rows as the text for canonical timestamps (docs/data-model.md): a date
  // is the start of its day both ways. Not for `<=` and `>` (text puts
  // '2025-10-01' before '2025-10-01 00:00:00', their epochs are equal) nor for a
  // bound with a time of day. nullopt where it does not apply.
  std::optional<std::string> epoch_comparison(const Node& column, const std::string& op,
                                              const std::string& date) {
    if (!dialect_.compares_stored_epochs() || (op != "<" && op != ">=") || date.size() != 10)
      return std::nullopt;
    const std::string epoch = stored_epoch(column);
    const auto day = Date::parse(date);
    if (epoch.empty() || !day) return std::nullopt;
    need_joins(column.column->joins);
    return "(" + epoch + " " + op + " " + bound(Value{day->days_since_epoch() * 86400}) + ")";
  }
  // The text of a period bound, a text literal or a parameter bound to text.
  std::optional<std::string> text_of(const Node& n) const {
    if (n.kind == Node::Kind::PeriodBound)
      return n.text == "as_of" ? scope_.as_of : n.text == "period_from" ? from_ : to_;
    const Value* value = n.kind == Node::Kind::String  ? &n.value
                         : n.kind == Node::Kind::Param ? &bound_value(n)
                                                       : nullptr;
    const auto* text = value ? std::get_if<std::string>(value) : nullptr;
    return text ? std::optional<std::string>(*text) : std::nullopt;
  }

  // The quantile level: a literal or a bound number in [0, 1]. ClickHouse
  // takes it as a function parameter, so it is inlined there (as a validated
  // number, never as text from the plugin).
  std::string quantile_level(const Node& p) {
    const Value& v = p.kind == Node::Kind::Param ? bound_value(p) : p.value;
    bool ok = false;
    const double level = as_number(v, ok);
    if (!ok || !(level >= 0 && level <= 1))
      fail("quantile's level must be a number between 0 and 1", p.offset);
    if (dialect_.inline_quantile_level()) return detail::number_literal(level);
    return bound(level);
  }

  // A real number literal or bound value (where a count may meet it).
  bool is_real(const Node& n) const {
    if (n.kind == Node::Kind::Number) return std::holds_alternative<double>(n.value);
    if (n.kind == Node::Kind::Param) return std::holds_alternative<double>(bound_value(n));
    if (n.kind == Node::Kind::Negate) return is_real(n.args[0]);
    return false;
  }

  std::string render_call(const Node& n) {
    const std::string& f = n.text;
    auto arg = [&](size_t i) { return render(n.args[i]); };
    if (f == "count") return dialect_.count(arg(0));
    if (f == "count_distinct") return dialect_.count_distinct(arg(0));
    auto condition = [&](size_t i) { return render_condition(n.args[i]); };
    if (f == "count_if") return dialect_.aggregate("sum", "CASE WHEN " + condition(0) + " THEN 1 ELSE 0 END");
    if (f == "sum" || f == "avg" || f == "min" || f == "max") return dialect_.aggregate(f, arg(0));
    if (f == "sum_if") return dialect_.sum_if(arg(0), condition(1));
    if (f == "avg_if")
      return dialect_.aggregate("avg", "CASE WHEN " + condition(1) + " THEN " + arg(0) + " END");
    if (f == "quantile") return dialect_.quantile(arg(0), quantile_level(n.args[1]));
    if (f == "median") {
      Node half;
      half.kind = Node::Kind::Number;
      half.value = 0.5;
      return dialect_.quantile(arg(0), quantile_level(half));
    }
    if (f == "days_between" || f == "hours_between" || f == "minutes_between") {
      const std::string a = arg(0), b = arg(1);
      const std::string a_epoch = stored_epoch(n.args[0]), b_epoch = stored_epoch(n.args[1]);
      std::string days = dialect_.days_between_epochs(a, a_epoch, b, b_epoch);
      // Of one row's columns: the dialect may compute it once per row however often it is used
      // (not worth it when both sides are stored epochs: a subtraction).
      if (!detail::is_aggregate(n) && (a_epoch.empty() || b_epoch.empty())) days = dialect_.per_row(days);
      if (f == "hours_between") return "(" + days + " * 24)";
      if (f == "minutes_between") return "(" + days + " * 1440)";
      return days;
    }
    if (f == "bucket")
      return dialect_.bucket_start(std::get<std::string>(n.args[0].value), arg(1), scope_.fiscal_year_start);
    if (f == "date") return dialect_.date_of(arg(0));
    if (f == "in_period") {
      const auto from_epoch = epoch_comparison(n.args[0], ">=", from_);
      const auto to_epoch = epoch_comparison(n.args[0], "<", to_);
      if (from_epoch && to_epoch) return "(" + *from_epoch + " AND " + *to_epoch + ")";
      const std::string column = arg(0);
      return "(" + column + " >= " + bound(from_) + " AND " + column + " < " + bound(to_) + ")";
    }
    if (f == "coalesce") {
      std::vector<std::string> items;
      for (size_t i = 0; i < n.args.size(); ++i) items.push_back(arg(i));
      return "coalesce(" + join(items, ", ") + ")";
    }
    if (f == "if") return "(CASE WHEN " + condition(0) + " THEN " + arg(1) + " ELSE " + arg(2) + " END)";
    if (f == "nullif") return dialect_.nullif(arg(0), arg(1));
    if (f == "abs" || f == "lower" || f == "upper") return f + "(" + arg(0) + ")";
    if (f == "round") {
      const std::string x = arg(0);
      if (n.args.size() == 1) return dialect_.round(x, nullptr);
      const std::string digits = arg(1);
      return dialect_.round(x, &digits);
    }
    if (f == "least" || f == "greatest") {
      std::string a = arg(0), b = arg(1);
      if (is_real(n.args[0]) || is_real(n.args[1])) a = dialect_.as_real(a), b = dialect_.as_real(b);
      return f == "least" ? dialect_.least(a, b) : dialect_.greatest(a, b);
    }
    fail("function '" + f + "' has no translation", n.offset);
  }

  const detail::SqlDialect& dialect_;
  const Scope& scope_;
  const detail::QueryState& query_;
  std::string from_;
  std::string to_;
  const Expression* current_ = nullptr;
  std::vector<Value> values_;
  std::set<std::string> lower_bounded_;  // columns with a lower bound in the AND chain being rendered
  std::set<std::string> joins_;
};

}  // namespace

QueryBuilder::QueryBuilder(const std::string& dataset) : impl_(std::make_unique<Impl>()) {
  impl_->dataset = detail::find_dataset(dataset);
  if (!impl_->dataset) {
    std::string message = "unknown dataset '" + dataset + "'";
    if (const std::string near = closest_match(dataset, dataset_names()); !near.empty())
      message += " (did you mean '" + near + "'?)";
    throw QueryError(message + "; valid: " + join(dataset_names(), ", "));
  }
}

QueryBuilder::~QueryBuilder() = default;
QueryBuilder::QueryBuilder(QueryBuilder&&) noexcept = default;
QueryBuilder& QueryBuilder::operator=(QueryBuilder&&) noexcept = default;

void QueryBuilder::select(const std::string& alias, const std::string& expr) {
  impl_->check_new_alias(alias, "select");
  impl_->selects.push_back({alias, impl_->parse(expr)});
}

void QueryBuilder::where(const std::string& expr) {
  Expression e = impl_->parse(expr);
  if (detail::is_aggregate(e.ast))
    throw QueryError(
        detail::expression_error(expr, "where() cannot use aggregate functions; it filters rows", 0));
  impl_->wheres.push_back(std::move(e));
}

void QueryBuilder::group_by(const std::string& alias, const std::string& expr) {
  impl_->check_new_alias(alias, "group_by");
  Expression e = impl_->parse(expr);
  if (detail::is_aggregate(e.ast))
    throw QueryError(detail::expression_error(expr, "group_by() cannot use aggregate functions", 0));
  impl_->groups.push_back({alias, std::move(e)});
}

void QueryBuilder::order_by(const std::string& alias, bool descending) {
  if (!impl_->has_alias(alias)) {
    const auto known = impl_->aliases();
    throw QueryError(
        "order_by: '" + alias + "' is not an alias of this query (order_by names a select or group_by " +
        "alias defined before it); aliases: " + (known.empty() ? "none yet" : join(known, ", ")));
  }
  impl_->orders.emplace_back(alias, descending);
}

void QueryBuilder::limit(int64_t n) {
  if (n < 0) throw QueryError("limit must be 0 or more, got " + std::to_string(n));
  impl_->limit = n;
}

void QueryBuilder::bind(const std::string& name, Value value) {
  std::string key = !name.empty() && name[0] == ':' ? name.substr(1) : name;
  const bool ok = !key.empty() && (std::isalpha(static_cast<unsigned char>(key[0])) || key[0] == '_') &&
                  std::all_of(key.begin(), key.end(),
                              [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
  if (!ok) throw QueryError("bind: '" + name + "' is not a parameter name (letters, digits and _)");
  impl_->binds[key] = std::move(value);
}

void QueryBuilder::use_period(Which which) {
  impl_->period = which;
}

const std::string& QueryBuilder::dataset() const {
  return impl_->dataset->name;
}
Which QueryBuilder::period() const {
  return impl_->period;
}

QueryBuilder QueryBuilder::records_query() const {
  // What identifies a record and what a reader checks it by, in the order
  // they are listed; a dataset shows those it has.
  static const std::vector<std::string> kIdentity = {
      "id", "external_id", "name", "account_name", "rep", "type", "source", "stage", "status", "category"};
  static const std::vector<std::string> kAmounts = {"amount", "mrr", "mrr_delta", "minutes",
                                                    "duration_minutes"};
  const detail::DatasetDef& d = *impl_->dataset;
  QueryBuilder out(d.name);
  out.impl_->wheres = impl_->wheres;
  out.impl_->binds = impl_->binds;
  out.impl_->period = impl_->period;
  auto has = [&](const std::string& name) { return d.find_column(name) || d.find_dimension(name); };
  for (const auto* list : {&kIdentity, &kAmounts})
    for (const auto& name : *list)
      if (has(name)) out.select(name, name);
  for (const auto& c : d.columns) {
    const bool own = c.sql == "t." + c.name;
    const bool date =
        c.name == "day" || (c.name.size() > 3 && c.name.compare(c.name.size() - 3, 3, "_at") == 0);
    if (own && date && !out.impl_->has_alias(c.name)) out.select(c.name, c.name);
  }
  // The one value per record a KPI aggregates, when the plugin says so
  // (select drilldown_sum, drilldown_mean, drilldown_median or drilldown_p90):
  // kept under its alias, which tells the reader how the records make the
  // number (run/explain.cpp lists it as `value`).
  for (const auto& s : impl_->selects) {
    if (s.alias != "drilldown_sum" && s.alias != "drilldown_mean" && s.alias != "drilldown_median" &&
        s.alias != "drilldown_p90" && s.alias != "drilldown_gap" && s.alias != "drilldown_constant")
      continue;
    if (detail::is_aggregate(s.expr.ast))
      throw QueryError(
          detail::expression_error(s.expr.text, s.alias + " is a value per record, not an aggregate", 0));
    out.select(s.alias, s.expr.text);
    break;
  }
  if (out.impl_->has_alias("id")) out.order_by("id", false);
  return out;
}

std::map<std::string, Value> QueryBuilder::drilldown_constants() const {
  static const std::string kPrefix = "drilldown_constant_";
  std::map<std::string, Value> out;
  for (const auto& [name, value] : impl_->binds)
    if (name.starts_with(kPrefix)) out[name.substr(kPrefix.size())] = value;
  return out;
}

CompiledQuery QueryBuilder::compile(const Dialect& dialect, const Scope& scope) const {
  const auto* sql_dialect = dynamic_cast<const detail::SqlDialect*>(&dialect);
  if (!sql_dialect) throw QueryError("dialect '" + dialect.name() + "' is not one Tally made");
  const Impl& q = *impl_;
  if (q.groups.empty() && q.selects.empty())
    throw QueryError("the query selects nothing: add select() or group_by()");

  Compiler compiler(*sql_dialect, scope, q);
  std::vector<std::string> group_sql;
  std::vector<std::string> columns_sql;
  std::vector<std::string> column_names;
  for (const auto& g : q.groups) {
    group_sql.push_back(compiler.render(g.expr));
    columns_sql.push_back(group_sql.back());
    column_names.push_back(g.alias);
  }
  for (const auto& s : q.selects) {
    columns_sql.push_back(compiler.render(s.expr));
    column_names.push_back(s.alias);
  }

  // The report's filters first, then the plugin's own conditions.
  std::vector<std::string> conditions;
  const auto& standard = detail::standard_dimensions();
  // Reference datasets (stages, products, collateral, ...) have no
  // dimensions: a report's filters narrow facts, not the lookup tables that
  // describe them, so they pass through unfiltered.
  const bool reference_dataset = q.dataset->dimensions.empty();
  for (const auto& [dimension, values] : scope.filters) {
    if (reference_dataset) break;
    if (std::find(standard.begin(), standard.end(), dimension) == standard.end())
      throw QueryError("unknown dimension '" + dimension +
                       "' in the report's filters; valid: " + join(standard, ", "));
    const detail::ColumnDef* dim = q.dataset->find_dimension(dimension);
    if (!dim) {
      std::vector<std::string> has;
      for (const auto& d : q.dataset->dimensions) has.push_back(d.name);
      throw QueryError("filter on '" + dimension + "' cannot apply to dataset '" + q.dataset->name +
                       "'; its dimensions: " + (has.empty() ? "none" : join(has, ", ")));
    }
    compiler.need_joins(dim->joins);
    if (values.empty()) {
      conditions.push_back("1 = 0");  // an empty allow-list lets nothing through
      continue;
    }
    if (values.size() > sql_dialect->max_inline_values()) {
      // One JSON text parameter, however long the list.
      const std::string mark = compiler.bound(
          Value{nlohmann::json(values).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
      conditions.push_back(sql_dialect->in_json_list(dim->sql, mark));
      continue;
    }
    std::vector<std::string> marks;
    for (const auto& v : values) marks.push_back(compiler.bound(v));
    conditions.push_back(dim->sql + " IN (" + join(marks, ", ") + ")");
  }
  for (const auto& w : q.wheres) conditions.push_back(compiler.render_condition(w));

  detail::SelectParts parts;
  parts.dataset = q.dataset;
  parts.joins = compiler.used_joins();
  parts.columns = std::move(columns_sql);
  parts.aliases = column_names;
  parts.conditions = std::move(conditions);
  // ClickHouse 18 has no positional GROUP BY: repeat the expressions. An
  // integer there is a column position to SQLite and PostgreSQL (`GROUP BY 0`
  // fails), and SQLite reads signs and parentheses around one as that integer
  // too (`GROUP BY (-(-(-1)))`, the rendering of `---true`): such a group is
  // written as a sum with 0 instead.
  for (auto& g : group_sql) {
    if (g.find_first_of("0123456789") != std::string::npos &&
        g.find_first_not_of("0123456789()+- ") == std::string::npos)
      g = "(" + g + " + 0)";
  }
  parts.groups = std::move(group_sql);

  // Explicit order first, then the remaining groups, so results are stable on every engine.
  // (order_by() takes only aliases of the query.)
  auto column_of = [&](const std::string& alias) {
    return static_cast<size_t>(std::find(column_names.begin(), column_names.end(), alias) -
                               column_names.begin());
  };
  std::set<std::string> ordered;
  for (const auto& [alias, descending] : q.orders)
    if (ordered.insert(alias).second) parts.order.push_back({column_of(alias), descending});
  for (const auto& g : q.groups)
    if (ordered.insert(g.alias).second) parts.order.push_back({column_of(g.alias), false});
  parts.limit = q.limit;
  const std::string sql = sql_dialect->assemble(parts);

  CompiledQuery out = compiler.finish(sql);
  out.columns = std::move(column_names);
  return out;
}

}  // namespace tally::query

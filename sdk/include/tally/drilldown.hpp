// Drill-down (SDK 1.2): which records make a number.
//
// A metric declares, per headline KPI (and per table row where a row is a
// slice of records), the query whose rows are the records behind it. Only the
// query's dataset, where() conditions, bound parameters and period count; the
// host lists each record's id, name, amounts and dates when a user asks
// (`tally explain`, a click on the dashboard), so declaring runs nothing.
//
//   tally::sdk::Query won = ctx.query("opportunities");
//   won.where("status = 'won'").where("in_period(closed_at)");
//   tally::sdk::drilldown(ctx, "won_deals", won);
//   // a ratio: the numerator's records, and the denominator's beside them
//   tally::sdk::drilldown_ratio(ctx, "win_rate", won, closed);
//
// A KPI that is not a count of its records says how they make it: the sum,
// mean or median of a value per record, listed as their `value` column:
//
//   Query won = ctx.query("opportunities");
//   won.where("status = 'won' and in_period(closed_at)");
//   tally::sdk::drilldown(ctx, "won_amount", tally::sdk::summing(won, "amount"));
//
// A KPI a plugin computes itself (from per-deal histories, say) names the
// records it computed, any number of them:
//
//   tally::sdk::drilldown(ctx, "deals_at_risk", tally::sdk::records_with_ids(ctx, "opportunities", ids));
//
// On a host older than 1.2 the calls do nothing: the KPI simply offers no
// drill-down.
#pragma once

#include <tally/sdk.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tally::sdk {

namespace detail {
inline bool host_has_drilldown() {
  return host_has(offsetof(tally_host_api, add_drilldown));
}

inline void declare_drilldown(const Context& ctx, std::string_view kpi, std::string_view row, int32_t part,
                              const Query& query) {
  if (!host_has_drilldown()) return;
  tally_drilldown d{};
  d.struct_size = sizeof d;
  d.kpi = str_c(kpi);
  d.row = str_c(row);
  d.part = part;
  d.query = query.raw();
  if (host().add_drilldown(ctx.raw(), &d) != TALLY_OK) throw Error(str_of(host().last_error(ctx.raw())));
}
}  // namespace detail

// How the records make a number that is not their count: the sum, mean,
// median or 90th percentile of `value` (an expression over the query's dataset, per record).
// A host that predates these lists the records without the value.
inline Query& summing(Query& records, std::string_view value) {
  return records.select("drilldown_sum", value);
}
inline Query& averaging(Query& records, std::string_view value) {
  return records.select("drilldown_mean", value);
}
inline Query& median_of(Query& records, std::string_view value) {
  return records.select("drilldown_median", value);
}
// The 90th percentile, interpolated as quantile(value, 0.9).
inline Query& p90_of(Query& records, std::string_view value) {
  return records.select("drilldown_p90", value);
}

// A constant the number rests on beside its records (the target of a gap),
// listed with them as constants.NAME; the host keeps it as a bound parameter.
inline Query& stating(Query& records, std::string_view name, double value) {
  return records.bind("drilldown_constant_" + std::string(name), Value{value});
}
// A gap to a target: `target` less the sum of `value` over the records, at least 0.
inline Query& gap_to(Query& records, std::string_view value, double target) {
  stating(records, "target", target);
  return records.select("drilldown_gap", value);
}
// A number no records make (a target the config gives): constants.value, with
// no records.
inline Query constant_value(const Context& ctx, std::string_view dataset, double value) {
  Query records = ctx.query(dataset);
  records.where("false").select("drilldown_constant", "0");
  stating(records, "value", value);
  return records;
}
// A projection rounded up to whole records (deals needed): the KPI is the
// ceiling of what the records make (numerator over denominator).
inline Query& rounded_up(Query& records) {
  return stating(records, "round_up", 1.0);
}

// "3, 5, 8": ids (any range of integers) for a query's `in (...)` list; ""
// for none, which no `in ()` accepts: say what an empty list means first.
template <class Ids>
std::string id_list(const Ids& ids) {
  std::string list;
  for (const auto id : ids) {
    if (!list.empty()) list += ", ";
    list += std::to_string(id);
  }
  return list;
}

// The rows of `dataset` whose id is one of `ids` (none when empty): the
// records a plugin worked out itself. The host binds a long list as one
// parameter, so any number of ids fits.
inline Query records_with_ids(const Context& ctx, std::string_view dataset, const std::vector<int64_t>& ids) {
  Query records = ctx.query(dataset);
  if (ids.empty()) {
    records.where("false");
    return records;
  }
  records.where("id in (" + id_list(ids) + ")");
  return records;
}

// The rows of `dataset` whose `column` is one of `values` (none when
// empty), each bound as a parameter: the reps a plugin flagged, by name.
inline Query records_with_values(const Context& ctx, std::string_view dataset, std::string_view column,
                                 const std::vector<std::string>& values) {
  Query records = ctx.query(dataset);
  if (values.empty()) {
    records.where("false");
    return records;
  }
  std::string list;
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string name = "drilldown_value_" + std::to_string(i);
    list += (i ? ", :" : ":") + name;
    records.bind(name, Value{values[i]});
  }
  records.where(std::string(column) + " in (" + list + ")");
  return records;
}

// A group of records weighted alike: `factor` is an expression over the
// dataset (a column such as effective_probability, a number, or a parameter
// the caller binds), `ids` the records it weights.
struct Weighting {
  std::string factor;
  std::vector<int64_t> ids;
};

// The rows of `dataset` whose id is in one of `groups`, each with `value`
// times its group's factor as the record's value, summed: a KPI a plugin
// weights per record (a deal's amount by the probability of the stage it was
// in at the period end). The factors nest as if(id in (...), f1, if(...)), so
// keep the groups few (one per distinct factor); a record in no group gets 0.
inline Query weighted_records(const Context& ctx, std::string_view dataset, std::string_view value,
                              const std::vector<Weighting>& groups) {
  std::vector<int64_t> all;
  std::string factor = "0";
  for (auto g = groups.rbegin(); g != groups.rend(); ++g) {
    if (g->ids.empty()) continue;
    all.insert(all.end(), g->ids.begin(), g->ids.end());
    factor = "if(id in (" + id_list(g->ids) + "), " + g->factor + ", " + factor + ")";
  }
  Query records = records_with_ids(ctx, dataset, all);
  summing(records, "(" + std::string(value) + ") * " + factor);
  return records;
}

// Whether this host lists drill-down records (1.2 and later).
inline bool drilldown_supported() {
  return detail::host_has_drilldown();
}

// The records a KPI counts or sums.
inline void drilldown(const Context& ctx, std::string_view kpi, const Query& records) {
  detail::declare_drilldown(ctx, kpi, {}, TALLY_DRILLDOWN_RECORDS, records);
}

// The same for the common case: the rows of `dataset` where `condition` holds
// (in the current period).
inline void drilldown(const Context& ctx, std::string_view kpi, std::string_view dataset,
                      std::string_view condition) {
  if (!detail::host_has_drilldown()) return;
  Query records = ctx.query(dataset);
  records.where(condition);
  drilldown(ctx, kpi, records);
}

namespace detail {
// The rows of `dataset` where `condition` holds, with `value` selected as
// `alias` (drilldown_sum, drilldown_mean, drilldown_median).
inline void declare_valued(const Context& ctx, std::string_view kpi, std::string_view dataset,
                           std::string_view condition, std::string_view alias, std::string_view value) {
  if (!host_has_drilldown()) return;
  Query records = ctx.query(dataset);
  records.where(condition).select(alias, value);
  drilldown(ctx, kpi, records);
}
}  // namespace detail

// The same for a KPI that is the sum (mean, median) of `value` over the rows
// of `dataset` where `condition` holds.
inline void drilldown_sum(const Context& ctx, std::string_view kpi, std::string_view dataset,
                          std::string_view condition, std::string_view value) {
  detail::declare_valued(ctx, kpi, dataset, condition, "drilldown_sum", value);
}
inline void drilldown_mean(const Context& ctx, std::string_view kpi, std::string_view dataset,
                           std::string_view condition, std::string_view value) {
  detail::declare_valued(ctx, kpi, dataset, condition, "drilldown_mean", value);
}
inline void drilldown_median(const Context& ctx, std::string_view kpi, std::string_view dataset,
                             std::string_view condition, std::string_view value) {
  detail::declare_valued(ctx, kpi, dataset, condition, "drilldown_median", value);
}

// A ratio: the numerator's records, and the denominator's beside them.
inline void drilldown_ratio(const Context& ctx, std::string_view kpi, const Query& numerator,
                            const Query& denominator) {
  detail::declare_drilldown(ctx, kpi, {}, TALLY_DRILLDOWN_RECORDS, numerator);
  detail::declare_drilldown(ctx, kpi, {}, TALLY_DRILLDOWN_DENOMINATOR, denominator);
}

inline void drilldown_ratio(const Context& ctx, std::string_view kpi, std::string_view dataset,
                            std::string_view numerator, std::string_view denominator) {
  if (!detail::host_has_drilldown()) return;
  Query top = ctx.query(dataset);
  top.where(numerator);
  Query bottom = ctx.query(dataset);
  bottom.where(denominator);
  drilldown_ratio(ctx, kpi, top, bottom);
}

// The records behind one row of a KPI's breakdown (`row` is the row's key as
// the table shows it, e.g. a stage or a rep's name).
inline void drilldown_row(const Context& ctx, std::string_view kpi, std::string_view row,
                          const Query& records) {
  detail::declare_drilldown(ctx, kpi, row, TALLY_DRILLDOWN_RECORDS, records);
}
inline void drilldown_row_ratio(const Context& ctx, std::string_view kpi, std::string_view row,
                                const Query& numerator, const Query& denominator) {
  detail::declare_drilldown(ctx, kpi, row, TALLY_DRILLDOWN_RECORDS, numerator);
  detail::declare_drilldown(ctx, kpi, row, TALLY_DRILLDOWN_DENOMINATOR, denominator);
}

// The records of one row of a breakdown by `dimension` (a dimension or
// column name): those where `condition` holds and the dimension's value is
// `row`; the row labelled `none_label` is the group without a value.
inline Query group_records(const Context& ctx, std::string_view row, std::string_view dataset,
                           std::string_view condition, std::string_view dimension,
                           std::string_view none_label = "(none)") {
  Query records = ctx.query(dataset);
  records.where(condition)
      .where("coalesce(" + std::string(dimension) + ", '') = :drilldown_group")
      .bind("drilldown_group", Value{row == none_label ? std::string() : std::string(row)});
  return records;
}
inline void drilldown_group(const Context& ctx, std::string_view kpi, std::string_view row,
                            std::string_view dataset, std::string_view condition, std::string_view dimension,
                            std::string_view none_label = "(none)") {
  if (!detail::host_has_drilldown()) return;
  drilldown_row(ctx, kpi, row, group_records(ctx, row, dataset, condition, dimension, none_label));
}

// The records of one row of a trend by `unit` (day, week, month, quarter,
// year) of the timestamp `column`: those where `condition` holds and whose
// bucket starts on `row` ('YYYY-MM-DD', as the table shows it).
inline Query bucket_records(const Context& ctx, std::string_view row, std::string_view dataset,
                            std::string_view condition, std::string_view unit, std::string_view column) {
  Query records = ctx.query(dataset);
  records.where(condition)
      .where("bucket('" + std::string(unit) + "', " + std::string(column) + ") = :drilldown_bucket")
      .bind("drilldown_bucket", Value{std::string(row)});
  return records;
}
inline void drilldown_bucket(const Context& ctx, std::string_view kpi, std::string_view row,
                             std::string_view dataset, std::string_view condition, std::string_view unit,
                             std::string_view column) {
  if (!detail::host_has_drilldown()) return;
  drilldown_row(ctx, kpi, row, bucket_records(ctx, row, dataset, condition, unit, column));
}

}  // namespace tally::sdk

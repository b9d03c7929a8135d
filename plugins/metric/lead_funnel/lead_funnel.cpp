// Lead funnel (KPIS.md) over a cohort: the leads created in the period,
// followed to wherever they got (whenever that happened).
//   lead -> MQL -> SAL -> SQL -> opportunity -> customer
// A lead counts at a step when it reached that step or a later one (a lead
// that went straight to SQL also passed MQL and SAL), so no step conversion
// exceeds 100 %. Opportunity: converted_at or opportunity_id set. Customer: a
// converted lead whose opportunity is won.
// Conversion by profile: customers / leads per contact title, industry,
// employee band or geography (the lead's region, else its country).
// Leads needed: revenue_target / (customers / leads x average deal size), the
// average deal size being won amount / won deals closed in the period.
// group_by <dimension>: leads, MQLs, SQLs, customers and lead-to-customer per
// group of the dimension (table by_<dimension>).
// Cohort age (tally/compare.hpp): a step counts only when it was reached before
// the cutoff: as_of for the current cohort, and for the comparison cohort the
// same number of days after its period's end as the current cohort has had
// (as_of - period end). A step's date is the earliest date of it or a later
// step (mql_at, sal_at, sql_at, converted_at, the opportunity's created_at); a
// customer's is the won opportunity's closed_at. While the current period runs,
// its cohort is still forming: the cohort KPIs are not comparable.
#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tally/compare.hpp>
#include <tally/drilldown.hpp>
#include <tally/sdk.hpp>
#include <vector>

namespace {

using tally::sdk::Chart;
using tally::sdk::Context;
using tally::sdk::Unit;
using tally::sdk::Which;

// "Reached this step or a later one before :cutoff", per step.
constexpr const char* kConverted =
    "(converted_at < :cutoff or (converted_at is null and opportunity_id is not null and "
    "(opportunity_created_at is null or opportunity_created_at < :cutoff)))";
const std::string kSql = "(sql_at < :cutoff or " + std::string(kConverted) + ")";
const std::string kSal = "(sal_at < :cutoff or " + kSql + ")";
const std::string kMql = "(mql_at < :cutoff or " + kSal + ")";
constexpr const char* kCustomer = "(opportunity_status = 'won' and opportunity_closed_at < :cutoff)";

const std::array<const char*, 4> kBands = {"1-49", "50-249", "250-999", "1000+"};

std::string profile_expression(const std::string& profile) {
  if (profile == "employee_band")
    return "if(employees is null, null, if(employees < 50, '1-49', if(employees < 250, '50-249', "
           "if(employees < 1000, '250-999', '1000+'))))";
  if (profile == "geography") return "coalesce(lead_region, country)";
  return profile;  // title, industry: the lead's own columns
}

std::string label_or_none(const std::string& text) {
  return text.empty() ? "(none)" : text;
}

struct Steps {
  std::array<double, 6> count{};  // lead, mql, sal, sql, opportunity, customer
};

struct ProfileRow {
  std::string key;
  int64_t leads = 0, mqls = 0, sqls = 0, opportunities = 0, customers = 0;
};

class LeadFunnel final : public tally::sdk::Metric {
 public:
  void run(Context& ctx) override {
    const std::string profile = ctx.text("profile");
    cutoffs_ = tally::sdk::cohort_cutoffs(ctx);
    const Steps current = steps(ctx, Which::Current, cutoffs_.current);
    std::optional<Steps> previous;
    if (ctx.has_compare()) previous = steps(ctx, Which::Compare, cutoffs_.compare.value_or(cutoffs_.current));
    auto pick = [&](Which w) -> const Steps& { return w == Which::Current ? current : *previous; };
    auto step_ratio = [&](size_t num, size_t den) {
      return [&, num, den](Which w) { return tally::sdk::ratio_opt(pick(w).count[num], pick(w).count[den]); };
    };

    ctx.kpi("leads", "Leads created", Unit::Count,
            [&](Which w) -> std::optional<double> { return pick(w).count[0]; });
    cohort_kpi(ctx, "mql_to_sal", "MQL -> SAL", Unit::Percent, step_ratio(2, 1));
    cohort_kpi(ctx, "mql_to_sql", "MQL -> SQL", Unit::Percent, step_ratio(3, 1));
    cohort_kpi(ctx, "lead_to_customer", "Lead -> customer", Unit::Percent, step_ratio(5, 0));
    cohort_kpi(ctx, "customers", "Customers won from these leads", Unit::Count,
               [&](Which w) -> std::optional<double> { return pick(w).count[5]; });
    if (const auto target = ctx.optional_number("revenue_target")) {
      cohort_kpi(
          ctx, "leads_needed", "Leads needed for the revenue target", Unit::Number,
          [&](Which w) -> std::optional<double> {
            const auto conversion = tally::sdk::ratio_opt(pick(w).count[5], pick(w).count[0]);
            const auto deal_size = average_deal_size(ctx, w);
            if (!conversion || !deal_size) return std::nullopt;
            return tally::sdk::ratio_opt(*target, *conversion * *deal_size);
          },
          /*higher_is_better=*/false);
    }
    if (ctx.has_compare() && cutoffs_.comparable)
      ctx.note("Cohort KPIs compare both cohorts " + std::to_string(cutoffs_.age_days) +
               " days after their period's end: steps reached before " + cutoffs_.current +
               " (comparison cohort: before " + *cutoffs_.compare + ").");

    declare_drilldowns(ctx, cutoffs_.current);
    funnel_table(ctx, current);
    profile_table(ctx, profile, ctx.integer("top_n"), cutoffs_.current);
    const std::string dim = ctx.text("group_by");
    // group_by industry with profile industry: by_industry above already has every figure per industry.
    if (!dim.empty() && dim != "none" && dim != profile) group_table(ctx, dim, cutoffs_.current);
  }

 private:
  tally::sdk::CohortCutoffs cutoffs_;

  // A KPI of the cohort: compared at the same age, or not comparable while the cohort forms.
  template <typename Fn>
  void cohort_kpi(const Context& ctx, const char* name, const char* label, Unit unit, Fn&& value_of,
                  bool higher_is_better = true) const {
    tally::sdk::Kpi k;
    k.name = name;
    k.label = label;
    k.unit = unit;
    k.value = value_of(Which::Current);
    k.higher_is_better = higher_is_better;
    if (ctx.has_compare()) {
      if (cutoffs_.comparable) {
        k.previous = value_of(Which::Compare);
        k.note = "cohorts compared " + std::to_string(cutoffs_.age_days) + " days after period end";
      } else {
        k.compare_status = TALLY_COMPARE_NOT_COMPARABLE;
        k.note = cutoffs_.note();
      }
    }
    ctx.kpi(k);
  }

  // The leads of the current cohort behind each KPI, and behind each step
  // of the funnel table (kpi "leads", row = the step).
  static void declare_drilldowns(const Context& ctx, const std::string& cutoff) {
    const std::array<std::string, 6> step_condition = {"true", kMql, kSal, kSql, kConverted, kCustomer};
    auto cohort = [&](size_t step) {
      auto q = ctx.query("leads");
      q.where("in_period(created_at)").where(step_condition[step]).bind("cutoff", tally::sdk::Value{cutoff});
      return q;
    };
    tally::sdk::drilldown(ctx, "leads", cohort(0));
    tally::sdk::drilldown(ctx, "customers", cohort(5));
    tally::sdk::drilldown_ratio(ctx, "mql_to_sal", cohort(2), cohort(1));
    tally::sdk::drilldown_ratio(ctx, "mql_to_sql", cohort(3), cohort(1));
    tally::sdk::drilldown_ratio(ctx, "lead_to_customer", cohort(5), cohort(0));
    static const std::array<const char*, 6> names = {"lead", "mql", "sal", "sql", "opportunity", "customer"};
    for (size_t i = 0; i < names.size(); ++i) {
      tally::sdk::drilldown_row(ctx, "leads", names[i], cohort(i));
      tally::sdk::drilldown_row(ctx, "funnel", names[i], cohort(i));  // the funnel table's row
    }
  }

  static Steps steps(const Context& ctx, Which which, const std::string& cutoff) {
    Steps s;
    auto rows = ctx.query("leads")
                    .select("leads", "count(*)")
                    .select("mqls", "count_if(" + kMql + ")")
                    .select("sals", "count_if(" + kSal + ")")
                    .select("sqls", "count_if(" + kSql + ")")
                    .select("opportunities", std::string("count_if(") + kConverted + ")")
                    .select("customers", std::string("count_if(") + kCustomer + ")")
                    .where("in_period(created_at)")
                    .bind("cutoff", tally::sdk::Value{cutoff})
                    .use_period(which)
                    .run();
    if (rows.next())
      for (uint32_t i = 0; i < 6; ++i) s.count[i] = static_cast<double>(rows.integer(i));
    return s;
  }

  // Per profile value, the leads created in the period whose opportunity is
  // won (at any time: a lead may close long after the period).
  static std::vector<ProfileRow> converted_leads(const Context& ctx, Which which, const std::string& profile,
                                                 const std::string& cutoff) {
    auto rows = ctx.query("leads")
                    .group_by("profile", profile_expression(profile))
                    .select("customers", std::string("count_if(") + kCustomer + ")")
                    .where("in_period(created_at) and opportunity_id is not null")
                    .bind("cutoff", tally::sdk::Value{cutoff})
                    .use_period(which)
                    .run();
    std::vector<ProfileRow> out;
    while (rows.next()) {
      ProfileRow row;
      row.key = rows.text(0);
      row.customers = rows.integer(1);
      out.push_back(row);
    }
    return out;
  }

  static std::optional<double> average_deal_size(const Context& ctx, Which which) {
    auto rows = ctx.query("opportunities")
                    .select("deals", "count(amount)")  // a deal without an amount is unknown, not $0
                    .select("amount", "coalesce(sum(amount), 0)")
                    .where("status = 'won' and in_period(closed_at)")
                    .use_period(which)
                    .run();
    if (!rows.next()) return std::nullopt;
    return tally::sdk::ratio_opt(rows.number(1), static_cast<double>(rows.integer(0)));
  }

  static void funnel_table(const Context& ctx, const Steps& s) {
    static const std::array<const char*, 6> names = {"lead", "mql", "sal", "sql", "opportunity", "customer"};
    auto t = ctx.table("funnel", "Lead funnel (leads created in period)");
    t.column("step", Unit::Text)
        .column("leads", Unit::Count)
        .column("step_conversion", Unit::Percent)
        .column("cumulative_conversion", Unit::Percent);
    t.chart(Chart::Funnel, "step", "leads");
    for (size_t i = 0; i < names.size(); ++i) {
      tally::sdk::Value step = i == 0 ? tally::sdk::Value{} : tally::sdk::ratio(s.count[i], s.count[i - 1]);
      t.row({std::string(names[i]), static_cast<int64_t>(s.count[i]), step,
             tally::sdk::ratio(s.count[i], s.count[0])});
    }
  }

  // The headline figures per group of a standard dimension, all groups kept
  // (most leads first, the NULL group last).
  static void group_table(const Context& ctx, const std::string& dim, const std::string& cutoff) {
    std::map<std::string, ProfileRow> rows_by_key;
    {
      auto rows = ctx.query("leads")
                      .group_by("grp", dim)
                      .select("leads", "count(*)")
                      .select("mqls", "count_if(" + kMql + ")")
                      .select("sqls", "count_if(" + kSql + ")")
                      .where("in_period(created_at)")
                      .bind("cutoff", tally::sdk::Value{cutoff})
                      .run();
      while (rows.next()) {
        // NULL and empty names are one group, as in the profile table.
        ProfileRow& r = rows_by_key[rows.text(0)];
        r.key = rows.text(0);
        r.leads += rows.integer(1);
        r.mqls += rows.integer(2);
        r.sqls += rows.integer(3);
      }
    }
    for (const auto& c : converted_leads(ctx, Which::Current, dim, cutoff))
      rows_by_key[c.key].customers += c.customers;

    std::vector<ProfileRow> rows;
    for (auto& [key, row] : rows_by_key) rows.push_back(row);
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      if (a.key.empty() != b.key.empty()) return b.key.empty();
      return a.leads > b.leads;
    });
    auto t = ctx.table("by_" + dim, "Lead funnel by " + dim);
    t.column(dim, Unit::Text)
        .column("leads", Unit::Count)
        .column("mqls", Unit::Count)
        .column("sqls", Unit::Count)
        .column("customers", Unit::Count)
        .column("lead_to_customer", Unit::Percent);
    t.chart(Chart::Bar, dim, "lead_to_customer");
    for (const auto& r : rows) {
      t.row({label_or_none(r.key), r.leads, r.mqls, r.sqls, r.customers,
             tally::sdk::ratio(static_cast<double>(r.customers), static_cast<double>(r.leads))});
      tally::sdk::drilldown_group(ctx, "by_" + dim, label_or_none(r.key), "leads", "in_period(created_at)",
                                  dim);
    }
  }

  static void profile_table(const Context& ctx, const std::string& profile, int64_t top_n,
                            const std::string& cutoff) {
    std::map<std::string, ProfileRow> rows_by_key;
    {
      auto rows = ctx.query("leads")
                      .group_by("profile", profile_expression(profile))
                      .select("leads", "count(*)")
                      .select("mqls", "count_if(" + kMql + ")")
                      .select("sqls", "count_if(" + kSql + ")")
                      .select("opportunities", std::string("count_if(") + kConverted + ")")
                      .where("in_period(created_at)")
                      .bind("cutoff", tally::sdk::Value{cutoff})
                      .run();
      while (rows.next()) {
        ProfileRow r{rows.text(0), rows.integer(1), rows.integer(2), rows.integer(3), rows.integer(4), 0};
        rows_by_key[r.key] = r;
      }
    }
    for (const auto& c : converted_leads(ctx, Which::Current, profile, cutoff))
      rows_by_key[c.key].customers += c.customers;

    std::vector<ProfileRow> rows;
    for (auto& [key, row] : rows_by_key) rows.push_back(row);
    if (profile == "employee_band") {
      // Bands in size order, unknown last.
      auto rank = [](const std::string& key) {
        auto it = std::find(kBands.begin(), kBands.end(), key);
        return static_cast<size_t>(it - kBands.begin());
      };
      std::sort(rows.begin(), rows.end(),
                [&](const auto& a, const auto& b) { return rank(a.key) < rank(b.key); });
    } else {
      std::stable_sort(rows.begin(), rows.end(),
                       [](const auto& a, const auto& b) { return a.leads > b.leads; });
    }

    auto t = ctx.table("by_" + profile, "Lead-to-customer conversion by " + profile);
    t.column(profile, Unit::Text)
        .column("leads", Unit::Count)
        .column("mqls", Unit::Count)
        .column("sqls", Unit::Count)
        .column("opportunities", Unit::Count)
        .column("customers", Unit::Count)
        .column("lead_to_customer", Unit::Percent);
    t.chart(Chart::Bar, profile, "lead_to_customer");
    int64_t written = 0;
    for (const auto& r : rows) {
      if (written++ >= top_n) break;
      t.row({label_or_none(r.key), r.leads, r.mqls, r.sqls, r.opportunities, r.customers,
             tally::sdk::ratio(static_cast<double>(r.customers), static_cast<double>(r.leads))});
      tally::sdk::drilldown_group(ctx, "by_" + profile, label_or_none(r.key), "leads",
                                  "in_period(created_at)", profile_expression(profile));
    }
  }
};

}  // namespace

TALLY_METRIC(LeadFunnel)

// The demo company generator (`tally demo`, demo.hpp): one class whose parts
// of the story live in one file each: organisation.cpp (catalog, teams,
// reps, accounts), leads.cpp (the daily flow of leads and rep-sourced deals),
// deals.cpp (opportunities, their history, activities and collateral),
// subscriptions.cpp (customers' lives, renewals, expansions, usage) and
// plans.cpp (quotas, targets, time entries). Internal to demo/.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "demo/catalog.hpp"
#include "demo/random.hpp"
#include "demo/writer.hpp"
#include "store/store.hpp"

#include "demo/demo.hpp"

namespace tally::demo::generation {

using namespace catalog;

inline constexpr const char* kGeneratorVersion = "1";
inline constexpr int64_t kDay = 86400;
inline constexpr int64_t kHour = 3600;

// Volumes at scale 1; deals and activities follow from leads and subscriptions.
inline constexpr double kAccountsPerScale = 1500;
inline constexpr double kLeadsPerScale = 20000;
inline constexpr double kRepSourcedDealsPerScale = 2600;
inline constexpr double kExistingCustomerShare = 0.22;  // accounts already customers when the data starts

enum class Role { kExec, kSdr, kManager };
enum class DealType { kNewBusiness, kRenewal, kExpansion };

inline int64_t floor_div(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}
inline int weekday_of(int64_t day) {
  return static_cast<int>(((day + 3) % 7 + 7) % 7);
}  // 0 = Monday
inline double round_cents(double x) {
  return std::round(x * 100.0) / 100.0;
}
inline double cents_to_money(int64_t cents) {
  return static_cast<double>(cents) / 100.0;
}

struct Rep {
  int64_t id = 0;
  std::string name;
  int team = 0;
  int region = 0;
  Role role = Role::kExec;
  int64_t hired_day = 0;
  double skill = 1;  // multiplies win probability
};

struct Team {
  int64_t id = 0;
  std::string name;
  int region = 0;
  int manager = -1;        // rep index
  std::vector<int> execs;  // rep indices of the team's account executives
};

struct Account {
  int64_t id = 0;
  std::string name;
  int region = 0;
  int industry = 0;
  int segment = 0;
  int employees = 0;
  int country = 0;
  int owner = 0;  // rep index
  int64_t first_contact = 0;
  int contacts = 0;
};

// One opportunity, fully decided before it is written.
struct Deal {
  int64_t id = 0;
  int account = 0, owner = 0, product = 0;
  std::optional<int64_t> lead_id;
  int64_t contact = 0;
  DealType type = DealType::kNewBusiness;
  const char* source = nullptr;
  double amount = 0;
  int64_t created = 0, close = 0, expected_close = 0;  // close >= end: still open at the end
  bool won = false;
  int first_stage = 0, last_stage = kOpenStages - 1;  // the open stages it passes through
  int skipped_stage = -1;
  bool record_history = true;
  int assisting_rep = -1;
  std::array<int, 3> collateral{};
  int collateral_count = 0;
  const char* loss_reason = nullptr;
  const char* competitor = nullptr;
  double activity_rate = 1.0;
};

// Per-quarter actuals, kept to set quotas and targets that real attainment spreads around.
struct QuarterStats {
  double revenue = 0, new_business = 0;
  int64_t won = 0, lost = 0, created = 0;
};

class Generator {
 public:
  Generator(store::Store& store, const DemoOptions& opts,
            const std::function<void(const std::string&)>& progress)
      : opts_(opts),
        progress_(progress),
        rng_(opts.seed ^ (static_cast<uint64_t>(opts.scale) * 0x9e3779b97f4a7c15ULL)),
        store_(store),
        teams_(store, "teams", {"id", "name", "region", "manager_id"}),
        reps_(store, "reps",
              {"id", "name", "email", "team_id", "manager_id", "region", "territory", "role", "hired_at",
               "left_at"}),
        accounts_(store, "accounts",
                  {"id", "name", "industry", "employees", "annual_revenue", "country", "region", "segment",
                   "owner_id", "parent_id", "created_at"}),
        contacts_(store, "contacts", {"id", "account_id", "name", "title", "email"}),
        products_(store, "products", {"id", "name", "family", "list_price"}),
        stages_(store, "stages", {"id", "name", "position", "probability", "is_closed", "is_won"}),
        leads_(store, "leads",
               {"id", "owner_id", "contact_id", "account_id", "source", "title", "industry", "employees",
                "country", "region", "created_at", "first_response_at", "mql_at", "sal_at", "sql_at",
                "converted_at", "disqualified_at", "opportunity_id"}),
        opportunities_(store, "opportunities",
                       {"id", "name", "account_id", "owner_id", "lead_id", "product_id", "amount", "type",
                        "source", "stage", "probability", "forecast_category", "status", "created_at",
                        "expected_close_at", "closed_at", "loss_reason", "competitor"}),
        stage_history_(store, "stage_history", {"opportunity_id", "stage", "entered_at", "exited_at"}),
        activities_(store, "activities",
                    {"rep_id", "type", "occurred_at", "duration_minutes", "lead_id", "opportunity_id",
                     "account_id", "contact_id", "outcome", "assisting_rep_id"}),
        collateral_(store, "collateral", {"id", "name", "type", "created_at"}),
        collateral_usage_(store, "collateral_usage",
                          {"collateral_id", "rep_id", "opportunity_id", "used_at"}),
        subscriptions_(store, "subscriptions",
                       {"id", "account_id", "product_id", "started_at", "ended_at", "mrr"}),
        subscription_events_(store, "subscription_events",
                             {"subscription_id", "account_id", "type", "occurred_at", "mrr_delta", "reason"}),
        quotas_(store, "quotas", {"rep_id", "team_id", "period_start", "period_end", "amount"}),
        targets_(store, "targets", {"kpi", "rep_id", "team_id", "period_start", "period_end", "value"}),
        time_entries_(store, "time_entries", {"rep_id", "day", "category", "minutes"}),
        product_usage_(store, "product_usage", {"account_id", "user_id", "day", "logins", "session_minutes"}),
        support_tickets_(store, "support_tickets",
                         {"account_id", "user_id", "opened_at", "closed_at", "priority"}),
        metadata_(store, "metadata", {"key", "value"}) {
    end_day_ = opts.end.days_since_epoch();
    start_day_ = opts.end.add_months(-24).days_since_epoch();
    start_ts_ = start_day_ * kDay;
    end_ts_ = end_day_ * kDay;
    const Date first_quarter = quarter_start(Date::from_days(start_day_));
    first_quarter_month_ = first_quarter.year * 12 + first_quarter.month - 1;
    quarters_ = quarter_index(end_ts_) + 1;  // through the quarter holding the end: it gets a plan too
  }

  DemoSummary run() {
    const auto indexes =
        store_.drop_secondary_indexes();  // rebuilt once at the end: much faster than updating per row
    store_.begin();
    write_catalog();
    write_organisation();
    rep_won_.assign(reps_data_.size() * quarters_, 0.0);
    team_stats_.assign(teams_data_.size() * quarters_, QuarterStats{});
    write_accounts();
    report("existing customers");
    write_existing_customers();
    write_daily_flow();
    report("quotas, targets and time entries");
    write_quotas_and_targets();
    write_time_entries();
    write_metadata();
    store_.commit();
    report("indexing");
    for (const auto& sql : indexes) store_.exec(sql);
    return summary();
  }

 private:
 private:
  // ---------------------------------------------------------------- helpers

  void report(const std::string& line) {
    if (progress_) progress_(line);
  }

  int quarter_index(int64_t ts) const {
    const Date d = Date::from_days(floor_div(ts, kDay));
    return (d.year * 12 + d.month - 1 - first_quarter_month_) / 3;
  }
  Date quarter_date(int q) const {
    const int month = first_quarter_month_ + 3 * q;
    return Date{month / 12, month % 12 + 1, 1};
  }

  // A moment in [lo, hi) during working hours on a weekday when the range allows.
  int64_t work_time(int64_t lo, int64_t hi) {
    if (hi <= lo) return lo;
    const int64_t lo_day = floor_div(lo, kDay), hi_day = floor_div(hi - 1, kDay);
    int64_t day = rng_.between(lo_day, hi_day);
    const int wd = weekday_of(day);
    if (wd >= 5) {
      const int64_t monday = day + (7 - wd), friday = day - (wd - 4);
      day = monday <= hi_day ? monday : (friday >= lo_day ? friday : day);
    }
    int64_t t = day * kDay + 8 * kHour + rng_.below(10 * kHour);
    if (t < lo || t >= hi) t = lo + rng_.below(hi - lo);
    return t;
  }

  template <size_t N>
  size_t pick(const std::array<double, N>& weights) {
    return rng_.weighted(std::span<const double>(weights.data(), N));
  }

  // An account executive of the region already hired at `ts`.
  int active_exec(int region, int64_t ts) {
    const auto& pool = region_execs_[region];
    for (int attempt = 0; attempt < 8; ++attempt) {
      const int rep = pool[rng_.below(static_cast<int64_t>(pool.size()))];
      if (reps_data_[rep].hired_day * kDay <= ts) return rep;
    }
    return pool.front();  // the first exec of each region is a veteran
  }

  int64_t random_contact(const Account& account) {
    return account.first_contact + rng_.below(account.contacts);
  }

  // ---------------------------------------------------------------- static data

  void write_catalog();

  std::string unique_person_name(std::unordered_set<std::string>& taken);

  static std::string email_local_part(const std::string& name);

  void write_organisation();

  void write_accounts();

  // ---------------------------------------------------------------- activities

  void write_activity(int rep, ActivityType type, int64_t at, std::optional<int64_t> lead,
                      std::optional<int64_t> opportunity, std::optional<int64_t> account,
                      std::optional<int64_t> contact, int assisting_rep = -1);

  // ---------------------------------------------------------------- opportunities

  void plan_collateral(Deal& deal, double& win_boost);

  int assistant_for(int owner);

  // Writes the opportunity with its stage history, activities and collateral
  // use as seen at the end date. Returns its closed_at when it closed before the end.
  std::optional<int64_t> write_deal(const Deal& d);

  QuarterStats& team_quarter(int team, int q) {
    return team_stats_[static_cast<size_t>(team) * quarters_ + q];
  }

  // Decides a new-business deal's fate and writes it; a won deal becomes a subscription.
  // Deals of the warm-up before the data starts are kept only if still open at the start.
  // Returns the opportunity's id when it was written.
  std::optional<int64_t> new_business(int account_index, int owner, const Source& source, int64_t created,
                                      std::optional<int64_t> lead_id, std::optional<int64_t> contact);

  // ---------------------------------------------------------------- subscriptions

  void write_event(int64_t subscription, const Account& account, const char* type, int64_t at,
                   int64_t delta_cents, const char* reason);

  // Lives a subscription month by month from its start to the end date:
  // renewals, expansions, contractions, churn and reactivation, with the
  // account's usage, tickets and account-management touches along the way.
  void subscription(int account_index, int product, int64_t started, int64_t mrr_cents);

  // A renewal opportunity closing at `due`; false when the customer does not renew.
  bool renewal(int account_index, int product, int64_t due, int64_t mrr_cents, double health);

  void expansion(int account_index, int product, int64_t at, int64_t delta_cents, bool won);

  void account_month(const Account& account, int64_t from, int64_t to, int users,
                     const std::array<double, 32>& engagement, double health, const std::string& user_prefix);

  void write_existing_customers();

  // ---------------------------------------------------------------- leads and the daily flow

  void lead(int64_t day);

  void rep_sourced_deal(int64_t day);

  // Leads and deals run from before the data starts, so the first months already
  // have a pipeline to close; only what reaches into the data period is written.
  static constexpr int64_t kWarmUpDays = 240;

  void write_daily_flow();

  // ---------------------------------------------------------------- plans and time

  static double round_to(double x, double step) { return std::round(x / step) * step; }

  void write_quotas_and_targets();

  void write_time_entries();

  void write_metadata();

  DemoSummary summary() const {
    DemoSummary s;
    s.reps = reps_.count();
    s.teams = teams_.count();
    s.accounts = accounts_.count();
    s.leads = leads_.count();
    s.opportunities = opportunities_.count();
    s.stage_history = stage_history_.count();
    s.activities = activities_.count();
    s.collateral_items = collateral_.count();
    s.collateral_uses = collateral_usage_.count();
    s.subscriptions = subscriptions_.count();
    s.subscription_events = subscription_events_.count();
    s.quotas = quotas_.count();
    s.time_entries = time_entries_.count();
    s.product_usage = product_usage_.count();
    s.support_tickets = support_tickets_.count();
    return s;
  }

  const DemoOptions& opts_;
  const std::function<void(const std::string&)>& progress_;
  Random rng_;
  store::Store& store_;
  Insert teams_, reps_, accounts_, contacts_, products_, stages_, leads_, opportunities_, stage_history_,
      activities_, collateral_, collateral_usage_, subscriptions_, subscription_events_, quotas_, targets_,
      time_entries_, product_usage_, support_tickets_, metadata_;

  int64_t start_day_ = 0, end_day_ = 0, start_ts_ = 0, end_ts_ = 0;
  int first_quarter_month_ = 0;
  int quarters_ = 0;

  std::vector<Rep> reps_data_;
  std::vector<Team> teams_data_;
  std::vector<Account> accounts_data_;
  std::vector<uint8_t> contact_titles_;  // by contact id - 1
  std::vector<std::vector<int>> region_execs_, region_sdrs_;

  std::vector<double> rep_won_;           // [rep * quarters + q]
  std::vector<QuarterStats> team_stats_;  // [team * quarters + q]

  int64_t next_lead_id_ = 1, next_opportunity_id_ = 1, next_subscription_id_ = 1;
  const char* pending_churn_reason_ = nullptr;
};

}  // namespace tally::demo::generation

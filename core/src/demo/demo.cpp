#include "demo/demo.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "demo/catalog.hpp"
#include "demo/random.hpp"
#include "demo/writer.hpp"
#include "store/backend.hpp"
#include "store/sqlite.hpp"

namespace tally::demo {

namespace {

namespace fs = std::filesystem;
using namespace catalog;

constexpr const char* kGeneratorVersion = "1";
constexpr int64_t kDay = 86400;
constexpr int64_t kHour = 3600;
constexpr int64_t kRowsPerCommit = 200000;

// Volumes at scale 1; deals and activities follow from leads and subscriptions.
constexpr double kAccountsPerScale = 1500;
constexpr double kLeadsPerScale = 20000;
constexpr double kRepSourcedDealsPerScale = 2600;
constexpr double kExistingCustomerShare = 0.22;  // accounts already customers when the data starts

enum class Role { kExec, kSdr, kManager };
enum class DealType { kNewBusiness, kRenewal, kExpansion };

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int weekday_of(int64_t day) { return static_cast<int>(((day + 3) % 7 + 7) % 7); }  // 0 = Monday
double round_cents(double x) { return std::round(x * 100.0) / 100.0; }
double cents_to_money(int64_t cents) { return static_cast<double>(cents) / 100.0; }

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
  Generator(sqlite3* db, const DemoOptions& opts, const std::function<void(const std::string&)>& progress)
      : opts_(opts),
        progress_(progress),
        rng_(opts.seed ^ (static_cast<uint64_t>(opts.scale) * 0x9e3779b97f4a7c15ULL)),
        writer_(db, kRowsPerCommit),
        teams_(writer_, "INSERT INTO teams (id, name, region, manager_id) VALUES (?,?,?,?)"),
        reps_(writer_,
              "INSERT INTO reps (id, name, email, team_id, manager_id, region, territory, role, hired_at, "
              "left_at) "
              "VALUES (?,?,?,?,?,?,?,?,?,?)"),
        accounts_(
            writer_,
            "INSERT INTO accounts (id, name, industry, employees, annual_revenue, country, region, segment, "
            "owner_id, parent_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"),
        contacts_(writer_, "INSERT INTO contacts (id, account_id, name, title, email) VALUES (?,?,?,?,?)"),
        products_(writer_, "INSERT INTO products (id, name, family, list_price) VALUES (?,?,?,?)"),
        stages_(
            writer_,
            "INSERT INTO stages (id, name, position, probability, is_closed, is_won) VALUES (?,?,?,?,?,?)"),
        leads_(
            writer_,
            "INSERT INTO leads (id, owner_id, contact_id, account_id, source, title, industry, employees, "
            "country, "
            "region, created_at, first_response_at, mql_at, sal_at, sql_at, converted_at, disqualified_at, "
            "opportunity_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
        opportunities_(
            writer_,
            "INSERT INTO opportunities (id, name, account_id, owner_id, lead_id, product_id, amount, "
            "currency, type, source, stage, probability, forecast_category, status, created_at, "
            "expected_close_at, closed_at, loss_reason, competitor) "
            "VALUES (?,?,?,?,?,?,?,'USD',?,?,?,?,?,?,?,?,?,?,?)"),
        stage_history_(
            writer_,
            "INSERT INTO stage_history (opportunity_id, stage, entered_at, exited_at) VALUES (?,?,?,?)"),
        activities_(
            writer_,
            "INSERT INTO activities (rep_id, type, occurred_at, duration_minutes, lead_id, opportunity_id, "
            "account_id, contact_id, outcome, assisting_rep_id) VALUES (?,?,?,?,?,?,?,?,?,?)"),
        collateral_(writer_, "INSERT INTO collateral (id, name, type, created_at) VALUES (?,?,?,?)"),
        collateral_usage_(writer_,
                          "INSERT INTO collateral_usage (collateral_id, rep_id, opportunity_id, used_at) "
                          "VALUES (?,?,?,?)"),
        subscriptions_(writer_,
                       "INSERT INTO subscriptions (id, account_id, product_id, started_at, ended_at, mrr) "
                       "VALUES (?,?,?,?,?,?)"),
        subscription_events_(
            writer_,
            "INSERT INTO subscription_events (subscription_id, account_id, type, occurred_at, "
            "mrr_delta, reason) VALUES (?,?,?,?,?,?)"),
        quotas_(writer_,
                "INSERT INTO quotas (rep_id, team_id, period_start, period_end, amount) VALUES (?,?,?,?,?)"),
        targets_(writer_,
                 "INSERT INTO targets (kpi, rep_id, team_id, period_start, period_end, value) VALUES "
                 "(?,?,?,?,?,?)"),
        time_entries_(writer_, "INSERT INTO time_entries (rep_id, day, category, minutes) VALUES (?,?,?,?)"),
        product_usage_(writer_,
                       "INSERT INTO product_usage (account_id, user_id, day, logins, session_minutes) "
                       "VALUES (?,?,?,?,?)"),
        support_tickets_(writer_,
                         "INSERT INTO support_tickets (account_id, user_id, opened_at, closed_at, priority) "
                         "VALUES (?,?,?,?,?)"),
        metadata_(writer_, "INSERT INTO metadata (key, value) VALUES (?,?)") {
    end_day_ = opts.end.days_since_epoch();
    start_day_ = opts.end.add_months(-24).days_since_epoch();
    start_ts_ = start_day_ * kDay;
    end_ts_ = end_day_ * kDay;
    const Date first_quarter = quarter_start(Date::from_days(start_day_));
    first_quarter_month_ = first_quarter.year * 12 + first_quarter.month - 1;
    quarters_ = quarter_index(end_ts_) + 1;  // through the quarter holding the end: it gets a plan too
  }

  DemoSummary run() {
    const auto indexes = drop_indexes();  // rebuilt once at the end: much faster than updating per row
    writer_.begin();
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
    writer_.commit();
    report("indexing");
    for (const auto& sql : indexes) writer_.exec(sql);
    return summary();
  }

 private:
  // ---------------------------------------------------------------- helpers

  void report(const std::string& line) {
    if (progress_) progress_(line);
  }

  std::vector<std::string> drop_indexes() {
    std::vector<std::string> created;
    std::vector<std::string> names;
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(
        writer_.db(),
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name", -1,
        &stmt, nullptr);
    while (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
      names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
      created.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)));
    }
    sqlite3_finalize(stmt);
    for (const auto& name : names) writer_.exec("DROP INDEX \"" + name + "\"");
    return created;
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

  void write_catalog() {
    for (size_t i = 0; i < kStages.size(); ++i)
      stages_(static_cast<int64_t>(i + 1), kStages[i].name, static_cast<int64_t>(i + 1),
              kStages[i].probability, kStages[i].closed ? 1 : 0, kStages[i].won ? 1 : 0);
    for (size_t i = 0; i < kProducts.size(); ++i)
      products_(static_cast<int64_t>(i + 1), kProducts[i].name, kProducts[i].family, kProducts[i].list_price);
    for (size_t i = 0; i < kCollateral.size(); ++i)
      collateral_(static_cast<int64_t>(i + 1), kCollateral[i].name, kCollateral[i].type,
                  Timestamp{(start_day_ + kCollateral[i].created_day) * kDay + 10 * kHour});
  }

  std::string unique_person_name(std::unordered_set<std::string>& taken) {
    for (int attempt = 0;; ++attempt) {
      std::string name = std::string(kFirstNames[rng_.below(kFirstNames.size())]) + " " +
                         kLastNames[rng_.below(kLastNames.size())];
      if (attempt > 20) name += " " + std::to_string(attempt);
      if (taken.insert(name).second) return name;
    }
  }

  static std::string email_local_part(const std::string& name) {
    std::string out;
    for (char c : name)
      out += c == ' ' ? '.' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  }

  void write_organisation() {
    // Headcount grows with the square root of the scale, volumes linearly.
    const double headcount = std::sqrt(static_cast<double>(opts_.scale));
    const int teams_per_region = std::max(2, static_cast<int>(std::lround(2 * headcount)));
    const int sdrs = std::max(2, static_cast<int>(std::lround(2 * headcount)));
    std::unordered_set<std::string> names;
    region_execs_.assign(kRegions.size(), {});
    region_sdrs_.assign(kRegions.size(), {});

    auto add_rep = [&](int team, Role role, int64_t hired_day) {
      Rep rep;
      rep.id = static_cast<int64_t>(reps_data_.size() + 1);
      rep.name = unique_person_name(names);
      rep.team = team;
      rep.region = teams_data_[team].region;
      rep.role = role;
      rep.hired_day = hired_day;
      rep.skill = std::clamp(rng_.lognormal(1.0, 0.22), 0.65, 1.5);
      reps_data_.push_back(rep);
      return static_cast<int>(reps_data_.size() - 1);
    };
    auto veteran_hire = [&] { return start_day_ - rng_.between(90, 5 * 365); };

    for (size_t region = 0; region < kRegions.size(); ++region) {
      const int execs = std::max(teams_per_region,
                                 static_cast<int>(std::lround(kRegions[region].account_execs * headcount)));
      for (int t = 0; t < teams_per_region; ++t) {
        Team team;
        team.id = static_cast<int64_t>(teams_data_.size() + 1);
        team.region = static_cast<int>(region);
        team.name = std::string(kRegions[region].prefix) + " " + kRegions[region].territories[t % 3];
        if (t >= 3) team.name += " " + std::to_string(t / 3 + 1);
        teams_data_.push_back(team);
        const int team_index = static_cast<int>(teams_data_.size() - 1);
        teams_data_[team_index].manager = add_rep(team_index, Role::kManager, veteran_hire());
        const int team_execs = execs / teams_per_region + (t < execs % teams_per_region ? 1 : 0);
        for (int e = 0; e < team_execs; ++e) {
          // About one in eight joined during the period; the first of each team is a veteran.
          const bool new_hire = e > 0 && rng_.chance(0.12);
          const int64_t hired = new_hire ? start_day_ + rng_.between(60, 600) : veteran_hire();
          const int rep = add_rep(team_index, Role::kExec, hired);
          teams_data_[team_index].execs.push_back(rep);
          region_execs_[region].push_back(rep);
        }
      }
    }
    for (int s = 0; s < sdrs; ++s) {
      const int region = s % static_cast<int>(kRegions.size());
      const int team = region * teams_per_region;  // SDRs sit in their region's first team
      region_sdrs_[region].push_back(add_rep(team, Role::kSdr, veteran_hire()));
    }

    for (const auto& team : teams_data_)
      teams_(team.id, team.name, kRegions[team.region].name, reps_data_[team.manager].id);
    for (const auto& rep : reps_data_) {
      const Team& team = teams_data_[rep.team];
      const bool manager = rep.role == Role::kManager;
      const char* role = manager ? "manager" : rep.role == Role::kSdr ? "sdr" : "rep";
      std::optional<int64_t> manager_id;
      if (!manager) manager_id = reps_data_[team.manager].id;
      reps_(rep.id, rep.name, email_local_part(rep.name) + "@tally-demo.example", team.id, manager_id,
            kRegions[rep.region].name, team.name, role, Day{rep.hired_day}, std::nullopt);
    }
  }

  void write_accounts() {
    const int64_t count = std::max<int64_t>(60, std::llround(kAccountsPerScale * opts_.scale));
    std::array<double, 3> region_weights{}, segment_weights{};
    for (size_t r = 0; r < kRegions.size(); ++r) region_weights[r] = kRegions[r].account_share;
    for (size_t s = 0; s < kSegments.size(); ++s) segment_weights[s] = kSegments[s].account_share;
    std::array<double, kIndustries.size()> industry_weights{};
    for (size_t i = 0; i < kIndustries.size(); ++i) industry_weights[i] = kIndustries[i].weight;
    std::array<double, kTitles.size()> title_weights{};
    for (size_t i = 0; i < kTitles.size(); ++i) title_weights[i] = kTitles[i].weight;
    std::unordered_set<std::string> names;
    int64_t next_contact = 1;

    accounts_data_.reserve(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
      Account a;
      a.id = i + 1;
      a.region = static_cast<int>(pick(region_weights));
      std::array<double, kCountries.size()> country_weights{};
      for (size_t c = 0; c < kCountries.size(); ++c)
        country_weights[c] = kCountries[c].region == a.region ? kCountries[c].weight : 0;
      a.country = static_cast<int>(pick(country_weights));
      a.industry = static_cast<int>(pick(industry_weights));
      a.segment = static_cast<int>(pick(segment_weights));
      const SegmentDef& seg = kSegments[a.segment];
      // Log-uniform head count within the segment's band.
      a.employees = static_cast<int>(
          std::exp(rng_.uniform(std::log(seg.min_employees), std::log(seg.max_employees + 1))));
      a.employees = std::clamp(a.employees, seg.min_employees, seg.max_employees);
      // Accounts belong to executives who were there from the start.
      const auto& pool = region_execs_[a.region];
      do {
        a.owner = pool[rng_.below(static_cast<int64_t>(pool.size()))];
      } while (reps_data_[a.owner].hired_day > start_day_);
      const auto& industry = kIndustries[a.industry];
      a.name = std::string(kCompanyWords[rng_.below(kCompanyWords.size())]) + " " +
               industry.name_suffixes[rng_.below(3)];
      if (!names.insert(a.name).second) {
        for (int n = 2;; ++n)
          if (names.insert(a.name + " " + std::to_string(n)).second) {
            a.name += " " + std::to_string(n);
            break;
          }
      }
      a.first_contact = next_contact;
      a.contacts = static_cast<int>(2 + a.segment * 2 + rng_.below(3));
      next_contact += a.contacts;

      const double revenue = round_cents(a.employees * rng_.lognormal(160000, 0.5));
      accounts_(
          a.id, a.name, industry.name, static_cast<int64_t>(a.employees), revenue, kCountries[a.country].name,
          kRegions[a.region].name, seg.name, reps_data_[a.owner].id, std::nullopt,
          Timestamp{(start_day_ - rng_.between(30, 4 * 365)) * kDay + rng_.between(8 * kHour, 18 * kHour)});

      std::string domain;
      for (char c : a.name)
        if (c != ' ') domain += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      for (int c = 0; c < a.contacts; ++c) {
        const auto title = static_cast<uint8_t>(pick(title_weights));
        contact_titles_.push_back(title);
        const std::string name = std::string(kFirstNames[rng_.below(kFirstNames.size())]) + " " +
                                 kLastNames[rng_.below(kLastNames.size())];
        contacts_(a.first_contact + c, a.id, name, kTitles[title].name,
                  email_local_part(name) + "@" + domain + ".example");
      }
      accounts_data_.push_back(std::move(a));
    }
  }

  // ---------------------------------------------------------------- activities

  void write_activity(int rep, ActivityType type, int64_t at, std::optional<int64_t> lead,
                      std::optional<int64_t> opportunity, std::optional<int64_t> account,
                      std::optional<int64_t> contact, int assisting_rep = -1) {
    if (at < start_ts_ || at >= end_ts_) return;
    std::optional<double> minutes;
    const char* outcome = nullptr;
    switch (type) {
      case kCall: {
        static constexpr std::array<double, 4> weights = {36, 34, 25, 5};
        static constexpr std::array<const char*, 4> outcomes = {"connected", "no_answer", "voicemail",
                                                                "wrong_number"};
        const size_t o = pick(weights);
        outcome = outcomes[o];
        minutes = o == 0 ? std::round(rng_.lognormal(7, 0.6) * 10) / 10 : o == 2 ? 1.0 : 0.5;
        break;
      }
      case kEmail:
        outcome = "sent";
        break;
      case kReply: {
        static constexpr std::array<double, 3> weights = {45, 40, 15};
        static constexpr std::array<const char*, 3> outcomes = {"positive", "neutral", "negative"};
        outcome = outcomes[pick(weights)];
        break;
      }
      case kConversation: {
        static constexpr std::array<double, 3> weights = {50, 38, 12};
        static constexpr std::array<const char*, 3> outcomes = {"positive", "neutral", "negative"};
        outcome = outcomes[pick(weights)];
        minutes = std::round(rng_.lognormal(14, 0.5));
        break;
      }
      case kMeeting:
      case kDemo: {
        static constexpr std::array<double, 3> weights = {82, 9, 9};
        static constexpr std::array<const char*, 3> outcomes = {"held", "no_show", "rescheduled"};
        const size_t o = pick(weights);
        outcome = outcomes[o];
        if (o == 0) minutes = type == kDemo ? 45.0 + 15.0 * rng_.below(2) : 30.0 * (1 + rng_.below(2));
        break;
      }
      case kProposal:
        outcome = "sent";
        break;
      case kReferralRequest: {
        static constexpr std::array<double, 3> weights = {35, 40, 25};
        static constexpr std::array<const char*, 3> outcomes = {"referral_given", "declined", "pending"};
        outcome = outcomes[pick(weights)];
        break;
      }
      case kSocial: {
        static constexpr std::array<double, 2> weights = {40, 60};
        static constexpr std::array<const char*, 2> outcomes = {"engaged", "no_response"};
        outcome = outcomes[pick(weights)];
        break;
      }
    }
    std::optional<int64_t> assisting;
    if (assisting_rep >= 0) assisting = reps_data_[assisting_rep].id;
    activities_(reps_data_[rep].id, kActivityTypes[type], Timestamp{at}, minutes, lead, opportunity, account,
                contact, outcome, assisting);
  }

  // ---------------------------------------------------------------- opportunities

  void plan_collateral(Deal& deal, double& win_boost) {
    static const auto weights = [] {
      std::array<double, kCollateral.size()> w{};
      for (size_t i = 0; i < w.size(); ++i) w[i] = kCollateral[i].popularity;
      return w;
    }();
    deal.collateral_count = static_cast<int>(std::min<int64_t>(3, rng_.poisson(0.75)));
    win_boost = 1.0;
    for (int i = 0; i < deal.collateral_count; ++i) {
      deal.collateral[i] = static_cast<int>(pick(weights));
      win_boost = std::max(win_boost, kCollateral[deal.collateral[i]].win_boost);
    }
  }

  int assistant_for(int owner) {
    const Team& team = teams_data_[reps_data_[owner].team];
    if (team.execs.size() < 2 || rng_.chance(0.3)) return team.manager;
    for (;;) {
      const int rep = team.execs[rng_.below(static_cast<int64_t>(team.execs.size()))];
      if (rep != owner) return rep;
    }
  }

  // Writes the opportunity with its stage history, activities and collateral
  // use as seen at the end date. Returns its closed_at when it closed before the end.
  std::optional<int64_t> write_deal(const Deal& d) {
    const bool closed = d.close < end_ts_;
    std::array<int, kOpenStages> path{};
    int stages = 0;
    const int top = d.won ? kOpenStages - 1 : d.last_stage;
    for (int s = d.first_stage; s <= top; ++s)
      if (s != d.skipped_stage) path[stages++] = s;

    // Stage entry times: the deal's life split by each stage's typical weight.
    std::array<int64_t, kOpenStages + 1> entered{};
    std::array<double, kOpenStages> weight{};
    double total = 0;
    for (int i = 0; i < stages; ++i)
      total += weight[i] = kStages[path[i]].duration_weight * rng_.uniform(0.5, 1.5);
    const double span = static_cast<double>(d.close - d.created);
    double cumulative = 0;
    entered[0] = d.created;
    for (int i = 1; i < stages; ++i) {
      cumulative += weight[i - 1];
      entered[i] = std::max(entered[i - 1] + 60, d.created + static_cast<int64_t>(span * cumulative / total));
    }
    entered[stages] = std::max(d.close, entered[stages - 1] + 60);
    const int64_t close = entered[stages];
    int visible = 0;
    while (visible < stages && entered[visible] < end_ts_) ++visible;

    const char* stage_name =
        closed ? kStages[d.won ? kClosedWon : kClosedLost].name : kStages[path[visible - 1]].name;
    if (d.record_history) {
      for (int i = 0; i < visible; ++i) {
        std::optional<Timestamp> exited;
        if (entered[i + 1] < end_ts_) exited = Timestamp{entered[i + 1]};
        stage_history_(d.id, kStages[path[i]].name, Timestamp{entered[i]}, exited);
      }
      if (closed) stage_history_(d.id, stage_name, Timestamp{close}, std::nullopt);
    }

    const Account& account = accounts_data_[d.account];
    for (int i = 0; i < visible; ++i) {
      const int64_t lo = entered[i], hi = std::min(entered[i + 1], end_ts_);
      const int64_t count = 1 + rng_.poisson(0.75 * d.activity_rate);
      for (int64_t a = 0; a < count; ++a) {
        const auto type = static_cast<ActivityType>(pick(kStageActivityMix[path[i]]));
        write_activity(d.owner, type, work_time(lo, hi), d.lead_id, d.id, account.id, d.contact);
      }
    }
    if (d.assisting_rep >= 0) {
      // The colleague joins a demo in Discovery or later (or the last stage reached).
      int i = 0;
      while (i + 1 < visible && path[i] < 2) ++i;
      write_activity(d.owner, path[i] >= 2 ? kDemo : kMeeting,
                     work_time(entered[i], std::min(entered[i + 1], end_ts_)), d.lead_id, d.id, account.id,
                     d.contact, d.assisting_rep);
    }
    for (int c = 0; c < d.collateral_count; ++c) {
      const Collateral& item = kCollateral[d.collateral[c]];
      int64_t lo = std::max(d.created, (start_day_ + item.created_day) * kDay + 11 * kHour);
      int64_t hi = std::min(close, end_ts_);
      if (item.retired_day) hi = std::min(hi, (start_day_ + item.retired_day) * kDay);
      if (lo >= hi) continue;
      collateral_usage_(static_cast<int64_t>(d.collateral[c] + 1), reps_data_[d.owner].id, d.id,
                        Timestamp{work_time(lo, hi)});
    }

    std::optional<double> probability;
    const char* forecast = nullptr;
    if (closed) {
      forecast = d.won ? "closed" : "omitted";
    } else {
      const int stage = path[visible - 1];
      if (rng_.chance(0.3))
        probability =
            std::round(std::clamp(kStages[stage].probability + rng_.uniform(-0.1, 0.15), 0.05, 0.95) * 100) /
            100;
      if (rng_.chance(0.04))
        forecast = "omitted";
      else if (stage <= 1)
        forecast = "pipeline";
      else if (stage == 2)
        forecast = rng_.chance(0.7) ? "pipeline" : "best_case";
      else if (stage == 3)
        forecast = rng_.chance(0.6) ? "best_case" : "commit";
      else
        forecast = rng_.chance(0.75) ? "commit" : "best_case";
    }
    static constexpr std::array<const char*, 3> type_names = {"new_business", "renewal", "expansion"};
    static constexpr std::array<const char*, 3> name_suffixes = {"", " renewal", " expansion"};
    const auto type = static_cast<size_t>(d.type);
    std::optional<Timestamp> closed_at;
    if (closed) closed_at = Timestamp{close};
    opportunities_(d.id, account.name + " - " + kProducts[d.product].name + name_suffixes[type], account.id,
                   reps_data_[d.owner].id, d.lead_id, static_cast<int64_t>(d.product + 1), d.amount,
                   type_names[type], d.source, stage_name, probability, forecast,
                   closed ? (d.won ? "won" : "lost") : "open", Timestamp{d.created},
                   Timestamp{d.expected_close}, closed_at, closed && !d.won ? d.loss_reason : nullptr,
                   closed || !d.won ? d.competitor : nullptr);

    if (d.created >= start_ts_) team_quarter(reps_data_[d.owner].team, quarter_index(d.created)).created++;
    if (closed && close >= start_ts_) {
      const int q = quarter_index(close);
      QuarterStats& stats = team_quarter(reps_data_[d.owner].team, q);
      if (d.won) {
        stats.won++;
        stats.revenue += d.amount;
        if (d.type == DealType::kNewBusiness) stats.new_business += d.amount;
        rep_won_[static_cast<size_t>(d.owner) * quarters_ + q] += d.amount;
      } else {
        stats.lost++;
      }
    }
    if (!closed) return std::nullopt;
    return close;
  }

  QuarterStats& team_quarter(int team, int q) {
    return team_stats_[static_cast<size_t>(team) * quarters_ + q];
  }

  // Decides a new-business deal's fate and writes it; a won deal becomes a subscription.
  // Deals of the warm-up before the data starts are kept only if still open at the start.
  // Returns the opportunity's id when it was written.
  std::optional<int64_t> new_business(int account_index, int owner, const Source& source, int64_t created,
                                      std::optional<int64_t> lead_id, std::optional<int64_t> contact) {
    const Account& account = accounts_data_[account_index];
    const SegmentDef& seg = kSegments[account.segment];
    Deal d;
    d.account = account_index;
    d.owner = owner;
    d.lead_id = lead_id;
    d.contact = contact ? *contact : random_contact(account);
    d.source = source.name;
    d.created = created;
    std::array<double, kProducts.size()> product_weights{};
    for (size_t p = 0; p < kProducts.size(); ++p)
      product_weights[p] = kProducts[p].segment_weight[account.segment];
    d.product = static_cast<int>(pick(product_weights));
    d.amount = round_cents(rng_.lognormal(seg.median_amount * kProducts[d.product].amount_factor, 0.55));
    // Leads arrive already qualified about half the time.
    d.first_stage = lead_id && rng_.chance(0.5) ? 1 : 0;

    double collateral_boost = 1;
    plan_collateral(d, collateral_boost);
    const bool assisted = rng_.chance(0.14);
    double p_win = 0.165 * seg.win * reps_data_[owner].skill * source.win *
                   kIndustries[account.industry].win * collateral_boost * (assisted ? 1.3 : 1.0);
    d.won = rng_.chance(std::min(p_win, 0.9));
    if (assisted && d.won)
      d.assisting_rep = assistant_for(owner);
    else if (assisted && rng_.chance(0.5))
      d.assisting_rep = assistant_for(owner);

    const double cycle_days = rng_.lognormal(seg.median_cycle_days, 0.45);
    int64_t close;
    if (d.won) {
      close = created + static_cast<int64_t>(cycle_days * kDay);
      if (d.first_stage == 0 && rng_.chance(0.12)) d.skipped_stage = static_cast<int>(rng_.between(1, 3));
    } else {
      d.last_stage = static_cast<int>(pick(kLossStageWeights));
      d.last_stage = std::max(d.last_stage, d.first_stage);
      close = created + static_cast<int64_t>(cycle_days * kDay * (d.last_stage + 1) / kOpenStages *
                                             rng_.uniform(0.7, 1.2));
      if (d.last_stage >= 3 && rng_.chance(0.1)) d.skipped_stage = 2;
      d.loss_reason = kLossReasons[pick(kLossReasonWeights)];
      if (std::string_view(d.loss_reason) == "competitor" || rng_.chance(0.25))
        d.competitor = kCompetitors[pick(kCompetitorWeights)];
    }
    if (d.won && rng_.chance(0.3)) d.competitor = kCompetitors[pick(kCompetitorWeights)];
    close = std::max(close, created + kDay);
    // Quarter-end push: many deals get signed in the last two weeks of a quarter.
    if (rng_.chance(d.won ? 0.4 : 0.2)) {
      const Date close_date = Date::from_days(floor_div(close, kDay));
      const int64_t quarter_end = quarter_start(close_date).add_months(3).days_since_epoch();
      if (floor_div(close, kDay) < quarter_end - 14)
        close = work_time((quarter_end - 14) * kDay, quarter_end * kDay);
    }
    d.close = close;
    d.expected_close = (floor_div(close, kDay) + rng_.between(-10, 20)) * kDay;
    // Stalled deals: they sit far past the close date the rep expected.
    if (rng_.chance(0.06)) {
      d.expected_close = floor_div(close, kDay) * kDay;
      d.close = created + static_cast<int64_t>((close - created) * rng_.uniform(3, 5));
    }
    d.record_history = !rng_.chance(0.01);  // a few deals imported without history: an edge case to handle
    if (d.close < start_ts_)
      return std::nullopt;  // before the data starts: the existing customer base covers it
    d.id = next_opportunity_id_++;
    if (const auto closed_at = write_deal(d); closed_at && d.won) {
      const int64_t mrr_cents = std::llround(d.amount * 100.0 / 12.0);
      subscription(account_index, d.product, *closed_at, mrr_cents);
    }
    return d.id;
  }

  // ---------------------------------------------------------------- subscriptions

  void write_event(int64_t subscription, const Account& account, const char* type, int64_t at,
                   int64_t delta_cents, const char* reason) {
    subscription_events_(subscription, account.id, type, Timestamp{at}, cents_to_money(delta_cents), reason);
  }

  // Lives a subscription month by month from its start to the end date:
  // renewals, expansions, contractions, churn and reactivation, with the
  // account's usage, tickets and account-management touches along the way.
  void subscription(int account_index, int product, int64_t started, int64_t mrr_cents) {
    const Account& account = accounts_data_[account_index];
    const int64_t id = next_subscription_id_++;
    const double health = rng_.uniform(0.55, 1.0);
    int64_t mrr = std::max<int64_t>(mrr_cents, 2000);
    write_event(id, account, "new", started, mrr, nullptr);
    bool active = true;
    int64_t ended = 0, last_mrr = mrr;

    const int users = static_cast<int>(kSegments[account.segment].users_base +
                                       rng_.poisson(kSegments[account.segment].users_base));
    std::array<double, 32> engagement{};
    for (int u = 0; u < std::min(users, 32); ++u)
      engagement[u] = std::clamp(rng_.uniform(0.3, 1.0) * (0.5 + health / 2), 0.1, 1.0);
    const std::string user_prefix = "u" + std::to_string(id) + "-";

    const Date start_date = Date::from_days(floor_div(started, kDay));
    for (int month = 0;; ++month) {
      const int64_t period_start =
          month == 0 ? started : start_date.add_months(month).days_since_epoch() * kDay;
      if (period_start >= end_ts_) break;
      const int64_t period_end = start_date.add_months(month + 1).days_since_epoch() * kDay;
      if (active)
        account_month(account, period_start, std::min(period_end, end_ts_), users, engagement, health,
                      user_prefix);
      if (period_end >= end_ts_) {
        // Renewals due soon after the end are already in the pipeline.
        if (active && (month + 1) % 12 == 0) renewal(account_index, product, period_end, mrr, health);
        break;
      }
      if (active) {
        const int tenure_months = month + 1;
        bool churn = false;
        const char* reason = nullptr;
        if (tenure_months % 12 == 0) {
          churn = !renewal(account_index, product, period_end, mrr, health);
        } else if (rng_.chance(0.003 + (tenure_months < 6 ? 0.004 : 0))) {
          churn = true;
        }
        if (churn) {
          reason = kChurnReasons[pick(kChurnReasonWeights)];
          if (tenure_months < 6 && rng_.chance(0.5)) reason = "poor onboarding";
          if (tenure_months % 12 == 0) reason = pending_churn_reason_;
          write_event(id, account, "churn", period_end, -mrr, reason);
          last_mrr = mrr;
          mrr = 0;
          active = false;
          ended = period_end;
          continue;
        }
        if (rng_.chance(0.022 * (0.5 + health))) {
          const int64_t delta = std::max<int64_t>(1000, std::llround(mrr * rng_.uniform(0.1, 0.5)));
          expansion(account_index, product, period_end, delta, true);
          write_event(id, account, "expansion", period_end, delta, nullptr);
          mrr += delta;
        } else if (rng_.chance(0.016)) {
          expansion(account_index, product, period_end, std::llround(mrr * rng_.uniform(0.1, 0.4)), false);
        }
        if (rng_.chance(0.009 * (1.6 - health)) && mrr > 4000) {
          const int64_t delta = std::llround(mrr * rng_.uniform(0.1, 0.4));
          write_event(id, account, "contraction", period_end, -delta,
                      rng_.chance(0.5) ? "fewer seats" : nullptr);
          mrr -= delta;
        }
      } else if (period_end - ended > 60 * kDay && rng_.chance(0.03)) {
        mrr = std::max<int64_t>(2000, std::llround(last_mrr * rng_.uniform(0.5, 1.0)));
        write_event(id, account, "reactivation", period_end, mrr, nullptr);
        active = true;
        ended = 0;
      }
    }
    std::optional<Timestamp> ended_at;
    if (!active) ended_at = Timestamp{ended};
    subscriptions_(id, account.id, static_cast<int64_t>(product + 1), Timestamp{started}, ended_at,
                   cents_to_money(mrr));
  }

  // A renewal opportunity closing at `due`; false when the customer does not renew.
  bool renewal(int account_index, int product, int64_t due, int64_t mrr_cents, double health) {
    const Account& account = accounts_data_[account_index];
    Deal d;
    d.type = DealType::kRenewal;
    d.account = account_index;
    d.owner = account.owner;
    d.product = product;
    d.contact = random_contact(account);
    d.source = "renewal";
    d.amount = cents_to_money(mrr_cents * 12);
    d.created = work_time(due - 70 * kDay, due - 40 * kDay);
    d.won = rng_.chance(0.52 + 0.3 * health);
    d.first_stage = 3;
    d.expected_close = floor_div(due, kDay) * kDay;
    d.activity_rate = 0.6;
    if (d.won) {
      d.close = work_time(due - 20 * kDay, due);
    } else {
      d.close = due;
      d.last_stage = rng_.chance(0.6) ? 3 : 4;
      const size_t reason = pick(kChurnReasonWeights);
      pending_churn_reason_ = kChurnReasons[reason];
      d.loss_reason = kChurnLossReason[reason];
      if (reason == 1) d.competitor = kCompetitors[pick(kCompetitorWeights)];
    }
    // Renewals not yet opened at the end date are not in the data.
    if (d.created >= start_ts_ && d.created < end_ts_) {
      d.id = next_opportunity_id_++;
      write_deal(d);
    }
    return d.won;
  }

  void expansion(int account_index, int product, int64_t at, int64_t delta_cents, bool won) {
    const Account& account = accounts_data_[account_index];
    Deal d;
    d.type = DealType::kExpansion;
    d.account = account_index;
    d.owner = account.owner;
    d.product = product;
    d.contact = random_contact(account);
    d.source = "expansion";
    d.amount = cents_to_money(delta_cents * 12);
    d.created = work_time(at - 60 * kDay, at - 20 * kDay);
    d.close = won ? at : at - rng_.between(0, 15) * kDay;
    d.expected_close = floor_div(at, kDay) * kDay;
    d.won = won;
    d.first_stage = 2;
    d.activity_rate = 0.6;
    if (!won) {
      d.last_stage = static_cast<int>(rng_.between(2, 3));
      d.loss_reason = kLossReasons[pick(kLossReasonWeights)];
    }
    if (d.created < start_ts_) return;
    d.id = next_opportunity_id_++;
    write_deal(d);
  }

  void account_month(const Account& account, int64_t from, int64_t to, int users,
                     const std::array<double, 32>& engagement, double health,
                     const std::string& user_prefix) {
    from = std::max(from, start_ts_);
    if (from >= to) return;
    // Weekly usage rows, dated on the Monday of each week that starts in the period.
    for (int64_t day = floor_div(from, kDay); day * kDay < to; ++day) {
      if (weekday_of(day) != 0) continue;
      for (int u = 0; u < std::min(users, 32); ++u) {
        if (!rng_.chance(engagement[u])) continue;
        const int64_t logins = 1 + rng_.poisson(5 * engagement[u]);
        const double minutes = std::round(static_cast<double>(logins) * rng_.lognormal(12, 0.5) * 10) / 10;
        product_usage_(account.id, user_prefix + std::to_string(u + 1), Day{day}, logins, minutes);
      }
    }
    const int64_t tickets = rng_.poisson(users * 0.1 * (1.6 - health));
    for (int64_t t = 0; t < tickets; ++t) {
      const int64_t opened = from + rng_.below(to - from);
      std::optional<Timestamp> closed;
      if (!rng_.chance(0.03)) {
        const int64_t at = opened + static_cast<int64_t>(rng_.lognormal(20, 1.0) * kHour);
        if (at < end_ts_) closed = Timestamp{at};
      }
      support_tickets_(account.id, user_prefix + std::to_string(rng_.below(users) + 1), Timestamp{opened},
                       closed, kPriorities[pick(kPriorityWeights)]);
    }
    // Account management: conversations, the odd check-in meeting, referral asks.
    const int64_t conversations = rng_.poisson(0.55);
    for (int64_t c = 0; c < conversations; ++c)
      write_activity(account.owner, kConversation, work_time(from, to), std::nullopt, std::nullopt,
                     account.id, random_contact(account));
    if (rng_.chance(0.15))
      write_activity(account.owner, kMeeting, work_time(from, to), std::nullopt, std::nullopt, account.id,
                     random_contact(account));
    if (rng_.chance(0.05 * health))
      write_activity(account.owner, kReferralRequest, work_time(from, to), std::nullopt, std::nullopt,
                     account.id, random_contact(account));
  }

  void write_existing_customers() {
    // Customers from before the data starts, so ARR, churn and NRR have a starting base.
    for (size_t a = 0; a < accounts_data_.size(); ++a) {
      if (!rng_.chance(kExistingCustomerShare)) continue;
      const Account& account = accounts_data_[a];
      std::array<double, kProducts.size()> product_weights{};
      for (size_t p = 0; p < kProducts.size(); ++p)
        product_weights[p] = kProducts[p].segment_weight[account.segment];
      const int product = static_cast<int>(pick(product_weights));
      const double annual =
          rng_.lognormal(kSegments[account.segment].median_amount * kProducts[product].amount_factor, 0.55);
      const int64_t started = work_time(start_ts_ - 3 * 365 * kDay, start_ts_ - 20 * kDay);
      subscription(static_cast<int>(a), product, started, std::llround(annual * 100.0 / 12.0));
    }
  }

  // ---------------------------------------------------------------- leads and the daily flow

  void lead(int64_t day) {
    static const auto source_weights = [] {
      std::array<double, kSources.size()> w{};
      for (size_t i = 0; i < w.size(); ++i) w[i] = kSources[i].lead_weight;
      return w;
    }();
    const Source& source = kSources[pick(source_weights)];
    const int account_index = static_cast<int>(rng_.below(static_cast<int64_t>(accounts_data_.size())));
    const Account& account = accounts_data_[account_index];
    const int64_t contact = random_contact(account);
    const Title& title = kTitles[contact_titles_[contact - 1]];
    const int64_t id = next_lead_id_++;

    const bool weekend = weekday_of(day) >= 5;
    int64_t created;
    if (source.business_hours || rng_.chance(0.7))
      created = day * kDay + 8 * kHour + rng_.below(10 * kHour);
    else
      created = day * kDay + rng_.below(kDay);
    const int64_t hour = (created - day * kDay) / kHour;

    // Owner: an SDR works the lead in about a third of cases, else an exec of the region.
    int owner;
    if (!region_sdrs_[account.region].empty() && rng_.chance(0.35))
      owner =
          region_sdrs_[account.region][rng_.below(static_cast<int64_t>(region_sdrs_[account.region].size()))];
    else
      owner = active_exec(account.region, created);

    // First response: log-normal minutes, much slower out of hours and at weekends.
    std::optional<int64_t> responded;
    if (!rng_.chance(0.04)) {
      double median = 16 * source.response_speed;
      if (weekend)
        median *= 12;
      else if (hour < 8 || hour >= 18)
        median *= 5;
      const int64_t at = created + 20 + static_cast<int64_t>(rng_.lognormal(median, 1.6) * 60);
      if (at < end_ts_) responded = at;
    }

    // The funnel: each step may happen (and only if it happened before the end).
    const double quality = title.lead_quality * kIndustries[account.industry].lead_quality *
                           (account.segment == kMidMarket ? 1.1
                            : account.segment == kSmb     ? 0.92
                                                          : 1.0);
    std::array<std::optional<int64_t>, 4> steps;  // mql, sal, sql, converted
    const std::array<double, 4> step_chance = {std::min(0.95, 0.5 * source.mql), 0.74,
                                               std::min(0.95, 0.6 * quality), 0.88};
    const std::array<double, 4> step_median_hours = {20, 30, 96, 48};
    int64_t last = responded.value_or(created);
    bool stopped = false;
    std::optional<int64_t> disqualified;
    for (size_t s = 0; s < steps.size() && !stopped; ++s) {
      const int64_t at = last + static_cast<int64_t>(rng_.lognormal(step_median_hours[s], 0.8) * kHour);
      if (at >= end_ts_) break;  // still in progress at the end
      if (!rng_.chance(step_chance[s])) {
        stopped = true;
        if (rng_.chance(0.65)) {
          const int64_t dq = at + static_cast<int64_t>(rng_.lognormal(72, 0.8) * kHour);
          if (dq < end_ts_) disqualified = dq;
        }
        break;
      }
      steps[s] = at;
      last = at;
    }
    std::optional<int64_t> opportunity;
    if (steps[3]) {
      int deal_owner = account.owner;
      if (rng_.chance(0.25) || reps_data_[deal_owner].hired_day * kDay > *steps[3])
        deal_owner = active_exec(account.region, *steps[3]);
      opportunity = new_business(account_index, deal_owner, source, *steps[3], id, contact);
    }
    // Warm-up leads are written only when they lead into a deal that is.
    if (created < start_ts_ && !opportunity) {
      --next_lead_id_;
      return;
    }

    auto ts = [](const std::optional<int64_t>& t) -> std::optional<Timestamp> {
      if (t) return Timestamp{*t};
      return std::nullopt;
    };
    leads_(id, reps_data_[owner].id, contact, account.id, source.name, title.name,
           kIndustries[account.industry].name, static_cast<int64_t>(account.employees),
           kCountries[account.country].name, kRegions[account.region].name, Timestamp{created}, ts(responded),
           ts(steps[0]), ts(steps[1]), ts(steps[2]), ts(steps[3]), ts(disqualified), opportunity);

    // The touches that go with it: the first response, then nurturing.
    if (responded)
      write_activity(owner, rng_.chance(0.55) ? kCall : kEmail, *responded, id, std::nullopt, account.id,
                     contact);
    if (steps[0]) {
      const int64_t touches = 1 + rng_.poisson(0.8);
      const int64_t until = std::min(steps[2].value_or(*steps[0] + 14 * kDay), end_ts_);
      for (int64_t t = 0; t < touches; ++t) {
        static constexpr std::array<double, 4> weights = {3, 4, 3, 1.5};
        static constexpr std::array<ActivityType, 4> types = {kCall, kEmail, kReply, kSocial};
        write_activity(owner, types[pick(weights)], work_time(*steps[0], until), id, std::nullopt, account.id,
                       contact);
      }
    } else if (responded && rng_.chance(0.3)) {
      write_activity(owner, kEmail, work_time(*responded, std::min(*responded + 10 * kDay, end_ts_)), id,
                     std::nullopt, account.id, contact);
    }
    if (steps[1])
      write_activity(owner, rng_.chance(0.6) ? kConversation : kMeeting,
                     work_time(*steps[1], std::min(steps[2].value_or(*steps[1] + 7 * kDay), end_ts_)), id,
                     std::nullopt, account.id, contact);
  }

  void rep_sourced_deal(int64_t day) {
    static const auto source_weights = [] {
      std::array<double, kSources.size()> w{};
      for (size_t i = 0; i < w.size(); ++i) w[i] = kSources[i].rep_weight;
      return w;
    }();
    const int account_index = static_cast<int>(rng_.below(static_cast<int64_t>(accounts_data_.size())));
    const Account& account = accounts_data_[account_index];
    const int64_t created = day * kDay + 8 * kHour + rng_.below(10 * kHour);
    int owner = account.owner;
    if (rng_.chance(0.3)) owner = active_exec(account.region, created);
    const Source& source = kSources[pick(source_weights)];
    // Prospecting touches before the deal was opened.
    const int64_t contact = random_contact(account);
    const int64_t touches = rng_.poisson(1.2);
    for (int64_t t = 0; t < touches; ++t)
      write_activity(owner, rng_.chance(0.5) ? kCall : (rng_.chance(0.6) ? kEmail : kSocial),
                     work_time(created - 21 * kDay, created), std::nullopt, std::nullopt, account.id,
                     contact);
    new_business(account_index, owner, source, created, std::nullopt, contact);
  }

  // Leads and deals run from before the data starts, so the first months already
  // have a pipeline to close; only what reaches into the data period is written.
  static constexpr int64_t kWarmUpDays = 240;

  void write_daily_flow() {
    // Demand grows ~50% over the two years, is lighter at weekends and in August/December.
    auto demand = [&](int64_t day) {
      const Date d = Date::from_days(day);
      const double growth = 0.8 + 0.4 * static_cast<double>(std::max(day, start_day_) - start_day_) /
                                      static_cast<double>(end_day_ - start_day_);
      const double season = d.month == 8                   ? 0.8
                            : d.month == 12                ? 0.75
                            : d.month == 1 || d.month == 9 ? 1.1
                                                           : 1.0;
      return growth * season;
    };
    double lead_total = 0, deal_total = 0;
    for (int64_t day = start_day_; day < end_day_; ++day) {
      const bool weekend = weekday_of(day) >= 5;
      lead_total += demand(day) * (weekend ? 0.35 : 1.0);
      deal_total += weekend ? 0 : demand(day);
    }
    const double lead_rate = kLeadsPerScale * opts_.scale / lead_total;
    const double deal_rate = kRepSourcedDealsPerScale * opts_.scale / deal_total;
    int last_month = 0;
    for (int64_t day = start_day_ - kWarmUpDays; day < end_day_; ++day) {
      const Date d = Date::from_days(day);
      if (d.month != last_month) {
        last_month = d.month;
        report("leads and deals: " + d.iso().substr(0, 7));
      }
      const bool weekend = weekday_of(day) >= 5;
      const int64_t leads = rng_.poisson(lead_rate * demand(day) * (weekend ? 0.35 : 1.0));
      for (int64_t i = 0; i < leads; ++i) lead(day);
      if (!weekend) {
        const int64_t deals = rng_.poisson(deal_rate * demand(day));
        for (int64_t i = 0; i < deals; ++i) rep_sourced_deal(day);
      }
    }
  }

  // ---------------------------------------------------------------- plans and time

  static double round_to(double x, double step) { return std::round(x / step) * step; }

  void write_quotas_and_targets() {
    const int last = quarters_ - 1;  // the quarter holding the end: a plan without actuals yet
    std::vector<double> team_quota(teams_data_.size() * quarters_, 0.0);
    for (size_t r = 0; r < reps_data_.size(); ++r) {
      const Rep& rep = reps_data_[r];
      if (rep.role != Role::kExec) continue;
      std::vector<double> quota(quarters_, 0.0);
      double sum = 0;
      int counted = 0;
      for (int q = 0; q < last; ++q) {
        // Quotas start with the first full quarter after the hire date.
        if (rep.hired_day >= quarter_date(q).days_since_epoch()) continue;
        const double won = rep_won_[r * quarters_ + q];
        // Attainment spreads around 95%, most reps between 60% and 130%.
        const double attainment = std::clamp(rng_.normal(0.95, 0.2), 0.5, 1.45);
        quota[q] = won > 0 ? won / attainment : 0;
        sum += quota[q];
        ++counted;
      }
      const double typical = counted ? sum / counted : 50000;
      for (int q = 0; q < quarters_; ++q) {
        if (rep.hired_day >= quarter_date(q).days_since_epoch()) continue;
        // A quarter with no wins still had a quota; the plan quarter continues the trend.
        double amount = q == last ? typical * 1.05 : (quota[q] > 0.2 * typical ? quota[q] : typical * 0.9);
        amount = std::max(5000.0, round_to(amount, 5000));
        quotas_(rep.id, teams_data_[rep.team].id, Day{quarter_date(q).days_since_epoch()},
                Day{quarter_date(q + 1).days_since_epoch()}, amount);
        team_quota[static_cast<size_t>(rep.team) * quarters_ + q] += amount;
      }
    }
    for (size_t t = 0; t < teams_data_.size(); ++t)
      for (int q = 0; q < quarters_; ++q)
        if (const double amount = team_quota[t * quarters_ + q]; amount > 0)
          quotas_(std::nullopt, teams_data_[t].id, Day{quarter_date(q).days_since_epoch()},
                  Day{quarter_date(q + 1).days_since_epoch()}, amount);

    // Targets for team and company KPIs, set a little above or below what happened.
    auto write_targets = [&](std::optional<int64_t> team_id, const QuarterStats& actual,
                             const QuarterStats& typical, int q) {
      const Day from{quarter_date(q).days_since_epoch()}, to{quarter_date(q + 1).days_since_epoch()};
      const QuarterStats& base = q == last ? typical : actual;
      const double stretch = q == last ? 1.08 : rng_.uniform(0.85, 1.15);
      targets_("revenue", std::nullopt, team_id, from, to,
               std::max(10000.0, round_to(base.revenue * stretch, 10000)));
      targets_("revenue_new_business", std::nullopt, team_id, from, to,
               std::max(10000.0, round_to(base.new_business * stretch, 10000)));
      targets_("win_rate", std::nullopt, team_id, from, to, q % 4 < 2 ? 0.28 : 0.30);
      targets_("new_opportunities", std::nullopt, team_id, from, to,
               std::max(5.0, std::round(static_cast<double>(base.created) * stretch)));
    };
    auto typical_of = [&](auto stats_at) {
      QuarterStats typical;
      const int from = std::max(0, last - 4);
      for (int q = from; q < last; ++q) {
        const QuarterStats& s = stats_at(q);
        typical.revenue += s.revenue / (last - from);
        typical.new_business += s.new_business / (last - from);
        typical.created += s.created / (last - from);
      }
      return typical;
    };
    for (size_t t = 0; t < teams_data_.size(); ++t) {
      auto stats_at = [&](int q) -> const QuarterStats& { return team_quarter(static_cast<int>(t), q); };
      const QuarterStats typical = typical_of(stats_at);
      for (int q = 0; q < quarters_; ++q) write_targets(teams_data_[t].id, stats_at(q), typical, q);
    }
    std::vector<QuarterStats> company(quarters_);
    for (size_t t = 0; t < teams_data_.size(); ++t)
      for (int q = 0; q < quarters_; ++q) {
        const QuarterStats& s = team_quarter(static_cast<int>(t), q);
        company[q].revenue += s.revenue;
        company[q].new_business += s.new_business;
        company[q].created += s.created;
      }
    const QuarterStats typical = typical_of([&](int q) -> const QuarterStats& { return company[q]; });
    for (int q = 0; q < quarters_; ++q) write_targets(std::nullopt, company[q], typical, q);
  }

  void write_time_entries() {
    for (const Rep& rep : reps_data_) {
      const auto& base = rep.role == Role::kSdr       ? kSdrTime
                         : rep.role == Role::kManager ? kManagerTime
                                                      : kExecTime;
      // Some reps sell much more of their day than others.
      const double selling_bias = rng_.uniform(0.75, 1.2);
      for (int64_t day = std::max(start_day_, rep.hired_day); day < end_day_; ++day) {
        if (weekday_of(day) >= 5 || rng_.chance(0.05)) continue;  // weekends, holidays and leave
        std::array<double, 9> share{};
        double total = 0;
        for (size_t c = 0; c < share.size(); ++c) {
          double w = base[c] * rng_.uniform(0.6, 1.4);
          if (c == 0) w *= selling_bias;
          if (c == 6) w = rng_.chance(0.25) ? w * 4 : 0;  // travel and training come in whole days' chunks
          if (c == 7) w = rng_.chance(0.2) ? w * 5 : 0;
          total += share[c] = w;
        }
        const double day_minutes = std::clamp(rng_.normal(470, 40), 300.0, 600.0);
        for (size_t c = 0; c < share.size(); ++c) {
          const double minutes = round_to(day_minutes * share[c] / total, 5);
          if (minutes > 0) time_entries_(rep.id, Day{day}, kTimeCategories[c], minutes);
        }
      }
    }
  }

  void write_metadata() {
    metadata_("demo_seed", std::to_string(opts_.seed));
    metadata_("demo_scale", std::to_string(opts_.scale));
    metadata_("demo_start", Date::from_days(start_day_).iso());
    metadata_("demo_end", opts_.end.iso());
    metadata_("generator_version", kGeneratorVersion);
  }

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
  BulkWriter writer_;
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

void remove_quietly(const fs::path& path) {
  std::error_code ignored;
  fs::remove(path, ignored);
  for (const char* suffix : {"-wal", "-shm", "-journal"}) fs::remove(path.string() + suffix, ignored);
}

}  // namespace

DemoSummary generate(const DemoOptions& opts, const std::function<void(const std::string&)>& progress) {
  if (opts.scale < 1)
    throw std::invalid_argument("demo scale must be at least 1, got " + std::to_string(opts.scale));
  const auto started = std::chrono::steady_clock::now();
  const fs::path target(opts.db_path);
  const fs::path dir = target.parent_path();
  if (!dir.empty() && !fs::is_directory(dir))
    throw store::StoreError("cannot create database '" + opts.db_path + "': directory '" + dir.string() +
                            "' does not exist");
  // Built next to the target and renamed into place, so readers never see a half-written store.
  const fs::path temp = target.string() + ".tmp-" + std::to_string(::getpid());
  remove_quietly(temp);
  DemoSummary summary;
  try {
    {
      SQLite::Database db = store::open_for_writing(temp.string(), true);
      // Bulk load: nothing to recover if we crash, the temp file is thrown away.
      db.exec("PRAGMA journal_mode = OFF");
      db.exec("PRAGMA synchronous = OFF");
      db.exec("PRAGMA locking_mode = EXCLUSIVE");
      db.exec("PRAGMA cache_size = -65536");
      db.exec("PRAGMA temp_store = MEMORY");
      Generator generator(db.getHandle(), opts, progress);
      summary = generator.run();
      store::refresh_statistics(db);
      db.exec("PRAGMA journal_mode = DELETE");
    }
    // A stale WAL or journal of the old file must not be replayed onto the new one.
    std::error_code ignored;
    for (const char* suffix : {"-wal", "-shm", "-journal"}) fs::remove(target.string() + suffix, ignored);
    fs::rename(temp, target);
  } catch (const SQLite::Exception& e) {
    remove_quietly(temp);
    throw store::StoreError("cannot write demo database '" + opts.db_path + "': " + e.what());
  } catch (const fs::filesystem_error& e) {
    remove_quietly(temp);
    throw store::StoreError("cannot write demo database '" + opts.db_path + "': " + e.what());
  } catch (...) {
    remove_quietly(temp);
    throw;
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace tally::demo

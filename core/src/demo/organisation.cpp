// Demo generator: the catalog (stages, products, collateral), teams and reps, and accounts.
#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "demo/generator.hpp"

namespace tally::demo::generation {

void Generator::write_catalog() {
  for (size_t i = 0; i < kStages.size(); ++i)
    stages_(static_cast<int64_t>(i + 1), kStages[i].name, static_cast<int64_t>(i + 1), kStages[i].probability,
            kStages[i].closed ? 1 : 0, kStages[i].won ? 1 : 0);
  for (size_t i = 0; i < kProducts.size(); ++i)
    products_(static_cast<int64_t>(i + 1), kProducts[i].name, kProducts[i].family, kProducts[i].list_price);
  for (size_t i = 0; i < kCollateral.size(); ++i)
    collateral_(static_cast<int64_t>(i + 1), kCollateral[i].name, kCollateral[i].type,
                Timestamp{(start_day_ + kCollateral[i].created_day) * kDay + 10 * kHour});
}

std::string Generator::unique_person_name(std::unordered_set<std::string>& taken) {
  for (int attempt = 0;; ++attempt) {
    std::string name = std::string(kFirstNames[rng_.below(kFirstNames.size())]) + " " +
                       kLastNames[rng_.below(kLastNames.size())];
    if (attempt > 20) name += " " + std::to_string(attempt);
    if (taken.insert(name).second) return name;
  }
}

std::string Generator::email_local_part(const std::string& name) {
  std::string out;
  for (char c : name) out += c == ' ' ? '.' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void Generator::write_organisation() {
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
    const int execs =
        std::max(teams_per_region, static_cast<int>(std::lround(kRegions[region].account_execs * headcount)));
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

void Generator::write_accounts() {
  const int64_t count = std::max<int64_t>(60, std::llround(kAccountsPerScale * opts_.scale));
  std::array<double, 3> region_weights{}, segment_weights{};
  for (size_t r = 0; r < kRegions.size(); ++r) region_weights[r] = kRegions[r].account_share;
  for (size_t s = 0; s < kSegments.size(); ++s) segment_weights[s] = kSegments[s].account_share;
  std::array<double, kIndustries.size()> industry_weights{};
  for (size_t i = 0; i < kIndustries.size(); ++i) industry_weights[i] = kIndustries[i].weight;
  std::array<double, kTitles.size()> title_weights{};
  for (size_t i = 0; i < kTitles.size(); ++i) title_weights[i] = kTitles[i].weight;
  std::unordered_set<std::string> names;
  std::unordered_map<std::string, int> next_number;  // per name: the next "name N" to try
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
      // The next free "name N" of this name, remembered: a linear search from 2 made scale 1000
      // (1.5M accounts over a few thousand names) quadratic. Same names as that search.
      int& n = next_number[a.name];
      if (n == 0) n = 2;
      while (!names.insert(a.name + " " + std::to_string(n)).second) ++n;
      a.name += " " + std::to_string(n++);
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

}  // namespace tally::demo::generation

// Demo generator: plans and time: quotas and targets per quarter, time entries, the metadata row.
#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>

#include "demo/generator.hpp"

namespace tally::demo::generation {

void Generator::write_quotas_and_targets() {
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

void Generator::write_time_entries() {
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

void Generator::write_metadata() {
  metadata_("demo_seed", std::to_string(opts_.seed));
  metadata_("demo_scale", std::to_string(opts_.scale));
  metadata_("demo_start", Date::from_days(start_day_).iso());
  metadata_("demo_end", opts_.end.iso());
  metadata_("generator_version", kGeneratorVersion);
}

}  // namespace tally::demo::generation

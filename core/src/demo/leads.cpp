// Demo generator: the daily flow: leads from every source and the deals reps source themselves.
#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>

#include "demo/generator.hpp"

namespace tally::demo::generation {

void Generator::lead(int64_t day) {
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

void Generator::rep_sourced_deal(int64_t day) {
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
                   work_time(created - 21 * kDay, created), std::nullopt, std::nullopt, account.id, contact);
  new_business(account_index, owner, source, created, std::nullopt, contact);
}

void Generator::write_daily_flow() {
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

}  // namespace tally::demo::generation

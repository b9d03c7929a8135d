// Demo generator: customers: subscriptions lived month by month, renewals, expansions, usage and tickets.
#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>

#include "demo/generator.hpp"

namespace tally::demo::generation {

void Generator::write_event(int64_t subscription, const Account& account, const char* type, int64_t at,
                            int64_t delta_cents, const char* reason) {
  subscription_events_(subscription, account.id, type, Timestamp{at}, cents_to_money(delta_cents), reason);
}

// Lives a subscription month by month from its start to the end date:
// renewals, expansions, contractions, churn and reactivation, with the
// account's usage, tickets and account-management touches along the way.
void Generator::subscription(int account_index, int product, int64_t started, int64_t mrr_cents) {
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
bool Generator::renewal(int account_index, int product, int64_t due, int64_t mrr_cents, double health) {
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

void Generator::expansion(int account_index, int product, int64_t at, int64_t delta_cents, bool won) {
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

void Generator::account_month(const Account& account, int64_t from, int64_t to, int users,
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
    write_activity(account.owner, kConversation, work_time(from, to), std::nullopt, std::nullopt, account.id,
                   random_contact(account));
  if (rng_.chance(0.15))
    write_activity(account.owner, kMeeting, work_time(from, to), std::nullopt, std::nullopt, account.id,
                   random_contact(account));
  if (rng_.chance(0.05 * health))
    write_activity(account.owner, kReferralRequest, work_time(from, to), std::nullopt, std::nullopt,
                   account.id, random_contact(account));
}

void Generator::write_existing_customers() {
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

}  // namespace tally::demo::generation

// Demo generator: opportunities: their fate, stage history, activities, collateral and assisting reps.
#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>

#include "demo/generator.hpp"

namespace tally::demo::generation {

void Generator::write_activity(int rep, ActivityType type, int64_t at, std::optional<int64_t> lead,
                               std::optional<int64_t> opportunity, std::optional<int64_t> account,
                               std::optional<int64_t> contact, int assisting_rep) {
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
    case kEmail: outcome = "sent"; break;
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
    case kProposal: outcome = "sent"; break;
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

void Generator::plan_collateral(Deal& deal, double& win_boost) {
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

int Generator::assistant_for(int owner) {
  const Team& team = teams_data_[reps_data_[owner].team];
  if (team.execs.size() < 2 || rng_.chance(0.3)) return team.manager;
  for (;;) {
    const int rep = team.execs[rng_.below(static_cast<int64_t>(team.execs.size()))];
    if (rep != owner) return rep;
  }
}

// Writes the opportunity with its stage history, activities and collateral
// use as seen at the end date. Returns its closed_at when it closed before the end.
std::optional<int64_t> Generator::write_deal(const Deal& d) {
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

// Decides a new-business deal's fate and writes it; a won deal becomes a subscription.
// Deals of the warm-up before the data starts are kept only if still open at the start.
// Returns the opportunity's id when it was written.
std::optional<int64_t> Generator::new_business(int account_index, int owner, const Source& source,
                                               int64_t created, std::optional<int64_t> lead_id,
                                               std::optional<int64_t> contact) {
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
  double p_win = 0.165 * seg.win * reps_data_[owner].skill * source.win * kIndustries[account.industry].win *
                 collateral_boost * (assisted ? 1.3 : 1.0);
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

}  // namespace tally::demo::generation

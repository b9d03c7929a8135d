// `tally demo`: writes a realistic, deterministic demo company into a fresh
// store (an SQLite file or a PostgreSQL database), so every KPI in
// docs/KPIS.md has meaningful data.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "util/date.hpp"

namespace tally::demo {

struct DemoOptions {
  std::string db_path = "data/demo.db";  // a data source: file path or postgresql:// URL
  int scale = 1;                         // volumes grow linearly with it, headcount with its square root
  uint64_t seed = 42;
  tally::Date end = {2026, 1, 1};  // exclusive: the data covers the two years before
};

struct DemoSummary {
  int64_t reps = 0, teams = 0, accounts = 0, leads = 0, opportunities = 0, stage_history = 0, activities = 0,
          collateral_items = 0, collateral_uses = 0, subscriptions = 0, subscription_events = 0, quotas = 0,
          time_entries = 0, product_usage = 0, support_tickets = 0;
  double seconds = 0;
};

// Writes a fresh demo store at opts.db_path, replacing the store there
// (store::create_replacement): a failed or killed run never leaves a
// half-written store, and the old one stays as it was.
// Same seed, scale and end give identical table contents.
// Throws tally::store::StoreError (e.g. for a missing directory) and
// std::invalid_argument for a scale < 1.
// `progress` (may be empty) is called now and then with a short status line.
DemoSummary generate(const DemoOptions& opts, const std::function<void(const std::string&)>& progress = {});

}  // namespace tally::demo

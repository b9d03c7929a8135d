// The canonical schema, as an ordered list of migrations. Migration N takes a
// database from schema_version N-1 to N. Never edit a shipped migration; add a
// new one at the end.
//
// Conventions (docs/data-model.md):
//   - timestamps are UTC text 'YYYY-MM-DD HH:MM:SS', dates 'YYYY-MM-DD', so
//     they compare correctly as text and every engine can parse them;
//   - money is REAL in the report currency's units (opportunities.currency
//     records the deal's own currency code);
//   - every table an import can feed has a unique external_id, so re-imports
//     update instead of duplicating.
#include "store/schema.hpp"

namespace tally::store {

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = {
      {1, "canonical schema v1", R"SQL(
CREATE TABLE teams (
  id          INTEGER PRIMARY KEY,
  external_id TEXT UNIQUE,
  name        TEXT NOT NULL,
  region      TEXT,
  manager_id  INTEGER
);
CREATE TABLE reps (
  id          INTEGER PRIMARY KEY,
  external_id TEXT UNIQUE,
  name        TEXT NOT NULL,
  email       TEXT,
  team_id     INTEGER REFERENCES teams(id),
  manager_id  INTEGER REFERENCES reps(id),
  region      TEXT,
  territory   TEXT,
  role        TEXT NOT NULL DEFAULT 'rep',   -- rep | manager | sdr
  hired_at    TEXT,
  left_at     TEXT
);
CREATE TABLE accounts (
  id          INTEGER PRIMARY KEY,
  external_id TEXT UNIQUE,
  name        TEXT NOT NULL,
  industry    TEXT,
  employees   INTEGER,
  annual_revenue REAL,
  country     TEXT,
  region      TEXT,
  segment     TEXT,                          -- smb | mid_market | enterprise
  owner_id    INTEGER REFERENCES reps(id),
  parent_id   INTEGER REFERENCES accounts(id),
  created_at  TEXT
);
CREATE TABLE contacts (
  id          INTEGER PRIMARY KEY,
  external_id TEXT UNIQUE,
  account_id  INTEGER REFERENCES accounts(id),
  name        TEXT,
  title       TEXT,
  email       TEXT
);
CREATE TABLE products (
  id          INTEGER PRIMARY KEY,
  external_id TEXT UNIQUE,
  name        TEXT NOT NULL UNIQUE,
  family      TEXT,
  list_price  REAL
);
CREATE TABLE stages (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  position    INTEGER NOT NULL,              -- pipeline order, 1-based
  probability REAL NOT NULL DEFAULT 0,       -- 0..1
  is_closed   INTEGER NOT NULL DEFAULT 0,
  is_won      INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE leads (
  id              INTEGER PRIMARY KEY,
  external_id     TEXT UNIQUE,
  owner_id        INTEGER REFERENCES reps(id),
  contact_id      INTEGER REFERENCES contacts(id),
  account_id      INTEGER REFERENCES accounts(id),
  source          TEXT,
  title           TEXT,                      -- contact job title
  industry        TEXT,
  employees       INTEGER,
  country         TEXT,
  region          TEXT,
  created_at      TEXT NOT NULL,
  first_response_at TEXT,
  mql_at          TEXT,
  sal_at          TEXT,
  sql_at          TEXT,
  converted_at    TEXT,                      -- became an opportunity
  disqualified_at TEXT,
  opportunity_id  INTEGER
);
CREATE TABLE opportunities (
  id                INTEGER PRIMARY KEY,
  external_id       TEXT UNIQUE,
  name              TEXT,
  account_id        INTEGER REFERENCES accounts(id),
  owner_id          INTEGER REFERENCES reps(id),
  lead_id           INTEGER REFERENCES leads(id),
  product_id        INTEGER REFERENCES products(id),
  amount            REAL,
  currency          TEXT NOT NULL DEFAULT 'USD',
  type              TEXT NOT NULL DEFAULT 'new_business', -- new_business | renewal | expansion
  source            TEXT,
  stage             TEXT,                    -- current stage name (stages.name)
  probability       REAL,                    -- the deal's own, 0..1; NULL = the stage's
  forecast_category TEXT,                    -- pipeline | best_case | commit | closed | omitted
  status            TEXT NOT NULL DEFAULT 'open', -- open | won | lost
  created_at        TEXT NOT NULL,
  expected_close_at TEXT,
  closed_at         TEXT,
  loss_reason       TEXT,
  competitor        TEXT
);
CREATE TABLE stage_history (
  id             INTEGER PRIMARY KEY,
  opportunity_id INTEGER NOT NULL REFERENCES opportunities(id),
  stage          TEXT NOT NULL,
  entered_at     TEXT NOT NULL,
  exited_at      TEXT                        -- NULL while the deal is still in it
);
CREATE TABLE activities (
  id               INTEGER PRIMARY KEY,
  external_id      TEXT UNIQUE,
  rep_id           INTEGER REFERENCES reps(id),
  type             TEXT NOT NULL,            -- call email reply conversation meeting demo proposal referral_request social
  occurred_at      TEXT NOT NULL,
  duration_minutes REAL,
  lead_id          INTEGER REFERENCES leads(id),
  opportunity_id   INTEGER REFERENCES opportunities(id),
  account_id       INTEGER REFERENCES accounts(id),
  contact_id       INTEGER REFERENCES contacts(id),
  outcome          TEXT,
  assisting_rep_id INTEGER REFERENCES reps(id)
);
CREATE TABLE collateral (
  id          INTEGER PRIMARY KEY,
  external_id TEXT UNIQUE,
  name        TEXT NOT NULL,
  type        TEXT,
  created_at  TEXT
);
CREATE TABLE collateral_usage (
  id             INTEGER PRIMARY KEY,
  collateral_id  INTEGER NOT NULL REFERENCES collateral(id),
  rep_id         INTEGER REFERENCES reps(id),
  opportunity_id INTEGER REFERENCES opportunities(id),
  used_at        TEXT NOT NULL
);
CREATE TABLE subscriptions (
  id          INTEGER PRIMARY KEY,
  external_id TEXT UNIQUE,
  account_id  INTEGER NOT NULL REFERENCES accounts(id),
  product_id  INTEGER REFERENCES products(id),
  started_at  TEXT NOT NULL,
  ended_at    TEXT,
  mrr         REAL NOT NULL DEFAULT 0       -- current monthly recurring revenue
);
CREATE TABLE subscription_events (
  id              INTEGER PRIMARY KEY,
  subscription_id INTEGER NOT NULL REFERENCES subscriptions(id),
  account_id      INTEGER NOT NULL REFERENCES accounts(id),
  type            TEXT NOT NULL,            -- new | expansion | contraction | churn | reactivation
  occurred_at     TEXT NOT NULL,
  mrr_delta       REAL NOT NULL,            -- signed change of MRR
  reason          TEXT
);
CREATE TABLE quotas (
  id           INTEGER PRIMARY KEY,
  rep_id       INTEGER REFERENCES reps(id),
  team_id      INTEGER REFERENCES teams(id),
  period_start TEXT NOT NULL,
  period_end   TEXT NOT NULL,               -- exclusive
  amount       REAL NOT NULL
);
CREATE TABLE targets (
  id           INTEGER PRIMARY KEY,
  kpi          TEXT NOT NULL,               -- e.g. revenue, revenue_new_business, win_rate
  rep_id       INTEGER REFERENCES reps(id),
  team_id      INTEGER REFERENCES teams(id),
  period_start TEXT NOT NULL,
  period_end   TEXT NOT NULL,
  value        REAL NOT NULL
);
CREATE TABLE time_entries (
  id       INTEGER PRIMARY KEY,
  rep_id   INTEGER NOT NULL REFERENCES reps(id),
  day      TEXT NOT NULL,
  category TEXT NOT NULL,                   -- selling prospecting presenting data_entry admin internal_meetings travel training prep
  minutes  REAL NOT NULL
);
CREATE TABLE product_usage (
  id              INTEGER PRIMARY KEY,
  account_id      INTEGER NOT NULL REFERENCES accounts(id),
  user_id         TEXT NOT NULL,
  day             TEXT NOT NULL,
  logins          INTEGER NOT NULL DEFAULT 0,
  session_minutes REAL NOT NULL DEFAULT 0
);
CREATE TABLE support_tickets (
  id          INTEGER PRIMARY KEY,
  external_id TEXT UNIQUE,
  account_id  INTEGER NOT NULL REFERENCES accounts(id),
  user_id     TEXT,
  opened_at   TEXT NOT NULL,
  closed_at   TEXT,
  priority    TEXT
);
CREATE TABLE metadata (
  key   TEXT PRIMARY KEY,
  value TEXT
);
CREATE INDEX opportunities_created ON opportunities(created_at);
CREATE INDEX opportunities_closed ON opportunities(closed_at);
CREATE INDEX opportunities_owner ON opportunities(owner_id);
CREATE INDEX stage_history_opportunity ON stage_history(opportunity_id);
CREATE INDEX activities_occurred ON activities(occurred_at);
CREATE INDEX leads_created ON leads(created_at);
CREATE INDEX subscription_events_occurred ON subscription_events(occurred_at);
CREATE INDEX collateral_usage_collateral ON collateral_usage(collateral_id);
CREATE INDEX product_usage_day ON product_usage(day);
CREATE INDEX time_entries_day ON time_entries(day);
)SQL"},
      {2, "covering index for per-stage durations", R"SQL(
-- Per-stage duration statistics (p50/p90 time in stage) group the whole
-- stage history by stage; this lets the engine stream it in stage order
-- instead of sorting millions of rows.
CREATE INDEX stage_history_stage ON stage_history(stage, exited_at, entered_at);
)SQL"},
      {3, "covering index for closed deals; indexes from deals to their collateral and assisted activities",
       R"SQL(
-- Most KPIs read the deals closed in a period (win rate, revenue, deal size,
-- with vs without collateral) or open at its end (closed_at >= end or NULL).
-- Carrying the columns those queries filter and sum on lets the engine read a
-- contiguous index range instead of one table row per deal: the demo report
-- at scale 100 went from about 10 s to 6 s of work.
DROP INDEX opportunities_closed;
CREATE INDEX opportunities_closed
  ON opportunities(closed_at, status, type, amount, created_at, expected_close_at, owner_id);
-- Win rate with vs without collateral starts from the deals closed in a
-- period and looks up their uses, instead of joining every use to its deal.
CREATE INDEX collateral_usage_opportunity ON collateral_usage(opportunity_id);
-- Per-item usage (last use, uses and reps in a period) reads this index
-- alone, in item order, instead of visiting every use's row.
DROP INDEX collateral_usage_collateral;
CREATE INDEX collateral_usage_collateral ON collateral_usage(collateral_id, used_at, rep_id);
-- Assisted deals (win/loss) start from the closed deals and look up the few
-- activities with an assisting rep; partial, so it stays small next to the
-- millions of activities.
CREATE INDEX activities_assisted ON activities(opportunity_id) WHERE assisting_rep_id IS NOT NULL;
)SQL"},
      {4, "import records; subscription events importable", R"SQL(
-- One row per `tally import`: what was read and what became of it, so a run
-- can say when its numbers rest on an import that rejected rows.
CREATE TABLE imports (
  id             INTEGER PRIMARY KEY,
  started_at     TEXT NOT NULL,              -- UTC 'YYYY-MM-DD HH:MM:SS'
  finished_at    TEXT NOT NULL,
  files          TEXT NOT NULL,              -- JSON array of the files read
  tables         TEXT NOT NULL,              -- JSON array of the tables fed
  mapping_sha256 TEXT NOT NULL,
  rows_read      INTEGER NOT NULL,
  inserted       INTEGER NOT NULL,
  updated        INTEGER NOT NULL,
  rejected       INTEGER NOT NULL,
  warnings       INTEGER NOT NULL DEFAULT 0
);
-- Subscription events from a billing export re-import without duplicating.
ALTER TABLE subscription_events ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX subscription_events_external_id ON subscription_events(external_id);
)SQL"},
      {5, "epoch seconds beside the timestamps that durations read (PostgreSQL only)", R"SQL(
-- Nothing changes here: SQLite's tally_days_between parses the text in C.
-- The PostgreSQL flavour (store/postgres/schema.cpp) stores parsed values.
)SQL"},
  };
  return all;
}

int latest_schema_version() {
  return migrations().back().version;
}

}  // namespace tally::store

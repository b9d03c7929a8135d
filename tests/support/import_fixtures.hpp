// Import fixtures shared by the import tests on SQLite (tests/import_*.cpp)
// and the same imports compared across engines (tests/postgres/): mappings
// and files whose figures the SQLite tests work out by hand.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "import/importer.hpp"

namespace tally::testing {

inline const std::string kMaven = TALLY_SHARED_DIR "/data/maven-crm/";
inline const std::string kMavenMapping = TALLY_SOURCE_DIR "/configs/mappings/maven-crm.yaml";

inline std::vector<std::string> maven_files() {
  // Deliberately not in dependency order: the importer orders them.
  return {kMaven + "sales_pipeline.csv", kMaven + "data_dictionary.csv", kMaven + "accounts.csv",
          kMaven + "products.csv", kMaven + "sales_teams.csv"};
}

// Deals whose owner is looked up by name and created on first sight.
inline const char* kDealsMapping = R"(namespace: gen
stages:
  - {name: Open, probability: 0.3}
  - {name: Won, probability: 1, won: true}
files:
  deals.csv:
    table: opportunities
    id: id
    fields:
      owner_id: {column: owner, lookup: {table: reps, by: name, create: true}}
      amount: {column: amount, type: money}
      stage: stage
      status: {derive: stage_status}
      created_at: {column: created, type: date}
)";

// One export of leads with their deal: leads on every row, a deal only where
// deal is set (rows 2 and 4); the deal copies its lead's created_at.
inline const char* kFunnelMapping = R"(namespace: x
stages:
  - {name: Open, probability: 0.5}
  - {name: Won, probability: 1, won: true}
files:
  funnel.csv:
    - table: leads
      id: lead
      fields:
        created_at: {column: first_contact, type: date}
        source: source
    - table: opportunities
      id: deal
      where: {column: deal, not: [""]}
      fields:
        lead_id: {column: lead, lookup: {table: leads, by: external_id}}
        created_at: {column: lead, lookup: {table: leads, by: external_id, field: created_at}}
        stage: stage
        status: {derive: stage_status}
        amount: {column: amount, type: money}
)";
inline const char* kFunnelCsv =
    "lead,first_contact,source,deal,stage,amount\n"
    "L1,2024-01-05,web,,,\n"
    "L2,2024-02-10,event,O1,Won,500\n"
    "L3,2024-03-15,web,,,\n"
    "L4,2024-04-20,web,O2,Open,700\n";

// A churn snapshot on 2024-06-30: started_at = snapshot minus tenure months
// (C2: 2024-02-29, the day clamped to February's end in a leap year);
// churned customers get a churn event of -MRR; C3 has no tenure.
inline const char* kChurnMapping = R"(namespace: s
files:
  churn.csv:
    - table: accounts
      id: customer
      fields:
        name: customer
    - table: subscriptions
      id: customer
      fields:
        account_id: {column: customer, lookup: {table: accounts, by: external_id}}
        started_at: {value: "2024-06-30", type: date, minus: {months: tenure}}
        mrr: {column: monthly, type: money}
    - table: subscription_events
      id: customer
      where: {column: churned, is: [Yes]}
      fields:
        subscription_id: {column: customer, lookup: {table: subscriptions, by: external_id}}
        account_id: {column: customer, lookup: {table: accounts, by: external_id}}
        type: {value: churn}
        occurred_at: {value: "2024-06-30", type: date}
        mrr_delta: {column: monthly, type: money, scale: -1}
)";
inline const char* kChurnCsv =
    "customer,monthly,churned,tenure\n"
    "C1,$70.50,No,5\n"
    "C2,$29.85,Yes,4\n"
    "C3,$100,Yes,\n";

// A deals file of `rows` rows for kDealsMapping, read without a file: ids
// D1, D2, ... until `repeat_from`, then repeats of D0-D1699; every
// `bad_every`th amount is "twelve" (a reject); owners Rep 0-4, every third
// deal Won. Rows run over several import batches.
inline import::SourceOpener repeated_ids_opener(uint64_t rows, uint64_t repeat_from, uint64_t bad_every) {
  return [=](const std::string&, const std::string&) {
    struct Source final : import::RecordSource {
      uint64_t rows, repeat_from, bad_every;
      std::vector<std::string> cols = {"id", "owner", "amount", "stage", "created"};
      uint64_t n = 0;
      Source(uint64_t r, uint64_t from, uint64_t bad) : rows(r), repeat_from(from), bad_every(bad) {}
      const std::vector<std::string>& columns() const override { return cols; }
      bool next(import::Record& r) override {
        if (++n > rows) return false;
        r.line = n + 1;
        r.fields = {"D" + std::to_string(n < repeat_from ? n : n % 1700), "Rep " + std::to_string(n % 5),
                    n % bad_every == 0 ? std::string("twelve") : std::to_string(n), n % 3 ? "Open" : "Won",
                    "2024-01-15"};
        return true;
      }
      void progress(uint64_t& done, uint64_t& total) override { done = n, total = 0; }
    };
    return std::make_unique<Source>(rows, repeat_from, bad_every);
  };
}

// Runs `import` in a child process and kills it with SIGKILL as soon as it
// writes a byte to the descriptor it is given (the point the test kills it
// at), then reaps it: how the import tests of every engine kill an import.
// Call it inside ASSERT_NO_FATAL_FAILURE.
inline void kill_when_ready(const std::function<void(int ready_fd)>& import) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ready[0]);
    try {
      import(ready[1]);
    } catch (...) {
    }
    _exit(2);
  }
  close(ready[1]);
  char c = 0;
  const bool reached = read(ready[0], &c, 1) == 1;
  close(ready[0]);
  kill(child, SIGKILL);  // even when it ended early, so it is reaped below
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(reached) << "the import ended before the point it was to be killed at";
  EXPECT_TRUE(WIFSIGNALED(status));
}

}  // namespace tally::testing

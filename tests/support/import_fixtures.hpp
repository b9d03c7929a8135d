// Import fixtures shared by the import tests on SQLite (tests/import_*.cpp)
// and the same imports compared across engines (tests/postgres/): mappings
// and files whose figures the SQLite tests work out by hand.
#pragma once

#include <string>
#include <vector>

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

}  // namespace tally::testing

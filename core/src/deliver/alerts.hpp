// `alerts:` of a config checked against a finished run: delivery happens only
// when at least one holds, and the message carries the value, the threshold
// and the command that lists the records behind the number.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "plugins/registry.hpp"
#include "run/explain.hpp"
#include "run/result.hpp"
#include "store/backend.hpp"

namespace tally::deliver {

struct AlertOutcome {
  std::string metric;  // the metric's name (`as:`)
  std::string kpi;
  std::string label;            // the KPI's label, for people
  std::optional<double> value;  // the KPI's value, or its relative change for change_below
  double threshold = 0;
  std::string condition;  // below | above | change_below
  bool holds = false;
  // Why the condition could not be checked: an n/a value, no comparison
  // value, or a KPI no metric of the run has (then `is_error`).
  std::string problem;
  bool is_error = false;
  std::string message;  // "Win rate is 22.2%, below 25.0%", when it holds
  std::string explain;  // "tally explain CONFIG --metric M --kpi K"
  SourceLocation where;
  // The records behind the number, when it holds and the KPI offers a
  // drill-down: the first kAlertRecords of them, in a few columns (id, name,
  // amount, date); `record_total` is how many there are in all.
  std::optional<run::RecordList> records;
  size_t record_total = 0;
  std::string records_problem;  // why there is no list ("offers no drill-down", ...)
  std::string currency;         // the config's, for the amounts
};

// How many records an alert's message lists ("and K more" for the rest).
inline constexpr size_t kAlertRecords = 20;

// One outcome per alert, in config order. `config_arg` is the config path
// as the user gave it, for the drill-down command line.
std::vector<AlertOutcome> evaluate_alerts(const config::Config& config, const run::RunResult& result,
                                          const std::string& config_arg);

// Reads the records behind each alert that holds (attach_records). Failures
// are kept in records_problem: an alert is still delivered without its list.
void attach_records(std::vector<AlertOutcome>& alerts, const run::RunResult& result,
                    const plugins::Registry& registry, store::Backend& backend,
                    const std::map<std::string, std::vector<std::string>>& filters);

// The columns an alert shows of a record list: the id, a name, the amount
// (or the KPI's per-record value) and the date that places it.
std::vector<size_t> alert_columns(const run::RecordList& list);

// The shown records of an alert as text cells: a header row of column
// names, then one row per record (amounts in the currency, dates as dates).
std::vector<std::vector<std::string>> alert_record_cells(const AlertOutcome& a);
// "and 12 more (tally explain ...)" when not every record is shown, else "".
std::string alert_records_more(const AlertOutcome& a);

// A word for the command line: quoted with '' when it holds anything but
// letters, digits and -_./:=@.
std::string shell_word(const std::string& text);

}  // namespace tally::deliver

// `alerts:` of a config checked against a finished run: delivery happens only
// when at least one holds, and the message carries the value, the threshold
// and the command that lists the records behind the number.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "run/result.hpp"

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
};

// One outcome per alert, in config order. `config_arg` is the config path
// as the user gave it, for the drill-down command line.
std::vector<AlertOutcome> evaluate_alerts(const config::Config& config, const run::RunResult& result,
                                          const std::string& config_arg);

// A word for the command line: quoted with '' when it holds anything but
// letters, digits and -_./:=@.
std::string shell_word(const std::string& text);

}  // namespace tally::deliver

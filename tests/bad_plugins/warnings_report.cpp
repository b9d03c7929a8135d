// Prints the run's warnings, one a line ("warning: ..."), so tests can see
// what every report is handed.
#include <tally/sdk.hpp>

class WarningsReport final : public tally::sdk::Report {
 public:
  void render(tally::sdk::ReportContext& ctx) override {
    std::string out;
    for (const auto& w : ctx.warnings()) out += "warning: " + w + "\n";
    ctx.write(out);
  }
};

TALLY_REPORT(WarningsReport)

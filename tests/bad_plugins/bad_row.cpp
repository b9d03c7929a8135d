// Adds a row with the wrong number of cells, and a query on a bad column.
#include <tally/sdk.hpp>

class BadRow final : public tally::sdk::Metric {
 public:
  void run(tally::sdk::Context& ctx) override {
    if (ctx.text("mode") == "query") {
      ctx.query("opportunities").select("x", "sum(amont)").run();
      return;
    }
    auto t = ctx.table("t", "T");
    t.column("a", tally::sdk::Unit::Text).column("b", tally::sdk::Unit::Count);
    t.row({std::string("only one cell")});
  }
};

TALLY_METRIC(BadRow)

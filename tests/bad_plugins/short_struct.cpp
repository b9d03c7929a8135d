// Hands the host versioned structs shorter than SDK 1.0's (`mode`: period,
// chart, kpi): the host must refuse each with a message, never read or write
// past the struct's end. The metric fails with the host's message.
#include <tally/sdk.hpp>

#include <stdexcept>
#include <string>

class ShortStruct final : public tally::sdk::Metric {
 public:
  void run(tally::sdk::Context& ctx) override {
    const auto& host = tally::sdk::detail::host();
    tally_ctx* c = ctx.raw();
    const std::string mode = ctx.text("mode");
    int32_t rc = TALLY_OK;
    if (mode == "period") {
      tally_period p{};
      p.struct_size = 4;  // only the size field
      rc = host.period(c, TALLY_PERIOD_CURRENT, &p);
    } else if (mode == "chart") {
      tally_table* t = host.add_table(c, tally::sdk::detail::str_c("t"), tally::sdk::detail::str_c("T"));
      host.table_add_column(t, tally::sdk::detail::str_c("x"), TALLY_UNIT_TEXT);
      tally_chart_hint hint{};
      hint.struct_size = 8;
      hint.chart = TALLY_CHART_BAR;
      rc = host.table_set_chart(t, &hint);
    } else {
      tally_kpi k{};
      k.struct_size = 12;
      rc = host.add_kpi(c, &k);
    }
    if (rc == TALLY_OK) throw std::runtime_error("the host accepted a short struct");
    throw std::runtime_error(tally::sdk::detail::str_of(host.last_error(c)));
  }
};

TALLY_METRIC(ShortStruct)

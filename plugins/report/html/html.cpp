// html: the run as one self-contained HTML page with inline SVG charts,
// KPI cards and the tables below each chart (see html_writer.hpp).
#include <tally/sdk.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "html_writer.hpp"

namespace {

class HtmlReport final : public tally::sdk::Report {
 public:
  void render(tally::sdk::ReportContext& ctx) override {
    tally::html::Document doc;
    doc.title = ctx.title();
    doc.period = ctx.period();
    if (ctx.has_compare()) doc.compare = ctx.period(tally::sdk::Which::Compare);
    doc.currency = ctx.currency();
    doc.metrics = ctx.metrics();
    doc.warnings = ctx.warnings();
    doc.facts = ctx.facts();
    const std::string page = tally::html::render(doc);

    const std::string path = ctx.text("path");
    if (path.empty()) throw tally::sdk::Error("html report: `path:` is empty; set the .html file to write");
    if (path == "-") {  // the run's standard output (the dashboard renders this way)
      ctx.write(page);
      return;
    }
    errno = 0;
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    if (!file)
      throw tally::sdk::Error("cannot open " + path +
                              " for writing: " + (errno ? std::strerror(errno) : "unknown reason"));
    file << page;
    file.close();
    if (!file)
      throw tally::sdk::Error("cannot write " + path + ": " +
                              (errno ? std::strerror(errno) : "unknown reason"));
    ctx.info("wrote " + path);
  }
};

}  // namespace

TALLY_REPORT(HtmlReport)

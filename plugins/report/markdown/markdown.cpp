// markdown: the run as GitHub-flavoured Markdown, to a file or stdout.
#include <tally/sdk.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "markdown_writer.hpp"

namespace {

class MarkdownReport final : public tally::sdk::Report {
 public:
  void render(tally::sdk::ReportContext& ctx) override {
    tally::markdown::Document doc;
    doc.title = ctx.title();
    doc.period = ctx.period();
    if (ctx.has_compare()) doc.compare = ctx.period(tally::sdk::Which::Compare);
    doc.currency = ctx.currency();
    doc.metrics = ctx.metrics();
    doc.warnings = ctx.warnings();
    doc.facts = ctx.facts();
    const std::string text = tally::markdown::render(doc);

    const std::string path = ctx.text("path");
    if (path.empty()) {
      ctx.write(text);
      return;
    }
    errno = 0;
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    if (!file)
      throw tally::sdk::Error("cannot open " + path +
                              " for writing: " + (errno ? std::strerror(errno) : "unknown reason"));
    file << text;
    file.close();
    if (!file)
      throw tally::sdk::Error("cannot write " + path + ": " +
                              (errno ? std::strerror(errno) : "unknown reason"));
    ctx.info("wrote " + path);
  }
};

}  // namespace

TALLY_REPORT(MarkdownReport)

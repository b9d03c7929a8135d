#include "import/footer.hpp"

#include <algorithm>

namespace tally::import {

namespace {

// The longest footer kept apart; a longer run of one-field lines is data.
constexpr size_t kMaxFooterLines = 20;
constexpr size_t kTextsShown = 3;

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; });
}

}  // namespace

FooterTrimmingSource::FooterTrimmingSource(std::unique_ptr<RecordSource> inner,
                                           std::shared_ptr<ReportFooter> footer)
    : inner_(std::move(inner)), footer_(std::move(footer)) {}

bool FooterTrimmingSource::next(Record& out) {
  if (!held_.empty()) {
    out = std::move(held_.front());
    held_.pop_front();
    return true;
  }
  if (!inner_->next(out)) return false;
  const bool footer_start = inner_->columns().size() > 1 && out.fields.size() == 1 && blank(out.fields[0]);
  if (!footer_start) return true;
  if (read_footer(std::move(out))) return false;
  out = std::move(held_.front());
  held_.pop_front();
  return true;
}

bool FooterTrimmingSource::read_footer(Record first) {
  std::vector<Record> lines;
  lines.push_back(std::move(first));
  Record record;
  while (inner_->next(record)) {
    const bool one_field = record.fields.size() == 1;
    lines.push_back(std::move(record));
    if (!one_field || lines.size() > kMaxFooterLines) {
      // Not a footer: the held records and the rest go on as rows.
      for (auto& r : lines) held_.push_back(std::move(r));
      return false;
    }
  }
  footer_->first_line = lines.front().line;
  footer_->last_line = lines.back().line;
  for (const auto& r : lines)
    if (!blank(r.fields[0]) && footer_->texts.size() < kTextsShown) footer_->texts.push_back(r.fields[0]);
  return true;
}

}  // namespace tally::import

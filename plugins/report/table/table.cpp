// table: renders a run as aligned plain-text tables for the terminal,
// fitted to its width (see table_layout.hpp).
#include <sys/ioctl.h>
#include <unistd.h>

#include <tally/format.hpp>
#include <tally/sdk.hpp>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "table_layout.hpp"

namespace {

using tally::sdk::Kpi;
using tally::sdk::Unit;
namespace fmt = tally::format;

// Text from data, configs and plugins made safe for a terminal: control
// characters (C0 including line breaks, DEL, C1) become visible escapes
// (ESC -> \e, TAB -> \t, LF -> \n, others \x1f or \u009b) and bytes that
// are not UTF-8 become \xff, so no value can move the cursor, recolour the
// terminal or break a table's alignment. The same rule as the host's stderr.
std::string safe(const std::string& text) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  auto escape_byte = [&](unsigned char c) {
    out += "\\x";
    out += hex[c >> 4];
    out += hex[c & 0xF];
  };
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) {
      if (c == 0x1B)
        out += "\\e";
      else if (c == '\t')
        out += "\\t";
      else if (c == '\n')
        out += "\\n";
      else if (c == '\r')
        out += "\\r";
      else
        escape_byte(c);
      ++i;
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    size_t length = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? (c <= 0xEF ? 3 : 0) : c >= 0xC2 ? 2 : 0;
    bool valid = length > 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k)
      valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (!valid) {
      escape_byte(c);
      ++i;
      continue;
    }
    const unsigned char second = static_cast<unsigned char>(text[i + 1]);
    if (c == 0xC2 && second <= 0x9F) {  // C1 control
      out += "\\u00";
      out += hex[second >> 4];
      out += hex[second & 0xF];
    } else {
      out.append(text, i, length);
    }
    i += length;
  }
  return out;
}

using tally::table::display_width;

// The terminal's columns (0 when unknown or not a terminal).
size_t terminal_columns() {
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 0;
}

std::string pad_right(const std::string& s, size_t width) {
  size_t w = display_width(s);
  return s + std::string(width > w ? width - w : 0, ' ');
}
std::string pad_left(const std::string& s, size_t width) {
  size_t w = display_width(s);
  return std::string(width > w ? width - w : 0, ' ') + s;
}

class Style {
 public:
  explicit Style(bool colour) : colour_(colour) {}
  std::string bold(const std::string& s) const { return wrap("1", s); }
  std::string dim(const std::string& s) const { return wrap("2", s); }
  std::string good(const std::string& s) const { return wrap("32", s); }
  std::string bad(const std::string& s) const { return wrap("31", s); }
  std::string error(const std::string& s) const { return wrap("1;31", s); }

 private:
  std::string wrap(const char* code, const std::string& s) const {
    return colour_ ? std::string("\x1b[") + code + "m" + s + "\x1b[0m" : s;
  }
  bool colour_;
};

bool is_numeric(Unit u) {
  return u != Unit::Text && u != Unit::Date;
}

class TableReport final : public tally::sdk::Report {
 public:
  void render(tally::sdk::ReportContext& ctx) override {
    const Style style(ctx.output_is_tty());
    const std::string currency = ctx.currency();
    const int64_t max_rows = ctx.integer("max_rows");
    const bool sparklines = ctx.flag("sparklines");
    std::ostringstream out;

    const size_t width = tally::table::target_width(
        ctx.output_is_tty(), ctx.output_is_tty() ? terminal_columns() : 0, std::getenv("COLUMNS"));

    out << style.bold(ctx.title().empty() ? "Tally report" : safe(ctx.title())) << '\n';
    out << "Period " << fmt::period(ctx.period());
    if (ctx.has_compare()) out << ", compared with " << fmt::period(ctx.period(tally::sdk::Which::Compare));
    out << '\n';
    std::vector<std::string> about;
    for (const auto& [label, text] : fmt::provenance(ctx.facts())) about.push_back(label + ": " + safe(text));
    for (const auto& line : tally::table::join_lines(about, " · ", width)) out << style.dim(line) << '\n';
    // Warnings about the whole run come first, where they cannot be missed.
    for (const auto& w : ctx.warnings()) out << style.error("Warning: ") << safe(w) << '\n';

    for (const auto& metric : ctx.metrics()) {
      out << '\n'
          << style.bold("== " + safe(fmt::label(metric.title.empty() ? metric.name : metric.title)) + " ==")
          << '\n';
      if (!metric.ok) {
        out << "  " << style.error("failed: ") << safe(metric.error) << '\n';
        continue;
      }
      for (const auto& n : metric.notes) out << "  " << style.bold("Note: ") << safe(n) << '\n';
      render_kpis(out, metric.kpis, style, currency);
      for (const auto& table : metric.tables)
        render_table(out, table, style, currency, max_rows, sparklines, width);
    }
    ctx.write(out.str());
  }

 private:
  static void render_kpis(std::ostringstream& out, const std::vector<Kpi>& kpis, const Style& style,
                          const std::string& currency) {
    if (kpis.empty()) return;
    size_t label_w = 0, value_w = 0;
    auto label_of = [](const Kpi& k) { return safe(fmt::label(k.label.empty() ? k.name : k.label)); };
    for (const auto& k : kpis) {
      label_w = std::max(label_w, display_width(label_of(k)));
      value_w = std::max(value_w, display_width(fmt::optional(k.value, k.unit, currency)));
    }
    for (const auto& k : kpis) {
      out << "  " << pad_right(label_of(k), label_w) << "  "
          << pad_left(fmt::optional(k.value, k.unit, currency), value_w);
      if (k.compare_status == TALLY_COMPARE_NO_DATA) {
        out << "  " << style.dim("no data to compare");
      } else if (k.compare_status == TALLY_COMPARE_NOT_COMPARABLE) {
        out << "  " << style.dim("not comparable");
      } else if (k.previous) {
        std::string change = std::string(fmt::arrow(fmt::trend(k))) + " " + fmt::change(k, currency);
        auto good = fmt::is_improvement(k);
        out << "  " << (good ? (*good ? style.good(change) : style.bad(change)) : change)
            << style.dim(" (was " + fmt::optional(k.previous, k.unit, currency) + ")");
      }
      if (k.target) {
        out << "  target " << fmt::with_unit(*k.target, k.unit, currency);
        if (k.value && *k.target != 0) out << " (" << fmt::percent(*k.value / *k.target, 0) << " of target)";
        if (!k.target_source.empty()) out << style.dim(" from " + safe(k.target_source));
      }
      if (!k.note.empty()) out << style.dim(" — " + safe(k.note));
      out << '\n';
    }
  }

  static void render_table(std::ostringstream& out, const tally::sdk::TableView& table, const Style& style,
                           const std::string& currency, int64_t max_rows, bool sparklines, size_t max_width) {
    out << '\n'
        << "  " << style.bold(safe(fmt::label(table.title.empty() ? table.name : table.title))) << '\n';
    if (table.rows.empty()) {
      out << "  " << style.dim("(no rows)") << '\n';
      return;
    }
    const size_t shown =
        max_rows > 0 ? std::min<size_t>(table.rows.size(), static_cast<size_t>(max_rows)) : table.rows.size();
    std::vector<std::vector<std::string>> cells(shown);
    std::vector<size_t> widths;
    std::vector<bool> is_text;
    std::vector<std::string> header;
    for (const auto& c : table.columns) {
      header.push_back(safe(fmt::humanize(c.name)));
      widths.push_back(display_width(header.back()));
      is_text.push_back(!is_numeric(c.unit));
    }
    const auto formats = fmt::column_formats(table);
    for (size_t r = 0; r < shown; ++r)
      for (size_t c = 0; c < table.columns.size(); ++c) {
        cells[r].push_back(safe(fmt::cell(table.rows[r][c], formats[c], currency)));
        widths[c] = std::max(widths[c], display_width(cells[r][c]));
      }
    const auto layout = tally::table::fit(widths, is_text, max_width);
    auto line = [&](const std::vector<std::string>& values, bool is_header) {
      std::string text = " ";
      for (size_t i = 0; i < layout.shown.size(); ++i) {
        const size_t c = layout.shown[i];
        const std::string value = tally::table::cut(values[c], layout.widths[i]);
        bool right = is_numeric(table.columns[c].unit);
        text += ' ';
        text += right ? pad_left(value, layout.widths[i]) : pad_right(value, layout.widths[i]);
        if (i + 1 < layout.shown.size()) text += ' ';
      }
      while (!text.empty() && text.back() == ' ') text.pop_back();
      out << (is_header ? style.bold(text) : text) << '\n';
    };
    std::vector<std::string> rule(table.columns.size());
    for (size_t i = 0; i < layout.shown.size(); ++i)
      rule[layout.shown[i]] = std::string(layout.widths[i], '-');
    line(header, true);
    line(rule, false);
    for (const auto& row : cells) line(row, false);
    if (!layout.dropped.empty() || !layout.cut.empty()) {
      std::vector<std::string> said;
      if (!layout.dropped.empty()) {
        said.push_back("Not shown to fit " + std::to_string(max_width) + " columns:");
        for (size_t i = 0; i < layout.dropped.size(); ++i)
          said.push_back(header[layout.dropped[i]] + (i + 1 < layout.dropped.size() ? "," : "."));
      }
      if (!layout.cut.empty())
        for (const char* w : {"Long", "text", "cut", "(…)."}) said.push_back(w);
      for (const char* w :
           {"Every", "column:", "a", "wider", "terminal,", "or", "--format", "csv/json/markdown."})
        said.push_back(w);
      for (const auto& line : tally::table::join_lines(said, " ", max_width > 2 ? max_width - 2 : 0))
        out << "  " << style.dim(line) << '\n';
    }
    if (shown < table.rows.size())
      out << "  "
          << style.dim("… " + std::to_string(table.rows.size() - shown) +
                       " more rows (set max_rows: 0, or use --format csv/json for all)")
          << '\n';

    if (sparklines && table.chart == tally::sdk::Chart::Line && table.rows.size() > 1) {
      for (size_t c = 0; c < table.columns.size(); ++c) {
        const auto& col = table.columns[c];
        bool wanted = table.chart_ys.empty() ? is_numeric(col.unit) && col.name != table.chart_x
                                             : std::find(table.chart_ys.begin(), table.chart_ys.end(),
                                                         col.name) != table.chart_ys.end();
        if (!wanted) continue;
        std::vector<std::optional<double>> series;
        for (const auto& row : table.rows) {
          const auto& v = row[c];
          if (auto* i = std::get_if<int64_t>(&v))
            series.emplace_back(static_cast<double>(*i));
          else if (auto* d = std::get_if<double>(&v))
            series.emplace_back(*d);
          else
            series.emplace_back(std::nullopt);
        }
        out << "  trend " << safe(fmt::humanize(col.name)) << ": " << fmt::sparkline(series) << '\n';
      }
    }
  }
};

}  // namespace

TALLY_REPORT(TableReport)

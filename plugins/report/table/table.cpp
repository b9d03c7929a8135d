// table: renders a run as aligned plain-text tables for the terminal.
#include <tally/format.hpp>
#include <tally/sdk.hpp>

#include <algorithm>
#include <sstream>

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

// Columns are aligned on display width: count code points, not bytes.
size_t display_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
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

bool is_numeric(Unit u) { return u != Unit::Text && u != Unit::Date; }

class TableReport final : public tally::sdk::Report {
 public:
  void render(tally::sdk::ReportContext& ctx) override {
    const Style style(ctx.output_is_tty());
    const std::string currency = ctx.currency();
    const int64_t max_rows = ctx.integer("max_rows");
    const bool sparklines = ctx.flag("sparklines");
    std::ostringstream out;

    out << style.bold(ctx.title().empty() ? "Tally report" : safe(ctx.title())) << '\n';
    auto period = ctx.period();
    out << "Period " << period.from << " .. " << period.to << " (to is exclusive)";
    if (ctx.has_compare()) {
      auto previous = ctx.period(tally::sdk::Which::Compare);
      out << ", compared with " << previous.from << " .. " << previous.to;
    }
    out << '\n';

    for (const auto& metric : ctx.metrics()) {
      out << '\n' << style.bold("== " + safe(metric.title) + " ==") << '\n';
      if (!metric.ok) {
        out << "  " << style.error("failed: ") << safe(metric.error) << '\n';
        continue;
      }
      render_kpis(out, metric.kpis, style, currency);
      for (const auto& table : metric.tables) render_table(out, table, style, currency, max_rows, sparklines);
    }
    ctx.write(out.str());
  }

 private:
  static void render_kpis(std::ostringstream& out, const std::vector<Kpi>& kpis, const Style& style,
                          const std::string& currency) {
    if (kpis.empty()) return;
    size_t label_w = 0, value_w = 0;
    for (const auto& k : kpis) {
      label_w = std::max(label_w, display_width(safe(k.label.empty() ? k.name : k.label)));
      value_w = std::max(value_w, display_width(fmt::optional(k.value, k.unit, currency)));
    }
    for (const auto& k : kpis) {
      out << "  " << pad_right(safe(k.label.empty() ? k.name : k.label), label_w) << "  "
          << pad_left(fmt::optional(k.value, k.unit, currency), value_w);
      if (k.previous || k.value) {
        if (k.previous) {
          std::string change = std::string(fmt::arrow(fmt::trend(k))) + " " + fmt::change(k, currency);
          auto good = fmt::is_improvement(k);
          out << "  " << (good ? (*good ? style.good(change) : style.bad(change)) : change)
              << style.dim(" (was " + fmt::optional(k.previous, k.unit, currency) + ")");
        }
      }
      if (k.target) {
        out << "  target " << fmt::with_unit(*k.target, k.unit, currency);
        if (k.value && *k.target != 0) out << " (" << fmt::percent(*k.value / *k.target, 0) << " of target)";
      }
      out << '\n';
    }
  }

  static void render_table(std::ostringstream& out, const tally::sdk::TableView& table, const Style& style,
                           const std::string& currency, int64_t max_rows, bool sparklines) {
    out << '\n' << "  " << style.bold(safe(table.title.empty() ? table.name : table.title)) << '\n';
    if (table.rows.empty()) {
      out << "  " << style.dim("(no rows)") << '\n';
      return;
    }
    const size_t shown = max_rows > 0 ? std::min<size_t>(table.rows.size(), static_cast<size_t>(max_rows))
                                      : table.rows.size();
    std::vector<std::vector<std::string>> cells(shown);
    std::vector<size_t> widths;
    for (const auto& c : table.columns) widths.push_back(display_width(safe(c.name)));
    for (size_t r = 0; r < shown; ++r)
      for (size_t c = 0; c < table.columns.size(); ++c) {
        cells[r].push_back(safe(fmt::value(table.rows[r][c], table.columns[c].unit, currency)));
        widths[c] = std::max(widths[c], display_width(cells[r][c]));
      }
    auto line = [&](const std::vector<std::string>& values, bool header) {
      std::string text = " ";
      for (size_t c = 0; c < values.size(); ++c) {
        bool right = is_numeric(table.columns[c].unit);
        text += ' ';
        text += right ? pad_left(values[c], widths[c]) : pad_right(values[c], widths[c]);
        if (c + 1 < values.size()) text += ' ';
      }
      while (!text.empty() && text.back() == ' ') text.pop_back();
      out << (header ? style.bold(text) : text) << '\n';
    };
    std::vector<std::string> header;
    std::vector<std::string> rule;
    for (size_t c = 0; c < table.columns.size(); ++c) {
      header.push_back(safe(table.columns[c].name));
      rule.push_back(std::string(widths[c], '-'));
    }
    line(header, true);
    line(rule, false);
    for (const auto& row : cells) line(row, false);
    if (shown < table.rows.size())
      out << "  " << style.dim("… " + std::to_string(table.rows.size() - shown) +
                               " more rows (set max_rows: 0, or use --format csv/json for all)")
          << '\n';

    if (sparklines && table.chart == tally::sdk::Chart::Line && table.rows.size() > 1) {
      for (size_t c = 0; c < table.columns.size(); ++c) {
        const auto& col = table.columns[c];
        bool wanted = table.chart_ys.empty() ? is_numeric(col.unit) && col.name != table.chart_x
                                             : std::find(table.chart_ys.begin(), table.chart_ys.end(), col.name) !=
                                                   table.chart_ys.end();
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
        out << "  trend " << safe(col.name) << ": " << fmt::sparkline(series) << '\n';
      }
    }
  }
};

}  // namespace

TALLY_REPORT(TableReport)

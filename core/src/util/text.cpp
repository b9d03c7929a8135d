#include "util/text.hpp"

#include <algorithm>
#include <cctype>

namespace tally {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t substitution = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, substitution});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += separator;
    out += items[i];
  }
  return out;
}

std::string escape_for_terminal(std::string_view text, bool keep_newlines) {
  static const char* hex = "0123456789abcdef";
  auto byte_escape = [](std::string& out, unsigned char c) {
    out += "\\x";
    out += hex[c >> 4];
    out += hex[c & 0xF];
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) {
      if (c == '\n' && keep_newlines)
        out += '\n';
      else if (c == 0x1B)
        out += "\\e";
      else if (c == '\t')
        out += "\\t";
      else if (c == '\n')
        out += "\\n";
      else if (c == '\r')
        out += "\\r";
      else
        byte_escape(out, c);
      ++i;
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    // A UTF-8 sequence: its length from the lead byte, then continuation bytes.
    size_t length = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? (c <= 0xEF ? 3 : 0) : c >= 0xC2 ? 2 : 0;
    bool valid = length > 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k)
      valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (!valid) {
      byte_escape(out, c);
      ++i;
      continue;
    }
    const unsigned char second = static_cast<unsigned char>(text[i + 1]);
    if (c == 0xC2 && second >= 0x80 && second <= 0x9F) {  // C1 control, U+0080..U+009F
      out += "\\u00";
      out += hex[second >> 4];
      out += hex[second & 0xF];
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  return out;
}

std::string humanize_name(std::string_view name) {
  static const std::vector<std::string> upper = {
      "arr", "mrr",  "acv", "tcv",  "smb", "emea", "apac", "amer", "latam", "kpi",  "kpis",
      "mql", "mqls", "sal", "sals", "sql", "sqls", "qbr",  "crm",  "sdr",   "sdrs", "ae",
      "aes", "nrr",  "grr", "ltv",  "cac", "roi",  "yoy",  "qoq",  "id",    "us",   "uk"};
  std::vector<std::string> words;
  std::string word;
  for (char c : name) {
    if (c == '_' || c == '-' || c == ' ') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  auto is_quantile = [](const std::string& w) {
    return w.size() >= 2 && (w[0] == 'p' || w[0] == 'P') &&
           std::all_of(w.begin() + 1, w.end(), [](char d) { return d >= '0' && d <= '9'; });
  };
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    std::string w = words[i];
    std::string lower = w;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (std::find(upper.begin(), upper.end(), lower) != upper.end() || is_quantile(w)) {
      std::transform(w.begin(), w.end(), w.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    } else if (i == 0) {
      w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
    }
    if (i) out += ' ';
    out += w;
  }
  return out;
}

}  // namespace tally

// `tally import`: mapping checks, value transforms, the Maven CRM dataset end
// to end (figures computed here from the CSVs themselves), rejects, dry runs,
// --strict, idempotent re-imports, and imports that fail or are killed.
#include <gtest/gtest.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "import/importer.hpp"
#include "import/mapping.hpp"
#include "import/transforms.hpp"
#include "plugins/registry.hpp"
#include "support/command.hpp"
#include "support/fixture.hpp"
#include "support/import_fixtures.hpp"
#include "util/date.hpp"
#include "util/diagnostic.hpp"

namespace fs = std::filesystem;
using namespace tally::import;
using tally::testing::TempDir;

using tally::testing::slurp;

namespace {

using tally::testing::kMaven;
using tally::testing::kMavenMapping;
using tally::testing::maven_files;

// The Maven files have no quoted fields: a plain split is an independent reader.
std::vector<std::vector<std::string>> read_simple_csv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> fields;
    std::stringstream s(line);
    std::string f;
    while (std::getline(s, f, ',')) fields.push_back(f);
    if (!line.empty() && line.back() == ',') fields.push_back("");
    rows.push_back(fields);
  }
  return rows;
}

int64_t days(const std::string& iso) {
  return tally::Date::parse(iso)->days_since_epoch();
}

int64_t count(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  q.executeStep();
  return q.getColumn(0).getInt64();
}
double real(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  q.executeStep();
  return q.getColumn(0).getDouble();
}

ImportSummary import_with_plugins(ImportOptions options) {
  tally::plugins::Registry registry({TALLY_TEST_PLUGIN_DIR});
  return run_import(options, registry);
}

const FileSummary& file(const ImportSummary& s, const std::string& name) {
  for (const auto& f : s.files)
    if (fs::path(f.file).filename() == name) return f;
  throw std::runtime_error("no summary for " + name);
}

// Records from memory, for the engine without the CSV plugin.
class MemorySource final : public RecordSource {
 public:
  MemorySource(std::vector<std::string> columns, std::function<bool(uint64_t, Record&)> make)
      : columns_(std::move(columns)), make_(std::move(make)) {}
  const std::vector<std::string>& columns() const override { return columns_; }
  bool next(Record& out) override { return make_(++n_, out); }
  void progress(uint64_t& done, uint64_t& total) override { done = n_, total = 0; }

 private:
  std::vector<std::string> columns_;
  std::function<bool(uint64_t, Record&)> make_;
  uint64_t n_ = 0;
};

using tally::testing::kDealsMapping;

// n generated deal records; `on_row(i)` runs before row i is returned.
SourceOpener deals_opener(uint64_t n, std::function<void(uint64_t)> on_row = {}) {
  return [n, on_row](const std::string&, const std::string&) {
    return std::make_unique<MemorySource>(
        std::vector<std::string>{"id", "owner", "amount", "stage", "created"},
        [n, on_row](uint64_t i, Record& r) {
          if (i > n) return false;
          if (on_row) on_row(i);
          r.line = i + 1;
          r.fields = {"D" + std::to_string(i), "Rep " + std::to_string(i % 7),
                      "$" + std::to_string(i) + ".50", i % 3 ? "Open" : "Won",
                      "2024-01-" + std::to_string(10 + i % 20)};
          return true;
        });
  };
}

}  // namespace

// ---------------------------------------------------------------- transforms

TEST(ImportTransforms, DatesInCrmFormats) {
  std::string error;
  auto parse = [&](const std::string& fmt, const std::string& text, bool datetime = false) {
    auto f = DateFormat::compile(fmt, error);
    EXPECT_TRUE(f) << error;
    DateTime dt;
    if (!f->parse(text, dt, error)) return "error: " + error;
    std::string out;
    datetime ? format_datetime(dt, out) : format_date(dt, out);
    return out;
  };
  EXPECT_EQ(parse("auto", "2021-04-15"), "2021-04-15");
  EXPECT_EQ(parse("auto", "2021-04-15T00:02:00Z", true), "2021-04-15 00:02:00");
  EXPECT_EQ(parse("auto", "2021-04-15T01:30:00+02:00", true), "2021-04-14 23:30:00");
  EXPECT_EQ(parse("auto", "15 Apr, 2021 00:02:00", true), "2021-04-15 00:02:00");
  EXPECT_EQ(parse("auto", "April 15, 2021 3:04 PM", true), "2021-04-15 15:04:00");
  EXPECT_EQ(parse("auto", "4/15/2021"), "2021-04-15");  // only M/D can be right
  EXPECT_EQ(parse("auto", "15-4-2021"), "2021-04-15");  // only D-M can be right
  EXPECT_NE(parse("auto", "3/4/2021").find("day-first or month-first"), std::string::npos);
  EXPECT_EQ(parse("M/D/YYYY", "3/4/2021"), "2021-03-04");
  EXPECT_EQ(parse("D-M-YYYY", "3-4-2021"), "2021-04-03");
  EXPECT_EQ(parse("D MMM, YYYY HH:mm:ss", "15 Apr, 2021 00:02:00", true), "2021-04-15 00:02:00");
  EXPECT_EQ(parse("M/D/YYYY h:mm A", "4/15/2021 12:05 AM", true), "2021-04-15 00:05:00");
  EXPECT_EQ(parse("YYYYMMDD", "20210415"), "2021-04-15");
  EXPECT_NE(parse("M/D/YYYY", "2/30/2021").find("not a real calendar date"), std::string::npos);
  EXPECT_NE(parse("iso", "4/15/2021").find("error"), std::string::npos);
  EXPECT_FALSE(DateFormat::compile("YYYY-QQ-DD", error));
  EXPECT_NE(error.find("unknown letter 'Q'"), std::string::npos) << error;
}

TEST(ImportTransforms, MoneyAndNumbers) {
  NumberFormat us;
  std::string error;
  double v = 0;
  auto money = [&](const std::string& text, const NumberFormat& f) {
    return parse_money(text, f, v, error) ? v : std::nan("");
  };
  EXPECT_DOUBLE_EQ(money("$22,700.00", us), 22700.0);
  EXPECT_DOUBLE_EQ(money("1.2K", us), 1200.0);
  EXPECT_DOUBLE_EQ(money("3M", us), 3000000.0);
  EXPECT_DOUBLE_EQ(money("USD 1,234,567.89", us), 1234567.89);
  EXPECT_DOUBLE_EQ(money("($1,200.50)", us), -1200.5);
  EXPECT_DOUBLE_EQ(money("-$5", us), -5.0);
  EXPECT_DOUBLE_EQ(money("22700", us), 22700.0);
  EXPECT_DOUBLE_EQ(money("1 200 \xE2\x82\xAC", us), 1200.0);  // 1 200 €
  NumberFormat eu{',', '.'};
  EXPECT_DOUBLE_EQ(money("\xE2\x82\xAC"
                         "1.200,50",
                         eu),
                   1200.5);                     // €1.200,50
  EXPECT_TRUE(std::isnan(money("12,34", us)));  // a misplaced thousands separator is not silently 1234
  EXPECT_TRUE(std::isnan(money("twelve", us)));
  EXPECT_TRUE(std::isnan(money("", us)));
  int64_t i = 0;
  EXPECT_TRUE(parse_integer("2,822", us, i, error));
  EXPECT_EQ(i, 2822);
  EXPECT_FALSE(parse_integer("12.5", us, i, error));
  EXPECT_TRUE(parse_percent("20%", us, v, error));
  EXPECT_DOUBLE_EQ(v, 0.2);
  bool b = false;
  EXPECT_TRUE(parse_bool("Yes", b, error) && b);
  EXPECT_EQ(trim(" \xC2\xA0 x \t"), "x");
}

// ---------------------------------------------------------------- mapping checks

TEST(ImportMapping, EveryErrorWithFileLineColumnAtOnce) {
  TempDir dir;
  std::string path = dir.write("bad.yaml", R"(namespace: x
sources: csv
files:
  deals.csv:
    table: oportunities
  people.csv:
    table: reps
    id: Id
    fields:
      nmae: Name
      role: {column: Role, map: {Boss: bos}}
      hired_at: {column: Hired, format: "YYYY-QQ"}
)");
  try {
    parse_mapping_file(path);
    FAIL() << "expected errors";
  } catch (const tally::DiagnosticError& e) {
    const std::string all = e.what();
    EXPECT_GE(e.diagnostics().size(), 5u) << all;
    EXPECT_NE(all.find(path + ":2:1: unknown key 'sources'"), std::string::npos) << all;
    EXPECT_NE(all.find(path + ":5:12: unknown table 'oportunities'; did you mean 'opportunities'?"),
              std::string::npos)
        << all;
    EXPECT_NE(all.find(path + ":10:7: unknown field 'nmae' for table reps; did you mean 'name'?"),
              std::string::npos)
        << all;
    EXPECT_NE(all.find(path + ":11:40: 'bos' is not a valid field 'role'"), std::string::npos) << all;
    EXPECT_NE(all.find("unknown letter 'Q'"), std::string::npos) << all;
    EXPECT_NE(all.find("table reps needs field 'name'"), std::string::npos) << all;
  }
}

TEST(ImportMapping, UnknownColumnNamesTheMappingLineAndChangesNothing) {
  TempDir dir;
  std::string text = slurp(kMavenMapping);
  const std::string from = "closed_at: {column: close_date";
  text.replace(text.find(from), from.size(), "closed_at: {column: clse_date");
  std::string mapping = dir.write("maven.yaml", text);
  ImportOptions o{mapping, dir.file("m.db"), maven_files()};
  try {
    import_with_plugins(o);
    FAIL() << "expected an unknown-column error";
  } catch (const tally::DiagnosticError& e) {
    ASSERT_EQ(e.diagnostics().size(), 1u) << e.what();
    const auto& d = e.diagnostics()[0];
    EXPECT_EQ(d.where.file, mapping);
    EXPECT_GT(d.where.line, 0);
    EXPECT_GT(d.where.column, 0);
    EXPECT_NE(d.message.find("column 'clse_date' is not in sales_pipeline.csv; did you mean 'close_date'?"),
              std::string::npos)
        << d.message;
  }
  EXPECT_FALSE(fs::exists(dir.file("m.db")));
}

TEST(ImportMapping, FileWithoutEntryIsAnError) {
  TempDir dir;
  std::string stray = dir.write("notes.csv", "a,b\n1,2\n");
  ImportOptions o{kMavenMapping, dir.file("m.db"), {stray}};
  try {
    import_with_plugins(o);
    FAIL();
  } catch (const tally::DiagnosticError& e) {
    EXPECT_NE(std::string(e.what()).find("no entry of"), std::string::npos) << e.what();
  }
}

TEST(ImportMapping, ShippedTemplatesParse) {
  for (const char* name : {"maven-crm", "salesforce-opportunities", "hubspot-deals", "pipedrive-deals"}) {
    std::string path = std::string(TALLY_SOURCE_DIR "/configs/mappings/") + name + ".yaml";
    EXPECT_NO_THROW(parse_mapping_file(path)) << path;
  }
}

// ---------------------------------------------------------------- Maven end to end

TEST(ImportMaven, CountsAndFiguresMatchTheCsvs) {
  TempDir dir;
  const std::string db_path = dir.file("maven.db");
  ImportSummary s = import_with_plugins({kMavenMapping, db_path, maven_files()});

  auto pipeline = read_simple_csv(kMaven + "sales_pipeline.csv");
  auto teams = read_simple_csv(kMaven + "sales_teams.csv");
  ASSERT_EQ(pipeline.size(), 8800u);
  EXPECT_EQ(file(s, "sales_pipeline.csv").read, 8800);
  EXPECT_EQ(file(s, "sales_pipeline.csv").inserted, 8800);
  EXPECT_EQ(file(s, "sales_pipeline.csv").rejected, 0);
  EXPECT_EQ(file(s, "sales_teams.csv").inserted, 35);
  EXPECT_EQ(file(s, "accounts.csv").inserted, 85);
  EXPECT_EQ(file(s, "products.csv").inserted, 7);
  EXPECT_TRUE(file(s, "data_dictionary.csv").skipped);
  EXPECT_TRUE(s.rejects_path.empty());

  // Independently from the CSVs: deals by stage, won value per regional
  // office, mean days engage -> close of won deals, prospecting without dates.
  std::map<std::string, int64_t> by_stage;
  std::map<std::string, std::string> office_of;
  for (const auto& t : teams) office_of[t[0]] = t[2];
  std::map<std::string, double> won_by_office;
  double cycle_sum = 0;
  int64_t won = 0, no_engage = 0;
  for (const auto& r : pipeline) {
    ++by_stage[r[4]];
    if (r[5].empty()) ++no_engage;
    if (r[4] == "Won") {
      won_by_office[office_of.at(r[1])] += std::stod(r[7]);
      cycle_sum += static_cast<double>(days(r[6]) - days(r[5]));
      ++won;
    }
  }
  EXPECT_EQ(file(s, "sales_pipeline.csv").defaulted.at("created_at").first, no_engage);

  SQLite::Database db(db_path);
  for (const auto& [stage, n] : by_stage)
    EXPECT_EQ(count(db, "SELECT count(*) FROM opportunities WHERE stage = '" + stage + "'"), n) << stage;
  EXPECT_EQ(count(db, "SELECT count(*) FROM opportunities WHERE status = 'won'"), by_stage["Won"]);
  EXPECT_EQ(count(db, "SELECT count(*) FROM opportunities WHERE status = 'lost'"), by_stage["Lost"]);
  EXPECT_EQ(count(db, "SELECT count(*) FROM opportunities WHERE status = 'open'"),
            by_stage["Prospecting"] + by_stage["Engaging"]);
  for (const auto& [office, amount] : won_by_office)
    EXPECT_NEAR(real(db,
                     "SELECT sum(o.amount) FROM opportunities o JOIN reps r ON r.id = o.owner_id "
                     "WHERE o.status = 'won' AND r.region = '" +
                         office + "'"),
                amount, 1e-6)
        << office;
  EXPECT_NEAR(real(db,
                   "SELECT avg(julianday(closed_at) - julianday(created_at)) FROM opportunities "
                   "WHERE status = 'won'"),
              cycle_sum / static_cast<double>(won), 1e-9);

  // Teams and managers; the misspelt sector; employee bands.
  EXPECT_EQ(count(db, "SELECT count(*) FROM reps WHERE role = 'manager'"), 6);
  EXPECT_EQ(count(db, "SELECT count(*) FROM teams"), 6);
  EXPECT_EQ(count(db,
                  "SELECT count(*) FROM reps r JOIN reps m ON m.id = r.manager_id "
                  "JOIN teams t ON t.id = r.team_id WHERE r.role = 'rep' AND t.manager_id = m.id"),
            35);
  EXPECT_EQ(count(db, "SELECT count(*) FROM accounts WHERE industry = 'technolgy'"), 0);
  EXPECT_EQ(count(db, "SELECT count(*) FROM accounts WHERE industry = 'technology'"), 12);
  EXPECT_EQ(count(db, "SELECT count(*) FROM accounts WHERE segment IS NULL"), 0);
  EXPECT_EQ(count(db, "SELECT count(*) FROM stages"), 4);

  // GTXPro in the pipeline is products.csv's "GTX Pro", as the mapping says.
  int64_t gtxpro = 0;
  for (const auto& r : pipeline) gtxpro += r[2] == "GTXPro";
  ASSERT_GT(gtxpro, 0);
  EXPECT_EQ(count(db,
                  "SELECT count(*) FROM opportunities o JOIN products p ON p.id = o.product_id "
                  "WHERE p.name = 'GTX Pro'"),
            gtxpro);
  EXPECT_EQ(count(db, "SELECT count(*) FROM opportunities WHERE product_id IS NULL"), 0);

  // The planner's statistics describe the imported rows (docs/decisions.md).
  EXPECT_EQ(count(db, "SELECT CAST(stat AS INTEGER) FROM sqlite_stat1 WHERE idx = 'opportunities_closed'"),
            8800);
  EXPECT_EQ(count(db, "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'reps'"), 1);
}

TEST(ImportMaven, ReimportUpdatesWithoutDuplicates) {
  TempDir dir;
  const std::string db_path = dir.file("maven.db");
  import_with_plugins({kMavenMapping, db_path, maven_files()});
  ImportSummary again = import_with_plugins({kMavenMapping, db_path, maven_files()});
  for (const auto& f : again.files) {
    if (f.skipped) continue;
    EXPECT_EQ(f.inserted, 0) << f.file;
    EXPECT_EQ(f.updated, f.read) << f.file;
    EXPECT_TRUE(f.created.empty()) << f.file;
  }
  SQLite::Database db(db_path);
  EXPECT_EQ(count(db, "SELECT count(*) FROM opportunities"), 8800);
  EXPECT_EQ(count(db, "SELECT count(*) FROM reps"), 41);
  EXPECT_EQ(count(db, "SELECT count(*) FROM teams"), 6);
  EXPECT_EQ(count(db, "SELECT count(*) FROM accounts"), 85);
  EXPECT_EQ(count(db, "SELECT count(*) FROM stages"), 4);
}

// Without the mapping's GTXPro -> GTX Pro, those deals are rejects: counted,
// listed with their line, never silently dropped or left without a product.
TEST(ImportMaven, UnmappedProductIsRejectedVisibly) {
  TempDir dir;
  std::string text = slurp(kMavenMapping);
  const std::string map = "map: {GTXPro: GTX Pro}";
  text.replace(text.find(map), map.size(), "");
  std::string mapping = dir.write("maven.yaml", text);
  const std::string db_path = dir.file("maven.db");

  ImportSummary dry = import_with_plugins({mapping, db_path, maven_files(), /*dry_run=*/true});
  EXPECT_FALSE(fs::exists(db_path));
  EXPECT_EQ(file(dry, "sales_pipeline.csv").rejected, 1480);
  ASSERT_EQ(dry.rejects.size(), 1480u);  // a dry run lists every reject
  EXPECT_EQ(dry.rejects[0].line, 3u);    // Z063OYW0, the first GTXPro deal
  EXPECT_EQ(dry.rejects[0].column, "product");
  EXPECT_NE(dry.rejects[0].reason.find("no products row has name 'GTXPro'"), std::string::npos)
      << dry.rejects[0].reason;
  EXPECT_NE(format_summary(dry).find("reject sales_pipeline.csv:3 column 'product'"), std::string::npos);

  ImportSummary s = import_with_plugins({mapping, db_path, maven_files()});
  EXPECT_EQ(file(s, "sales_pipeline.csv").inserted, 8800 - 1480);
  EXPECT_EQ(s.rejects_path, db_path + ".rejects.csv");
  std::string rejects = slurp(s.rejects_path);
  EXPECT_EQ(rejects.rfind("file,line,column,reason,raw\n", 0), 0u);
  EXPECT_NE(rejects.find("sales_pipeline.csv,3,product,"), std::string::npos);
  EXPECT_NE(rejects.find("Z063OYW0,Darcel Schlecht,GTXPro,Isdom,Won,2016-10-25,2017-03-11,4514"),
            std::string::npos);
  SQLite::Database db(db_path);
  EXPECT_EQ(count(db, "SELECT count(*) FROM opportunities"), 8800 - 1480);

  // --strict stops at the first reject and writes nothing.
  TempDir strict_dir;
  try {
    import_with_plugins({mapping, strict_dir.file("s.db"), maven_files(), false, /*strict=*/true});
    FAIL() << "expected --strict to stop";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("sales_pipeline.csv:3: column 'product'"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(strict_dir.file("s.db")));
}

// ---------------------------------------------------------------- malformed input

TEST(ImportRejects, MalformedRowsWithTheirLineNumbers) {
  TempDir dir;
  std::string csv = dir.write("deals.csv",
                              "id,owner,amount,stage,created\r\n"
                              "A1,Ann,\"$1,200.00\",Open,2024-01-05\r\n"
                              "A2,Ann,100\r\n"                 // line 3: too few fields
                              "A3,Bob,50,Open,2024-13-40\r\n"  // line 4: no such date
                              "\"A4\",\"Bob\",\"1.2K\",Won,\"15 Jan, 2024 10:00:00\"\r\n"
                              "A5,Bob,lots,Won,2024-01-07\r\n");  // line 6: not money
  std::string mapping = dir.write("m.yaml", kDealsMapping);
  const std::string db_path = dir.file("d.db");
  ImportSummary s = import_with_plugins({mapping, db_path, {csv}});
  const auto& f = file(s, "deals.csv");
  EXPECT_EQ(f.read, 5);
  EXPECT_EQ(f.inserted, 2);
  EXPECT_EQ(f.rejected, 3);
  std::string rejects = slurp(db_path + ".rejects.csv");
  EXPECT_NE(rejects.find("deals.csv,3,,\"expected 5 fields (as in the header), found 3\",\"A2,Ann,100\""),
            std::string::npos)
      << rejects;
  EXPECT_NE(rejects.find("deals.csv,4,created,'2024-13-40'"), std::string::npos) << rejects;
  EXPECT_NE(rejects.find("deals.csv,6,amount,\"'lots' is not an amount of money"), std::string::npos)
      << rejects;
  SQLite::Database db(db_path);
  EXPECT_DOUBLE_EQ(real(db, "SELECT sum(amount) FROM opportunities"), 1200.0 + 1200.0);
  EXPECT_EQ(count(db, "SELECT count(*) FROM opportunities WHERE created_at = '2024-01-15'"), 1);

  // A clean re-import of fixed data removes the stale rejects file.
  std::string fixed = dir.write("deals.csv", "id,owner,amount,stage,created\nA1,Ann,1,Open,2024-01-05\n");
  ImportSummary clean = import_with_plugins({mapping, db_path, {fixed}});
  EXPECT_TRUE(clean.rejects_path.empty());
  EXPECT_FALSE(fs::exists(db_path + ".rejects.csv"));
}

// Spreadsheets in many locales save "CSV" with semicolons (and decimal
// commas); some CRMs export tab-separated text. The separator is read off the
// header line, outside quotes, with no mapping change.
TEST(ImportRejects, SemicolonAndTabSeparatedFilesReadLikeCommaOnes) {
  TempDir dir;
  const std::string mapping = dir.write("m.yaml", kDealsMapping);
  const std::string semicolons = dir.write("deals.csv",
                                           "\xEF\xBB\xBFid;owner;amount;stage;created\r\n"
                                           "A1;\"Ann; Jr\";\"$1,200.00\";Open;2024-01-05\r\n"
                                           "A2;Bob;300;Won;2024-01-06\r\n");
  ImportSummary s = import_with_plugins({mapping, dir.file("semi.db"), {semicolons}});
  EXPECT_EQ(file(s, "deals.csv").inserted, 2);
  EXPECT_EQ(file(s, "deals.csv").rejected, 0);
  SQLite::Database semi(dir.file("semi.db"));
  EXPECT_DOUBLE_EQ(real(semi, "SELECT sum(amount) FROM opportunities"), 1500.0);
  EXPECT_EQ(count(semi, "SELECT count(*) FROM reps WHERE name = 'Ann; Jr'"), 1);

  const std::string tabs = dir.write("deals.csv",
                                     "id\towner\tamount\tstage\tcreated\n"
                                     "A1\tAnn, Jr\t1,200.00\tOpen\t2024-01-05\n");
  ImportSummary t = import_with_plugins({mapping, dir.file("tab.db"), {tabs}});
  EXPECT_EQ(file(t, "deals.csv").inserted, 1);
  SQLite::Database tab(dir.file("tab.db"));
  EXPECT_DOUBLE_EQ(real(tab, "SELECT sum(amount) FROM opportunities"), 1200.0);
  EXPECT_EQ(count(tab, "SELECT count(*) FROM reps WHERE name = 'Ann, Jr'"), 1);
}

// Salesforce's "Details Only" CSV ends with an empty line, the report's
// title, copyright and "Generated By" lines: a footer, left out and named in
// the summary. One-field lines that are not at the very end, or a footer run
// longer than any footer, are still rejects.
TEST(ImportRejects, ReportFooterAfterTheDataIsLeftOutAndNamed) {
  TempDir dir;
  const std::string mapping = dir.write("m.yaml", kDealsMapping);
  const std::string rows =
      "id,owner,amount,stage,created\nA1,Ann,100,Open,2024-01-05\nA2,Bob,300,Won,2024-01-06\n";
  const std::string footer =
      "\"\"\n\"\"\n\"Opportunities Report\"\n\"Copyright (c) 2000-2026 salesforce.com, inc. All rights "
      "reserved.\"\n\"Confidential Information - Do Not Distribute\"\n\"Generated By:  Jane Roe  12/1/2026 "
      "9:41 "
      "AM\"\n\"Acme Corp\"\n";
  ImportSummary s = import_with_plugins({mapping, dir.file("f.db"), {dir.write("deals.csv", rows + footer)}});
  const auto& f = file(s, "deals.csv");
  EXPECT_EQ(f.read, 2);
  EXPECT_EQ(f.inserted, 2);
  EXPECT_EQ(f.rejected, 0);
  EXPECT_EQ(f.footer_first_line, 4u);
  EXPECT_EQ(f.footer_last_line, 10u);
  ASSERT_EQ(f.footer_texts.size(), 3u);
  EXPECT_EQ(f.footer_texts[0], "Opportunities Report");
  const std::string text = format_summary(s);
  EXPECT_NE(text.find("deals.csv: lines 4-10 after the data are a report footer, not rows; left out "
                      "(\"Opportunities Report\""),
            std::string::npos)
      << text;

  // The same lines in the middle of the data: rows that are rejected.
  ImportSummary middle = import_with_plugins(
      {mapping, dir.file("m.db"), {dir.write("deals.csv", rows + footer + "A3,Cy,5,Open,2024-01-07\n")}});
  EXPECT_EQ(file(middle, "deals.csv").inserted, 3);
  EXPECT_EQ(file(middle, "deals.csv").rejected, 7);
  EXPECT_EQ(file(middle, "deals.csv").footer_first_line, 0u);

  // One-field lines without the empty line first are not a footer either.
  ImportSummary bare =
      import_with_plugins({mapping, dir.file("b.db"), {dir.write("deals.csv", rows + "Total\n")}});
  EXPECT_EQ(file(bare, "deals.csv").rejected, 1);
}

// Moving the rejects into place happens after the commit: if it fails, the
// committed rows stay (even in a database this import created) and the
// rejects stay in their partial file, named in the error.
TEST(ImportRejects, RejectsThatCannotBeMovedKeepTheCommittedRowsAndTheirFile) {
  TempDir dir;
  std::string csv = dir.write("deals.csv",
                              "id,owner,amount,stage,created\n"
                              "A1,Ann,100,Open,2024-01-05\n"
                              "A2,Ann,lots,Open,2024-01-06\n");
  std::string mapping = dir.write("m.yaml", kDealsMapping);
  const std::string db_path = dir.file("d.db");
  fs::create_directories(db_path + ".rejects.csv/occupied");  // rename() cannot replace it
  try {
    import_with_plugins({mapping, db_path, {csv}});
    FAIL() << "no error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("the import is committed"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(db_path + ".rejects.csv.partial"), std::string::npos) << e.what();
  }
  SQLite::Database db(db_path);
  EXPECT_EQ(count(db, "SELECT count(*) FROM opportunities"), 1);
  EXPECT_NE(slurp(db_path + ".rejects.csv.partial").find("deals.csv,3,amount"), std::string::npos);
}

TEST(ImportRejects, NonUtf8InputFailsNamingTheLineAndChangesNothing) {
  TempDir dir;
  std::string csv = dir.write("deals.csv", "id,owner,amount,stage,created\nA1,Jos\xE9,1,Open,2024-01-05\n");
  std::string mapping = dir.write("m.yaml", kDealsMapping);
  try {
    import_with_plugins({mapping, dir.file("d.db"), {csv}});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("deals.csv:2: not valid UTF-8"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir.file("d.db")));
}

// A new table is filled with multi-row INSERTs; ids repeated within the file
// (with `on_duplicate: last`) and rejects between good rows must still give
// what row-by-row upserts give: the last row wins, repeats are counted as
// repeats (not updates: the rows are new), rejects in line order.
TEST(ImportRejects, RepeatedIdsAndRejectsInOneFileCountLikeRowByRow) {
  TempDir dir;
  std::string yaml = kDealsMapping;
  yaml.replace(yaml.find("    id: id\n"), 11, "    id: id\n    on_duplicate: last\n");
  std::string mapping = dir.write("m.yaml", yaml);
  const std::string db_path = dir.file("d.db");
  std::ofstream(dir.file("deals.csv")) << "placeholder";
  const uint64_t n = 5000;
  auto id_of = [](uint64_t i) { return "D" + std::to_string(i < 3000 ? i : i % 1700); };
  auto amount_of = [](uint64_t i) { return i % 97 == 0 ? std::string("twelve") : std::to_string(i); };
  SourceOpener opener = [&](const std::string&, const std::string&) {
    return std::make_unique<MemorySource>(
        std::vector<std::string>{"id", "owner", "amount", "stage", "created"}, [&](uint64_t i, Record& r) {
          if (i > n) return false;
          r.line = i + 1;
          r.fields = {id_of(i), "Rep " + std::to_string(i % 5), amount_of(i), "Open", "2024-01-15"};
          return true;
        });
  };
  ImportSummary s = run_import({mapping, db_path, {dir.file("deals.csv")}}, opener);

  std::map<std::string, int64_t> last_amount;
  int64_t inserted = 0, updated = 0, rejected = 0;
  std::vector<uint64_t> reject_lines;
  for (uint64_t i = 1; i <= n; ++i) {
    if (i % 97 == 0) {
      ++rejected;
      reject_lines.push_back(i + 1);
      continue;
    }
    (last_amount.count(id_of(i)) ? updated : inserted) += 1;
    last_amount[id_of(i)] = static_cast<int64_t>(i);
  }
  EXPECT_EQ(s.files[0].read, static_cast<int64_t>(n));
  EXPECT_EQ(s.files[0].inserted, inserted);
  EXPECT_EQ(s.files[0].updated, 0);
  EXPECT_EQ(s.files[0].repeated, updated);
  EXPECT_EQ(s.files[0].rejected, rejected);

  SQLite::Database db(db_path);
  EXPECT_EQ(count(db, "SELECT count(*) FROM opportunities"), static_cast<int64_t>(last_amount.size()));
  SQLite::Statement q(db, "SELECT external_id, amount FROM opportunities");
  int64_t wrong = 0;
  while (q.executeStep())
    if (static_cast<int64_t>(q.getColumn(1).getDouble()) !=
        last_amount.at(q.getColumn(0).getString().substr(4)))
      ++wrong;
  EXPECT_EQ(wrong, 0);

  std::ifstream rejects(db_path + ".rejects.csv");
  std::string line;
  std::getline(rejects, line);  // header
  std::vector<uint64_t> lines;
  while (std::getline(rejects, line)) lines.push_back(std::stoull(line.substr(line.find(',') + 1)));
  EXPECT_EQ(lines, reject_lines);
}

// ---------------------------------------------------------------- all or nothing

TEST(ImportTransaction, FailureMidwayLeavesTheDatabaseAsItWas) {
  TempDir dir;
  std::string mapping = dir.write("m.yaml", kDealsMapping);
  const std::string db_path = dir.file("d.db");
  ImportOptions o{mapping, db_path, {dir.file("deals.csv")}};
  std::ofstream(dir.file("deals.csv")) << "placeholder";
  ImportSummary first = run_import(o, deals_opener(1000));
  EXPECT_EQ(first.files[0].inserted, 1000);

  auto failing = deals_opener(5000, [](uint64_t i) {
    if (i == 4000) throw std::runtime_error("deals.csv:4001: disk on fire");
  });
  EXPECT_THROW(run_import(o, failing), std::runtime_error);
  SQLite::Database db(db_path);
  EXPECT_EQ(count(db, "SELECT count(*) FROM opportunities"), 1000);
  EXPECT_EQ(count(db, "SELECT count(*) FROM reps"), 7);
}

// Imports 400k deals in a child process and kills it with SIGKILL once 300k
// are in (far enough that pages have been written).
void import_killed_midway(const ImportOptions& o) {
  tally::testing::kill_when_ready([&](int ready_fd) {
    run_import(o, deals_opener(400000, [&](uint64_t i) {
                 if (i == 300000) {
                   char c = 'x';
                   if (write(ready_fd, &c, 1) != 1) _exit(3);
                   for (;;) pause();
                 }
               }));
  });
}

TEST(ImportTransaction, KilledImportLeavesTheDatabaseAsItWas) {
  TempDir dir;
  std::string mapping = dir.write("m.yaml", kDealsMapping);
  const std::string db_path = dir.file("d.db");
  std::ofstream(dir.file("deals.csv")) << "placeholder";
  ImportOptions o{mapping, db_path, {dir.file("deals.csv")}};
  run_import(o, deals_opener(1000));
  const int64_t sum_before = static_cast<int64_t>([&] {
    SQLite::Database db(db_path);
    return real(db, "SELECT sum(amount) FROM opportunities");
  }());

  // Re-import changed amounts and 300k new deals, killed midway.
  ASSERT_NO_FATAL_FAILURE(import_killed_midway(o));

  SQLite::Database db(db_path);
  EXPECT_EQ(count(db, "SELECT count(*) FROM opportunities"), 1000);
  EXPECT_EQ(static_cast<int64_t>(real(db, "SELECT sum(amount) FROM opportunities")), sum_before);
  SQLite::Statement check(db, "PRAGMA integrity_check");
  ASSERT_TRUE(check.executeStep());
  EXPECT_EQ(check.getColumn(0).getString(), "ok");
  EXPECT_EQ(count(db, "SELECT count(*) FROM sqlite_master WHERE name = 'opportunities_created'"), 1);
}

// The first import into a new file runs with a rollback journal (written
// once, not twice as with WAL): killed, it leaves a hot journal that the next
// import rolls back before adding its rows; the store ends in WAL mode.
TEST(ImportTransaction, KilledFirstImportIsRolledBackByTheNext) {
  TempDir dir;
  std::string mapping = dir.write("m.yaml", kDealsMapping);
  const std::string db_path = dir.file("d.db");
  std::ofstream(dir.file("deals.csv")) << "placeholder";
  ImportOptions o{mapping, db_path, {dir.file("deals.csv")}};

  ASSERT_NO_FATAL_FAILURE(import_killed_midway(o));
  ASSERT_TRUE(fs::exists(db_path));

  ImportSummary next = run_import(o, deals_opener(10));
  EXPECT_EQ(next.files[0].inserted, 10);
  EXPECT_EQ(next.files[0].updated, 0);
  EXPECT_FALSE(fs::exists(db_path + "-journal"));
  SQLite::Database db(db_path);
  EXPECT_EQ(count(db, "SELECT count(*) FROM opportunities"), 10);
  SQLite::Statement check(db, "PRAGMA integrity_check");
  ASSERT_TRUE(check.executeStep());
  EXPECT_EQ(check.getColumn(0).getString(), "ok");
  SQLite::Statement mode(db, "PRAGMA journal_mode");
  ASSERT_TRUE(mode.executeStep());
  EXPECT_EQ(mode.getColumn(0).getString(), "wal");
}

// Killed, the first import leaves a hot journal that a report (read-only)
// cannot roll back: `tally check` and `run` say an import was interrupted
// and how to roll it back; `tally recover` does, and says so.
TEST(ImportTransaction, InterruptedFirstImportIsNamedAndRecovered) {
  TempDir dir;
  std::string mapping = dir.write("m.yaml", kDealsMapping);
  const std::string db_path = dir.file("d.db");
  std::ofstream(dir.file("deals.csv")) << "placeholder";
  ImportOptions o{mapping, db_path, {dir.file("deals.csv")}};
  ASSERT_NO_FATAL_FAILURE(import_killed_midway(o));
  ASSERT_GT(fs::file_size(db_path + "-journal"), 0u);

  const std::string config = TALLY_SOURCE_DIR "/configs/demo.yaml";
  for (const char* command : {"check", "run"}) {
    auto r = tally::testing::run_tally(std::string(command) + " '" + config + "' --data '" + db_path + "'");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("an import into '" + db_path +
                         "' was interrupted and left its journal; `tally import` "
                         "into it or `tally recover --db " +
                         db_path + "` will roll it back"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("readonly"), std::string::npos) << r.err;
  }
  auto recovered = tally::testing::run_tally("recover --db '" + db_path + "'");
  EXPECT_EQ(recovered.exit_code, 0) << recovered.err;
  EXPECT_NE(recovered.out.find(db_path + ": rolled back an interrupted import (journal of "),
            std::string::npos)
      << recovered.out;
  EXPECT_NE(recovered.out.find("; integrity check ok"), std::string::npos) << recovered.out;
  EXPECT_FALSE(fs::exists(db_path + "-journal"));
  {
    SQLite::Database db(db_path);
    EXPECT_EQ(count(db, "SELECT count(*) FROM opportunities"), 0);
  }
  auto again = tally::testing::run_tally("recover --db '" + db_path + "'");
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("nothing to recover: no interrupted import"), std::string::npos) << again.out;
  auto check = tally::testing::run_tally("check '" + config + "' --data '" + db_path + "'");
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

TEST(ImportTransaction, DryRunChangesNothing) {
  TempDir dir;
  std::string mapping = dir.write("m.yaml", kDealsMapping);
  const std::string db_path = dir.file("d.db");
  std::ofstream(dir.file("deals.csv")) << "placeholder";
  ImportOptions o{mapping, db_path, {dir.file("deals.csv")}};
  run_import(o, deals_opener(10));
  o.dry_run = true;
  ImportSummary dry = run_import(o, deals_opener(50));
  EXPECT_EQ(dry.files[0].inserted, 40);
  EXPECT_EQ(dry.files[0].updated, 10);
  EXPECT_NE(format_summary(dry).find("dry run: nothing was written"), std::string::npos);
  SQLite::Database db(db_path);
  EXPECT_EQ(count(db, "SELECT count(*) FROM opportunities"), 10);
}

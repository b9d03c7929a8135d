// `tally import` on the troubles of real exports (issue 11): repeated ids,
// transforms that cannot fill their field, dates decided per column, the
// record of every import, one file into several tables, lookups of any
// field, `where:`, subscription events with date arithmetic, intervals that
// run backwards and files that are not UTF-8. Each on a small fixture whose
// figures are worked out by hand in the comments.
#include <gtest/gtest.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "import/field_reference.hpp"
#include "import/importer.hpp"
#include "import/mapping.hpp"
#include "plugins/registry.hpp"
#include "support/command.hpp"
#include "support/fixture.hpp"
#include "support/import_fixtures.hpp"
#include "util/diagnostic.hpp"
#include "util/sha256.hpp"

namespace fs = std::filesystem;
using namespace tally::import;
using tally::testing::TempDir;

namespace {

ImportSummary import_files(const std::string& mapping, const std::string& db, std::vector<std::string> files,
                           bool strict = false) {
  tally::plugins::Registry registry({TALLY_TEST_PLUGIN_DIR});
  ImportOptions options{mapping, db, std::move(files)};
  options.strict = strict;
  return run_import(options, registry);
}

std::string text(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  if (!q.executeStep()) return "(no row)";
  return q.getColumn(0).isNull() ? "NULL" : q.getColumn(0).getString();
}
int64_t count(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

// The message of the mapping error `fn` throws ("" when none).
template <typename Fn>
std::string mapping_error(Fn&& fn) {
  try {
    fn();
  } catch (const tally::DiagnosticError& e) {
    return e.what();
  }
  return "";
}

const char* kDeals = R"(namespace: t
stages:
  - {name: Open, probability: 0.5}
  - {name: Won, probability: 1, won: true}
files:
  deals.csv:
    table: opportunities
    id: id
    fields:
      amount: {column: amount, type: money}
      stage: stage
      status: {derive: stage_status}
      created_at: {column: created, type: date}
)";

}  // namespace

// ---------------------------------------------------------------- 1. repeated ids

// D1 and D2 come back on lines 4 and 6: by default each repeat is a reject
// naming the first line; 3 rows are inserted, none "updated" in a new store.
TEST(ImportRepeatedIds, EachRepeatIsARejectNamingTheFirstLine) {
  TempDir dir;
  const auto mapping = dir.write("m.yaml", kDeals);
  const auto csv = dir.write("deals.csv",
                             "id,amount,stage,created\n"
                             "D1,100,Open,2024-01-01\n"
                             "D2,200,Open,2024-01-02\n"
                             "D1,150,Won,2024-01-03\n"
                             "D3,300,Open,2024-01-04\n"
                             "D2,250,Open,2024-01-05\n");
  const auto s = import_files(mapping, dir.file("d.db"), {csv});
  ASSERT_EQ(s.files.size(), 1u);
  EXPECT_EQ(s.files[0].read, 5);
  EXPECT_EQ(s.files[0].inserted, 3);
  EXPECT_EQ(s.files[0].updated, 0);
  EXPECT_EQ(s.files[0].rejected, 2);
  EXPECT_EQ(s.files[0].repeated, 2);
  ASSERT_EQ(s.rejects.size(), 2u);
  EXPECT_EQ(s.rejects[0].line, 4u);
  EXPECT_NE(s.rejects[0].reason.find("id 'D1' repeats line 2"), std::string::npos) << s.rejects[0].reason;
  EXPECT_NE(s.rejects[1].reason.find("id 'D2' repeats line 3"), std::string::npos) << s.rejects[1].reason;
  EXPECT_NE(format_summary(s).find("2 repeated ids in id: it is not unique"), std::string::npos)
      << format_summary(s);
  SQLite::Database db(dir.file("d.db"));
  EXPECT_EQ(text(db, "SELECT amount FROM opportunities WHERE external_id = 't:D1'"), "100.0");

  // The same file again: the three rows existed before, so they are updated.
  const auto again = import_files(mapping, dir.file("d.db"), {csv});
  EXPECT_EQ(again.files[0].inserted, 0);
  EXPECT_EQ(again.files[0].updated, 3);
  EXPECT_EQ(again.files[0].rejected, 2);
}

TEST(ImportRepeatedIds, OnDuplicateFirstOrLastKeepsOneRow) {
  for (const std::string mode : {"first", "last"}) {
    TempDir dir;
    std::string yaml = kDeals;
    yaml.replace(yaml.find("    id: id\n"), 11, "    id: id\n    on_duplicate: " + mode + "\n");
    const auto mapping = dir.write("m.yaml", yaml);
    const auto csv = dir.write("deals.csv",
                               "id,amount,stage,created\n"
                               "D1,100,Open,2024-01-01\n"
                               "D1,150,Won,2024-01-03\n"
                               "D2,200,Open,2024-01-02\n");
    const auto s = import_files(mapping, dir.file("d.db"), {csv});
    EXPECT_EQ(s.files[0].inserted, 2) << mode;
    EXPECT_EQ(s.files[0].updated, 0) << mode;
    EXPECT_EQ(s.files[0].rejected, 0) << mode;
    EXPECT_EQ(s.files[0].repeated, 1) << mode;
    EXPECT_NE(format_summary(s).find("1 repeated id in id: it is not unique; kept the " + mode),
              std::string::npos)
        << format_summary(s);
    SQLite::Database db(dir.file("d.db"));
    EXPECT_EQ(text(db, "SELECT amount || ' ' || status FROM opportunities WHERE external_id = 't:D1'"),
              mode == "first" ? "100.0 open" : "150.0 won");
  }
}

TEST(ImportRepeatedIds, UnknownOnDuplicateIsAMappingError) {
  std::string yaml = kDeals;
  yaml.replace(yaml.find("    id: id\n"), 11, "    id: id\n    on_duplicate: newest\n");
  const auto error = mapping_error([&] { parse_mapping_text(yaml, "m.yaml"); });
  EXPECT_NE(
      error.find("m.yaml:9:19: unknown on_duplicate 'newest'; valid: reject (the default), first, last"),
      std::string::npos)
      << error;
}

// ---------------------------------------------------------------- 2. transforms that do not fit

TEST(ImportFieldTypes, ATypeThatCannotFillTheFieldIsRefusedAtLoad) {
  const auto error = mapping_error([] {
    parse_mapping_text(R"(files:
  leads.csv:
    table: leads
    id: Id
    fields:
      created_at: Created
      converted_at: {column: Converted, type: bool}
      employees: {column: Size, type: date}
  accounts.csv:
    table: accounts
    id: Id
    fields:
      name: {column: Name, type: money}
)",
                       "m.yaml");
  });
  EXPECT_NE(
      error.find("m.yaml:7:47: field 'converted_at': type bool cannot fill leads.converted_at (a date or "
                 "time); valid: date, datetime"),
      std::string::npos)
      << error;
  EXPECT_NE(
      error.find("m.yaml:8:39: field 'employees': type date cannot fill leads.employees (a whole number); "
                 "valid: int, number, bool"),
      std::string::npos)
      << error;
  EXPECT_NE(
      error.find("m.yaml:13:34: field 'name': type money cannot fill accounts.name (text); valid: text, "
                 "int, number, date, datetime"),
      std::string::npos)
      << error;
}

// ---------------------------------------------------------------- 3. dates per column

// Line 2's 3/4/2016 could be either; line 3's 10/20/2016 can only be
// month-first, so the whole column is: 2016-03-04, 2016-10-20, 2016-05-06.
TEST(ImportDates, TheFirstUnambiguousValueSettlesTheColumn) {
  TempDir dir;
  const auto mapping = dir.write("m.yaml", kDeals);
  const auto csv = dir.write("deals.csv",
                             "id,amount,stage,created\n"
                             "D1,1,Open,3/4/2016\n"
                             "D2,1,Open,10/20/2016\n"
                             "D3,1,Open,5/6/2016\n"
                             "D4,1,Open,25/6/2016\n");
  const auto s = import_files(mapping, dir.file("d.db"), {csv});
  EXPECT_EQ(s.files[0].inserted, 3);
  ASSERT_EQ(s.files[0].rejected, 1);
  EXPECT_EQ(s.rejects[0].line, 5u);
  EXPECT_NE(s.rejects[0].reason.find("'25/6/2016' is day-first, but this column's dates are month-first "
                                     "(settled by '10/20/2016' at line 3)"),
            std::string::npos)
      << s.rejects[0].reason;
  SQLite::Database db(dir.file("d.db"));
  EXPECT_EQ(
      text(db,
           "SELECT group_concat(created_at, ' ') FROM (SELECT created_at FROM opportunities ORDER BY id)"),
      "2016-03-04 2016-10-20 2016-05-06");
  EXPECT_NE(format_summary(s).find("opportunities.created_at read as auto: M/D/YYYY (month first, settled by "
                                   "'10/20/2016' at line 3)"),
            std::string::npos)
      << format_summary(s);
}

TEST(ImportDates, AColumnAmbiguousThroughoutIsOneMappingError) {
  TempDir dir;
  const auto mapping = dir.write("m.yaml", kDeals);
  const auto csv = dir.write("deals.csv",
                             "id,amount,stage,created\n"
                             "D1,1,Open,3/4/2016\n"
                             "D2,1,Open,5/6/2016\n");
  const auto error = mapping_error([&] { import_files(mapping, dir.file("d.db"), {csv}); });
  EXPECT_NE(error.find("m.yaml:13:28: every date in column 'created' of deals.csv could be day-first or "
                       "month-first"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("\"M/D/YYYY\"` (month first) or `format: \"D/M/YYYY\"` (day first)"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(dir.file("d.db")));
}

TEST(ImportDates, PatternCharactersMatchLiterally) {
  std::string error;
  auto slash = DateFormat::compile("D/M/YYYY", error);
  ASSERT_TRUE(slash);
  DateTime dt;
  EXPECT_TRUE(slash->parse("3/4/2021", dt, error));
  EXPECT_EQ(dt.month, 4);
  EXPECT_FALSE(slash->parse("3-4-2021", dt, error));
  EXPECT_NE(error.find("does not match the date format 'D/M/YYYY'"), std::string::npos) << error;
  auto us = DateFormat::compile("us", error);  // the names stay loose about separators
  ASSERT_TRUE(us);
  EXPECT_TRUE(us->parse("3-4-2021", dt, error));
  EXPECT_EQ(dt.month, 3);
}

// ---------------------------------------------------------------- 4. the imports table

TEST(ImportRecord, EveryImportIsRecordedInItsTransaction) {
  TempDir dir;
  const auto mapping = dir.write("m.yaml", kDeals);
  const auto csv = dir.write("deals.csv",
                             "id,amount,stage,created\n"
                             "D1,100,Open,2024-01-01\n"
                             "D2,twelve,Open,2024-01-02\n"
                             "D3,300,Won,2024-01-04\n");
  import_files(mapping, dir.file("d.db"), {csv});
  {
    SQLite::Database db(dir.file("d.db"));
    ASSERT_EQ(count(db, "SELECT count(*) FROM imports"), 1);
    EXPECT_EQ(text(db,
                   "SELECT rows_read || ' ' || inserted || ' ' || updated || ' ' || rejected || ' ' || "
                   "warnings FROM imports"),
              "3 2 0 1 0");
    EXPECT_EQ(text(db, "SELECT tables FROM imports"), "[\"opportunities\"]");
    EXPECT_EQ(text(db, "SELECT files FROM imports"), "[\"" + csv + "\"]");
    EXPECT_EQ(text(db, "SELECT mapping_sha256 FROM imports"), *tally::sha256_file(mapping));
    EXPECT_EQ(text(db, "SELECT length(started_at) = 19 AND finished_at >= started_at FROM imports"), "1");
  }
  // A failed import (--strict) records nothing: the row is in its transaction.
  EXPECT_THROW(import_files(mapping, dir.file("d.db"), {csv}, true), std::runtime_error);
  SQLite::Database db(dir.file("d.db"));
  EXPECT_EQ(count(db, "SELECT count(*) FROM imports"), 1);
}

// ---------------------------------------------------------------- 5. several tables, any field, where

// One export of leads with their deal: leads on every row, a deal only where
// deal_id is set (rows 2 and 4); the deal copies its lead's created_at.
TEST(ImportSeveralTables, OneFileFeedsLeadsAndDealsWithWhereAndAFieldLookup) {
  TempDir dir;
  const auto mapping = dir.write("m.yaml", tally::testing::kFunnelMapping);
  const auto csv = dir.write("funnel.csv", tally::testing::kFunnelCsv);
  const auto s = import_files(mapping, dir.file("d.db"), {csv});
  ASSERT_EQ(s.files.size(), 2u);
  EXPECT_EQ(s.files[0].table, "leads");
  EXPECT_EQ(s.files[0].inserted, 4);
  EXPECT_EQ(s.files[1].table, "opportunities");
  EXPECT_EQ(s.files[1].read, 4);
  EXPECT_EQ(s.files[1].inserted, 2);
  EXPECT_EQ(s.files[1].rejected, 0);
  EXPECT_EQ(s.files[1].filtered, 2);
  EXPECT_NE(format_summary(s).find("funnel.csv: 2 rows left out by `where:`"), std::string::npos);
  SQLite::Database db(dir.file("d.db"));
  EXPECT_EQ(text(db,
                 "SELECT o.created_at || ' ' || l.external_id FROM opportunities o JOIN leads l ON l.id = "
                 "o.lead_id WHERE o.external_id = 'x:O1'"),
            "2024-02-10 x:L2");
  EXPECT_EQ(text(db, "SELECT created_at FROM opportunities WHERE external_id = 'x:O2'"), "2024-04-20");
}

TEST(ImportSeveralTables, MappingErrorsOfTheNewKeys) {
  const auto error = mapping_error([] {
    parse_mapping_text(R"(files:
  a.csv:
    table: opportunities
    id: Id
    where: {column: Type}
    fields:
      created_at: {column: Lead, lookup: {table: leads, by: external_id, field: source}}
      closed_at: {column: Lead, lookup: {table: leads, by: external_id, field: nope}}
)",
                       "m.yaml");
  });
  EXPECT_NE(error.find("m.yaml:5:5: `where:` needs `column:` and one of `is:` or `not:`"), std::string::npos)
      << error;
  EXPECT_NE(error.find("m.yaml:7:81: leads.source (text) cannot fill 'created_at' (a date or time)"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("m.yaml:8:80: table leads has no column 'nope'"), std::string::npos) << error;
}

// A second file feeding the same table updates only the columns it maps.
TEST(ImportSeveralTables, ASecondFileUpdatesOnlyTheColumnsItMaps) {
  TempDir dir;
  const auto mapping = dir.write("m.yaml", R"(namespace: x
files:
  deals.csv:
    table: opportunities
    id: id
    fields:
      name: name
      amount: {column: amount, type: money}
      created_at: {column: created, type: date}
  stages.csv:
    table: opportunities
    id: id
    fields:
      created_at: {column: created, type: date}
      loss_reason: reason
)");
  const auto deals = dir.write("deals.csv", "id,name,amount,created\nA,Alpha,100,2024-01-01\n");
  const auto stages = dir.write("stages.csv", "id,created,reason\nA,2024-01-02,price\n");
  const auto s = import_files(mapping, dir.file("d.db"), {deals, stages});
  EXPECT_EQ(s.files[1].completed, 1);
  EXPECT_EQ(s.files[1].updated, 0);  // the row did not exist before this import
  SQLite::Database db(dir.file("d.db"));
  EXPECT_EQ(
      text(db, "SELECT name || ' ' || amount || ' ' || created_at || ' ' || loss_reason FROM opportunities"),
      "Alpha 100.0 2024-01-02 price");
}

// ---------------------------------------------------------------- 6. subscription events, date arithmetic

// A churn snapshot on 2024-06-30: started_at = snapshot minus tenure months
// (C2: 2024-06-30 - 4 months = 2024-02-29, the day clamped to February's
// end in a leap year); churned customers get a churn event of -MRR.
TEST(ImportSubscriptions, EventsImportAndStartDatesComeFromTenure) {
  TempDir dir;
  const auto mapping = dir.write("m.yaml", tally::testing::kChurnMapping);
  const auto csv = dir.write("churn.csv", tally::testing::kChurnCsv);
  const auto s = import_files(mapping, dir.file("d.db"), {csv});
  ASSERT_EQ(s.files.size(), 3u);
  EXPECT_EQ(s.files[1].inserted, 2);  // C3 has no tenure: started_at (required) cannot be computed
  EXPECT_EQ(s.files[1].rejected, 1);
  EXPECT_EQ(s.files[2].table, "subscription_events");
  EXPECT_EQ(s.files[2].filtered, 1);
  EXPECT_EQ(s.files[2].inserted, 1);  // C3's subscription was rejected, so its event finds none
  EXPECT_EQ(s.files[2].rejected, 1);
  SQLite::Database db(dir.file("d.db"));
  EXPECT_EQ(
      text(db,
           "SELECT group_concat(started_at, ' ') FROM (SELECT started_at FROM subscriptions ORDER BY id)"),
      "2024-01-30 2024-02-29");
  EXPECT_EQ(text(db,
                 "SELECT type || ' ' || occurred_at || ' ' || mrr_delta || ' ' || external_id FROM "
                 "subscription_events"),
            "churn 2024-06-30 -29.85 s:C2");
}

TEST(ImportSubscriptions, ShiftsNeedADateAndANumber) {
  const auto error = mapping_error([] {
    parse_mapping_text(R"(files:
  a.csv:
    table: subscriptions
    id: Id
    fields:
      account_id: {column: A, lookup: {table: accounts, by: name}}
      started_at: {column: Start, minus: {fortnights: tenure}}
      mrr: {column: M, type: money, plus: {days: 3}}
)",
                       "m.yaml");
  });
  EXPECT_NE(error.find("m.yaml:7:43: unknown key 'fortnights'"), std::string::npos) << error;
  EXPECT_NE(
      error.find("m.yaml:8:7: field 'mrr': `plus:` and `minus:` shift dates; this field's type is money"),
      std::string::npos)
      << error;
}

// ---------------------------------------------------------------- 7. intervals that run backwards

TEST(ImportIntervals, BackwardsIntervalsAreWarningsWithTheirLinesAndTheRowsStay) {
  TempDir dir;
  std::string yaml = kDeals;
  yaml += "      closed_at: {column: closed, type: date}\n";
  const auto mapping = dir.write("m.yaml", yaml);
  const auto csv = dir.write("deals.csv",
                             "id,amount,stage,created,closed\n"
                             "D1,1,Won,2024-01-10,2024-01-20\n"
                             "D2,1,Won,2024-01-10,2024-01-08\n"
                             "D3,1,Won,2024-01-10,2024-01-10\n"
                             "D4,1,Open,2024-01-10,\n");
  const auto s = import_files(mapping, dir.file("d.db"), {csv});
  EXPECT_EQ(s.files[0].inserted, 4);
  EXPECT_EQ(s.files[0].warnings(), 1);
  EXPECT_NE(format_summary(s).find("warning: deals.csv: 1 opportunities row runs backwards (closed_at before "
                                   "created_at), line 3; kept"),
            std::string::npos)
      << format_summary(s);
  SQLite::Database db(dir.file("d.db"));
  EXPECT_EQ(count(db, "SELECT warnings FROM imports"), 1);
}

// ---------------------------------------------------------------- 8. encodings

TEST(ImportEncoding, Windows1252AndUtf16FilesImportWithEncoding) {
  TempDir dir;
  const char* yaml = R"(files:
  cp.csv:
    table: accounts
    id: id
    encoding: windows-1252
    fields:
      name: name
  wide.csv:
    table: accounts
    id: id
    encoding: utf-16
    fields:
      name: name
)";
  const auto mapping = dir.write("m.yaml", yaml);
  // "Café Müller" and "Dvořák" (the ř is not in 1252: only in the UTF-16 file).
  const auto cp = dir.write("cp.csv", std::string("id,name\r\nA,Caf\xE9 M\xFCller\r\nB,\x80uro\r\n"));
  std::u16string wide_text = u"id,name\r\nC,Dvo\u0159\u00e1k\r\n";
  std::string wide_bytes = "\xFF\xFE";  // little-endian byte order mark
  for (char16_t c : wide_text)
    wide_bytes += static_cast<char>(c & 0xFF), wide_bytes += static_cast<char>(c >> 8);
  const auto wide = dir.write("wide.csv", wide_bytes);
  const auto s = import_files(mapping, dir.file("d.db"), {cp, wide});
  EXPECT_EQ(s.files[0].inserted, 2);
  EXPECT_EQ(s.files[1].inserted, 1);
  SQLite::Database db(dir.file("d.db"));
  EXPECT_EQ(text(db, "SELECT group_concat(name, '|') FROM (SELECT name FROM accounts ORDER BY id)"),
            "Caf\xC3\xA9 M\xC3\xBCller|\xE2\x82\xACuro|Dvo\xC5\x99\xC3\xA1k");
}

TEST(ImportEncoding, ABadByteNamesItsLineAndAnUnknownEncodingIsAMappingError) {
  TempDir dir;
  const auto mapping = dir.write("m.yaml",
                                 "files:\n  cp.csv:\n    table: accounts\n    id: id\n"
                                 "    encoding: windows-1252\n    fields:\n      name: name\n");
  const auto cp = dir.write("cp.csv", std::string("id,name\nA,ok\nB,bad \x81 byte\n"));
  try {
    import_files(mapping, dir.file("d.db"), {cp});
    FAIL() << "a byte 0x81 is not Windows-1252";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cp.csv:3: byte 0x81"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir.file("d.db")));
  const auto error = mapping_error([] {
    parse_mapping_text(
        "files:\n  cp.csv:\n    table: accounts\n    id: id\n    encoding: klingon\n"
        "    fields:\n      name: name\n",
        "m.yaml");
  });
  EXPECT_NE(error.find("m.yaml:5:15: unknown encoding 'klingon'"), std::string::npos) << error;
}

// ---------------------------------------------------------------- 9. the field reference

TEST(ImportFieldReference, EveryImportableFieldHasAMeaning) {
  for (const auto& name : importable_tables()) {
    for (const auto& column : schema_tables().at(name).columns) {
      if (column.name == "id") continue;
      EXPECT_FALSE(field_meaning(name, column.name).empty()) << name << "." << column.name;
    }
  }
  const std::string reference = field_reference_markdown();
  EXPECT_NE(reference.find("#### subscription_events"), std::string::npos);
  EXPECT_NE(reference.find("| `created_at` | date/datetime | yes | when the deal was created |"),
            std::string::npos)
      << reference;
  EXPECT_NE(reference.find("| `status` | open \\| won \\| lost | no (default `open`) |"), std::string::npos);
}

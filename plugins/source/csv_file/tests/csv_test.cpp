// Unit tests of the CSV reader; the plugin through the host loader is
// exercised by the host's import tests (tests/import_test.cpp).
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "../csv_reader.hpp"

using tally_csv::CsvError;
using tally_csv::CsvOptions;
using tally_csv::CsvReader;

namespace {

struct Rec {
  uint64_t line;
  std::vector<std::string> fields;
};

std::vector<Rec> read_all(CsvReader& reader) {
  std::vector<Rec> out;
  std::vector<std::string> fields;
  uint64_t line = 0;
  while (reader.next(fields, line)) out.push_back({line, fields});
  return out;
}

std::vector<Rec> parse(const std::string& text, CsvOptions options = {}) {
  auto reader = CsvReader::from_string(text, options, "t.csv");
  return read_all(reader);
}

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const CsvError& e) {
    return e.what();
  }
  return "";
}

using Fields = std::vector<std::string>;

}  // namespace

TEST(CsvReader, PlainRecordsLf) {
  auto r = parse("a,b,c\n1,2,3\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].fields, (Fields{"a", "b", "c"}));
  EXPECT_EQ(r[1].fields, (Fields{"1", "2", "3"}));
  EXPECT_EQ(r[1].line, 2u);
}

TEST(CsvReader, CrlfAndMissingFinalNewline) {
  auto r = parse("a,b\r\n1,2\r\n3,4");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[1].fields, (Fields{"1", "2"}));
  EXPECT_EQ(r[2].fields, (Fields{"3", "4"}));
  EXPECT_EQ(r[2].line, 3u);
}

TEST(CsvReader, EmptyFieldsKept) {
  auto r = parse("a,,c,\n,,,\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].fields, (Fields{"a", "", "c", ""}));
  EXPECT_EQ(r[1].fields, (Fields{"", "", "", ""}));
}

TEST(CsvReader, QuotedCommasQuotesAndNewlines) {
  auto r =
      parse("id,text\r\n1,\"Hello, world\"\r\n2,\"She said \"\"hi\"\"\"\r\n3,\"two\r\nlines\"\r\n4,x\r\n");
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[1].fields[1], "Hello, world");
  EXPECT_EQ(r[2].fields[1], "She said \"hi\"");
  EXPECT_EQ(r[3].fields[1], "two\r\nlines");
  EXPECT_EQ(r[3].line, 4u);
  EXPECT_EQ(r[4].line, 6u);  // the record after a two-line field
}

TEST(CsvReader, QuotedEmptyAndQuoteInsideUnquotedField) {
  auto r = parse("\"\",5\" screen,\"a\"\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].fields, (Fields{"", "5\" screen", "a"}));
}

TEST(CsvReader, Utf8BomIsSkipped) {
  auto r = parse("\xEF\xBB\xBFname,city\nJos\xC3\xA9,K\xC3\xB6ln\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].fields[0], "name");
  EXPECT_EQ(r[1].fields[0], "Jos\xC3\xA9");
}

TEST(CsvReader, BlankLinesAreSkippedButCounted) {
  auto r = parse("a\n\n1\r\n\r\n2\n");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[1].line, 3u);
  EXPECT_EQ(r[2].line, 5u);
}

TEST(CsvReader, OtherDelimiter) {
  CsvOptions options;
  options.delimiter = ';';
  auto r = parse("a;b\n\"1;5\";2,5\n", options);
  EXPECT_EQ(r[1].fields, (Fields{"1;5", "2,5"}));
}

TEST(CsvReader, DelimiterIsSniffedFromTheHeaderLineOutsideQuotes) {
  using tally_csv::sniff_delimiter;
  EXPECT_EQ(sniff_delimiter("id,owner,amount\n1;2;3;4;5\n"), ',');
  EXPECT_EQ(sniff_delimiter("\xEF\xBB\xBFid;owner;amount\r\n1,2,3\r\n"), ';');
  EXPECT_EQ(sniff_delimiter("id\towner, name\tamount\n"), '\t');
  EXPECT_EQ(sniff_delimiter("a|b|c"), '|');
  // Separators inside quotes do not count, nor do later lines.
  EXPECT_EQ(sniff_delimiter("\"a,b,c\";\"d,e\";f\n"), ';');
  EXPECT_EQ(sniff_delimiter("\"line\nbreak, inside\";x;y\n"), ';');
  // No separator (one column) or a tie: a comma.
  EXPECT_EQ(sniff_delimiter("name\nAnn\n"), ',');
  EXPECT_EQ(sniff_delimiter("a,b;c\n"), ',');
  EXPECT_EQ(sniff_delimiter(""), ',');
}

TEST(CsvReader, NonUtf8NamesTheLine) {
  // Latin-1 'é' (0xE9) on line 3.
  std::string message = error_of("name\nok\nJos\xE9\n");
  EXPECT_NE(message.find("t.csv:3:"), std::string::npos) << message;
  EXPECT_NE(message.find("UTF-8"), std::string::npos) << message;
  EXPECT_NE(message.find("0xE9"), std::string::npos) << message;
}

TEST(CsvReader, NonUtf8InsideMultilineFieldNamesItsOwnLine) {
  std::string message = error_of("a\n\"x\ny\n\xFF\"\n");
  EXPECT_NE(message.find("t.csv:4:"), std::string::npos) << message;
}

TEST(CsvReader, Utf16IsRefused) {
  std::string message =
      error_of(std::string("\xFF\xFE"
                           "a\0,\0",
                           6));
  EXPECT_NE(message.find("UTF-16"), std::string::npos) << message;
}

TEST(CsvReader, UnterminatedQuoteNamesWhereItStarted) {
  std::string message = error_of("a,b\n1,2\n3,\"never closed\n4,5\n");
  EXPECT_NE(message.find("t.csv:3:"), std::string::npos) << message;
  EXPECT_NE(message.find("field 2 opens a quote (\") that is never closed"), std::string::npos) << message;
}

TEST(CsvReader, InvalidUtf8Sequences) {
  using tally_csv::find_invalid_utf8;
  EXPECT_EQ(find_invalid_utf8("plain ascii text, long enough for the fast path"), std::string::npos);
  EXPECT_EQ(find_invalid_utf8("\xE2\x82\xAC 12"), std::string::npos);   // €
  EXPECT_EQ(find_invalid_utf8("\xF0\x9F\x98\x80"), std::string::npos);  // emoji
  EXPECT_EQ(find_invalid_utf8("ab\xC0\xAF"), 2u);                       // overlong
  EXPECT_EQ(find_invalid_utf8("ab\xED\xA0\x80"), 2u);                   // surrogate
  EXPECT_EQ(find_invalid_utf8("abc\xE2\x82"), 3u);                      // truncated
}

// Records that straddle the 1 MB read buffer, from a real file.
TEST(CsvReader, StreamsAcrossBufferBoundaries) {
  char path[] = "/tmp/tally_csv_testXXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  const int rows = 60000;
  {
    std::ofstream out(path, std::ios::binary);
    out << "id,note,amount\r\n";
    for (int i = 0; i < rows; ++i)
      out << i << ",\"line one, " << i << "\r\nline \"\"two\"\"\"," << i * 3 << "\r\n";
  }
  CsvReader reader(path, CsvOptions{});
  std::vector<std::string> fields;
  uint64_t line = 0;
  ASSERT_TRUE(reader.next(fields, line));
  int count = 0;
  while (reader.next(fields, line)) {
    ASSERT_EQ(fields.size(), 3u) << "line " << line;
    ASSERT_EQ(fields[0], std::to_string(count));
    ASSERT_EQ(fields[1], "line one, " + std::to_string(count) + "\r\nline \"two\"");
    ASSERT_EQ(fields[2], std::to_string(count * 3));
    ASSERT_EQ(line, static_cast<uint64_t>(2 + 2 * count));
    ++count;
  }
  EXPECT_EQ(count, rows);
  EXPECT_EQ(reader.bytes_read(), reader.total_bytes());
  EXPECT_GT(reader.total_bytes(), uint64_t{1} << 21);
  std::remove(path);
}

TEST(CsvReader, MissingFileIsAClearError) {
  try {
    CsvReader reader("/nonexistent/x.csv", CsvOptions{});
    FAIL();
  } catch (const CsvError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.csv: cannot open"), std::string::npos) << e.what();
  }
}

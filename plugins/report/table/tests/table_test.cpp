// The table report's terminal fitting, with widths worked out by hand.
#include <gtest/gtest.h>

#include "../table_layout.hpp"

namespace {

namespace tbl = tally::table;

TEST(TableFit, FitsAsIsWhenThereIsRoom) {
  // 2 + 10 + 2 + 8 = 22
  auto l = tbl::fit({10, 8}, {true, false}, 22);
  EXPECT_EQ(l.shown, (std::vector<size_t>{0, 1}));
  EXPECT_TRUE(l.dropped.empty());
  EXPECT_TRUE(l.cut.empty());
  EXPECT_EQ(tbl::line_width(l.widths), 22u);
}

TEST(TableFit, ShortensTextThenDropsRightmostColumns) {
  // 2 + (10+20+8+8+8) + 2*4 = 64 > 50. The text column 1 goes from 20 to
  // its minimum 12 (56, still too wide), then column 4 is left out (46),
  // and the 4 columns freed go back to column 1: 16 wide, 50 in all.
  auto l = tbl::fit({10, 20, 8, 8, 8}, {true, true, false, false, false}, 50);
  EXPECT_EQ(l.shown, (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_EQ(l.widths, (std::vector<size_t>{10, 16, 8, 8}));
  EXPECT_EQ(l.dropped, (std::vector<size_t>{4}));
  EXPECT_EQ(l.cut, (std::vector<size_t>{1}));
  EXPECT_EQ(tbl::line_width(l.widths), 50u);
}

TEST(TableFit, ShortensOnlyAsMuchAsNeeded) {
  // 2 + 10 + 2 + 30 = 44; at 40 the text column loses 4: 26.
  auto l = tbl::fit({10, 30}, {true, true}, 40);
  EXPECT_EQ(l.widths, (std::vector<size_t>{10, 26}));
  EXPECT_TRUE(l.dropped.empty());
}

TEST(TableFit, TheFirstColumnIsAlwaysKept) {
  auto l = tbl::fit({30, 9, 9}, {true, false, false}, 20);
  EXPECT_EQ(l.shown, (std::vector<size_t>{0}));
  EXPECT_EQ(l.dropped, (std::vector<size_t>{1, 2}));
  // Text columns given back their room are no longer listed as cut.
  auto back = tbl::fit({10, 14, 30}, {true, true, false}, 30);
  EXPECT_EQ(back.shown, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(back.widths, (std::vector<size_t>{10, 14}));
  EXPECT_TRUE(back.cut.empty());
}

TEST(TableFit, CutEndsWithAnEllipsis) {
  EXPECT_EQ(tbl::cut("Competitive Battlecard", 12), "Competitive…");
  EXPECT_EQ(tbl::display_width(tbl::cut("Competitive Battlecard", 12)), 12u);
  EXPECT_EQ(tbl::cut("short", 12), "short");
  EXPECT_EQ(tbl::cut("Mid‑market ünïcode text", 5), "Mid‑…");
}

TEST(TableFit, NotesBreakIntoLinesOfTheWidth) {
  // "a · bb" is 6 wide; adding " · ccc" would make 12 > 10.
  EXPECT_EQ(tbl::join_lines({"a", "bb", "ccc"}, " · ", 10), (std::vector<std::string>{"a · bb", "ccc"}));
  EXPECT_EQ(tbl::join_lines({"a", "bb", "ccc"}, " · ", 0), (std::vector<std::string>{"a · bb · ccc"}));
  EXPECT_EQ(tbl::join_lines({"a-very-long-item", "b"}, " ", 5),
            (std::vector<std::string>{"a-very-long-item", "b"}));
}

TEST(TableFit, WidthFromTheTerminalOrColumnsNeverForAPipe) {
  EXPECT_EQ(tbl::target_width(true, 80, nullptr), 80u);
  EXPECT_EQ(tbl::target_width(true, 80, "120"), 120u);
  EXPECT_EQ(tbl::target_width(false, 0, "100"), 100u);
  EXPECT_EQ(tbl::target_width(false, 0, nullptr), 0u);
  EXPECT_EQ(tbl::target_width(false, 0, "junk"), 0u);
}

}  // namespace

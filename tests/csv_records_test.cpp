// CSV records split into fields as pandas' read_csv splits them (RFC 4180): quoted fields keep delimiters, blanks,
// doubled quotes and line breaks; and the CSV reader on files that pandas' to_csv quotes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "nnplug/errors.hpp"
#include "nnplug/framework/csv_records.hpp"
#include "nnplug/framework/dataset.hpp"

namespace nnplug::test {
namespace {

using Fields = std::vector<std::string>;

// The fields of a record of one line.
Fields split(const std::string& line, char delimiter = ',') {
  CsvRecordSplitter records(delimiter);
  EXPECT_TRUE(records.feed(line)) << line;
  return records.fields();
}

TEST(CsvRecords, QuotedFieldsKeepDelimitersBlanksAndDoubledQuotes) {
  EXPECT_EQ(split(R"(1,"Braund, Mr. Owen Harris",male)"), (Fields{"1", "Braund, Mr. Owen Harris", "male"}));
  EXPECT_EQ(split(R"("say ""hi""",x)"), (Fields{R"(say "hi")", "x"}));
  EXPECT_EQ(split(R"(" a ", b ,c )"), (Fields{" a ", "b", "c"}));  // blanks outside quotes are dropped
  EXPECT_EQ(split(R"(5'10",x)"), (Fields{R"(5'10")", "x"}));       // a quote inside an unquoted field is a character
  EXPECT_EQ(split("a,\"b\"\r"), (Fields{"a", "b"}));               // a CRLF file's line
  EXPECT_EQ(split("a,,\"\","), (Fields{"a", "", "", ""}));
  EXPECT_EQ(split("a\t\tb", '\t'), (Fields{"a", "", "b"}));
  EXPECT_EQ(split("  a   \"b c\"\td  ", CsvRecordSplitter::kRunsOfBlanks), (Fields{"a", "b c", "d"}));
}

TEST(CsvRecords, AQuotedFieldMayHoldLineBreaks) {
  CsvRecordSplitter records(',');
  EXPECT_FALSE(records.feed(R"(1,"two)"));
  EXPECT_TRUE(records.open());
  EXPECT_FALSE(records.feed(""));
  EXPECT_TRUE(records.feed(R"(lines",3)"));
  EXPECT_FALSE(records.open());
  EXPECT_EQ(records.fields(), (Fields{"1", "two\n\nlines", "3"}));
  EXPECT_TRUE(records.feed("4,5"));  // the next record starts afresh
  EXPECT_EQ(records.fields(), (Fields{"4", "5"}));
}

class QuotedCsvFile : public ::testing::Test {
 protected:
  void SetUp() override { path_ = std::filesystem::temp_directory_path() / fmt::format("nnplug_quoted_{}.csv", ::getpid()); }
  void TearDown() override { std::filesystem::remove(path_); }
  void write(const std::string& text) { std::ofstream(path_) << text; }
  std::filesystem::path path_;
};

// pandas' to_csv(quoting=csv.QUOTE_ALL) quotes every field, numbers too; a name with a comma and a line break is one
// field, and the record's first line names it in messages.
TEST_F(QuotedCsvFile, EveryFieldQuotedReadsAsPandasReadsIt) {
  write("\"name\",\"age\",\"sex\",\"survived\"\n\"Braund, Mr. Owen\",\"22\",\"male\",\"0\"\n\"Cumings,\nMrs. John\",\"38\",\"female\",\"1\"\n"
        "\"Heikkinen\",\"x\",\"female\",\"1\"\n");
  CsvLayout layout(std::string("survived"));
  layout.categorical_columns = {std::string("name"), std::string("sex")};
  try {
    read_csv(path_, layout);
    ADD_FAILURE() << "the age 'x' was read";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), fmt::format("{}:5: column 2 ('x') is not a number; a column of categories (words or codes) is one-hot "
                                                 "encoded where the data section lists it in \"categorical\"", path_.string()));
  }
  write("\"name\",\"age\",\"sex\",\"survived\"\n\"Braund, Mr. Owen\",\"22\",\"male\",\"0\"\n\"Cumings,\nMrs. John\",\"38\",\"female\",\"1\"\n");
  const Dataset d = read_csv(path_, layout);
  EXPECT_EQ(d.column_names.categories, (std::vector<std::vector<std::string>>{{"Braund, Mr. Owen", "Cumings,\nMrs. John"}, {}, {"female", "male"}}));
  EXPECT_EQ(d.x, (std::vector<float>{1, 0, 22, 0, 1, 0, 1, 38, 1, 0}));
  EXPECT_EQ(d.labels, (std::vector<std::int32_t>{0, 1}));
}

TEST_F(QuotedCsvFile, AQuoteThatNeverClosesIsNamedByItsRecordsFirstLine) {
  write("a,b,label\n1,2,0\n3,\"4,1\n5,6,0\n");
  try {
    read_csv(path_);
    ADD_FAILURE() << "read";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), fmt::format("{}:3: a quoted field opened in this record is not closed by the end of the file", path_.string()));
  }
  std::string endless = "a,b,label\n1,\"2";
  for (int i = 0; i < 1100; ++i) endless += "\n" + std::string(1000, 'x');
  write(endless);
  try {
    read_csv(path_);
    ADD_FAILURE() << "read";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), fmt::format("{}:2: a quoted field opened in this record is not closed within 1 MiB", path_.string()));
  }
}

}  // namespace
}  // namespace nnplug::test

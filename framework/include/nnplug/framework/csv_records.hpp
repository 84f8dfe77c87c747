#pragma once
// A CSV file's records split into fields as pandas' read_csv splits them (RFC 4180): a field in double quotes keeps
// what they enclose, the delimiter, blanks and line breaks included, and a doubled quote ("") in it stands for one.
// Blanks around a field are dropped; a quote inside an unquoted field is kept as it is.
#include <string>
#include <string_view>
#include <vector>

namespace nnplug {

class CsvRecordSplitter {
 public:
  // `delimiter` separates fields; kRunsOfBlanks makes a run of spaces and tabs separate them instead (pandas'
  // sep=r"\s+"), those at a record's ends separating nothing.
  static constexpr char kRunsOfBlanks = ' ';
  explicit CsvRecordSplitter(char delimiter) : delimiter_(delimiter) {}

  // Takes a line (without its line break) of a record: true where the record ends with it and fields() holds its
  // fields; false where a quoted field goes on past the line, so that the next line continues the record.
  bool feed(std::string_view line);
  const std::vector<std::string>& fields() const { return fields_; }
  // Whether a record is open: a quoted field has not closed by the last line fed.
  bool open() const { return quoted_; }

 private:
  bool separates(char c) const;
  void end_field();

  char delimiter_;
  std::vector<std::string> fields_;
  std::string field_;
  std::size_t kept_ = 0;       // how much of field_ came from quotes, which keep their blanks
  bool quoted_ = false;       // inside a quoted field
  bool field_start_ = true;   // nothing of the current field read yet but blanks
};

}  // namespace nnplug

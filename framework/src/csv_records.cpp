#include "nnplug/framework/csv_records.hpp"

namespace nnplug {

namespace {
bool blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
}  // namespace

bool CsvRecordSplitter::separates(char c) const { return delimiter_ == kRunsOfBlanks ? blank(c) : c == delimiter_; }

void CsvRecordSplitter::end_field() {
  std::size_t end = field_.size();
  while (end > kept_ && blank(field_[end - 1])) --end;
  field_.resize(end);
  fields_.push_back(std::move(field_));
  field_.clear();
  kept_ = 0;
  field_start_ = true;
}

bool CsvRecordSplitter::feed(std::string_view line) {
  if (quoted_) {
    field_ += '\n';  // the line break the quoted field holds
  } else {
    fields_.clear();
    field_.clear();
    kept_ = 0;
    field_start_ = true;
  }
  const bool runs_of_blanks = delimiter_ == kRunsOfBlanks;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted_) {
      if (c != '"') field_ += c;
      else if (i + 1 < line.size() && line[i + 1] == '"') field_ += '"', ++i;
      else quoted_ = false, kept_ = field_.size();
    } else if (separates(c)) {
      if (!(runs_of_blanks && field_start_)) end_field();  // a run of blanks separates once
    } else if (field_start_ && blank(c)) {
      continue;
    } else {
      if (field_start_ && c == '"') quoted_ = true;
      else field_ += c;
      field_start_ = false;
    }
  }
  if (quoted_) return false;
  if (!(runs_of_blanks && field_start_)) end_field();  // the last field, empty after a trailing delimiter
  return true;
}

}  // namespace nnplug

#include "nnplug/framework/spread_over_ranks.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace nnplug {

std::vector<std::string> gather_strings(Communicator& communicator, const std::string& mine) {
  // all_gather takes as many bytes from every rank: the lengths first, then each string padded to the longest.
  const std::uint64_t length = mine.size();
  const auto lengths_bytes = communicator.all_gather(&length, sizeof length);
  std::vector<std::uint64_t> lengths(static_cast<std::size_t>(communicator.size()));
  std::memcpy(lengths.data(), lengths_bytes.data(), lengths.size() * sizeof(std::uint64_t));
  const std::size_t longest = *std::max_element(lengths.begin(), lengths.end());
  std::string padded = mine;
  padded.resize(longest);
  const auto all = communicator.all_gather(padded.data(), longest);
  std::vector<std::string> out;
  for (std::size_t r = 0; r < lengths.size(); ++r)
    out.emplace_back(reinterpret_cast<const char*>(all.data()) + r * longest, static_cast<std::size_t>(lengths[r]));
  return out;
}

void spread_over_ranks(Communicator* communicator, std::size_t tasks, const std::function<nlohmann::json(std::size_t)>& task,
                       const std::function<void(std::size_t, const nlohmann::json&)>& on_result) {
  if (!communicator || communicator->size() == 1) {
    for (std::size_t i = 0; i < tasks; ++i) on_result(i, task(i));
    return;
  }
  const auto rank = static_cast<std::size_t>(communicator->rank()), ranks = static_cast<std::size_t>(communicator->size());
  nlohmann::json mine = nlohmann::json::array();
  for (std::size_t i = rank; i < tasks; i += ranks) mine.push_back(task(i));
  const auto all = gather_strings(*communicator, mine.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  std::vector<nlohmann::json> by_rank;
  for (const auto& text : all) by_rank.push_back(nlohmann::json::parse(text));
  for (std::size_t i = 0; i < tasks; ++i) on_result(i, by_rank[i % ranks][i / ranks]);
}

}  // namespace nnplug

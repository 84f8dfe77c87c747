#include "nnplug/framework/data_parallel.hpp"

#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace nnplug {

Shard shard_of(std::int64_t count, int rank, int size) {
  if (size < 1 || rank < 0 || rank >= size)
    throw InvalidArgument(fmt::format("rank {} of {} does not exist", rank, size));
  return {count * rank / size, count * (rank + 1) / size};
}

std::vector<double> sum_over_ranks(Communicator& communicator, const std::vector<double>& values) {
  const auto all = communicator.all_gather(values.data(), values.size() * sizeof(double));
  std::vector<double> sums(values.size(), 0.0);
  for (int r = 0; r < communicator.size(); ++r) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      double v;
      std::memcpy(&v, all.data() + (static_cast<std::size_t>(r) * values.size() + i) * sizeof(double), sizeof v);
      sums[i] += v;
    }
  }
  return sums;
}

std::uint64_t fingerprint(const void* data, std::size_t bytes, std::uint64_t seed) {
  std::uint64_t h = seed;
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

void require_same_on_every_rank(Communicator& communicator, const std::string& what, const std::string& value,
                                const std::string& hint) {
  const std::uint64_t mine = fingerprint(value.data(), value.size());
  const auto all = communicator.all_gather(&mine, sizeof mine);
  std::uint64_t first;
  std::memcpy(&first, all.data(), sizeof first);
  std::vector<int> differing;
  for (int r = 1; r < communicator.size(); ++r) {
    std::uint64_t theirs;
    std::memcpy(&theirs, all.data() + static_cast<std::size_t>(r) * sizeof theirs, sizeof theirs);
    if (theirs != first) differing.push_back(r);
  }
  if (differing.empty()) return;
  throw InvalidArgument(fmt::format("{}: rank{} {} {} not match rank 0{}", what, differing.size() > 1 ? "s" : "", fmt::join(differing, ", "),
                                    differing.size() > 1 ? "do" : "does", hint.empty() ? "" : "; " + hint));
}

void require_same_data_on_every_rank(Communicator& communicator, std::initializer_list<const Dataset*> sets) {
  std::string fingerprints;
  for (const Dataset* d : sets) {
    d->x.for_each_block([&](const void* data, std::size_t bytes) { fingerprints += fmt::format("{}/", fingerprint(data, bytes)); });
    fingerprints += fmt::format("{}/{} ", fingerprint(d->labels.data(), d->labels.size() * sizeof(std::int32_t)),
                                fingerprint(d->targets.data(), d->targets.size() * sizeof(float)));
  }
  require_same_on_every_rank(communicator, "the data (training, validation and test sets)", fingerprints, "every rank must read the same files");
}

void broadcast_parameters(Communicator& communicator, const Model& model) {
  for (Parameter* p : model.parameters(false)) communicator.broadcast(p->value, 0);
}

void take_counters_of(Communicator& communicator, Model& model, int root) {
  auto counters = model.counters();
  std::vector<std::uint64_t> flat;
  for (const auto& c : counters) flat.insert(flat.end(), c.begin(), c.end());
  if (flat.empty()) return;  // no layer draws (the same on every rank: they hold one model)
  const auto all = communicator.all_gather(flat.data(), flat.size() * sizeof(std::uint64_t));
  const unsigned char* from = all.data() + static_cast<std::size_t>(root) * flat.size() * sizeof(std::uint64_t);
  for (auto& c : counters) {
    if (c.empty()) continue;  // memcpy takes no null pointer, even for 0 bytes
    std::memcpy(c.data(), from, c.size() * sizeof(std::uint64_t));
    from += c.size() * sizeof(std::uint64_t);
  }
  model.set_counters(counters);
}

std::uint64_t weights_fingerprint(const Model& model) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (Parameter* p : model.parameters(true)) {
    const auto values = to_host<double>(p->value);
    h = fingerprint(values.data(), values.size() * sizeof(double), h);
  }
  return h;
}

}  // namespace nnplug

#pragma once
// What data-parallel training needs beyond the gradient buckets (gradient_reducer.hpp): which samples of a global
// batch a rank takes, sums of host values over the ranks (metrics), checks that the ranks agree (on their data too,
// as search and cross-validation check before they share out their runs), and rank 0's weights for everyone.
#include <cstdint>
#include <string>
#include <vector>

#include <initializer_list>

#include "nnplug/communicator.hpp"
#include "nnplug/framework/dataset.hpp"
#include "nnplug/framework/model.hpp"

namespace nnplug {

// Rank `rank` of `size` takes samples [begin, end) of a global batch of `count` samples: contiguous shares whose
// sizes differ by at most one, in rank order.
struct Shard {
  std::int64_t begin = 0, end = 0;
  std::int64_t size() const { return end - begin; }
};
Shard shard_of(std::int64_t count, int rank, int size);

// Element-wise sums of `values` over every rank (each rank gives as many).
std::vector<double> sum_over_ranks(Communicator& communicator, const std::vector<double>& values);

// 64-bit FNV-1a of bytes, for comparing what ranks hold without sending it.
std::uint64_t fingerprint(const void* data, std::size_t bytes, std::uint64_t seed = 0xcbf29ce484222325ULL);

// Throws InvalidArgument naming `what` and the ranks whose `value` differs from rank 0's, then `hint`.
void require_same_on_every_rank(Communicator& communicator, const std::string& what, const std::string& value,
                                const std::string& hint = "");

// Throws InvalidArgument naming the ranks whose data sets (samples, labels and targets, in order) differ from rank
// 0's: every rank must have read the same files.
void require_same_data_on_every_rank(Communicator& communicator, std::initializer_list<const Dataset*> sets);

// Every parameter and buffer takes rank 0's value.
void broadcast_parameters(Communicator& communicator, const Model& model);

// Every rank takes rank `root`'s layer counters (Model::counters): after a step in which some ranks had no samples,
// ran no forward and so drew nothing.
void take_counters_of(Communicator& communicator, Model& model, int root);

// A fingerprint of every trainable weight, as the host reads them.
std::uint64_t weights_fingerprint(const Model& model);

}  // namespace nnplug

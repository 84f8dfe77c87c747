#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "nnplug/backend.hpp"
#include "nnplug/conformance/component_checks.hpp"

namespace nnplug::conformance {

namespace {

// Every value of `t` equals `expected` (to 1e-12 relative); the result names the first that does not.
CheckResult expect_values(const std::string& check, const Tensor& t, const std::vector<double>& expected) {
  const auto got = to_host<double>(t);
  for (std::size_t i = 0; i < got.size(); ++i)
    if (std::abs(got[i] - expected[i]) > 1e-12 * std::max(1.0, std::abs(expected[i])))
      return {check, false, fmt::format("element {} is {}, expected {}", i, got[i], expected[i])};
  return {check, true, ""};
}

// Rank r's tensor holds (r + 1) (i + 1) at element i.
Tensor rank_tensor(Backend& backend, int rank, std::size_t n) {
  std::vector<double> values(n);
  for (std::size_t i = 0; i < n; ++i) values[i] = (rank + 1.0) * (i + 1.0);
  Tensor t = backend.empty(Shape{static_cast<std::int64_t>(n)}, DType::Float64);
  from_host(t, values);
  return t;
}

}  // namespace

std::vector<CheckResult> check_communicator(Communicator& c, Backend& backend) {
  const std::string name = fmt::format("communicator {}", c.name());
  const auto check = [&name](std::string_view what) { return fmt::format("{} {}", name, what); };
  const int rank = c.rank(), size = c.size();
  std::vector<CheckResult> results;
  if (size < 1 || rank < 0 || rank >= size) {
    results.push_back({check("rank and size"), false, fmt::format("rank {} of {}", rank, size)});
    return results;  // nothing else can be trusted
  }
  results.push_back({check("rank and size"), true, ""});

  const std::int32_t mine = 1000 + rank;
  const auto gathered = c.all_gather(&mine, sizeof mine);
  CheckResult gather{check("all_gather"), gathered.size() == sizeof mine * static_cast<std::size_t>(size), ""};
  for (int r = 0; gather.passed && r < size; ++r) {
    std::int32_t v;
    std::memcpy(&v, gathered.data() + static_cast<std::size_t>(r) * sizeof v, sizeof v);
    if (v != 1000 + r) gather = {gather.check, false, fmt::format("rank {}'s value arrived as {}", r, v)};
  }
  results.push_back(gather);

  // Sum over ranks of (r + 1) (i + 1) = (i + 1) size (size + 1) / 2. Two reductions in flight, waited in reverse.
  const std::size_t n = 1000;
  Tensor summed = rank_tensor(backend, rank, n), averaged = rank_tensor(backend, rank, n);
  auto first = c.all_reduce_async(summed, ReduceOp::Sum);
  auto second = c.all_reduce_async(averaged, ReduceOp::Average);
  second->wait();
  first->wait();
  std::vector<double> sum(n), average(n);
  for (std::size_t i = 0; i < n; ++i) {
    sum[i] = (i + 1.0) * size * (size + 1.0) / 2.0;
    average[i] = sum[i] / size;
  }
  results.push_back(expect_values(check("all_reduce sum"), summed, sum));
  results.push_back(expect_values(check("all_reduce average"), averaged, average));

  // Sent as bfloat16: 1, 2, 3 and 4 from every rank, whose sums up to 64 ranks are bfloat16 values (integers up to
  // 256), come back exact. A communicator may refuse the compression instead, with InvalidArgument.
  {
    const std::string compressed = check("all_reduce sum sent as bfloat16");
    Tensor t = backend.empty(Shape{4}, DType::Float32);
    from_host(t, std::vector<double>{1, 2, 3, 4});
    try {
      c.all_reduce_async(t, ReduceOp::Sum, Compression::BFloat16)->wait();
      results.push_back(size <= 64 ? expect_values(compressed, t, {1.0 * size, 2.0 * size, 3.0 * size, 4.0 * size})
                                   : CheckResult{compressed, true, "not checked beyond 64 ranks"});
    } catch (const InvalidArgument& e) {
      results.push_back({compressed, true, fmt::format("refused: {}", e.what())});
    }
  }

  for (const int root : {0, size - 1}) {
    Tensor t = rank_tensor(backend, rank, 10);
    c.broadcast(t, root);
    std::vector<double> expected(10);
    for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = (root + 1.0) * (i + 1.0);
    results.push_back(expect_values(check(fmt::format("broadcast from rank {}", root)), t, expected));
  }
  c.barrier();
  results.push_back({check("barrier"), true, ""});
  return results;
}

}  // namespace nnplug::conformance

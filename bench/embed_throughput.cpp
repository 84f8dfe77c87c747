// The demo MLP trained through the Network API (examples/embed) on float32 rows, as the Python package hands them
// over: the C++ side of bench/python_bindings.sh, which compares it with bench/embed_throughput.py. Prints the
// median of the epochs' samples/s.
#include <algorithm>

#include <fmt/format.h>

#include "nnplug/framework/network.hpp"

int main() {
  using namespace nnplug;
  const std::string data = "/usr/share/datasets/fashion-mnist/";
  Dataset train = read_idx(data + "train-images-idx3-ubyte.gz", data + "train-labels-idx1-ubyte.gz", 255);
  train.x = train.x.decoded();
  Network net(nn::Sequential{nn::Dense(256).activation("relu").set("weight_init", "he_normal"),
                             nn::Dense(128).activation("relu").set("weight_init", "he_normal"), nn::Dense(10)});
  net.compile(nn::Adam{.lr = 1e-3}, "softmax_cross_entropy", {.seed = 42});
  std::vector<double> rates;
  for (const auto& epoch : net.fit(train, {.epochs = 5, .batch_size = 128, .progress = false}))
    rates.push_back(static_cast<double>(train.size()) / epoch.seconds);
  std::sort(rates.begin(), rates.end());
  fmt::print("{:.0f}\n", rates[rates.size() / 2]);
}

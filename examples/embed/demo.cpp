// The demo (examples/fashion_mlp.json) as a program: a 784-256-128-10 ReLU MLP on Fashion-MNIST, Adam 1e-3, batch
// 128, 5 epochs; the test accuracy; the model saved, loaded back and asked for a prediction.
#include <cstdlib>

#include <fmt/format.h>

#include "nnplug/framework/network.hpp"

int main(int argc, char** argv) try {
  using namespace nnplug;
  const std::string data = "/usr/share/datasets/fashion-mnist/";
  const Dataset train = read_idx(data + "train-images-idx3-ubyte.gz", data + "train-labels-idx1-ubyte.gz", 255);
  const Dataset test = read_idx(data + "t10k-images-idx3-ubyte.gz", data + "t10k-labels-idx1-ubyte.gz", 255);
  Network net(nn::Sequential{nn::Dense(256).activation("relu"), nn::Dense(128).activation("relu"), nn::Dense(10)});
  net.compile(nn::Adam{.lr = 1e-3}, "softmax_cross_entropy", {.seed = 42});
  net.fit(train, {.epochs = argc > 1 ? std::atoi(argv[1]) : 5, .batch_size = 128});
  fmt::print("test accuracy {:.4f}\n", net.evaluate(test).score);
  net.save("demo.safetensors");
  fmt::print("the first test image is class {}\n", Network::load("demo.safetensors").predict_classes(test.head(1))[0]);
} catch (const std::exception& e) {
  fmt::print(stderr, "demo: {}\n", e.what());
  return 1;
}

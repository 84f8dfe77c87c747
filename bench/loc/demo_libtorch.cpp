// The demo (examples/embed/demo.cpp) written with libtorch, for bench/loc/count.sh: the same 784-256-128-10 ReLU
// MLP on Fashion-MNIST, Adam 1e-3, batch 128, 5 epochs, the test accuracy, save, load, one prediction. libtorch
// reads no gzipped IDX, so the files are read here with zlib.
// Build: g++ -std=c++17 -O2 demo_libtorch.cpp -I$T/include -I$T/include/torch/csrc/api/include -L$T/lib -ltorch
//        -ltorch_cpu -lc10 -lz   (T=/usr/lib/python3/dist-packages/torch)
#include <zlib.h>

#include <iostream>

#include <torch/torch.h>

std::vector<unsigned char> read_gz(const std::string& path, size_t header) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path);
  std::vector<unsigned char> bytes;
  unsigned char buffer[1 << 16];
  for (int n; (n = gzread(f, buffer, sizeof buffer)) > 0;) bytes.insert(bytes.end(), buffer, buffer + n);
  gzclose(f);
  return {bytes.begin() + static_cast<long>(header), bytes.end()};
}

std::pair<torch::Tensor, torch::Tensor> read_idx(const std::string& images, const std::string& labels) {
  auto x = read_gz(images, 16), y = read_gz(labels, 8);
  auto xt = torch::from_blob(x.data(), {static_cast<long>(y.size()), 784}, torch::kUInt8).to(torch::kFloat32) / 255;
  return {xt, torch::from_blob(y.data(), {static_cast<long>(y.size())}, torch::kUInt8).to(torch::kLong)};
}

int main(int argc, char** argv) try {
  const std::string data = "/usr/share/datasets/fashion-mnist/";
  auto [x, y] = read_idx(data + "train-images-idx3-ubyte.gz", data + "train-labels-idx1-ubyte.gz");
  auto [x_test, y_test] = read_idx(data + "t10k-images-idx3-ubyte.gz", data + "t10k-labels-idx1-ubyte.gz");
  torch::manual_seed(42);
  torch::nn::Sequential net(torch::nn::Linear(784, 256), torch::nn::ReLU(), torch::nn::Linear(256, 128), torch::nn::ReLU(),
                            torch::nn::Linear(128, 10));
  torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(1e-3));
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 5;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    const auto order = torch::randperm(x.size(0));
    double loss_sum = 0;
    for (int64_t begin = 0; begin < x.size(0); begin += 128) {
      const auto rows = order.slice(0, begin, std::min<int64_t>(begin + 128, x.size(0)));
      optimizer.zero_grad();
      auto loss = torch::nn::functional::cross_entropy(net->forward(x.index({rows})), y.index({rows}));
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>() * static_cast<double>(rows.size(0));
    }
    std::cout << "epoch " << epoch << " loss " << loss_sum / static_cast<double>(x.size(0)) << "\n";
  }
  torch::NoGradGuard no_grad;
  net->eval();
  std::cout << "test accuracy " << net->forward(x_test).argmax(1).eq(y_test).to(torch::kFloat32).mean().item<double>() << "\n";
  torch::save(net, "demo_libtorch.pt");
  torch::nn::Sequential loaded(torch::nn::Linear(784, 256), torch::nn::ReLU(), torch::nn::Linear(256, 128), torch::nn::ReLU(),
                               torch::nn::Linear(128, 10));
  torch::load(loaded, "demo_libtorch.pt");
  std::cout << "the first test image is class " << loaded->forward(x_test.slice(0, 0, 1)).argmax(1).item<int64_t>() << "\n";
} catch (const std::exception& e) {
  std::cerr << "demo: " << e.what() << "\n";
  return 1;
}

// The ABI policy: every change to an SDK header bumps NNPLUG_ABI_VERSION, so that a plugin built against other
// headers is refused at load time with both versions named, never run into "undefined symbol" or worse. And the
// build fingerprint check explains a mismatch in one line.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>

#include "nnplug/framework/plugin_loader.hpp"
#include "nnplug/plugin.hpp"

namespace nnplug::test {
namespace {

namespace fs = std::filesystem;

// FNV-1a over every header's path (relative to the include folder) and contents, in path order.
std::uint64_t hash_sdk_headers(const fs::path& root) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) files.push_back(fs::relative(e.path(), root));
  std::sort(files.begin(), files.end());
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto add = [&h](const std::string& bytes) {
    for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ULL;
  };
  for (const auto& f : files) {
    std::ifstream in(root / f, std::ios::binary);
    std::stringstream contents;
    contents << in.rdbuf();
    add(f.generic_string() + '\0' + contents.str() + '\0');
  }
  return h;
}

// One entry per ABI version, append only: when the headers change, bump NNPLUG_ABI_VERSION in plugin.hpp and add
// the new version with the hash this test prints. Never edit an entry.
const std::map<unsigned, std::uint64_t> kHeaderHashes = {
    {3, 0x18f7c23d0e773addULL},
    {4, 0x42ac8143bfcc6c11ULL},
    {5, 0x1cd892dd526d085fULL},
    {6, 0xe62f8d4d1e4f427dULL},
    {7, 0x585e8e935adc4999ULL},
    {8, 0x174dc8b360b2b411ULL},
    {9, 0xc2e2510c6a174b60ULL},
    {10, 0xc2616a10a4d64fc5ULL},
    {11, 0x30bf8494cf22465fULL},
    {12, 0x8a197d31b0d8a4f1ULL},
    {13, 0x1f2d822e2167e5a0ULL},
    {14, 0x1e83c806b20f0e95ULL},
    {15, 0xb69a3176f8ca66feULL},
    {16, 0xd4de1a661bb3d597ULL},
    {17, 0x388da5563d23819dULL},
    {18, 0xea8835245682eb5cULL},
    {19, 0x956fa5bc1806d8d1ULL},
    {20, 0x1184fa929540939dULL},
    {21, 0x6a3873febecdea92ULL},
    {22, 0x1fd048453769d8aaULL},
    {23, 0x0cc11406f8bfc2c6ULL},
    {24, 0x1c5218949e4a96baULL},
    {25, 0x4d04ed34e2d34e77ULL},
    {26, 0x21d1d8463202cdf6ULL},
    {27, 0x48b390d53d056e4aULL},
    {28, 0xc005ba2d50d03397ULL},
    {29, 0x371d4823024704d3ULL},
    {30, 0x53a8631f0cdf3c97ULL},
    {31, 0x5024b851f8f1c901ULL},
};

TEST(AbiPolicy, SdkHeadersMatchTheHashRecordedForThisAbiVersion) {
  const std::uint64_t hash = hash_sdk_headers(SDK_INCLUDE_DIR);
  std::ostringstream hex;
  hex << "0x" << std::hex << std::setw(16) << std::setfill('0') << hash << "ULL";
  const auto recorded = kHeaderHashes.find(NNPLUG_ABI_VERSION);
  ASSERT_NE(recorded, kHeaderHashes.end()) << "no hash recorded for ABI version " << NNPLUG_ABI_VERSION
                                           << ": add {" << NNPLUG_ABI_VERSION << ", " << hex.str() << "}";
  EXPECT_EQ(recorded->second, hash) << "the SDK headers changed: bump NNPLUG_ABI_VERSION in sdk/include/nnplug/plugin.hpp to "
                                    << NNPLUG_ABI_VERSION + 1 << " and add {" << NNPLUG_ABI_VERSION + 1 << ", " << hex.str()
                                    << "} to kHeaderHashes";
  EXPECT_EQ(kHeaderHashes.rbegin()->first, static_cast<unsigned>(NNPLUG_ABI_VERSION)) << "the ABI version went backwards";
}

TEST(AbiPolicy, TheFingerprintNamesTheCompilerStandardLibraryJsonAndSdk) {
  const std::string fp = NNPLUG_BUILD_FINGERPRINT;
  for (const char* part : {"compiler ", "libstdc++", "nlohmann_json ", "sdk " NNPLUG_SDK_VERSION})
    EXPECT_NE(fp.find(part), std::string::npos) << part << " in " << fp;
}

TEST(AbiPolicy, AFingerprintMismatchIsExplainedByTheFieldsThatDiffer) {
  EXPECT_EQ(explain_fingerprint_mismatch("compiler gcc 11; libstdc++ cxx11-abi=1; nlohmann_json 3.11; sdk 0.1.0",
                                         "compiler gcc 12; libstdc++ cxx11-abi=1; nlohmann_json 3.11; sdk 0.1.0"),
            "build fingerprint mismatch: compiler gcc 11 in the plugin, compiler gcc 12 in the host");
  EXPECT_EQ(explain_fingerprint_mismatch("compiler gcc 12; libstdc++ cxx11-abi=0; nlohmann_json 3.10; sdk 0.1.0",
                                         "compiler gcc 12; libstdc++ cxx11-abi=1; nlohmann_json 3.11; sdk 0.1.0"),
            "build fingerprint mismatch: libstdc++ cxx11-abi=0 in the plugin, libstdc++ cxx11-abi=1 in the host, "
            "nlohmann_json 3.10 in the plugin, nlohmann_json 3.11 in the host");
}

}  // namespace
}  // namespace nnplug::test

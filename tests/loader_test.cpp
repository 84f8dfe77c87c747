// The loader against deliberately broken plugins (tests/broken_plugins): each gets its exact verdict and reason,
// and the host goes on with the others.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>

#include "nnplug/framework/plugin_loader.hpp"

namespace nnplug {
namespace {

namespace fs = std::filesystem;

class BrokenPlugins : public ::testing::Test {
 protected:
  void SetUp() override {
    loader_.add_directory(BROKEN_PLUGIN_DIR);
    for (auto& c : loader_.load_all(registry_)) verdicts_[c.path.filename().string()] = c;
  }
  const Candidate& verdict(const std::string& file) {
    const auto it = verdicts_.find(file);
    if (it == verdicts_.end()) throw std::runtime_error(fmt::format("no verdict for {}", file));
    return it->second;
  }
  std::string path(const std::string& file) { return (fs::path(BROKEN_PLUGIN_DIR) / file).string(); }

  PluginLoader loader_;
  Registry registry_;
  std::map<std::string, Candidate> verdicts_;
};

TEST_F(BrokenPlugins, WrongAbiVersionIsRejectedWithBothVersions) {
  const auto& c = verdict("test_plugin_wrong_abi.so");
  EXPECT_EQ(c.verdict, Verdict::Rejected);
  EXPECT_EQ(c.reason, fmt::format("ABI mismatch: plugin wrong_abi@1.0.0 was built for ABI version 999, this host has ABI version {}; "
                                  "rebuild it against this SDK", NNPLUG_ABI_VERSION));
  EXPECT_FALSE(registry_.has(PluginKind::Activation, "wrong_abi"));
}

TEST_F(BrokenPlugins, MissingEntryPointIsRejected) {
  const auto& c = verdict("test_plugin_no_entry_point.so");
  EXPECT_EQ(c.verdict, Verdict::Rejected);
  EXPECT_EQ(c.reason, "missing entry point nnplug_plugin_info (not an nnplug plugin, or built without NNPLUG_PLUGIN)");
}

TEST_F(BrokenPlugins, RegisterThatThrowsIsRejectedWithItsMessage) {
  const auto& c = verdict("test_plugin_register_throws.so");
  EXPECT_EQ(c.verdict, Verdict::Rejected);
  EXPECT_EQ(c.reason, "register failed: cannot open my lookup table");
  EXPECT_FALSE(registry_.has(PluginKind::Activation, "thrower"));
}

TEST_F(BrokenPlugins, UndeclaredNameIsRejectedAndNothingOfItRegisters) {
  const auto& c = verdict("test_plugin_undeclared_name.so");
  EXPECT_EQ(c.verdict, Verdict::Rejected);
  EXPECT_EQ(c.reason, fmt::format("register failed: plugin undeclared_name@1.0.0 ({}): registers activation 'sneaky', which its info record "
                                  "does not declare (it declares: activation:declared)", path("test_plugin_undeclared_name.so")));
  EXPECT_FALSE(registry_.has(PluginKind::Activation, "sneaky"));
}

TEST_F(BrokenPlugins, UndeclaredKindIsRejected) {
  const auto& c = verdict("test_plugin_undeclared_kind.so");
  EXPECT_EQ(c.verdict, Verdict::Rejected);
  EXPECT_EQ(c.reason, fmt::format("register failed: plugin undeclared_kind@1.0.0 ({}): registers layer 'shapeshifter', which its info record "
                                  "does not declare (it declares: activation:shapeshifter)", path("test_plugin_undeclared_kind.so")));
  EXPECT_FALSE(registry_.has(PluginKind::Layer, "shapeshifter"));
}

TEST_F(BrokenPlugins, FileThatIsNotASharedLibraryIsRejected) {
  const auto& c = verdict("test_plugin_not_a_library.so");
  EXPECT_EQ(c.verdict, Verdict::Rejected);
  EXPECT_EQ(c.reason.rfind("not a loadable shared library: ", 0), 0u) << c.reason;
  EXPECT_NE(c.reason.find("test_plugin_not_a_library.so"), std::string::npos) << c.reason;
}

TEST_F(BrokenPlugins, TruncatedFileIsRejectedWithTheLoadersReason) {
  const auto& c = verdict("test_plugin_truncated.so");
  EXPECT_EQ(c.verdict, Verdict::Rejected);
  EXPECT_EQ(c.reason.rfind("not a loadable shared library: ", 0), 0u) << c.reason;
  // Checked before dlopen, which would die of SIGBUS touching the missing pages.
  EXPECT_NE(c.reason.find("test_plugin_truncated.so is truncated: it has 4096 bytes, its headers describe "), std::string::npos)
      << c.reason;
}

TEST_F(BrokenPlugins, ProbeThatCrashesIsReportedAndTheHostSurvives) {
  const auto& c = verdict("test_plugin_probe_crashes.so");
  EXPECT_EQ(c.verdict, Verdict::Rejected);
  EXPECT_EQ(c.reason.rfind("probe failed: the probe crashed (signal 11, ", 0), 0u) << c.reason;
  EXPECT_NE(c.reason.find("plugin probe_crashes@1.0.0 is not loaded"), std::string::npos) << c.reason;
  EXPECT_FALSE(registry_.has(PluginKind::Activation, "never_loaded"));
}

// Asking for a name whose plugin is unusable here (a GPU backend on a machine without a GPU) says why.
TEST_F(BrokenPlugins, AskingForANameOfAnUnusablePluginSaysWhy) {
  try {
    registry_.create_activation(Params("layers[0] activation", "needs_hardware"));
    FAIL() << "needs_hardware was created";
  } catch (const PluginError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(fmt::format("layers[0] activation: unusable activation 'needs_hardware' ({}: probe says unusable here: no such "
                                     "device on this machine); available: ", path("test_plugin_probe_unusable.so")),
                         0),
              0u)
        << what;
  }
}

TEST_F(BrokenPlugins, DuplicateNameRejectsTheSecondAndKeepsTheFirst) {
  EXPECT_EQ(verdict("test_plugin_twin_a.so").verdict, Verdict::Loaded);
  const auto& c = verdict("test_plugin_twin_b.so");
  EXPECT_EQ(c.verdict, Verdict::Rejected);
  EXPECT_EQ(c.reason, fmt::format("duplicate name 'activation:twin': already provided by {} with the same priority 0", path("test_plugin_twin_a.so")));
  EXPECT_TRUE(registry_.has(PluginKind::Activation, "twin"));
}

TEST_F(BrokenPlugins, TheHostGoesOnWithTheOthers) {
  EXPECT_EQ(verdict("test_plugin_good.so").verdict, Verdict::Loaded);
  auto good = registry_.create_activation(Params("test", "good_identity"));
  EXPECT_EQ(good->type(), "good_identity");
  // The project's own plugins, found in the build tree, load beside the broken ones.
  EXPECT_TRUE(registry_.has(PluginKind::Layer, "dense"));
  EXPECT_TRUE(registry_.has(PluginKind::Backend, "cpu"));
}

TEST(PluginLoader, ExplicitDirectoryThatDoesNotExistIsAWarning) {
  PluginLoader loader;
  loader.add_directory("/nonexistent/nnplug-plugins");
  Registry registry;
  loader.load_all(registry);
  ASSERT_EQ(loader.warnings().size(), 1u);
  EXPECT_EQ(loader.warnings()[0], "plugin directory /nonexistent/nnplug-plugins does not exist");
  EXPECT_TRUE(registry.has(PluginKind::Layer, "dense"));
}

TEST(PluginLoader, UnknownNameListsWhatExists) {
  PluginLoader loader;
  Registry registry;
  loader.load_all(registry);
  try {
    registry.create_optimizer(Params("spec.json: optimizer", "adamm"));
    FAIL() << "an unknown optimizer was created";
  } catch (const PluginError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("spec.json: optimizer: unknown optimizer 'adamm'; available: ", 0), 0u) << what;
    EXPECT_NE(what.find("adam"), std::string::npos) << what;
    EXPECT_NE(what.find("sgd"), std::string::npos) << what;
  }
}

TEST(PluginLoader, ObjectsKeepTheirLibraryLoaded) {
  std::shared_ptr<Activation> relu;
  {
    PluginLoader loader;
    Registry registry;
    loader.load_all(registry);
    relu = registry.create_activation(Params("test", "relu"));
  }  // the registry and loader are gone; the object's code must still be mapped
  EXPECT_EQ(relu->type(), "relu");
}

}  // namespace
}  // namespace nnplug

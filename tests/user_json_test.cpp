// JSON a user hands nnplug: a repeated key, nesting past the limit and a number past a double's range are errors
// with their line, wherever the JSON comes from (a spec, --set, --backend, a model file's header); everything else parses as nlohmann does.
#include <gtest/gtest.h>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/safetensors.hpp"
#include "nnplug/framework/spec.hpp"
#include "nnplug/framework/user_json.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

TEST(UserJson, ARepeatedKeyIsAnErrorWithItsLine) {
  EXPECT_EQ(error_of([] { parse_spec("{\n  \"seed\": 1,\n  \"layers\": [],\n  \"seed\": 2\n}", "a.json"); }),
            "a.json:4: duplicate key \"seed\"");
  // The same key once escaped is the same key; in two objects, two keys.
  EXPECT_EQ(error_of([] { parse_user_json(R"({"a": 1, "\u0061": 2})", "x"); }), "x:1: duplicate key \"a\"");
  EXPECT_EQ(parse_user_json(R"({"a": {"a": 1}, "b": [{"a": 2}, {"a": 3}]})", "x")["b"][1]["a"], 3);
  // Braces and quotes inside strings are text, not structure.
  EXPECT_EQ(parse_user_json(R"({"k": "{\"k\": 1, \"k\": 2}", "l": "]"})", "x")["l"], "]");
}

TEST(UserJson, NestingPastTheLimitIsAnErrorNotACrash) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(error_of([&] { parse_spec("{\"layers\":\n" + deep + "}", "deep.json"); }), "deep.json:2: nested deeper than 100 levels");
  const std::string fits = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_NO_THROW(parse_user_json(fits, "x"));
  EXPECT_EQ(error_of([&] { parse_user_json("[" + fits + "]", "x"); }), "x:1: nested deeper than 100 levels");
}

TEST(UserJson, ANumberPastADoublesRangeIsAnErrorWithItsLine) {
  EXPECT_EQ(error_of([] { parse_spec("{\n  \"layers\": [],\n  \"seed\": -2e308\n}", "a.json"); }),
            "a.json:3: the number -2e308 is beyond a double's range (about 1.8e308)");
  const std::string digits(400, '9');  // an integer no int64 holds is read as a double: this one overflows it too
  EXPECT_EQ(error_of([&] { parse_user_json("[1, " + digits + "]", "x"); }),
            fmt::format("x:1: the number {}... (400 characters) is beyond a double's range (about 1.8e308)", digits.substr(0, 80)));
  // The largest doubles, numbers that underflow to 0 and numbers inside strings parse as before.
  const auto read = parse_user_json(R"({"big": 1.7e308, "tiny": -1e-400, "text": "1e400", "long": 18446744073709551616})", "x");
  EXPECT_EQ(read["big"], 1.7e308);
  EXPECT_EQ(read["tiny"], 0.0);
  EXPECT_EQ(read["text"], "1e400");
  EXPECT_EQ(read["long"], 18446744073709551616.0);
}

TEST(UserJson, OptionsAndModelFileHeadersFollowTheSameRules) {
  Spec spec = parse_spec("{}", "s.json");
  EXPECT_EQ(error_of([&] { spec.set(R"(optimizer={"lr": 1, "lr": 2})"); }), "--set optimizer={\"lr\": 1, \"lr\": 2}:1: duplicate key \"lr\"");
  EXPECT_EQ(error_of([] { backend_option(R"({"type": "cpu", "type": "cuda"})"); }), "--backend:1: duplicate key \"type\"");
  EXPECT_EQ(error_of([&] { spec.set("optimizer.lr=1e400"); }),
            "--set optimizer.lr=1e400:1: the number 1e400 is beyond a double's range (about 1.8e308)");
  const std::string header = R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})";
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[static_cast<std::size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  file += header + std::string(4, '\0');
  EXPECT_EQ(error_of([&] { parse_safetensors(file, "m.safetensors"); }), "m.safetensors (its JSON header):1: duplicate key \"w\"");
}

}  // namespace
}  // namespace nnplug::test

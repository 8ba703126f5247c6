//===- WorldTest.cpp - the rank from torchrun's variables -----------------===//
#include "runtime/dist/World.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

using namespace golf::dist;

namespace {

using Variables = std::map<std::string, std::string>;

const Variables kRankOneOfTwo = {{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "29500"}};

std::optional<World> parse(const Variables &vars, std::string &error) {
  return worldFromEnvironment(
      [&](const char *name) -> const char * {
        auto it = vars.find(name);
        return it == vars.end() ? nullptr : it->second.c_str();
      },
      error);
}

/// kRankOneOfTwo with `name` set to `value`, or unset for nullptr.
Variables changed(const std::string &name, const char *value) {
  Variables vars = kRankOneOfTwo;
  if (value)
    vars[name] = value;
  else
    vars.erase(name);
  return vars;
}

/// The error `vars` give; fails the test when they parse.
std::string errorOf(const Variables &vars) {
  std::string error;
  EXPECT_FALSE(parse(vars, error));
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  return error;
}

} // namespace

TEST(World, NoVariablesIsOneProcess) {
  std::string error;
  // Launcher leftovers without RANK and WORLD_SIZE do not make a run distributed.
  auto world = parse({{"MASTER_ADDR", "node7"}, {"LOCAL_RANK", "3"}}, error);
  ASSERT_TRUE(world) << error;
  EXPECT_EQ(world->rank, 0);
  EXPECT_EQ(world->size, 1);
  EXPECT_EQ(world->localRank, 0);
  EXPECT_FALSE(world->distributed());
  EXPECT_TRUE(world->leader());
}

TEST(World, TorchrunVariables) {
  std::string error;
  auto world = parse({{"RANK", "5"},
                      {"WORLD_SIZE", "8"},
                      {"LOCAL_RANK", "1"},
                      {"MASTER_ADDR", "node0.cluster"},
                      {"MASTER_PORT", "29400"}},
                     error);
  ASSERT_TRUE(world) << error;
  EXPECT_EQ(world->rank, 5);
  EXPECT_EQ(world->size, 8);
  EXPECT_EQ(world->localRank, 1);
  EXPECT_EQ(world->masterAddr, "node0.cluster");
  EXPECT_EQ(world->masterPort, 29400);
  EXPECT_TRUE(world->distributed());
  EXPECT_FALSE(world->leader());
}

TEST(World, Defaults) {
  std::string error;
  auto world = parse(kRankOneOfTwo, error);
  ASSERT_TRUE(world) << error;
  EXPECT_EQ(world->localRank, 1);
  EXPECT_EQ(world->masterAddr, "127.0.0.1");
}

TEST(World, OneRankNeedsNoPort) {
  std::string error;
  auto world = parse({{"RANK", "0"}, {"WORLD_SIZE", "1"}}, error);
  ASSERT_TRUE(world) << error;
  EXPECT_FALSE(world->distributed());
  EXPECT_EQ(world->masterPort, 0);
}

TEST(World, HalfSetIsAnError) {
  std::string onlyRank = errorOf({{"RANK", "0"}});
  EXPECT_EQ(onlyRank.rfind("WORLD_SIZE is not set", 0), 0u) << onlyRank;
  std::string onlySize = errorOf({{"WORLD_SIZE", "2"}});
  EXPECT_EQ(onlySize.rfind("RANK is not set", 0), 0u) << onlySize;
}

TEST(World, BadValuesNameTheVariable) {
  struct Case {
    const char *name, *value, *expected;
  };
  const Case cases[] = {
      {"RANK", "one", "RANK='one' is not an integer"},
      {"RANK", "1x", "RANK='1x' is not an integer"},
      {"RANK", "", "RANK='' is not an integer"},
      {"RANK", " 1", "RANK=' 1' is not an integer"},
      {"RANK", "-1", "RANK=-1 is out of range 0..1"},
      {"RANK", "2", "RANK=2 is out of range 0..1"},
      {"WORLD_SIZE", "0", "WORLD_SIZE=0 is out of range"},
      {"WORLD_SIZE", "two", "WORLD_SIZE='two' is not an integer"},
      {"WORLD_SIZE", "99999999999999999999", "WORLD_SIZE='99999999999999999999' is not"},
      {"LOCAL_RANK", "-1", "LOCAL_RANK=-1 is out of range 0..1"},
      {"LOCAL_RANK", "gpu0", "LOCAL_RANK='gpu0' is not an integer"},
      {"MASTER_PORT", "0", "MASTER_PORT=0 is out of range 1..65535"},
      {"MASTER_PORT", "65536", "MASTER_PORT=65536 is out of range 1..65535"},
      {"MASTER_PORT", "http", "MASTER_PORT='http' is not an integer"},
      {"MASTER_PORT", nullptr, "MASTER_PORT is not set (WORLD_SIZE=2"},
      {"MASTER_ADDR", "", "MASTER_ADDR is empty"},
  };
  for (const Case &c : cases) {
    std::string error = errorOf(changed(c.name, c.value));
    EXPECT_EQ(error.rfind(c.expected, 0), 0u)
        << c.name << "=" << (c.value ? c.value : "(unset)") << ": " << error;
  }
}

TEST(World, ProcessEnvironment) {
  if (std::getenv("RANK") || std::getenv("WORLD_SIZE"))
    GTEST_SKIP() << "running under a launcher";
  std::string error;
  auto world = worldFromEnvironment(error);
  ASSERT_TRUE(world) << error;
  EXPECT_EQ(world->size, 1);
}

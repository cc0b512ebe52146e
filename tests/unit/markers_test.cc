// PEP 508 markers of Requires-Dist, for the interpreter an image carries: false only where it is
// certain (a requirement then is not kept); anything not decidable here counts as true.
#include <gtest/gtest.h>

#include "python/markers.h"

namespace cuslim {
namespace {

TEST(Markers, DecidesWhatTheInterpreterSays) {
  MarkerEnv py311{.python_minor = 11};
  EXPECT_EQ(evaluate_marker("python_version < '3.11'", py311), Truth::no);   // tomli, exceptiongroup
  EXPECT_EQ(evaluate_marker("python_version < \"3.0\"", py311), Truth::no);
  EXPECT_EQ(evaluate_marker("python_version >= '3.9'", py311), Truth::yes);
  EXPECT_EQ(evaluate_marker("python_version < '3.12'", py311), Truth::yes);
  EXPECT_EQ(evaluate_marker("python_version == '3.11.*'", py311), Truth::yes);
  EXPECT_EQ(evaluate_marker("python_version ~= '3.8'", py311), Truth::yes);
  EXPECT_EQ(evaluate_marker("sys_platform == 'win32'", py311), Truth::no);
  EXPECT_EQ(evaluate_marker("platform_system != 'Windows'", py311), Truth::yes);
  EXPECT_EQ(evaluate_marker("platform_machine in 'x86_64 aarch64'", py311), Truth::yes);
  EXPECT_EQ(evaluate_marker("os_name == 'nt' or python_version < '3.8'", py311), Truth::no);
  EXPECT_EQ(evaluate_marker("(sys_platform == 'linux' and python_version >= '3.10')", py311), Truth::yes);
}

TEST(Markers, ExtrasAreNeverRequested) {
  MarkerEnv env{.python_minor = 12};
  EXPECT_EQ(evaluate_marker("extra == 'dev'", env), Truth::no);
  EXPECT_EQ(evaluate_marker("python_version >= '3.8' and extra == \"cli\"", env), Truth::no);
  EXPECT_EQ(evaluate_marker("extra == 'dev' or python_version >= '3.8'", env), Truth::yes);
}

TEST(Markers, WhatCannotBeDecidedIsKept) {
  MarkerEnv unknown_py{};  // /usr/lib/python3/dist-packages: no minor in the path
  EXPECT_EQ(evaluate_marker("python_version < '3.11'", unknown_py), Truth::unknown);
  EXPECT_EQ(evaluate_marker("python_full_version >= '3.11.2'", MarkerEnv{.python_minor = 11}), Truth::unknown);
  EXPECT_EQ(evaluate_marker("python_version <", MarkerEnv{.python_minor = 11}), Truth::unknown);
  EXPECT_EQ(evaluate_marker("python_version < '3.11", MarkerEnv{.python_minor = 11}), Truth::unknown);
  EXPECT_EQ(evaluate_marker("", MarkerEnv{.python_minor = 11}), Truth::unknown);
  // unknown and false is false; unknown or true is true
  EXPECT_EQ(evaluate_marker("platform_release == '6' and sys_platform == 'win32'", MarkerEnv{}), Truth::no);
  EXPECT_EQ(evaluate_marker("platform_release == '6' or sys_platform == 'linux'", MarkerEnv{}), Truth::yes);
}

}  // namespace
}  // namespace cuslim

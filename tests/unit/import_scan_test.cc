// What a Python module imports when it is imported, read statically (python/import_scan.h).
#include <gtest/gtest.h>

#include "python/import_scan.h"

namespace cuslim {
namespace {

std::vector<std::string> modules(const std::string& src) {
  std::vector<std::string> out;
  for (auto& s : import_time_imports(src)) out.push_back(std::string(s.level, '.') + s.module);
  return out;
}

TEST(ImportScan, top_level_try_and_if_blocks_count_function_and_class_bodies_do_not) {
  std::string src =
      "import os, sys as system\n"
      "import importlib.abc\n"
      "from pathlib import Path\n"
      "try:\n"
      "    import json\n"
      "except ImportError:\n"
      "    json = None\n"
      "if system.platform == 'win32':\n"
      "    import ntpath\n"
      "def later():\n"
      "    import sqlite3\n"
      "class C:\n"
      "    import csv\n"
      "    def m(self):\n"
      "        import zipfile\n"
      "@decorator\n"
      "def f():\n"
      "    import email\n"
      "import warnings  # comment\n";
  EXPECT_EQ(modules(src), (std::vector<std::string>{"os", "sys", "importlib.abc", "pathlib", "json", "ntpath", "warnings"}));
}

TEST(ImportScan, continued_statements_relative_imports_and_names) {
  auto s = import_time_imports("from . import (util,\n    machinery)\nfrom ..abc import \\\n  Finder\nimport a; import b\n");
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].level, 1);
  EXPECT_EQ(s[0].module, "");
  EXPECT_EQ(s[0].names, (std::vector<std::string>{"util", "machinery"}));
  EXPECT_EQ(s[1].level, 2);
  EXPECT_EQ(s[1].module, "abc");
  EXPECT_EQ(s[1].names, (std::vector<std::string>{"Finder"}));
  EXPECT_EQ(s[2].module, "a");
  EXPECT_EQ(s[3].module, "b");
}

}  // namespace
}  // namespace cuslim

// Why each group of a bundle or a slimmed image ships, and -- for slim -- why each group of the
// input that is not in the output was dropped. Reasons are per file (a program, in the programs'
// closure, a kept path, a Python distribution's reason, a JIT toolchain, generated) and a group
// names the reasons of its bytes, largest first.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "bundle/bundle.h"
#include "report/content_groups.h"

namespace cuslim {

// The regular files of a plan (its in-image paths).
std::vector<std::string> plan_files(const Plan& plan);

// What ships, grouped, each group with the reasons its files ship.
// The files cuslim writes itself (ld.so.cache, ld.so.conf, passwd): FileGrouper's `generated`.
std::set<std::string> generated_files(const Plan& plan);

std::vector<ContentGroup> kept_groups(const FileGrouper& grouper, const BundleRequest& req, const BundleResult& res);

// The files of `input` (the unpacked input image) that are not in the plan, grouped, each group
// with the reasons its files were dropped.
std::vector<ContentGroup> dropped_groups(const FileGrouper& grouper, const std::vector<ContentFile>& input, const BundleResult& res);

}  // namespace cuslim

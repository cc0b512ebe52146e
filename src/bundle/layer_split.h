// --layers auto: the plan split into layers that registries and nodes can share, ordered from
// least to most often changing -- base system (glibc, the ELF interpreter), CUDA runtime
// libraries (a layer per family: cuda-cublas, cuda-cudnn, ...; Plan::families), framework
// distributions (a layer per large one: py-torch, py-nvidia-cublas; the rest of the Python site
// dirs together), the
// application (with every generated file: ld.so.cache, passwd, ...). Each layer holds its own
// files, symlinks and the directories above them, and nothing else, so it is deterministic on
// its own: two images built from the same CUDA libraries carry byte-identical CUDA layers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bundle/plan.h"
#include "core/root.h"
#include "profile/classifier.h"

namespace cuslim {

enum class LayerSplit { single, auto_split };
std::optional<LayerSplit> parse_layer_split(const std::string& s);  // "single" | "auto"

struct LayerGroup {
  std::string name;  // "system", "cuda-<family>" (or "cuda"), "py-<distribution>", "frameworks", "app" (or "image" for a single layer)
  std::vector<LayerEntry> entries;
};

// Plan::families: each CUDA library outside site dirs (file or link) named by its profile rule's
// family ("cuda:cublas" -> "cublas").
void name_cuda_families(const Classifier& classifier, const Root& root, Plan& plan);

// Plan::distributions: the shipped files of each Python distribution of 32 MB or more (by its
// RECORD), for a layer of its own ("py-torch", "py-nvidia-cublas").
void name_distributions(const Root& root, Plan& plan);

// Bottom first; empty groups left out; `single`: one group with every entry.
std::vector<LayerGroup> layer_groups(const Root& root, const Plan& plan, LayerSplit split);

}  // namespace cuslim

// Image specs (images/*.yaml): the options of `cuslim bundle`, declared in a file.
//   name: smoke-cublas
//   targets: [build/kernels/smoke-cublas]   # relative paths: from the working directory
//   include: []
//   out: out/smoke-cublas  # required unless `cuslim build -o OUT` gives it
//   format: oci            # dir | tar | tar.gz | tar.zst | oci | oci-archive | docker-archive
//   compression: gzip      # gzip | zstd
//   layers: auto           # auto | single: image outputs split into shareable layers (default), or one layer
//   tag: smoke-cublas
//   base: scratch
//   entrypoint: /path      # default: the first program
//   env: [K=V]
//   root: /                # resolve inside this root
//   trace: [app.trace]     # cuslim trace files: what the run mapped joins the bundle
//   python_keep: package   # package | file: Python distributions the traces used, whole or file by file
//   jit: true              # false: no JIT framework toolchains (bundle --no-jit)
//   gpu_arch: "90"         # prune GPU code to these compute capabilities (bundle --gpu-arch)
//   prune_nvidia: true     # false: NVIDIA's libraries stay whole (bundle --no-prune-nvidia)
//   forward_compat: auto   # auto | always | never: ship the cuda-compat set (bundle --forward-compat)
//   min_driver: 535.230.02 # the oldest driver the image must run on (bundle --min-driver)
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/yaml_schema.h"

namespace cuslim {

struct ImageSpec {
  std::string file;  // where it was read from (errors name it)
  std::string name, out, format, compression, layers = "auto", tag, base = "scratch", root = "/";
  bool tag_given = false;  // `tag:` written in the spec (else tag is its name, and a tag OUT names wins)
  std::vector<std::string> targets, include, env, trace;
  std::optional<std::string> entrypoint;
  std::string python_keep = "package";
  bool jit = true;
  std::string gpu_arch;
  bool prune_nvidia = true;
  std::string forward_compat = "auto", min_driver;
  std::map<std::string, std::string> at;  // "FILE:LINE:COL" of each key's value, for errors found later
  // "FILE:LINE:COL: KEY" of a key the spec holds, else the spec's file (or "").
  std::string where(const std::string& key) const {
    auto it = at.find(key);
    return it != at.end() ? it->second + ": " + key : file;
  }
};

// Every key an image spec may have, its type and allowed values.
const SchemaNode& image_spec_schema();

// Reads and checks a spec against image_spec_schema(); out stays empty when the spec has none.
Result<ImageSpec> read_image_spec(const std::string& file);

}  // namespace cuslim

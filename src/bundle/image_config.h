// The image config of a bundle: Env (PATH, LD_LIBRARY_PATH, NVIDIA_*), Entrypoint, Cmd,
// WorkingDir, labels, history -- derived from the plan and the request, a base image's or a slim
// input's config merged -- and the checks on it (variables naming absent files, an entrypoint the
// image lacks, the driver dirs a cuda-compat set must not be hidden behind).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bundle/bundle.h"
#include "bundle/forward_compat_plan.h"
#include "bundle/plan.h"
#include "core/root.h"

namespace cuslim {

// The config of the planned image.
ImageConfig make_config(const Plan& plan, const BundleRequest& req, const std::vector<ForwardCompatShipped>& compat);

// The config's architecture: the one the shipped programs (else libraries) are built for, so an
// arm64 root bundles an arm64 image; slim keeps the input's. A --base image of another
// architecture is exit 3 (the image could run on no machine).
Status set_architecture(const Root& root, const Plan& plan, const BundleRequest& req, ImageConfig& config);

// A rootfs output (dir, tar) carries no image config: what the user or a trace gave it (--env,
// the traced Env, --entrypoint, the traced WorkingDir) is named in a warning, never dropped in
// silence; the defaults every bundle gets (NVIDIA_*, the program as Entrypoint) are not.
std::optional<std::string> config_not_carried(const ImageConfig& c, const BundleRequest& req);

// A traced variable whose value names files (SSL_CERT_FILE=/etc/ssl/certs/ca.crt, PYTHONPATH=/opt/p)
// that the image does not hold would point the program at nothing -- worse than the default it
// falls back to (certifi's bundle, the site dirs): it is left out of the config, with a warning.
// The loader's and the shell's search lists (LD_LIBRARY_PATH, PATH) name dirs that may come at
// run time (the driver's) and are kept.
void drop_env_naming_absent_files(ImageConfig& config, Plan& plan, const BundleRequest& req);

// Where a #! script's `env NAME` looks: first the dirs of the programs a trace saw run (the venv's
// bin/ whose python3 the traced run used), then the default PATH.
std::string program_search_path(const BundleRequest& req);

// An entrypoint the image does not hold (from a FROM-scratch bundle or its base) is said: the
// image would fail at its first start. A bare name is looked up as the runtime does, through the
// config's PATH; paths through the image's own links (bin -> usr/bin).
void warn_absent_entrypoint(Plan& plan, const BundleRequest& req, const ImageConfig& config);

// An image that ships a cuda-compat set keeps the dirs the host driver is injected into out of its
// LD_LIBRARY_PATH: searched before ld.so.cache, they would load the host's libcuda.so.1 ahead of
// the set the NVIDIA hook puts first in the cache (the loader's default dirs are searched anyway).
void keep_driver_dirs_out_of_llp(const Root& root, const ForwardCompatData& data, std::vector<std::string>& env, std::vector<std::string>& warnings);

// The labels that say which GPUs the image's code was pruned for and which GPUs it still covers
// (image_config.cc says how an earlier prune's labels combine). Returns a warning when the input
// was pruned for GPUs that do not cover this prune's.
std::optional<std::string> record_pruned_archs(ImageConfig& c, const std::vector<unsigned>& archs, bool zeroed, const std::set<unsigned>& lost_for);

// A second prune of an image already pruned (its label) for GPUs none of the listed ones is among:
// its containers hold nothing these GPUs run, so each would keep its smallest entry only and lose
// the code the image still runs on. A usage error naming both lists; ok otherwise.
Status check_prune_again(const ImageConfig& input, const std::vector<unsigned>& archs);

}  // namespace cuslim

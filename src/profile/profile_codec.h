// ProfileCodec: the built-in profiles in a ready form -- every field of every Profile written as
// length-prefixed bytes and read back without YAML. `cuslim` parses its embedded YAML once, stores
// the encoded set in its cache dir under a name that hashes the YAML texts and this format's
// version, and at every later start reads that instead (about 20x faster than yaml-cpp). One field
// list (visit) serves both directions, so the two can never disagree.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "profile/profile.h"

namespace cuslim {

std::string encode_profiles(const std::vector<Profile>& profiles);

// nullopt when `bytes` is not a complete encoding of this version (a truncated or foreign file).
std::optional<std::vector<Profile>> decode_profiles(const std::string& bytes);

}  // namespace cuslim

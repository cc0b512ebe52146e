// Bytes as lowercase hex and back: digests, build ids, trace names that are not UTF-8.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cuslim {

std::string to_hex(std::string_view bytes);
// nullopt for an odd length or a character that is not a lowercase hex digit.
std::optional<std::string> from_hex(std::string_view hex);

}  // namespace cuslim

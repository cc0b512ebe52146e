#pragma once
// The group a layer was written for, as cuslim names it in the image config's history: one
// `created_by` per layer ("cuslim bundle (base scratch): layer cuda-cublas"), paired with the
// layers in order by the entries that are not empty_layer, as docker history and umoci pair them.

#include <optional>
#include <string>
#include <vector>

namespace cuslim {

// "...: layer NAME" -> NAME; a cuslim entry without one (--layers single) -> "image"; another
// tool's entry, or slim's note for an input layer it could not pair -> none.
std::optional<std::string> layer_group_from_history(const std::string& created_by);

// The group of each of `layers` layers from a config's history (a JSON array); all none where the
// history does not pair with the layers (or is not an array).
std::vector<std::optional<std::string>> layer_groups_from_history(const std::string& history_json, size_t layers);

}  // namespace cuslim

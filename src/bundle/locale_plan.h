// Locales an image's Env names ship with their files: LANG=C.UTF-8 with only the one LC_CTYPE
// file a traced run opened makes setlocale(LC_ALL, "") fail in the image.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/root.h"

namespace cuslim {

class PlanBuilder;

// The in-root path that holds locale `name`'s data: /usr/lib/locale/NAME, or its normalized
// form (the codeset lower-cased without punctuation: C.UTF-8 -> C.utf8, en_US.UTF-8@euro ->
// en_US.utf8@euro), else the locale archive. Nothing for C and POSIX (built into glibc). With a
// LOCPATH (colon-separated dirs), glibc looks there only, and so does this.
std::optional<std::string> locale_data(const Root& root, const std::string& name, const std::string& locpath = "");

// The value of LOCPATH among Env entries ("" when none).
std::string locpath_of(const std::vector<std::string>& env);

// The locale names Env entries set (LANG, LC_ALL, LC_*), without C and POSIX.
std::vector<std::string> locale_names(const std::vector<std::string>& env);

// Ships the data of every locale `env` names that the root has (where `env`'s LOCPATH says);
// returns the names it lacks.
Result<std::vector<std::string>> add_locale_data(const Root& root, const std::vector<std::string>& env, PlanBuilder& builder);

}  // namespace cuslim

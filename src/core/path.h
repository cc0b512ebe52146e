// Lexical path helpers for absolute, '/'-separated paths (no filesystem access).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cuslim::path {

// Splits on '/', dropping empty components.
std::vector<std::string> components(std::string_view p);
// Joins a directory and a name with exactly one '/'.
std::string join(std::string_view dir, std::string_view name);
// "/a/b/c" -> "/a/b"; "/a" -> "/"; "c" -> ".".
std::string dirname(std::string_view p);
std::string basename(std::string_view p);
// Collapses "//", "." and ".." (never above "/") in an absolute path.
std::string normalize(std::string_view p);
// An absolute path with '.' components and repeated or trailing slashes removed, its '..' kept:
// the parent of a symlink is the parent of its target, which only the filesystem knows (the
// kernel resolves "/opt/a/../lib" from where /opt/a leads). What the loader opens is this.
std::string tidy(std::string_view p);
// Whether `p` is `dir` or lies below it ("/a/b" in "/a"; every path in "/"), lexically.
bool is_within(std::string_view p, std::string_view dir);
// Whether a glob has a '[' that never closes (fnmatch then matches it as itself: surely a typo);
// a backslash escapes the next character.
bool has_unclosed_bracket(std::string_view glob);
// Splits a colon-separated list, keeping empty elements as "" (the loader treats them as ".").
std::vector<std::string> split_list(std::string_view list, char sep = ':');

}  // namespace cuslim::path

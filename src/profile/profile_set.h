// The profiles in force: the built-in ones (compiled in) plus --profile files, with `extends`
// resolved (a child's own rules first, then its parents').
#pragma once

#include <map>
#include <string>
#include <vector>

#include "profile/profile.h"

namespace cuslim {

class ProfileSet {
 public:
  // The built-in profiles only.
  static Result<ProfileSet> builtin();
  // Adds a user profile from a file (it may extend or replace a built-in one of the same name);
  // returns its name.
  Result<std::string> add_file(const std::string& path);
  // Every --profile file, then each checked whole (its `extends` known and without a cycle) whether
  // or not a command goes on to use it; returns their names, in order.
  Result<std::vector<std::string>> add_files(const std::vector<std::string>& paths);
  Status add(Profile p);

  const Profile* find(const std::string& name) const;
  std::vector<const Profile*> all() const;
  // The profile with every `extends` merged in. Errors on unknown parents or cycles.
  Result<Profile> resolved(const std::string& name) const;

 private:
  std::map<std::string, Profile> profiles_;
};

}  // namespace cuslim

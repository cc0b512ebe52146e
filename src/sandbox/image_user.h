// The image config's User as docker and runc read it ("name", "uid", "name:group", "uid:gid",
// "name:gid", "uid:group"): names are looked up in the image's own /etc/passwd and /etc/group
// (read inside the rootfs, never the host's), a numeric uid needs no entry (its group is then 0),
// the supplementary groups are the /etc/group entries that list the user, and HOME comes from
// its passwd entry ("/" without one).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/error.h"

namespace cuslim {

struct ImageUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary, gid first
  std::string home = "/";
};

// `user` of the image whose rootfs is the host dir `rootfs`; a name that is not in the image's
// files is exit 3, naming the file and the User.
Result<ImageUser> resolve_image_user(const std::string& rootfs, const std::string& user);

}  // namespace cuslim

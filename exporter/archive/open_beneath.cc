#include "exporter/archive/open_beneath.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace pe {

UniqueFd OpenBeneath(int root_fd, const std::string& relative_path) {
  const int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC;
#ifdef SYS_openat2
  open_how how{};
  how.flags = flags;
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH;
  const long fd =
      syscall(SYS_openat2, root_fd, relative_path.c_str(), &how, sizeof(how));
  if (fd >= 0) return UniqueFd(static_cast<int>(fd));
  if (errno != ENOSYS && errno != EPERM) return UniqueFd();
#endif
  return UniqueFd(openat(root_fd, relative_path.c_str(), flags));
}

}  // namespace pe

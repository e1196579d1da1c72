// The POSIX helpers moved to the storage layer (storage/fs_util.h), where the
// local Storage shares them; this header keeps old includes working.
#pragma once

#include "storage/fs_util.h"

#pragma once

/// Serve allocations of `bytes` or more straight from mmap, so they go back to the kernel when
/// freed (glibc's mallopt M_MMAP_THRESHOLD; a no-op elsewhere).
void cloudwal_use_mmap_above(int bytes);

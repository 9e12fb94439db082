#include "CMallocTuning.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

void cloudwal_use_mmap_above(int bytes) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, bytes);
#else
    (void)bytes;
#endif
}

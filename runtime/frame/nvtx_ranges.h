/* nvtx_ranges.h - NVTX ranges so Nsight Systems shows frame and stage.
 * nvtx3 is header-only; without a tool attached the calls are no-ops. The
 * name is formatted on the stack: nothing is allocated per frame. */
#ifndef BATON_NVTX_RANGES_H
#define BATON_NVTX_RANGES_H

#include <stdint.h>
#include <stdio.h>

#include <nvtx3/nvToolsExt.h>

static inline void baton_nvtx_push(const char *stage, uint64_t frame)
{
    char name[64];
    snprintf(name, sizeof name, "baton frame %llu %s", (unsigned long long)frame, stage);
    nvtxRangePushA(name);
}

static inline void baton_nvtx_pop(void) { nvtxRangePop(); }

#endif

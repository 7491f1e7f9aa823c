/* cuda_wait.c - a bounded host wait for a CUDA event (see cuda_wait.h). */
#include "core/cuda_wait.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "util/baton_internal.h"
#include "util/fault.h"

#define POLL_STEP_NS 10000u   /* between polls near the expected end */
#define EARLY_NS 60000u       /* wake this long before the expected end */

static bool spin_only(void)
{
    static int spin = -1; /* read once; racing first reads agree */
    if (spin < 0) {
        const char *e = getenv("BATON_CUDA_WAIT");
        spin = e && strcmp(e, "spin") == 0;
    }
    return spin == 1;
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u)};
    nanosleep(&ts, NULL);
}

cudaError_t baton_cuda_event_wait(cudaEvent_t ev, uint64_t deadline_ns, uint64_t expect_ns)
{
    bool spin = spin_only();
    for (;;) {
        cudaError_t e = BATON_FAULT_CUDA(cudaEventQuery(ev));
        if (e != cudaErrorNotReady)
            return e;
        uint64_t now = baton_now_ns();
        if (now >= deadline_ns)
            return cudaErrorNotReady;
        if (spin)
            continue;
        uint64_t step = POLL_STEP_NS;
        if (expect_ns > now + EARLY_NS + POLL_STEP_NS)
            step = expect_ns - now - EARLY_NS;
        if (now + step > deadline_ns)
            step = deadline_ns - now;
        sleep_ns(step);
    }
}

void baton_thread_timer_slack(void)
{
    prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
}

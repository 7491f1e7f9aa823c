/* cuda_wait.h - a bounded host wait for a CUDA event, cheap on the CPU.
 *
 * CUDA offers no timed wait: cudaEventSynchronize cannot be bounded. This
 * polls cudaEventQuery, sleeping in between: through most of the time the
 * work is expected to take, then in short steps. The calling thread should
 * have a small timer slack (baton_thread_timer_slack) so the short sleeps
 * are short. BATON_CUDA_WAIT=spin polls without sleeping (to compare). */
#ifndef BATON_CUDA_WAIT_H
#define BATON_CUDA_WAIT_H

#include <stdint.h>

#include <cuda_runtime_api.h>

/* Wait until ev has completed or deadline_ns (CLOCK_MONOTONIC) passes.
 * expect_ns: when the work is expected to finish (CLOCK_MONOTONIC; 0 if
 * unknown). cudaSuccess, cudaErrorNotReady at the deadline, or the
 * event's error (a failed kernel's sticky error, for example). */
cudaError_t baton_cuda_event_wait(cudaEvent_t ev, uint64_t deadline_ns, uint64_t expect_ns);

/* Set this thread's timer slack to 1 us (Linux; default 50 us), so that
 * short sleeps and timed waits wake on time. */
void baton_thread_timer_slack(void);

#endif

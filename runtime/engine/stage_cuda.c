/* stage_cuda.c - the CUDA compute stage: one stream; per frame it waits for
 * Vulkan to release the slot, uploads the source frame (pinned staging and
 * a copy on discrete GPUs; the staging memory itself on integrated ones),
 * converts to RGBA8 into the slot's shared memory, runs the application's
 * kernels and signals Vulkan. Everything it uses is created here, once. */
#include <stdlib.h>
#include <string.h>

#include <stdatomic.h>

#define BATON_WANT_CUDA 1
#include "core/cuda_wait.h"
#include "engine/compute_stage.h"
#include "frame/convert.h"
#include "util/fault.h"

typedef struct cuda_stage {
    compute_stage base;
    cudaStream_t stream;
    bool zero_copy;                    /* staging is mapped host memory the GPU reads */
    bool pinned[BATON_SLOTS_MAX];      /* staging came from cudaHostAlloc */
    cudaEvent_t ev_start[BATON_SLOTS_MAX], ev_end[BATON_SLOTS_MAX]; /* ev_end: frame done */
    uint64_t enqueued_ns[BATON_SLOTS_MAX]; /* when the slot's frame was enqueued */
    _Atomic uint64_t last_gpu_ns;          /* the newest frame's GPU time (for waits) */
} cuda_stage;

static baton_status cuda_fail(baton_error *err, const char *call, cudaError_t e, uint64_t frame)
{
    return baton_error_set(err, BATON_ERR_CUDA, "compute stage (CUDA), frame %llu: %s failed: %s",
                           (unsigned long long)frame, call, cudaGetErrorName(e));
}

static void cuda_destroy(compute_stage *cs)
{
    if (!cs)
        return;
    cuda_stage *c = (cuda_stage *)cs;
    const frame_view *v = cs->view;
    for (uint32_t s = 0; s < v->slots; s++) {
        frame_slot *sl = &v->slot[s];
        if (c->ev_start[s])
            BATON_DESTROYED_CUDA(cudaEventDestroy(c->ev_start[s]));
        if (c->ev_end[s])
            BATON_DESTROYED_CUDA(cudaEventDestroy(c->ev_end[s]));
        if (sl->staging_device && !c->zero_copy)
            BATON_DESTROYED_CUDA(cudaFree(sl->staging_device));
        if (c->pinned[s])
            BATON_DESTROYED_CUDA(cudaFreeHost(sl->staging));
        sl->staging_device = NULL;
        sl->staging = NULL;
    }
    if (c->stream)
        BATON_DESTROYED_CUDA(cudaStreamDestroy(c->stream));
    free(c);
}

static baton_status cuda_create_slot(cuda_stage *c, uint32_t s, baton_error *err)
{
    const frame_view *v = c->base.view;
    frame_slot *sl = &v->slot[s];
    cudaError_t e = BATON_FAULT_CUDA(cudaHostAlloc((void **)&sl->staging, v->src_bytes,
                                  c->zero_copy ? cudaHostAllocMapped : cudaHostAllocDefault));
    if (e != cudaSuccess)
        return cuda_fail(err, "cudaHostAlloc(staging)", e, 0);
    c->pinned[s] = true;
    baton_count_cuda(v->ctx);
    if (c->zero_copy)
        e = BATON_FAULT_CUDA(cudaHostGetDevicePointer(&sl->staging_device, sl->staging, 0));
    else
        e = BATON_FAULT_CUDA(cudaMalloc(&sl->staging_device, v->src_bytes));
    if (e != cudaSuccess)
        return cuda_fail(err, c->zero_copy ? "cudaHostGetDevicePointer" : "cudaMalloc(upload)", e, 0);
    if (!c->zero_copy)
        baton_count_cuda(v->ctx);
    if ((e = BATON_FAULT_CUDA(cudaEventCreate(&c->ev_start[s]))) != cudaSuccess)
        return cuda_fail(err, "cudaEventCreate", e, 0);
    baton_count_cuda(v->ctx);
    if ((e = BATON_FAULT_CUDA(cudaEventCreate(&c->ev_end[s]))) != cudaSuccess)
        return cuda_fail(err, "cudaEventCreate", e, 0);
    baton_count_cuda(v->ctx);
    return BATON_OK;
}

static baton_status cuda_create(const frame_view *view, const compute_config *cfg,
                                compute_stage **out, baton_error *err)
{
    cuda_stage *c = BATON_FAULT_PTR(calloc(1, sizeof *c));
    if (!c)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(CUDA stage) failed");
    c->base = (compute_stage){.ops = &compute_stage_cuda, .view = view, .cfg = *cfg};
    c->zero_copy = baton_caps_upload_path(&view->ctx->caps) == BATON_UPLOAD_ZERO_COPY;
    baton_status st = BATON_OK;
    cudaError_t e = BATON_FAULT_CUDA(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking));
    if (e != cudaSuccess)
        st = cuda_fail(err, "cudaStreamCreateWithFlags", e, 0);
    else
        baton_count_cuda(view->ctx);
    for (uint32_t s = 0; s < view->slots && st == BATON_OK; s++)
        st = cuda_create_slot(c, s, err);
    if (st != BATON_OK) {
        cuda_destroy(&c->base);
        return st;
    }
    *out = &c->base;
    return BATON_OK;
}

static cudaError_t enqueue_op(cuda_stage *c, const baton_op *op)
{
    cudaExternalSemaphore_t sem = c->base.view->sem[op->sem].cuda;
    if (op->kind == BATON_OP_WAIT) {
        struct cudaExternalSemaphoreWaitParams w;
        memset(&w, 0, sizeof w);
        w.params.fence.value = op->value;
        return BATON_FAULT_CUDA(cudaWaitExternalSemaphoresAsync(&sem, &w, 1, c->stream));
    }
    struct cudaExternalSemaphoreSignalParams s;
    memset(&s, 0, sizeof s);
    s.params.fence.value = op->value;
    return BATON_FAULT_CUDA(cudaSignalExternalSemaphoresAsync(&sem, &s, 1, c->stream));
}

/* Upload (discrete GPUs), convert, the application's kernels. */
static baton_status cuda_convert(cuda_stage *c, frame_slot *sl, uint64_t n, baton_error *err)
{
    const frame_view *v = c->base.view;
    cudaError_t e;
    if (!c->zero_copy &&
        (e = BATON_FAULT_CUDA(cudaMemcpyAsync(sl->staging_device, sl->staging, v->src_bytes,
                             cudaMemcpyHostToDevice, c->stream))) != cudaSuccess)
        return cuda_fail(err, "cudaMemcpyAsync(upload)", e, n);
    if ((e = BATON_FAULT_CUDA(baton_convert_cuda(v->format, sl->staging_device, v->width, v->height,
                                sl->shared.device, v->pitch, c->stream))) != cudaSuccess)
        return cuda_fail(err, "baton_convert_cuda", e, n);
    if (!c->base.cfg.cuda)
        return BATON_OK;
    return c->base.cfg.cuda(c->base.cfg.user, c->stream, sl->shared.device, v->pitch, v->width,
                            v->height, n, err);
}

/* Whether this op is carried by the exported semaphore on the GPU; a
 * relayed one is the host's (see compute_config). */
static bool on_gpu(const cuda_stage *c, const baton_op *op)
{
    return (op->kind == BATON_OP_WAIT ? c->base.cfg.to_compute : c->base.cfg.to_vulkan) ==
           BATON_HANDOFF_GPU;
}

static baton_status cuda_run(compute_stage *cs, uint64_t n, bool stall, baton_error *err)
{
    cuda_stage *c = (cuda_stage *)cs;
    const frame_view *v = cs->view;
    baton_op ops[BATON_SCHEDULE_MAX_OPS];
    size_t k = baton_schedule_stage_ops(v->plan, n, BATON_STAGE_COMPUTE, ops);
    uint32_t s = (uint32_t)(n % v->slots);
    frame_slot *sl = &v->slot[s];
    c->enqueued_ns[s] = baton_now_ns();
    cudaError_t e = BATON_FAULT_CUDA(cudaEventRecord(c->ev_start[s], c->stream));
    if (e != cudaSuccess)
        return cuda_fail(err, "cudaEventRecord", e, n);
    for (size_t i = 0; i < k; i++) {
        if (ops[i].kind == BATON_OP_SIGNAL) {
            baton_status st = cuda_convert(c, sl, n, err);
            if (st != BATON_OK)
                return st;
            if (stall)
                break;
        }
        if (on_gpu(c, &ops[i]) && (e = enqueue_op(c, &ops[i])) != cudaSuccess)
            return cuda_fail(err, ops[i].kind == BATON_OP_WAIT ? "cudaWaitExternalSemaphoresAsync"
                                                                : "cudaSignalExternalSemaphoresAsync",
                             e, n);
        frame_view_trace(v, &ops[i]);
        if (ops[i].kind == BATON_OP_SIGNAL)
            cs->signalled = ops[i].value;
    }
    /* the frame's end: its GPU time, and what the relay thread waits for */
    if ((e = BATON_FAULT_CUDA(cudaEventRecord(c->ev_end[s], c->stream))) != cudaSuccess)
        return cuda_fail(err, "cudaEventRecord", e, n);
    sl->compute_end_ns = baton_now_ns();
    return BATON_OK;
}

static baton_status cuda_wait_done(compute_stage *cs, uint64_t n, uint64_t deadline_ns,
                                   baton_error *err)
{
    cuda_stage *c = (cuda_stage *)cs;
    uint32_t s = (uint32_t)(n % cs->view->slots);
    uint64_t expect = c->enqueued_ns[s] + atomic_load_explicit(&c->last_gpu_ns, memory_order_relaxed);
    cudaError_t e = baton_cuda_event_wait(c->ev_end[s], deadline_ns, expect);
    if (e == cudaErrorNotReady)
        return baton_error_set(err, BATON_ERR_TIMEOUT,
                               "compute stage (CUDA): frame %llu (slot %u) not finished within "
                               "%u ms (is an application kernel hung?)",
                               (unsigned long long)n, s, cs->view->timeout_ms);
    if (e != cudaSuccess)
        return cuda_fail(err, "cudaEventQuery (frame done)", e, n);
    return BATON_OK;
}

static uint64_t cuda_gpu_ns(compute_stage *cs, uint32_t s)
{
    cuda_stage *c = (cuda_stage *)cs;
    float ms = 0;
    if (BATON_FAULT_CUDA(cudaEventElapsedTime(&ms, c->ev_start[s], c->ev_end[s])) != cudaSuccess)
        return 0;
    uint64_t ns = (uint64_t)((double)ms * 1e6);
    atomic_store_explicit(&c->last_gpu_ns, ns, memory_order_relaxed);
    return ns;
}

static bool cuda_quiesce(compute_stage *cs, uint64_t timeout_ns)
{
    cuda_stage *c = (cuda_stage *)cs;
    uint64_t end = baton_now_ns() + timeout_ns;
    while (BATON_FAULT_CUDA(cudaStreamQuery(c->stream)) == cudaErrorNotReady && baton_now_ns() < end)
        ;
    return BATON_FAULT_CUDA(cudaStreamQuery(c->stream)) != cudaErrorNotReady;
}

/* A faulted kernel (a trap, an illegal address) leaves the CUDA context
 * with a sticky error: every call returns it from then on, and what was
 * enqueued behind the kernel never runs. */
static baton_status cuda_dead(compute_stage *cs, uint64_t n, baton_error *err)
{
    cuda_stage *c = (cuda_stage *)cs;
    cudaError_t e = BATON_FAULT_CUDA(cudaStreamQuery(c->stream));
    if (e == cudaSuccess || e == cudaErrorNotReady)
        return BATON_OK;
    return cuda_fail(err, "cudaStreamQuery", e, n);
}

const compute_stage_ops compute_stage_cuda = {
    .name = "CUDA",
    .create = cuda_create,
    .run = cuda_run,
    .wait_done = cuda_wait_done,
    .gpu_ns = cuda_gpu_ns,
    .quiesce = cuda_quiesce,
    .dead = cuda_dead,
    .destroy = cuda_destroy,
};

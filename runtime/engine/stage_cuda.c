/* stage_cuda.c - the CUDA compute stage: one stream; per frame it waits for
 * Vulkan to release the slot, uploads the source frame (pinned staging and
 * a copy on discrete GPUs; the staging memory itself on integrated ones),
 * converts to RGBA8 into the slot's shared memory, runs the application's
 * kernels and signals Vulkan. Everything it uses is created here, once. */
#include <string.h>

#define BATON_WANT_CUDA 1
#include "frame/convert.h"
#include "engine/pipeline_internal.h"

static baton_status cuda_fail(baton_error *err, const char *call, cudaError_t e, uint64_t frame)
{
    return baton_error_set(err, BATON_ERR_CUDA, "compute stage (CUDA), frame %llu: %s failed: %s",
                           (unsigned long long)frame, call, cudaGetErrorName(e));
}

static baton_status create_slot(baton_pipeline *p, slot *sl, baton_error *err)
{
    bool zero_copy = baton_caps_upload_path(&p->ctx->caps) == BATON_UPLOAD_ZERO_COPY;
    cudaError_t e = cudaHostAlloc((void **)&sl->staging, p->src_bytes,
                                  zero_copy ? cudaHostAllocMapped : cudaHostAllocDefault);
    if (e != cudaSuccess)
        return cuda_fail(err, "cudaHostAlloc(staging)", e, 0);
    sl->staging_pinned = true;
    baton_count_cuda(p->ctx);
    if (zero_copy)
        e = cudaHostGetDevicePointer(&sl->staging_device, sl->staging, 0);
    else
        e = cudaMalloc(&sl->staging_device, p->src_bytes);
    if (e != cudaSuccess)
        return cuda_fail(err, zero_copy ? "cudaHostGetDevicePointer" : "cudaMalloc(upload)", e, 0);
    if (!zero_copy)
        baton_count_cuda(p->ctx);
    if ((e = cudaEventCreate(&sl->ev_start)) != cudaSuccess ||
        (e = cudaEventCreate(&sl->ev_end)) != cudaSuccess)
        return cuda_fail(err, "cudaEventCreate", e, 0);
    baton_count_cuda(p->ctx);
    baton_count_cuda(p->ctx);
    return BATON_OK;
}

baton_status stage_cuda_create(baton_pipeline *p, baton_error *err)
{
    cudaError_t e = cudaStreamCreateWithFlags(&p->stream, cudaStreamNonBlocking);
    if (e != cudaSuccess)
        return cuda_fail(err, "cudaStreamCreateWithFlags", e, 0);
    baton_count_cuda(p->ctx);
    for (uint32_t s = 0; s < p->cfg.slots; s++) {
        baton_status st = create_slot(p, &p->slots[s], err);
        if (st != BATON_OK)
            return st;
    }
    return BATON_OK;
}

void stage_cuda_destroy(baton_pipeline *p)
{
    bool zero_copy = baton_caps_upload_path(&p->ctx->caps) == BATON_UPLOAD_ZERO_COPY;
    for (uint32_t s = 0; s < BATON_SLOTS_MAX; s++) {
        slot *sl = &p->slots[s];
        if (sl->ev_start)
            cudaEventDestroy(sl->ev_start);
        if (sl->ev_end)
            cudaEventDestroy(sl->ev_end);
        if (sl->staging_device && !zero_copy)
            cudaFree(sl->staging_device);
        if (sl->staging_pinned)
            cudaFreeHost(sl->staging);
        sl->ev_start = sl->ev_end = NULL;
        sl->staging_device = NULL;
        sl->staging = NULL;
        sl->staging_pinned = false;
    }
    if (p->stream)
        cudaStreamDestroy(p->stream);
    p->stream = NULL;
}

static cudaError_t enqueue_op(baton_pipeline *p, const baton_op *op)
{
    cudaExternalSemaphore_t sem = baton_sem_pool_cuda(p->pool, p->sem[op->sem]);
    if (op->kind == BATON_OP_WAIT) {
        struct cudaExternalSemaphoreWaitParams w;
        memset(&w, 0, sizeof w);
        w.params.fence.value = op->value;
        return cudaWaitExternalSemaphoresAsync(&sem, &w, 1, p->stream);
    }
    struct cudaExternalSemaphoreSignalParams s;
    memset(&s, 0, sizeof s);
    s.params.fence.value = op->value;
    return cudaSignalExternalSemaphoresAsync(&sem, &s, 1, p->stream);
}

baton_status stage_cuda_run(baton_pipeline *p, uint64_t n, baton_error *err)
{
    baton_op ops[BATON_SCHEDULE_MAX_OPS];
    size_t k = baton_schedule_stage_ops(&p->plan, n, BATON_STAGE_COMPUTE, ops);
    slot *sl = &p->slots[n % p->cfg.slots];
    bool zero_copy = baton_caps_upload_path(&p->ctx->caps) == BATON_UPLOAD_ZERO_COPY;
    cudaError_t e = cudaEventRecord(sl->ev_start, p->stream);
    if (e != cudaSuccess)
        return cuda_fail(err, "cudaEventRecord", e, n);
    for (size_t i = 0; i < k; i++) {
        if (ops[i].kind == BATON_OP_SIGNAL) {
            if (!zero_copy &&
                (e = cudaMemcpyAsync(sl->staging_device, sl->staging, p->src_bytes,
                                     cudaMemcpyHostToDevice, p->stream)) != cudaSuccess)
                return cuda_fail(err, "cudaMemcpyAsync(upload)", e, n);
            if ((e = baton_convert_cuda(p->cfg.format, sl->staging_device, p->cfg.width,
                                        p->cfg.height, sl->shared.device, p->pitch, p->stream)) !=
                cudaSuccess)
                return cuda_fail(err, "baton_convert_cuda", e, n);
            if (p->cfg.cuda_work) {
                baton_status st = p->cfg.cuda_work(p->cfg.work_user, p->stream, sl->shared.device,
                                                   p->pitch, p->cfg.width, p->cfg.height, n, err);
                if (st != BATON_OK)
                    return st;
            }
            if (n >= p->stall_from)
                break;
        }
        if ((e = enqueue_op(p, &ops[i])) != cudaSuccess)
            return cuda_fail(err, ops[i].kind == BATON_OP_WAIT ? "cudaWaitExternalSemaphoresAsync"
                                                                : "cudaSignalExternalSemaphoresAsync",
                             e, n);
        pipeline_trace(p, &ops[i]);
        if (ops[i].kind == BATON_OP_SIGNAL)
            p->compute_signalled = ops[i].value;
    }
    if ((e = cudaEventRecord(sl->ev_end, p->stream)) != cudaSuccess)
        return cuda_fail(err, "cudaEventRecord", e, n);
    sl->compute_end_ns = baton_now_ns();
    return BATON_OK;
}

uint64_t stage_cuda_gpu_ns(baton_pipeline *p, uint32_t s)
{
    float ms = 0;
    if (cudaEventElapsedTime(&ms, p->slots[s].ev_start, p->slots[s].ev_end) != cudaSuccess)
        return 0;
    return (uint64_t)((double)ms * 1e6);
}

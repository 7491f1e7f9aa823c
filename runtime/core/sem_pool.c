/* sem_pool.c - the fixed pool of exported semaphores, O(1) acquire/release. */
#include <stdlib.h>
#include <string.h>

#include "baton/interop.h"
#include "core/context_internal.h"
#include "core/sem_backend.h"
#include "util/fault.h"

typedef struct sem_entry {
    VkSemaphore vk;
    cudaExternalSemaphore_t cuda; /* NULL when not shared */
    uint8_t kind;
    uint8_t acquired;
} sem_entry;

struct baton_sem_pool {
    baton_sem_backend be;
    bool shared;
    uint32_t size;         /* entries created so far (all of them after create) */
    uint32_t capacity;
    sem_entry *entries;    /* [capacity]; binary first, then timeline */
    uint32_t *free_stack[2];
    uint32_t free_top[2];
};

static baton_status make_entry(baton_sem_pool *p, uint32_t i, baton_sem_kind kind,
                               baton_error *err)
{
    sem_entry *e = &p->entries[i];
    e->kind = (uint8_t)kind;
    baton_status st = p->be.create(p->be.user, kind, p->shared, &e->vk, err);
    if (st != BATON_OK)
        return st;
    if (p->shared) {
        int fd = -1;
        st = p->be.export_fd(p->be.user, e->vk, &fd, err);
        if (st == BATON_OK) {
            st = p->be.import(p->be.user, kind, fd, &e->cuda, err);
            if (st != BATON_OK)
                p->be.close_fd(p->be.user, fd); /* failed import: the fd is still ours */
        }
        if (st != BATON_OK) {
            p->be.destroy(p->be.user, e->vk);
            e->vk = VK_NULL_HANDLE;
            return st;
        }
    }
    p->size = i + 1;
    return BATON_OK;
}

static baton_status alloc_pool(const baton_sem_pool_config *cfg, baton_sem_pool **out,
                               baton_error *err)
{
    uint32_t n = cfg->binary_count + cfg->timeline_count;
    baton_sem_pool *p = BATON_FAULT_PTR(calloc(1, sizeof *p));
    if (p) {
        p->capacity = n;
        p->entries = BATON_FAULT_PTR(calloc(n, sizeof *p->entries));
        p->free_stack[0] = BATON_FAULT_PTR(calloc(cfg->binary_count + 1, sizeof(uint32_t)));
        p->free_stack[1] = BATON_FAULT_PTR(calloc(cfg->timeline_count + 1, sizeof(uint32_t)));
    }
    if (!p || !p->entries || !p->free_stack[0] || !p->free_stack[1]) {
        baton_sem_pool_destroy(p);
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(semaphore pool of %u) failed", n);
    }
    *out = p;
    return BATON_OK;
}

baton_status baton_sem_pool_create_with(const baton_sem_backend *be, bool export,
                                        const baton_sem_pool_config *cfg,
                                        baton_sem_pool **out, baton_error *err)
{
    if (!be || !cfg || !out)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "baton_sem_pool_create: NULL argument");
    uint64_t n = (uint64_t)cfg->binary_count + cfg->timeline_count;
    if (n == 0 || n > BATON_SEM_POOL_MAX)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "semaphore pool size %llu out of range 1..%u",
                               (unsigned long long)n, BATON_SEM_POOL_MAX);
    baton_sem_pool *p = NULL;
    baton_status st = alloc_pool(cfg, &p, err);
    if (st != BATON_OK)
        return st;
    p->be = *be;
    p->shared = export;
    for (uint32_t i = 0; i < p->capacity && st == BATON_OK; i++) {
        baton_sem_kind kind = i < cfg->binary_count ? BATON_SEM_BINARY : BATON_SEM_TIMELINE;
        st = make_entry(p, i, kind, err);
        if (st != BATON_OK) {
            char prior[BATON_ERROR_MESSAGE_MAX];
            memcpy(prior, err ? err->message : "", err ? sizeof prior : 1);
            if (err)
                baton_error_set(err, st, "semaphore %u of %u (%s): %s", i, p->capacity,
                                kind == BATON_SEM_TIMELINE ? "timeline" : "binary", prior);
        } else {
            p->free_stack[kind][p->free_top[kind]++] = i;
        }
    }
    if (st != BATON_OK) {
        baton_sem_pool_destroy(p);
        return st;
    }
    /* Hand out low indices first: reverse each stack so index order pops. */
    for (int k = 0; k < 2; k++)
        for (uint32_t a = 0, b = p->free_top[k]; a + 1 < b; a++, b--) {
            uint32_t t = p->free_stack[k][a];
            p->free_stack[k][a] = p->free_stack[k][b - 1];
            p->free_stack[k][b - 1] = t;
        }
    *out = p;
    baton_error_clear(err);
    return BATON_OK;
}

baton_status baton_sem_pool_check_support(const baton_caps *caps, int device, bool shared,
                                          const baton_sem_pool_config *cfg, baton_error *err)
{
    const baton_vk_device_info *d = &caps->vk_devices[device];
    if (shared && !d->ext_semaphore_fd)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "cannot export semaphores: %s lacks VK_KHR_external_semaphore_fd",
                               d->name);
    if (cfg->timeline_count > 0 && !d->timeline)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "timeline semaphores asked but %s has no timelineSemaphore feature",
                               d->name);
    if (shared && cfg->timeline_count > 0 &&
        (!d->timeline_fd_exportable || !caps->cuda_timeline_interop))
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "timeline semaphores cannot be shared with CUDA on %s "
                               "(OPAQUE_FD export %s, CUDA timeline interop %s)", d->name,
                               d->timeline_fd_exportable ? "yes" : "no",
                               caps->cuda_timeline_interop ? "yes" : "no");
    if (shared && cfg->binary_count > 0 && !d->binary_fd_exportable)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "%s cannot export binary semaphores as OPAQUE_FD", d->name);
    return BATON_OK;
}

baton_status baton_sem_pool_create(baton_context *ctx, const baton_sem_pool_config *cfg,
                                   baton_sem_pool **out, baton_error *err)
{
    if (!ctx || !cfg || !out)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "baton_sem_pool_create: NULL argument");
    bool shared = baton_caps_needs_export(ctx->compute);
    baton_status st = baton_sem_pool_check_support(&ctx->caps, ctx->vk_index, shared, cfg, err);
    if (st != BATON_OK)
        return st;
    baton_sem_backend be = baton_sem_backend_real(ctx);
    return baton_sem_pool_create_with(&be, shared, cfg, out, err);
}

void baton_sem_pool_destroy(baton_sem_pool *pool)
{
    if (!pool)
        return;
    for (uint32_t i = pool->size; i-- > 0;) {
        sem_entry *e = &pool->entries[i];
        if (e->cuda)
            pool->be.destroy_imported(pool->be.user, e->cuda); /* CUDA first */
        if (e->vk != VK_NULL_HANDLE)
            pool->be.destroy(pool->be.user, e->vk);
    }
    free(pool->entries);
    free(pool->free_stack[0]);
    free(pool->free_stack[1]);
    free(pool);
}

baton_status baton_sem_pool_acquire(baton_sem_pool *pool, baton_sem_kind kind, uint32_t *index,
                                    baton_error *err)
{
    if (!pool || !index || (kind != BATON_SEM_BINARY && kind != BATON_SEM_TIMELINE))
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "baton_sem_pool_acquire: bad argument");
    if (pool->free_top[kind] == 0)
        return baton_error_set(err, BATON_ERR_EXHAUSTED,
                               "no free %s semaphore (pool has %u in all)",
                               kind == BATON_SEM_TIMELINE ? "timeline" : "binary", pool->size);
    uint32_t i = pool->free_stack[kind][--pool->free_top[kind]];
    pool->entries[i].acquired = 1;
    *index = i;
    return BATON_OK;
}

baton_status baton_sem_pool_release(baton_sem_pool *pool, uint32_t index, baton_error *err)
{
    if (!pool || index >= pool->size)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "baton_sem_pool_release: index %u out of range", index);
    sem_entry *e = &pool->entries[index];
    if (!e->acquired)
        return baton_error_set(err, BATON_ERR_STATE,
                               "baton_sem_pool_release: semaphore %u is not acquired", index);
    e->acquired = 0;
    pool->free_stack[e->kind][pool->free_top[e->kind]++] = index;
    return BATON_OK;
}

uint32_t baton_sem_pool_size(const baton_sem_pool *pool) { return pool->size; }

uint32_t baton_sem_pool_available(const baton_sem_pool *pool, baton_sem_kind kind)
{
    return kind <= BATON_SEM_TIMELINE ? pool->free_top[kind] : 0;
}

baton_sem_kind baton_sem_pool_kind(const baton_sem_pool *pool, uint32_t index)
{
    return (baton_sem_kind)pool->entries[index].kind;
}

int baton_sem_pool_is_shared(const baton_sem_pool *pool) { return pool->shared; }

VkSemaphore baton_sem_pool_vk(const baton_sem_pool *pool, uint32_t index)
{
    return index < pool->size ? pool->entries[index].vk : VK_NULL_HANDLE;
}

cudaExternalSemaphore_t baton_sem_pool_cuda(const baton_sem_pool *pool, uint32_t index)
{
    return index < pool->size ? pool->entries[index].cuda : NULL;
}

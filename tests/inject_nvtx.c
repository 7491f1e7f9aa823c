/* inject_nvtx.c - a minimal NVTX tool, loaded the way profilers are: a
 * process with NVTX_INJECTION64_PATH pointing here loads it on its first
 * NVTX call and calls InitializeInjectionNvtx2, which puts these functions
 * into NVTX's tables. They record domain creation, registered strings,
 * start/end and push/pop ranges (thread, CLOCK_MONOTONIC time, payload,
 * name) and thread names into a fixed array; at exit the records go to the
 * file named by $BATON_NVTX_LOG, one per line:
 *   KIND TID NS DOMAIN PAYLOAD ID NAME
 * KIND: create, start, end, push, pop, thread. DOMAIN: the domain's name, or
 * "-" for NVTX's default domain. ID: the range id (start/end), else 0. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <nvtx3/nvToolsExt.h>

#define MAX_RECORDS (1u << 20)
#define MAX_STRINGS 64u
#define MAX_DOMAINS 8u
#define NAME_LEN 40

typedef struct record {
    char kind[8];
    long tid;
    uint64_t ns;
    int domain;     /* index into domains, -1: default */
    uint64_t payload;
    uint64_t id;
    char name[NAME_LEN];
} record;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static record *records;
static size_t count, lost;
static char strings[MAX_STRINGS][NAME_LEN];
static unsigned nstrings;
static char domains[MAX_DOMAINS][NAME_LEN];
static unsigned ndomains;
static uint64_t next_id = 1;
/* per thread: the domain of each open push range, to attribute pops */
static __thread int push_domain[64];
static __thread unsigned push_depth;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int domain_index(nvtxDomainHandle_t d)
{
    return d ? (int)((uintptr_t)d - 1) : -1;
}

static void add(const char *kind, int domain, uint64_t payload, uint64_t id, const char *name)
{
    pthread_mutex_lock(&lock);
    if (records && count < MAX_RECORDS) {
        record *r = &records[count++];
        snprintf(r->kind, sizeof r->kind, "%s", kind);
        r->tid = (long)syscall(SYS_gettid);
        r->ns = now_ns();
        r->domain = domain;
        r->payload = payload;
        r->id = id;
        snprintf(r->name, sizeof r->name, "%s", name && name[0] ? name : "?");
    } else {
        lost++;
    }
    pthread_mutex_unlock(&lock);
}

static const char *message(const nvtxEventAttributes_t *a)
{
    if (!a)
        return "?";
    if (a->messageType == NVTX_MESSAGE_TYPE_ASCII && a->message.ascii)
        return a->message.ascii;
    if (a->messageType == NVTX_MESSAGE_TYPE_REGISTERED) {
        uintptr_t i = (uintptr_t)a->message.registered;
        return i >= 1 && i <= nstrings ? strings[i - 1] : "?";
    }
    return "?";
}

static uint64_t payload(const nvtxEventAttributes_t *a)
{
    return a && a->payloadType == NVTX_PAYLOAD_TYPE_UNSIGNED_INT64 ? a->payload.ullValue : UINT64_MAX;
}

static nvtxDomainHandle_t NVTX_API domain_create(const char *name)
{
    pthread_mutex_lock(&lock);
    unsigned i = ndomains < MAX_DOMAINS ? ndomains++ : MAX_DOMAINS - 1;
    snprintf(domains[i], NAME_LEN, "%s", name ? name : "?");
    pthread_mutex_unlock(&lock);
    add("create", (int)i, 0, 0, name);
    return (nvtxDomainHandle_t)(uintptr_t)(i + 1);
}

static nvtxStringHandle_t NVTX_API register_string(nvtxDomainHandle_t d, const char *s)
{
    (void)d;
    pthread_mutex_lock(&lock);
    unsigned i = nstrings < MAX_STRINGS ? nstrings++ : MAX_STRINGS - 1;
    snprintf(strings[i], NAME_LEN, "%s", s ? s : "?");
    pthread_mutex_unlock(&lock);
    return (nvtxStringHandle_t)(uintptr_t)(i + 1);
}

static nvtxRangeId_t NVTX_API range_start(nvtxDomainHandle_t d, const nvtxEventAttributes_t *a)
{
    pthread_mutex_lock(&lock);
    uint64_t id = next_id++;
    pthread_mutex_unlock(&lock);
    add("start", domain_index(d), payload(a), id, message(a));
    return id;
}

static void NVTX_API range_end(nvtxDomainHandle_t d, nvtxRangeId_t id)
{
    add("end", domain_index(d), 0, id, "");
}

static int NVTX_API push_ex(nvtxDomainHandle_t d, const nvtxEventAttributes_t *a)
{
    if (push_depth < 64)
        push_domain[push_depth] = domain_index(d);
    push_depth++;
    add("push", domain_index(d), payload(a), 0, message(a));
    return (int)push_depth - 1;
}

static int NVTX_API pop(nvtxDomainHandle_t d)
{
    if (push_depth > 0)
        push_depth--;
    add("pop", domain_index(d), 0, 0, "");
    return (int)push_depth;
}

/* The default domain's push/pop (an application's own ranges). */
static int NVTX_API push_a(const char *name)
{
    push_depth++;
    add("push", -1, UINT64_MAX, 0, name);
    return (int)push_depth - 1;
}

static int NVTX_API pop_default(void)
{
    if (push_depth > 0)
        push_depth--;
    add("pop", -1, 0, 0, "");
    return (int)push_depth;
}

static void NVTX_API name_thread(uint32_t tid, const char *name)
{
    add("thread", -1, tid, 0, name);
}

static void write_log(void)
{
    const char *path = getenv("BATON_NVTX_LOG");
    FILE *f = path ? fopen(path, "w") : NULL;
    if (!f)
        return;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < count; i++) {
        const record *r = &records[i];
        fprintf(f, "%s %ld %llu %s %llu %llu %s\n", r->kind, r->tid, (unsigned long long)r->ns,
                r->domain >= 0 ? domains[r->domain] : "-", (unsigned long long)r->payload,
                (unsigned long long)r->id, r->name);
    }
    if (lost)
        fprintf(f, "lost %zu records\n", lost);
    pthread_mutex_unlock(&lock);
    fclose(f);
}

static void set(NvtxFunctionTable t, unsigned size, unsigned id, NvtxFunctionPointer fn)
{
    if (id < size && t[id])
        *t[id] = fn;
}

__attribute__((visibility("default"))) int InitializeInjectionNvtx2(NvtxGetExportTableFunc_t get)
{
    const NvtxExportTableCallbacks *cb = get ? get(NVTX_ETID_CALLBACKS) : NULL;
    NvtxFunctionTable core = NULL, core2 = NULL;
    unsigned n_core = 0, n_core2 = 0;
    if (!cb || !cb->GetModuleFunctionTable(NVTX_CB_MODULE_CORE, &core, &n_core) ||
        !cb->GetModuleFunctionTable(NVTX_CB_MODULE_CORE2, &core2, &n_core2))
        return 0;
    records = calloc(MAX_RECORDS, sizeof *records);
    if (!records)
        return 0;
    set(core2, n_core2, NVTX_CBID_CORE2_DomainCreateA, (NvtxFunctionPointer)domain_create);
    set(core2, n_core2, NVTX_CBID_CORE2_DomainRegisterStringA, (NvtxFunctionPointer)register_string);
    set(core2, n_core2, NVTX_CBID_CORE2_DomainRangeStartEx, (NvtxFunctionPointer)range_start);
    set(core2, n_core2, NVTX_CBID_CORE2_DomainRangeEnd, (NvtxFunctionPointer)range_end);
    set(core2, n_core2, NVTX_CBID_CORE2_DomainRangePushEx, (NvtxFunctionPointer)push_ex);
    set(core2, n_core2, NVTX_CBID_CORE2_DomainRangePop, (NvtxFunctionPointer)pop);
    set(core, n_core, NVTX_CBID_CORE_RangePushA, (NvtxFunctionPointer)push_a);
    set(core, n_core, NVTX_CBID_CORE_RangePop, (NvtxFunctionPointer)pop_default);
    set(core, n_core, NVTX_CBID_CORE_NameOsThreadA, (NvtxFunctionPointer)name_thread);
    atexit(write_log);
    return 1;
}

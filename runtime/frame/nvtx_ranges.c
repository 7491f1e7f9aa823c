/* nvtx_ranges.c - baton's NVTX domain, names and ranges (see nvtx_ranges.h). */
#include "frame/nvtx_ranges.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <nvtx3/nvToolsExt.h>

static const char *const stage_names[BATON_NVTX_STAGES] = {
    "source", "compute (CUDA)", "compute (CPU)", "vulkan", "relay", "retire",
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static nvtxDomainHandle_t domain;
static nvtxStringHandle_t names[BATON_NVTX_STAGES];

static void init_once(void)
{
    domain = nvtxDomainCreateA("baton");
    for (int i = 0; i < BATON_NVTX_STAGES; i++)
        names[i] = nvtxDomainRegisterStringA(domain, stage_names[i]);
}

void baton_nvtx_init(void) { pthread_once(&once, init_once); }

static nvtxEventAttributes_t attributes(uint64_t frame)
{
    nvtxEventAttributes_t a = {0};
    a.version = NVTX_VERSION;
    a.size = NVTX_EVENT_ATTRIB_STRUCT_SIZE;
    a.payloadType = NVTX_PAYLOAD_TYPE_UNSIGNED_INT64;
    a.payload.ullValue = frame;
    return a;
}

uint64_t baton_nvtx_frame_start(uint64_t frame)
{
    char name[32];
    snprintf(name, sizeof name, "frame %llu", (unsigned long long)frame);
    nvtxEventAttributes_t a = attributes(frame);
    a.messageType = NVTX_MESSAGE_TYPE_ASCII;
    a.message.ascii = name;
    return nvtxDomainRangeStartEx(domain, &a);
}

void baton_nvtx_frame_end(uint64_t id) { nvtxDomainRangeEnd(domain, id); }

void baton_nvtx_push(baton_nvtx_stage stage, uint64_t frame)
{
    nvtxEventAttributes_t a = attributes(frame);
    a.messageType = NVTX_MESSAGE_TYPE_REGISTERED;
    a.message.registered = names[stage];
    nvtxDomainRangePushEx(domain, &a);
}

void baton_nvtx_pop(void) { nvtxDomainRangePop(domain); }

void baton_nvtx_name_thread(const char *name)
{
    nvtxNameOsThreadA((uint32_t)syscall(SYS_gettid), name);
}

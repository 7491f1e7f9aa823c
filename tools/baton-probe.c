/* baton-probe - what this machine supports, which mode baton would pick, and
 * what start-up costs. Exit status: 0 baton runs with CUDA + Vulkan interop,
 * 3 only the CPU compute stage can run (also when this build has no CUDA
 * code for the device's GPU), 4 baton cannot run, 2 bad usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "baton/context.h"
#include "baton/sem_pool.h"
#include "boards_dir.h"
#include "json_writer.h"
#include "probe_arch.h"

#ifndef BATON_CUDA_ARCH
#define BATON_CUDA_ARCH "unknown" /* the Makefile passes the board's cuda_arch */
#endif

enum { EXIT_INTEROP = 0, EXIT_USAGE = 2, EXIT_CPU_ONLY = 3, EXIT_CANNOT_RUN = 4 };

static void usage(FILE *f)
{
    fprintf(f,
            "usage: baton-probe [--json] [--device N] [--pool N] [--no-pool]\n"
            "\n"
            "Report what this machine offers baton: the CUDA device and its UUID, the\n"
            "Vulkan devices (the one whose deviceUUID matches is marked), driver versions,\n"
            "VK_KHR_external_semaphore_fd / _memory_fd, timeline semaphores, OPAQUE_FD\n"
            "export/import of binary and timeline semaphores, CUDA timeline interop, and\n"
            "the compute stage and sync mode 'auto' picks. With CUDA it also times the\n"
            "creation, export and import of a pool of N semaphores of each kind.\n"
            "\n"
            "  --json       print one JSON object instead of text\n"
            "  --device N   CUDA device ordinal (default 0)\n"
            "  --pool N     semaphores per kind for the start-up timing (default 64)\n"
            "  --no-pool    skip the start-up timing\n"
            "  -h, --help   this text\n"
            "\n"
            "exit status: 0 CUDA + Vulkan interop works; 3 only the CPU compute stage\n"
            "can run (no usable CUDA device, no semaphore export, or this build has no\n"
            "CUDA code for the device's GPU: the report names the make command that\n"
            "builds it); 4 baton cannot run (no Vulkan); 2 bad arguments.\n"
            "If the NVIDIA Vulkan driver is installed but vkCreateInstance fails on a\n"
            "headless machine, the report says so and shows the fix.\n");
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

typedef struct startup {
    bool measured;
    char error[BATON_ERROR_MESSAGE_MAX];
    double context_ms, binary_ms, timeline_ms; /* < 0: not measured */
    baton_sync_mode sync;
    baton_handoff_report handoff; /* timed while the context was made */
} startup;

static double time_pool(baton_context *ctx, uint32_t nb, uint32_t nt, char *error, size_t len)
{
    baton_sem_pool *pool = NULL;
    baton_sem_pool_config pc = {nb, nt};
    baton_error err;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (baton_sem_pool_create(ctx, &pc, &pool, &err) != BATON_OK) {
        snprintf(error, len, "%s", err.message);
        return -1;
    }
    double ms = ms_since(&t0);
    baton_sem_pool_destroy(pool);
    return ms;
}

static void measure_startup(int device, uint32_t n, startup *s)
{
    baton_context_config cfg;
    baton_context_config_default(&cfg);
    cfg.cuda_device = device;
    cfg.compute = BATON_COMPUTE_CUDA;
    baton_context *ctx = NULL;
    baton_error err;
    struct timespec t0;
    s->binary_ms = s->timeline_ms = s->context_ms = -1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (baton_context_create(&cfg, &ctx, &err) != BATON_OK) {
        snprintf(s->error, sizeof s->error, "%s", err.message);
        return;
    }
    s->context_ms = ms_since(&t0);
    s->sync = baton_context_sync(ctx);
    s->handoff = baton_context_handoff(ctx);
    s->measured = true;
    s->binary_ms = time_pool(ctx, n, 0, s->error, sizeof s->error);
    if (s->sync == BATON_SYNC_TIMELINE)
        s->timeline_ms = time_pool(ctx, 0, n, s->error, sizeof s->error);
    baton_context_destroy(ctx);
}

static const char *yes(bool b) { return b ? "yes" : "no"; }

static void version_text(uint32_t v, char *buf, size_t len)
{
    snprintf(buf, len, "%u.%u.%u", v >> 22 & 0x7f, v >> 12 & 0x3ff, v & 0xfff);
}

static void driver_text(const baton_vk_device_info *d, char *buf, size_t len)
{
    uint32_t v = d->driver_version;
    if (d->vendor_id == 0x10de) /* NVIDIA packs 10.8.8.6 bits */
        snprintf(buf, len, "%u.%u.%u", v >> 22, v >> 14 & 0xff, v >> 6 & 0xff);
    else
        version_text(v, buf, len);
}

typedef struct verdict {
    int code;
    baton_compute_mode compute;
    baton_sync_mode sync;
    int device;
    char reason[BATON_ERROR_MESSAGE_MAX];
} verdict;

static verdict decide(const baton_caps *c, baton_compute_mode requested)
{
    verdict v = {.code = EXIT_CANNOT_RUN, .device = -1};
    baton_error err;
    if (baton_caps_choose_compute(c, requested, &v.compute, &err) != BATON_OK ||
        baton_caps_choose_device(c, v.compute, &v.device, &err) != BATON_OK ||
        baton_caps_choose_sync(c, v.device, v.compute, BATON_SYNC_AUTO, &v.sync, &err) != BATON_OK) {
        snprintf(v.reason, sizeof v.reason, "%s", err.message);
        /* CUDA present but not usable for interop: the CPU stage may still run */
        if (c->vk_present && c->vk_device_count > 0) {
            v.compute = BATON_COMPUTE_CPU;
            v.device = 0;
            if (baton_caps_choose_sync(c, 0, v.compute, BATON_SYNC_AUTO, &v.sync, NULL) == BATON_OK)
                v.code = EXIT_CPU_ONLY;
        }
        return v;
    }
    v.code = v.compute == BATON_COMPUTE_CUDA ? EXIT_INTEROP : EXIT_CPU_ONLY;
    if (v.code == EXIT_CPU_ONLY)
        snprintf(v.reason, sizeof v.reason, "no CUDA device: %s", c->cuda_error);
    return v;
}

/* The CUDA device's arch against this build's (BATON_CUDA_ARCH). */
static probe_arch check_arch(const baton_caps *c)
{
    probe_board_arch boards[BATON_BOARD_LIST_MAX];
    char buf[4096];
    const char *dir = tool_boards_dir(buf, sizeof buf);
    size_t n = dir ? probe_arch_boards(dir, boards, BATON_BOARD_LIST_MAX) : 0;
    return probe_arch_check(BATON_CUDA_ARCH, c->cuda_cc_major, c->cuda_cc_minor,
                            c->cuda_integrated, boards, n);
}

/* CUDA would be chosen but none of its kernels can run: the CPU stage is
 * what actually works, and the reason names the rebuild. */
static verdict decide_with_arch(const baton_caps *c, const probe_arch *a)
{
    verdict v = decide(c, BATON_COMPUTE_AUTO);
    if (v.code != EXIT_INTEROP || !c->cuda_present || !a->known || a->in_build)
        return v;
    v = decide(c, BATON_COMPUTE_CPU);
    snprintf(v.reason, sizeof v.reason,
             "this build has no CUDA code for %s (compute %d.%d); it was built for %s "
             "(BOARD=%s): rebuild with %s, or run with --compute cpu",
             c->cuda_name, c->cuda_cc_major, c->cuda_cc_minor, a->build_arch, BATON_BOARD, a->fix);
    return v;
}

static void print_text(const baton_caps *c, const probe_arch *a, const verdict *v,
                       const startup *s, uint32_t n)
{
    char uuid[37], ver[32];
    printf("baton-probe %s (board build %s)\n\nCUDA\n", BATON_VERSION, BATON_BOARD);
    if (c->cuda_present) {
        printf("  device %d       %s (compute %d.%d, %s)\n", c->cuda_device, c->cuda_name,
               c->cuda_cc_major, c->cuda_cc_minor, c->cuda_integrated ? "integrated" : "discrete");
        printf("  UUID           %s\n", baton_uuid_format(c->cuda_uuid, uuid));
        printf("  driver/runtime %d.%d / %d.%d\n", c->cuda_driver_version / 1000,
               c->cuda_driver_version % 1000 / 10, c->cuda_runtime_version / 1000,
               c->cuda_runtime_version % 1000 / 10);
        printf("  timeline semaphore interop  %s\n", yes(c->cuda_timeline_interop));
        printf("  upload path    %s\n", baton_upload_path_name(baton_caps_upload_path(c)));
        if (!a->known)
            printf("  built for      %s (BOARD=%s): cannot tell whether it runs here\n",
                   a->build_arch, BATON_BOARD);
        else if (a->in_build)
            printf("  built for      %s (BOARD=%s): runs on this GPU\n", a->build_arch, BATON_BOARD);
        else
            printf("  built for      %s (BOARD=%s): NOT this GPU (compute %d.%d needs %s): "
                   "rebuild with %s\n",
                   a->build_arch, BATON_BOARD, c->cuda_cc_major, c->cuda_cc_minor, a->device_arch,
                   a->fix);
    } else {
        printf("  none: %s\n", c->cuda_error);
    }
    version_text(c->vk_instance_version, ver, sizeof ver);
    printf("\nVulkan (loader %s)\n", ver);
    if (!c->vk_present)
        printf("  no instance: %s\n", c->vk_error);
    else if (c->vk_device_count == 0)
        printf("  no devices: %s\n", c->vk_error);
    for (uint32_t i = 0; i < c->vk_device_count; i++) {
        const baton_vk_device_info *d = &c->vk_devices[i];
        char drv[32];
        version_text(d->api_version, ver, sizeof ver);
        driver_text(d, drv, sizeof drv);
        printf("  [%u] %s%s\n      UUID %s, Vulkan %s, driver %s\n", i, d->name,
               (int)i == c->vk_selected ? "   <- selected" : "",
               baton_uuid_format(d->uuid, uuid), ver, drv);
        printf("      VK_KHR_external_semaphore_fd %s, VK_KHR_external_memory_fd %s, "
               "timelineSemaphore %s\n",
               yes(d->ext_semaphore_fd), yes(d->ext_memory_fd), yes(d->timeline));
        printf("      OPAQUE_FD binary: export %s import %s; timeline: export %s import %s\n",
               yes(d->binary_fd_exportable), yes(d->binary_fd_importable),
               yes(d->timeline_fd_exportable), yes(d->timeline_fd_importable));
    }
    printf("\nbaton would run\n");
    if (v->code == EXIT_CANNOT_RUN) {
        printf("  not at all: %s\n", v->reason);
    } else {
        printf("  compute stage  %s\n  sync (auto)    %s\n", baton_compute_mode_name(v->compute),
               baton_sync_mode_name(v->sync));
        if (v->reason[0])
            printf("  why not CUDA   %s\n", v->reason);
    }
    if (s->measured || s->error[0]) {
        printf("\nstart-up cost\n");
        if (s->context_ms >= 0)
            printf("  context (probe + VkDevice + CUDA context)  %8.2f ms\n", s->context_ms);
        if (s->binary_ms >= 0)
            printf("  pool of %3u binary semaphores (create+export+import)    %8.2f ms\n", n, s->binary_ms);
        if (s->timeline_ms >= 0)
            printf("  pool of %3u timeline semaphores (create+export+import)  %8.2f ms\n", n, s->timeline_ms);
        if (s->error[0])
            printf("  error: %s\n", s->error);
    }
    const baton_handoff_report *h = &s->handoff;
    if (h->measured) {
        printf("\nhand-offs (%s semaphores, median of %u round trips; signal issued -> consumer's "
               "work seen done)\n", baton_sync_mode_name(s->sync), h->round_trips);
        printf("  CUDA -> Vulkan   gpu %8.1f us   relay %8.1f us   auto takes %s\n",
               (double)h->to_vulkan_gpu_ns / 1e3, (double)h->to_vulkan_relay_ns / 1e3,
               baton_handoff_mode_name(h->to_vulkan));
        printf("  Vulkan -> CUDA   gpu %8.1f us   relay %8.1f us   auto takes %s\n",
               (double)h->to_compute_gpu_ns / 1e3, (double)h->to_compute_relay_ns / 1e3,
               baton_handoff_mode_name(h->to_compute));
    }
}

static void json_device(json_writer *w, const baton_vk_device_info *d, bool selected)
{
    char uuid[37], ver[32], drv[32];
    version_text(d->api_version, ver, sizeof ver);
    driver_text(d, drv, sizeof drv);
    json_begin_object(w);
    json_kv_string(w, "name", d->name);
    json_kv_string(w, "uuid", baton_uuid_format(d->uuid, uuid));
    json_kv_string(w, "api_version", ver);
    json_kv_string(w, "driver_version", drv);
    json_kv_bool(w, "selected", selected);
    json_kv_bool(w, "VK_KHR_external_semaphore_fd", d->ext_semaphore_fd);
    json_kv_bool(w, "VK_KHR_external_memory_fd", d->ext_memory_fd);
    json_kv_bool(w, "timeline_semaphore", d->timeline);
    json_kv_bool(w, "binary_opaque_fd_exportable", d->binary_fd_exportable);
    json_kv_bool(w, "binary_opaque_fd_importable", d->binary_fd_importable);
    json_kv_bool(w, "timeline_opaque_fd_exportable", d->timeline_fd_exportable);
    json_kv_bool(w, "timeline_opaque_fd_importable", d->timeline_fd_importable);
    json_end_object(w);
}

static void print_json(const baton_caps *c, const probe_arch *a, const verdict *v,
                       const startup *s, uint32_t n)
{
    json_writer w;
    char uuid[37];
    json_init(&w, stdout);
    json_begin_object(&w);
    json_kv_string(&w, "version", BATON_VERSION);
    json_kv_string(&w, "board_build", BATON_BOARD);
    json_kv_string(&w, "build_arch", a->build_arch);
    json_key(&w, "cuda");
    json_begin_object(&w);
    json_kv_bool(&w, "present", c->cuda_present);
    if (c->cuda_present) {
        json_kv_int(&w, "device", c->cuda_device);
        json_kv_string(&w, "name", c->cuda_name);
        json_kv_string(&w, "uuid", baton_uuid_format(c->cuda_uuid, uuid));
        json_kv_int(&w, "driver_version", c->cuda_driver_version);
        json_kv_int(&w, "runtime_version", c->cuda_runtime_version);
        char cc[24];
        snprintf(cc, sizeof cc, "%d.%d", c->cuda_cc_major, c->cuda_cc_minor);
        json_kv_string(&w, "compute_capability", cc);
        json_kv_string(&w, "device_arch", a->device_arch);
        if (a->known) {
            json_kv_bool(&w, "arch_in_build", a->in_build);
            if (!a->in_build)
                json_kv_string(&w, "arch_fix", a->fix);
        }
        json_kv_bool(&w, "integrated", c->cuda_integrated);
        json_kv_bool(&w, "timeline_semaphore_interop", c->cuda_timeline_interop);
    } else {
        json_kv_string(&w, "error", c->cuda_error);
    }
    json_end_object(&w);
    json_key(&w, "vulkan");
    json_begin_object(&w);
    json_kv_bool(&w, "instance", c->vk_present);
    if (c->vk_error[0])
        json_kv_string(&w, "error", c->vk_error);
    json_key(&w, "devices");
    json_begin_array(&w);
    for (uint32_t i = 0; i < c->vk_device_count; i++)
        json_device(&w, &c->vk_devices[i], (int)i == c->vk_selected);
    json_end_array(&w);
    json_end_object(&w);
    json_key(&w, "decision");
    json_begin_object(&w);
    json_kv_bool(&w, "can_run", v->code != EXIT_CANNOT_RUN);
    json_kv_string(&w, "compute", v->code == EXIT_CANNOT_RUN ? "none" : baton_compute_mode_name(v->compute));
    json_kv_string(&w, "sync_auto", v->code == EXIT_CANNOT_RUN ? "none" : baton_sync_mode_name(v->sync));
    json_kv_string(&w, "reason", v->reason);
    json_kv_int(&w, "exit_status", v->code);
    json_end_object(&w);
    json_key(&w, "startup_ms");
    json_begin_object(&w);
    json_kv_uint(&w, "pool_size", n);
    json_kv_double(&w, "context", s->context_ms);
    json_kv_double(&w, "pool_binary", s->binary_ms);
    json_kv_double(&w, "pool_timeline", s->timeline_ms);
    if (s->error[0])
        json_kv_string(&w, "error", s->error);
    json_end_object(&w);
    const baton_handoff_report *h = &s->handoff;
    json_key(&w, "handoff");
    json_begin_object(&w);
    json_kv_bool(&w, "measured", h->measured);
    if (h->measured) {
        json_kv_uint(&w, "round_trips", h->round_trips);
        json_kv_double(&w, "to_vulkan_gpu_us", (double)h->to_vulkan_gpu_ns / 1e3);
        json_kv_double(&w, "to_vulkan_relay_us", (double)h->to_vulkan_relay_ns / 1e3);
        json_kv_double(&w, "to_compute_gpu_us", (double)h->to_compute_gpu_ns / 1e3);
        json_kv_double(&w, "to_compute_relay_us", (double)h->to_compute_relay_ns / 1e3);
        json_kv_string(&w, "auto_to_vulkan", baton_handoff_mode_name(h->to_vulkan));
        json_kv_string(&w, "auto_to_compute", baton_handoff_mode_name(h->to_compute));
    }
    json_end_object(&w);
    json_end_object(&w);
}

static int parse_uint(const char *s, long max, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'},  {"device", required_argument, 0, 'd'},
        {"pool", required_argument, 0, 'p'}, {"no-pool", no_argument, 0, 'n'},
        {"help", no_argument, 0, 'h'},  {0, 0, 0, 0},
    };
    bool json = false, pool = true;
    long device = 0, n = 64;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'n': pool = false; break;
        case 'd':
            if (parse_uint(optarg, 64, &device)) {
                fprintf(stderr, "baton-probe: --device wants a CUDA ordinal 0..64, got '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'p':
            if (parse_uint(optarg, BATON_SEM_POOL_MAX, &n) || n == 0) {
                fprintf(stderr, "baton-probe: --pool wants 1..%u, got '%s'\n", BATON_SEM_POOL_MAX, optarg);
                return EXIT_USAGE;
            }
            break;
        case 'h': usage(stdout); return 0;
        default:
            fprintf(stderr, "baton-probe: unknown option '%s' (try --help)\n", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "baton-probe: unexpected argument '%s' (try --help)\n", argv[optind]);
        return EXIT_USAGE;
    }
    baton_caps caps;
    baton_probe((int)device, BATON_COMPUTE_AUTO, &caps, NULL);
    probe_arch arch;
    memset(&arch, 0, sizeof arch);
    snprintf(arch.build_arch, sizeof arch.build_arch, "%s", BATON_CUDA_ARCH);
    if (caps.cuda_present)
        arch = check_arch(&caps);
    verdict v = decide_with_arch(&caps, &arch);
    startup s;
    memset(&s, 0, sizeof s);
    s.context_ms = s.binary_ms = s.timeline_ms = -1;
    if (pool && v.code == EXIT_INTEROP)
        measure_startup((int)device, (uint32_t)n, &s);
    if (json)
        print_json(&caps, &arch, &v, &s, (uint32_t)n);
    else
        print_text(&caps, &arch, &v, &s, (uint32_t)n);
    return v.code;
}

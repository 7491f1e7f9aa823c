/* sink_kms.c - the drm sink without VK_KHR_display: the frame is read back
 * to host memory and scanned out of KMS dumb buffers with page flips.
 *
 * "drm[:CONNECTOR][@WxH[@HZ]],via=kms", and what "drm" picks by itself when
 * the Vulkan device drives no display (a CPU Vulkan device, a GPU without a
 * display engine, a display controller apart from the GPU). Only libdrm and
 * the kernel's KMS uAPI: it works on any KMS driver with dumb buffers.
 *
 * Creation, once:
 *   1. parse the spec; open the card ($BATON_DRM_DEVICE, else the Vulkan
 *      device's primary node, else the first /dev/dri/cardN with KMS
 *      connectors: sink_drm_open_device with any_card);
 *      we must be DRM master (the first opener is; a running X server or
 *      compositor is master instead: a clear error).
 *   2. choose connector, mode and CRTC (drm_modes_choose, the frame size as
 *      the soft size) and the CRTC's primary plane: one that scans out
 *      XBGR8888 (R,G,B,X in memory, the frame's own byte order) or else
 *      XRGB8888 (B,G,R,X: red and blue swapped while copying).
 *   3. three dumb buffers of the mode's size (zeroed by the kernel, so the
 *      border around a smaller frame is black) with framebuffers, mapped.
 *   4. the mode set: one blocking atomic commit (ALLOW_MODESET) of the mode
 *      blob, ACTIVE, the connector's CRTC and the plane showing buffer 0.
 *      Drivers without atomic modesetting get drmModeSetCrtc instead, and
 *      legacy page flips later.
 *   The CRTC's previous state (mode, framebuffer) is saved and restored at
 *   destroy, so a console or the previous client gets its picture back.
 *
 * The Vulkan stage copies each frame into the slot's host-visible readback
 * buffer (the one recorded command buffer per slot). Per frame, in done()
 * (after the slot's fence): copy the frame into the one buffer that is
 * neither on screen nor waiting to be, wait (bounded: three refresh periods
 * and at most timeout_ms) for the previous flip to complete, then queue a
 * non-blocking atomic commit of that buffer with DRM_MODE_PAGE_FLIP_EVENT.
 * The flip-completion events give the vblank timestamps (sequence and time of
 * the vblank at which each frame went on screen) and pace the pipeline to the
 * display's refresh. No allocation per frame: the commit is one
 * DRM_IOCTL_MODE_ATOMIC from arrays in this struct, the events are read into
 * a stack buffer.
 *
 * Display loss: a commit refused with ENOENT/EINVAL/ENODEV, the connector
 * reported disconnected or gone (checked at most every 250 ms without
 * probing), or DRM master lost (EACCES/EPERM: another client took the
 * display) are BATON_ERR_DISCONNECTED naming the display and the frame: the
 * pipeline stops, or (on_display_lost = HEADLESS) destroys this sink and
 * goes on headless. Nothing is recreated: a replugged display needs a new
 * pipeline.
 *
 * This is one CPU copy per frame (readback, then into the scanout buffer):
 * the way to a display that the GPU cannot write to directly. Zero-copy
 * scanout of the GPU's own memory (dma-buf export + drmPrimeFDToHandle) is
 * not done here. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "sinks/drm_events.h"
#include "sinks/drm_device.h"
#include "sinks/drm_modes.h"
#include "sinks/sink_common.h"
#include "util/fault.h"

#define KMS_BUFFERS 3u
#define NO_BUFFER UINT32_MAX

typedef struct kms_buffer {
    uint32_t handle, fb_id, pitch;
    uint64_t size;
    uint8_t *map;
} kms_buffer;

typedef struct kms_props { /* property ids */
    uint32_t conn_crtc_id;
    uint32_t crtc_mode_id, crtc_active;
    uint32_t fb_id, crtc_id, src_x, src_y, src_w, src_h, crtc_x, crtc_y, crtc_w, crtc_h;
} kms_props;

typedef struct kms_sink {
    int fd;
    char path[256];
    char driver[32];
    drm_target t;            /* connector (t.name, for messages), mode, CRTC */
    drmModeModeInfo modeinfo;
    uint32_t plane_id, mode_blob;
    bool atomic;             /* else legacy SetCrtc + PageFlip */
    bool swap_rb;            /* XRGB8888 scanout: red and blue swapped */
    uint32_t fourcc;
    kms_props prop;
    kms_buffer buf[KMS_BUFFERS];
    uint32_t shown;          /* on screen */
    uint32_t queued;         /* flip queued, not yet completed (NO_BUFFER: none) */
    uint64_t queued_frame;
    bool mode_set;
    bool has_vblank;         /* the driver counts vblanks (else flips complete at once) */
    drmModeCrtc *saved;      /* the CRTC before us, restored at destroy */
    drm_fit fit;
    drm_vblank_ring ring;
    uint64_t vblank_missed;
    uint64_t next_check_ns;
    sink *owner;             /* for on_screen */
} kms_sink;

/* ---- creation ----------------------------------------------------------------------- */

static baton_status kms_lost(const kms_sink *k, const char *what, int e, uint64_t frame,
                             baton_error *err)
{
    return baton_error_set(err, BATON_ERR_DISCONNECTED, "drm sink: display %s lost (%s%s%s at frame %llu)",
                           k->t.name, what, e ? ": " : "", e ? strerror(e) : "",
                           (unsigned long long)frame);
}

/* The id of the property called name on an object; 0 when it has none. */
static uint32_t prop_id(int fd, uint32_t object, uint32_t type, const char *name, uint64_t *value)
{
    drmModeObjectProperties *props = BATON_FAULT_PTR(drmModeObjectGetProperties(fd, object, type));
    uint32_t id = 0;
    for (uint32_t i = 0; props && i < props->count_props && !id; i++) {
        drmModePropertyRes *pr = BATON_FAULT_PTR(drmModeGetProperty(fd, props->props[i]));
        if (pr && strcmp(pr->name, name) == 0) {
            id = pr->prop_id;
            if (value)
                *value = props->prop_values[i];
        }
        drmModeFreeProperty(pr);
    }
    drmModeFreeObjectProperties(props);
    return id;
}

static bool plane_has_format(const drmModePlane *pl, uint32_t fourcc)
{
    for (uint32_t i = 0; i < pl->count_formats; i++)
        if (pl->formats[i] == fourcc)
            return true;
    return false;
}

/* The CRTC's primary plane and the format to scan out. */
static baton_status find_plane(kms_sink *k, baton_error *err)
{
    drmModePlaneRes *pres = BATON_FAULT_PTR(drmModeGetPlaneResources(k->fd));
    if (!pres)
        return baton_error_set(err, BATON_ERR_OS, "drm sink: drmModeGetPlaneResources(%s) failed: %s",
                               k->path, strerror(errno));
    char seen[200] = "";
    for (uint32_t i = 0; i < pres->count_planes && !k->plane_id; i++) {
        drmModePlane *pl = BATON_FAULT_PTR(drmModeGetPlane(k->fd, pres->planes[i]));
        if (!pl)
            continue;
        uint64_t type = 0;
        bool usable = (pl->possible_crtcs & (1u << k->t.crtc_index)) &&
                      prop_id(k->fd, pl->plane_id, DRM_MODE_OBJECT_PLANE, "type", &type) &&
                      type == DRM_PLANE_TYPE_PRIMARY;
        if (usable) {
            size_t used = strlen(seen);
            snprintf(seen + used, sizeof seen - used, "%splane %u", used ? ", " : "",
                     pl->plane_id);
            if (plane_has_format(pl, DRM_FORMAT_XBGR8888)) {
                k->plane_id = pl->plane_id;
                k->fourcc = DRM_FORMAT_XBGR8888;
            } else if (plane_has_format(pl, DRM_FORMAT_XRGB8888)) {
                k->plane_id = pl->plane_id;
                k->fourcc = DRM_FORMAT_XRGB8888;
                k->swap_rb = true;
            }
        }
        drmModeFreePlane(pl);
    }
    drmModeFreePlaneResources(pres);
    if (!k->plane_id)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "drm sink: no primary plane of CRTC %u on %s scans out XBGR8888 "
                               "or XRGB8888 (primary planes seen: %s)",
                               k->t.crtc_id, k->path, seen[0] ? seen : "none");
    return BATON_OK;
}

static baton_status find_props(kms_sink *k, baton_error *err)
{
    kms_props *pr = &k->prop;
    struct {
        uint32_t *id;
        uint32_t object, type;
        const char *name;
    } want[] = {
        {&pr->conn_crtc_id, k->t.connector_id, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID"},
        {&pr->crtc_mode_id, k->t.crtc_id, DRM_MODE_OBJECT_CRTC, "MODE_ID"},
        {&pr->crtc_active, k->t.crtc_id, DRM_MODE_OBJECT_CRTC, "ACTIVE"},
        {&pr->fb_id, k->plane_id, DRM_MODE_OBJECT_PLANE, "FB_ID"},
        {&pr->crtc_id, k->plane_id, DRM_MODE_OBJECT_PLANE, "CRTC_ID"},
        {&pr->src_x, k->plane_id, DRM_MODE_OBJECT_PLANE, "SRC_X"},
        {&pr->src_y, k->plane_id, DRM_MODE_OBJECT_PLANE, "SRC_Y"},
        {&pr->src_w, k->plane_id, DRM_MODE_OBJECT_PLANE, "SRC_W"},
        {&pr->src_h, k->plane_id, DRM_MODE_OBJECT_PLANE, "SRC_H"},
        {&pr->crtc_x, k->plane_id, DRM_MODE_OBJECT_PLANE, "CRTC_X"},
        {&pr->crtc_y, k->plane_id, DRM_MODE_OBJECT_PLANE, "CRTC_Y"},
        {&pr->crtc_w, k->plane_id, DRM_MODE_OBJECT_PLANE, "CRTC_W"},
        {&pr->crtc_h, k->plane_id, DRM_MODE_OBJECT_PLANE, "CRTC_H"},
    };
    for (size_t i = 0; i < BATON_ARRAY_LEN(want); i++) {
        *want[i].id = prop_id(k->fd, want[i].object, want[i].type, want[i].name, NULL);
        if (!*want[i].id)
            return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                                   "drm sink: %s: object %u has no atomic property %s",
                                   k->path, want[i].object, want[i].name);
    }
    return BATON_OK;
}

static baton_status create_buffer(kms_sink *k, kms_buffer *b, baton_error *err)
{
    struct drm_mode_create_dumb c = {.width = k->t.mode.width, .height = k->t.mode.height, .bpp = 32};
    if (BATON_FAULT_SYS(drmIoctl(k->fd, DRM_IOCTL_MODE_CREATE_DUMB, &c), -1) != 0)
        return baton_error_set(err, BATON_ERR_OS,
                               "drm sink: DRM_IOCTL_MODE_CREATE_DUMB(%ux%u) on %s failed: %s",
                               k->t.mode.width, k->t.mode.height, k->path, strerror(errno));
    b->handle = c.handle;
    b->pitch = c.pitch;
    b->size = c.size;
    uint32_t handles[4] = {b->handle}, pitches[4] = {b->pitch}, offsets[4] = {0};
    if (BATON_FAULT_SYS(drmModeAddFB2(k->fd, k->t.mode.width, k->t.mode.height, k->fourcc, handles, pitches, offsets,
                      &b->fb_id, 0), -1) != 0)
        return baton_error_set(err, BATON_ERR_OS, "drm sink: drmModeAddFB2(%ux%u, %.4s) on %s failed: %s",
                               k->t.mode.width, k->t.mode.height, (const char *)&k->fourcc, k->path,
                               strerror(errno));
    struct drm_mode_map_dumb m = {.handle = b->handle};
    if (BATON_FAULT_SYS(drmIoctl(k->fd, DRM_IOCTL_MODE_MAP_DUMB, &m), -1) != 0)
        return baton_error_set(err, BATON_ERR_OS, "drm sink: DRM_IOCTL_MODE_MAP_DUMB on %s failed: %s",
                               k->path, strerror(errno));
    void *map = BATON_FAULT_SYS(mmap(NULL, (size_t)b->size, PROT_READ | PROT_WRITE, MAP_SHARED, k->fd,
                     (off_t)m.offset), MAP_FAILED);
    if (map == MAP_FAILED)
        return baton_error_set(err, BATON_ERR_OS, "drm sink: mmap(dumb buffer, %llu bytes) failed: %s",
                               (unsigned long long)b->size, strerror(errno));
    b->map = map;
    return BATON_OK;
}

static void destroy_buffer(kms_sink *k, kms_buffer *b)
{
    if (b->map)
        munmap(b->map, (size_t)b->size);
    if (b->fb_id)
        drmModeRmFB(k->fd, b->fb_id);
    if (b->handle) {
        struct drm_mode_destroy_dumb dd = {.handle = b->handle};
        drmIoctl(k->fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);
    }
    memset(b, 0, sizeof *b);
}

/* One atomic commit of up to 16 properties on up to 4 objects, from arrays
 * on the stack: DRM_IOCTL_MODE_ATOMIC directly (drmModeAtomicAlloc mallocs).
 * objs[i] owns counts[i] consecutive entries of props/values. */
static int atomic_commit(int fd, uint32_t flags, const uint32_t *objs, const uint32_t *counts,
                         uint32_t nobj, const uint32_t *props, const uint64_t *values,
                         uint64_t user_data)
{
    struct drm_mode_atomic a;
    memset(&a, 0, sizeof a);
    a.flags = flags;
    a.count_objs = nobj;
    a.objs_ptr = (uint64_t)(uintptr_t)objs;
    a.count_props_ptr = (uint64_t)(uintptr_t)counts;
    a.props_ptr = (uint64_t)(uintptr_t)props;
    a.prop_values_ptr = (uint64_t)(uintptr_t)values;
    a.user_data = user_data;
    return BATON_FAULT_SYS(drmIoctl(fd, DRM_IOCTL_MODE_ATOMIC, &a), -1) == 0 ? 0 : errno;
}

/* Plane state for showing buffer b: the whole buffer on the whole mode. */
static uint32_t plane_props(const kms_sink *k, uint32_t b, uint32_t *props, uint64_t *values)
{
    const kms_props *pr = &k->prop;
    uint32_t n = 0;
#define SET(id, v) (props[n] = (id), values[n] = (v), n++)
    SET(pr->fb_id, k->buf[b].fb_id);
    SET(pr->crtc_id, k->t.crtc_id);
    SET(pr->src_x, 0);
    SET(pr->src_y, 0);
    SET(pr->src_w, (uint64_t)k->t.mode.width << 16);
    SET(pr->src_h, (uint64_t)k->t.mode.height << 16);
    SET(pr->crtc_x, 0);
    SET(pr->crtc_y, 0);
    SET(pr->crtc_w, k->t.mode.width);
    SET(pr->crtc_h, k->t.mode.height);
#undef SET
    return n;
}

static baton_status set_mode(kms_sink *k, baton_error *err)
{
    if (!k->atomic) {
        if (BATON_FAULT_SYS(drmModeSetCrtc(k->fd, k->t.crtc_id, k->buf[0].fb_id, 0, 0, &k->t.connector_id, 1,
                           &k->modeinfo), -1) != 0)
            return baton_error_set(err, BATON_ERR_OS,
                                   "drm sink: drmModeSetCrtc(CRTC %u, %s %ux%u) failed: %s",
                                   k->t.crtc_id, k->t.name, k->t.mode.width, k->t.mode.height,
                                   strerror(errno));
        k->mode_set = true;
        return BATON_OK;
    }
    if (BATON_FAULT_SYS(drmModeCreatePropertyBlob(k->fd, &k->modeinfo, sizeof k->modeinfo, &k->mode_blob), -1) != 0)
        return baton_error_set(err, BATON_ERR_OS, "drm sink: drmModeCreatePropertyBlob(mode) failed: %s",
                               strerror(errno));
    uint32_t objs[3] = {k->t.connector_id, k->t.crtc_id, k->plane_id};
    uint32_t props[16];
    uint64_t values[16];
    props[0] = k->prop.conn_crtc_id;
    values[0] = k->t.crtc_id;
    props[1] = k->prop.crtc_mode_id;
    values[1] = k->mode_blob;
    props[2] = k->prop.crtc_active;
    values[2] = 1;
    uint32_t counts[3] = {1, 2, plane_props(k, 0, props + 3, values + 3)};
    int e = atomic_commit(k->fd, DRM_MODE_ATOMIC_ALLOW_MODESET, objs, counts, 3, props, values, 0);
    if (e)
        return baton_error_set(err, e == EACCES || e == EPERM ? BATON_ERR_UNSUPPORTED : BATON_ERR_OS,
                               "drm sink: the mode set (atomic commit: %s %ux%u on CRTC %u, "
                               "plane %u) on %s failed: %s%s",
                               k->t.name, k->t.mode.width, k->t.mode.height, k->t.crtc_id, k->plane_id,
                               k->path, strerror(e),
                               e == EACCES || e == EPERM
                                   ? "; another program (an X server or compositor) is DRM "
                                     "master of the card: stop it, or use the x11 sink"
                                   : "");
    k->mode_set = true;
    return BATON_OK;
}

/* Does the driver count vblanks on the CRTC? Drivers without a vblank
 * interrupt (bochs, some virtual cards) complete page flips at once: the
 * events then carry sequence 0 and the time of the commit, not of a refresh. */
static bool crtc_has_vblank(const kms_sink *k)
{
    uint64_t seq = 0, ns = 0;
    if (BATON_FAULT_SYS(drmCrtcGetSequence(k->fd, k->t.crtc_id, &seq, &ns), -1) == 0)
        return true;
    drmVBlank v;
    memset(&v, 0, sizeof v);
    v.request.type = (drmVBlankSeqType)(DRM_VBLANK_RELATIVE | drm_vblank_pipe(k->t.crtc_index));
    return BATON_FAULT_SYS(drmWaitVBlank(k->fd, &v), -1) == 0;
}

static baton_status kms_create(sink *sk, const char *arg, baton_error *err)
{
    drm_spec spec;
    baton_status st = drm_spec_parse(arg, &spec, err);
    if (st != BATON_OK)
        return st;
    kms_sink *k = BATON_FAULT_PTR(calloc(1, sizeof *k));
    if (!k)
        return baton_error_set(err, BATON_ERR_OUT_OF_MEMORY, "calloc(drm sink) failed");
    k->fd = -1;
    k->queued = NO_BUFFER;
    snprintf(k->t.name, sizeof k->t.name, "%s", spec.connector[0] ? spec.connector : "auto");
    sk->state = k;
    k->owner = sk;
    sk->readback = true; /* the frame reaches the scanout buffer through host memory */
    if ((st = sink_drm_open_device(sk->view->ctx, true, &k->fd, k->path, sizeof k->path, err)) != BATON_OK)
        return st;
    drmVersion *v = drmGetVersion(k->fd);
    snprintf(k->driver, sizeof k->driver, "%s", v && v->name ? v->name : "?");
    drmFreeVersion(v);
    uint64_t dumb = 0;
    if (drmGetCap(k->fd, DRM_CAP_DUMB_BUFFER, &dumb) != 0 || !dumb)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "drm sink: %s (%s) has no dumb buffers (DRM_CAP_DUMB_BUFFER)",
                               k->path, k->driver);
    k->atomic = BATON_FAULT_SYS(drmSetClientCap(k->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1), -1) == 0 &&
                BATON_FAULT_SYS(drmSetClientCap(k->fd, DRM_CLIENT_CAP_ATOMIC, 1), -1) == 0;
    if ((st = drm_modes_pick(k->fd, k->path, &spec, sk->view->width, sk->view->height, &k->t, err)) !=
        BATON_OK)
        return st;
    /* the mode itself, as the kernel listed it (same order as the description) */
    drmModeConnector *dc = BATON_FAULT_PTR(drmModeGetConnector(k->fd, k->t.connector_id));
    bool have_mode = dc && k->t.choice.mode < (uint32_t)dc->count_modes;
    if (have_mode)
        k->modeinfo = dc->modes[k->t.choice.mode];
    drmModeFreeConnector(dc);
    if (!have_mode)
        return baton_error_set(err, BATON_ERR_IO,
                               "drm sink: %s changed while it was opened (mode %u is gone)",
                               k->t.name, k->t.choice.mode);
    if (k->atomic) {
        if ((st = find_plane(k, err)) != BATON_OK || (st = find_props(k, err)) != BATON_OK)
            return st;
    } else {
        k->fourcc = DRM_FORMAT_XRGB8888; /* what legacy framebuffers of depth 24 are */
        k->swap_rb = true;
    }
    for (uint32_t b = 0; b < KMS_BUFFERS && st == BATON_OK; b++)
        st = create_buffer(k, &k->buf[b], err);
    if (st != BATON_OK)
        return st;
    k->saved = BATON_FAULT_PTR(drmModeGetCrtc(k->fd, k->t.crtc_id));
    if ((st = set_mode(k, err)) != BATON_OK)
        return st;
    k->shown = 0;
    k->has_vblank = crtc_has_vblank(k);
    k->fit = drm_modes_fit(sk->view->width, sk->view->height, k->t.mode.width, k->t.mode.height);
    k->next_check_ns = baton_now_ns() + DRM_CONNECTOR_CHECK_NS;
    return sink_readback_create(sk, err);
}

/* ---- flips ------------------------------------------------------------------------------ */

/* A flip-complete event for the queued flip: that buffer is on screen. */
static void on_event(void *ctx, const drm_event_rec *e)
{
    kms_sink *k = ctx;
    if (e->type != DRM_EVENT_FLIP_COMPLETE || k->queued == NO_BUFFER ||
        e->user_data != k->queued_frame)
        return;
    drm_vblank rec = {k->queued_frame, e->sequence, e->ns, DRM_VBLANK_FROM_FLIP_EVENT};
    drm_vblank_push(&k->ring, &rec);
    if (k->owner->on_screen)
        k->owner->on_screen(k->owner, k->queued_frame, e->ns);
    k->shown = k->queued;
    k->queued = NO_BUFFER;
}

static bool nothing_queued(void *ctx) { return ((kms_sink *)ctx)->queued == NO_BUFFER; }

/* Wait for the queued flip to complete, at most bound_ns. false: it did not. */
static bool wait_flip(kms_sink *k, uint64_t bound_ns)
{
    return drm_events_wait(k->fd, baton_now_ns() + bound_ns, nothing_queued, on_event, k);
}

static baton_status check_connector(kms_sink *k, uint64_t frame, baton_error *err)
{
    const char *why = drm_modes_connector_lost(k->fd, k->t.connector_id, &k->next_check_ns);
    return why ? kms_lost(k, why, 0, frame, err) : BATON_OK;
}

static baton_status flip(kms_sink *k, uint32_t b, uint64_t frame, baton_error *err)
{
    int e;
    if (k->atomic) {
        uint32_t objs[1] = {k->plane_id}, counts[1] = {1};
        uint32_t props[1] = {k->prop.fb_id};
        uint64_t values[1] = {k->buf[b].fb_id};
        e = atomic_commit(k->fd, DRM_MODE_ATOMIC_NONBLOCK | DRM_MODE_PAGE_FLIP_EVENT, objs, counts,
                          1, props, values, frame);
    } else {
        e = BATON_FAULT_SYS(drmModePageFlip(k->fd, k->t.crtc_id, k->buf[b].fb_id, DRM_MODE_PAGE_FLIP_EVENT,
                            (void *)(uintptr_t)frame), -1) == 0
                ? 0
                : errno;
    }
    if (e == 0) {
        k->queued = b;
        k->queued_frame = frame;
        return BATON_OK;
    }
    const char *call = k->atomic ? "atomic page flip" : "drmModePageFlip";
    if (e == EACCES || e == EPERM)
        return kms_lost(k, k->atomic ? "atomic page flip refused, DRM master lost (another program "
                                       "took the display)"
                                     : "drmModePageFlip refused, DRM master lost (another program "
                                       "took the display)",
                        0, frame, err);
    if (e == ENOENT || e == EINVAL || e == ENODEV)
        return kms_lost(k, call, e, frame, err);
    return baton_error_set(err, BATON_ERR_OS, "drm sink, frame %llu: %s on %s failed: %s",
                           (unsigned long long)frame, call, k->t.name, strerror(e));
}

static baton_status kms_done(sink *sk, frame_slot *sl, baton_error *err)
{
    kms_sink *k = sk->state;
    baton_status st = check_connector(k, sl->frame, err);
    if (st != BATON_OK)
        return st;
    /* the buffer neither on screen nor queued: free to write while the
     * queued flip (if any) is still pending */
    uint32_t b = 0;
    while (b == k->shown || b == k->queued)
        b++;
    drm_modes_copy_frame(k->buf[b].map, k->buf[b].pitch, sl->readback_host, sk->view->pitch, &k->fit,
                         k->swap_rb);
    uint64_t bound = 3 * k->t.period_ns + 2000000u, cap = (uint64_t)sk->view->timeout_ms * 1000000u;
    if (!wait_flip(k, bound < cap ? bound : cap)) {
        /* no completion event: count it, and the display still holds that
         * buffer as far as we know */
        k->vblank_missed++;
        if (!wait_flip(k, cap))
            return baton_error_set(err, BATON_ERR_TIMEOUT,
                                   "drm sink, frame %llu: the flip of frame %llu on %s did not "
                                   "complete within %u ms",
                                   (unsigned long long)sl->frame,
                                   (unsigned long long)k->queued_frame, k->t.name,
                                   sk->view->timeout_ms);
    }
    if ((st = flip(k, b, sl->frame, err)) != BATON_OK)
        return st;
    return sink_dump_frame(sk, sl, err);
}

/* ---- the rest of the sink interface --------------------------------------------------------- */

static void restore(kms_sink *k)
{
    wait_flip(k, 3 * k->t.period_ns + 50000000u);
    const drmModeCrtc *s = k->saved;
    if (s && s->mode_valid && s->buffer_id) {
        drmModeModeInfo m = s->mode;
        drmModeSetCrtc(k->fd, s->crtc_id, s->buffer_id, s->x, s->y, &k->t.connector_id, 1, &m);
    } else if (k->atomic) {
        uint32_t objs[3] = {k->t.connector_id, k->t.crtc_id, k->plane_id}, counts[3] = {1, 2, 2};
        uint32_t props[5] = {k->prop.conn_crtc_id, k->prop.crtc_mode_id, k->prop.crtc_active,
                             k->prop.fb_id, k->prop.crtc_id};
        uint64_t values[5] = {0, 0, 0, 0, 0};
        atomic_commit(k->fd, DRM_MODE_ATOMIC_ALLOW_MODESET, objs, counts, 3, props, values, 0);
    } else {
        drmModeSetCrtc(k->fd, k->t.crtc_id, 0, 0, 0, NULL, 0, NULL);
    }
}

static void kms_destroy(sink *sk)
{
    kms_sink *k = sk->state;
    sink_readback_destroy(sk);
    if (!k)
        return;
    if (k->mode_set)
        restore(k);
    for (uint32_t b = 0; b < KMS_BUFFERS; b++)
        destroy_buffer(k, &k->buf[b]);
    if (k->mode_blob)
        drmModeDestroyPropertyBlob(k->fd, k->mode_blob);
    drmModeFreeCrtc(k->saved);
    if (k->fd >= 0)
        close(k->fd);
    free(k);
    sk->state = NULL;
}

/* The last frame's flip: wait for its completion so its record counts. */
static void kms_drained(sink *sk)
{
    kms_sink *k = sk->state;
    uint64_t bound = 3 * k->t.period_ns + 2000000u, cap = (uint64_t)sk->view->timeout_ms * 1000000u;
    if (!wait_flip(k, bound < cap ? bound : cap))
        k->vblank_missed++;
}

static uint32_t kms_targets(const sink *sk)
{
    (void)sk;
    return 1;
}

/* The frame into the slot's readback buffer (same layout), visible to the host. */
static void kms_record(sink *sk, uint32_t s, uint32_t t, VkCommandBuffer cmd)
{
    (void)t;
    frame_slot *sl = &sk->view->slot[s];
    VkBufferCopy region = {.size = (VkDeviceSize)sk->view->pitch * sk->view->height};
    vkCmdCopyBuffer(cmd, sl->shared.buffer, sl->readback, 1, &region);
    sink_readback_to_host(cmd, sl);
}

static void kms_report(const sink *sk, baton_display_report *out)
{
    const kms_sink *k = sk->state;
    snprintf(out->description, sizeof out->description,
             "drm %s %ux%u@%u.%02uHz on %s (%s), KMS %s of dumb buffers (%.4s)", k->t.name,
             k->t.mode.width, k->t.mode.height, k->t.mode.refresh_mhz / 1000u,
             k->t.mode.refresh_mhz % 1000u / 10u, k->path, k->driver,
             k->atomic ? "atomic page flips" : "legacy page flips", (const char *)&k->fourcc);
    sink_drm_report_vblanks(&k->ring, k->vblank_missed, k->t.period_ns, out);
    if (!k->has_vblank && out->vblank_count) {
        snprintf(out->vblank_source, sizeof out->vblank_source,
                 "page-flip events (no vblank IRQ)");
        size_t used = strlen(out->description);
        snprintf(out->description + used, sizeof out->description - used,
                 "; %s counts no vblanks: flips complete at once, not paced to the refresh",
                 k->driver);
    }
}

const sink_ops sink_kms_ops = {
    .scheme = "drm",
    .usage = "drm[:CONNECTOR|auto][@WxH[@HZ]],via=kms (KMS page flips)",
    .create = kms_create,
    .destroy = kms_destroy,
    .target_count = kms_targets,
    .record = kms_record,
    .done = kms_done,
    .drained = kms_drained,
    .report = kms_report,
};

/* drm_modes.h - which connector, mode and CRTC the drm sink drives.
 *
 * The choice is pure: it works on a plain description of the card
 * (drm_card_desc) that drm_modes_describe() builds from libdrm, or that a
 * test writes by hand. Nothing here opens a device except
 * drm_modes_describe(); nothing allocates except it (libdrm's objects, freed
 * before it returns).
 *
 * Sink spec (what follows "drm" in the sink name):
 *
 *   ""  ":"  ":auto"          the first connected connector
 *   ":HDMI-A-1"               the connector of that name (case-insensitive)
 *   "...@1920x1080"           that size (else: error listing the modes)
 *   "...@1920x1080@60"        that size at a refresh that rounds to 60 Hz
 *                             (59.94 and 60.00 both do; the closer wins)
 *   "...@1920x1080@59.94"     a refresh within half a unit of the last digit
 *                             given (59.935..59.945 Hz: not 60.00)
 *   "...,via=vulkan"          present through VK_KHR_display (sink_drm.c)
 *   "...,via=kms"             scan out dumb buffers with atomic commits
 *                             (sink_kms.c); "via=auto" (the default): Vulkan
 *                             when the Vulkan device drives a display, else KMS
 *
 * Mode rules, in order: the spec's @WxH[@Hz] (hard: no match is an error);
 * else the size the caller passes (the frame size, which baton-run takes
 * from the board profile's "size") when the connector offers it (soft:
 * otherwise the next rule); else the connector's preferred mode; else the
 * largest. Among several modes of the chosen size: the refresh closest to the
 * one asked for, then the preferred mode, then progressive over interlaced,
 * then the highest refresh, then the driver's order.
 *
 * CRTC rule: the CRTC currently driving the connector (through its current
 * encoder); else, for each of the connector's encoders in order, the first
 * CRTC its possible_crtcs allows that no other connector is driving.
 */
#ifndef BATON_DRM_MODES_H
#define BATON_DRM_MODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"

#define DRM_MODES_NAME_MAX 32u        /* "HDMI-A-1", with its NUL */
#define DRM_MODES_MAX_CONNECTORS 16u
#define DRM_MODES_MAX_ENCODERS 32u
#define DRM_MODES_MAX_CRTCS 32u       /* possible_crtcs is a 32-bit mask */
#define DRM_MODES_MAX_MODES 128u      /* per connector */
#define DRM_MODES_MAX_CONN_ENCODERS 8u

/* As DRM_MODE_CONNECTED / DISCONNECTED / UNKNOWNCONNECTION. */
typedef enum drm_connection {
    DRM_CONN_CONNECTED = 1,
    DRM_CONN_DISCONNECTED = 2,
    DRM_CONN_UNKNOWN = 3,
} drm_connection;

typedef struct drm_mode_desc {
    uint32_t width, height;
    uint32_t refresh_mhz;   /* millihertz: 59940 for 1080p59.94 */
    bool preferred;         /* DRM_MODE_TYPE_PREFERRED */
    bool interlaced;        /* DRM_MODE_FLAG_INTERLACE */
} drm_mode_desc;

typedef struct drm_connector_desc {
    uint32_t id;            /* DRM object id */
    uint32_t type, type_id; /* DRM_MODE_CONNECTOR_*, its per-type number */
    char name[DRM_MODES_NAME_MAX]; /* "HDMI-A-1": type name + '-' + type_id */
    drm_connection connection;
    uint32_t encoder_id;    /* the current encoder, 0 when none */
    uint32_t encoder_count;
    uint32_t encoders[DRM_MODES_MAX_CONN_ENCODERS]; /* encoders it can use */
    uint32_t mode_count;
    drm_mode_desc modes[DRM_MODES_MAX_MODES];       /* the driver's order */
} drm_connector_desc;

typedef struct drm_encoder_desc {
    uint32_t id;
    uint32_t crtc_id;        /* the CRTC it drives now, 0 when none */
    uint32_t possible_crtcs; /* bit i: crtcs[i] of the card */
} drm_encoder_desc;

typedef struct drm_card_desc {
    uint32_t connector_count, encoder_count, crtc_count;
    drm_connector_desc connectors[DRM_MODES_MAX_CONNECTORS];
    drm_encoder_desc encoders[DRM_MODES_MAX_ENCODERS];
    uint32_t crtcs[DRM_MODES_MAX_CRTCS]; /* CRTC ids, in the resources' order */
} drm_card_desc;

typedef enum drm_via {
    DRM_VIA_AUTO = 0,
    DRM_VIA_VULKAN,
    DRM_VIA_KMS,
} drm_via;

/* The parsed sink argument. */
typedef struct drm_spec {
    char connector[DRM_MODES_NAME_MAX]; /* "" = auto: the first connected */
    uint32_t width, height;             /* 0 = not given */
    uint32_t refresh_mhz;               /* 0 = any */
    uint32_t refresh_tol_mhz;           /* a mode matches within this */
    drm_via via;
} drm_spec;

typedef enum drm_mode_reason {
    DRM_MODE_BY_SPEC = 0,   /* the spec's @WxH[@Hz] */
    DRM_MODE_BY_SIZE,       /* the caller's size (board profile / frame) */
    DRM_MODE_BY_PREFERRED,  /* the connector's preferred mode */
    DRM_MODE_BY_LARGEST,    /* no preferred mode: the largest */
} drm_mode_reason;

typedef struct drm_choice {
    uint32_t connector;     /* index in card->connectors */
    uint32_t mode;          /* index in that connector's modes */
    uint32_t encoder;       /* index in card->encoders */
    uint32_t crtc;          /* index in card->crtcs (the vblank "pipe") */
    drm_mode_reason reason;
    bool crtc_was_driving;  /* the CRTC already drove this connector */
} drm_choice;

/* What a drm sink drives: the card's description, the choice made on it
 * and its results (drm_modes_pick). */
typedef struct drm_target {
    drm_card_desc card;
    drm_choice choice;
    char name[DRM_MODES_NAME_MAX]; /* the connector, for messages */
    uint32_t connector_id, crtc_id, crtc_index;
    drm_mode_desc mode;
    uint64_t period_ns;            /* of the mode's refresh (60 Hz when unknown) */
} drm_target;

/* Parse "", ":CONN", ":CONN@WxH", ":CONN@WxH@HZ", ":@WxH"...; a leading
 * "drm" is skipped so a whole sink name parses too. BATON_ERR_INVALID_ARGUMENT
 * with the expected form on bad input. */
baton_status drm_spec_parse(const char *arg, drm_spec *out, baton_error *err);

/* Choose connector, mode and CRTC (rules above). size_w/size_h: the soft
 * size, 0 for none. Errors (all start "drm sink: "):
 *   unknown connector  BATON_ERR_INVALID_ARGUMENT, lists "NAME connected|
 *                      disconnected|unknown" for every connector
 *   nothing connected  BATON_ERR_UNSUPPORTED (auto), lists the connectors
 *   disconnected       BATON_ERR_UNSUPPORTED (named), lists connected ones
 *   no modes at all    BATON_ERR_UNSUPPORTED
 *   no mode matches    BATON_ERR_INVALID_ARGUMENT, lists the modes
 *   no free CRTC       BATON_ERR_EXHAUSTED, names the CRTCs and their users
 *   no connectors      BATON_ERR_UNSUPPORTED (not a display device) */
baton_status drm_modes_choose(const drm_card_desc *card, const drm_spec *spec, uint32_t size_w,
                              uint32_t size_h, drm_choice *out, baton_error *err);

/* Refresh in millihertz as the kernel computes it (clock in kHz), rounded;
 * falls back to vrefresh_hz * 1000 when a total is 0. */
uint32_t drm_modes_refresh_mhz(uint32_t clock_khz, uint32_t htotal, uint32_t vtotal,
                               uint32_t vscan, bool interlace, bool doublescan,
                               uint32_t vrefresh_hz);

/* The kernel's name of a connector type ("HDMI-A", "DP", "eDP", ...;
 * "Unknown" for types it does not know). */
const char *drm_modes_connector_type_name(uint32_t type);

/* "59.94", "60", "23.976" (trailing zeros trimmed), into buf; returns buf. */
const char *drm_modes_format_refresh(uint32_t mhz, char *buf, size_t len);

/* "3840x2160@60 (preferred), 1920x1080@60, ..." bounded by len; ends in
 * ", ... (N more)" when it does not fit. */
void drm_modes_list_modes(const drm_connector_desc *c, char *buf, size_t len);

/* "DP-1 connected, HDMI-A-1 disconnected" bounded by len. */
void drm_modes_list_connectors(const drm_card_desc *card, char *buf, size_t len);

/* Build the description from an open DRM fd (drmModeGetResources,
 * drmModeGetConnector, drmModeGetEncoder); path names the device in
 * messages. Connectors, encoders, CRTCs or modes beyond the capacities above
 * are left out (a preferred mode is kept). BATON_ERR_UNSUPPORTED when fd is
 * not a KMS device (errno text in the message), BATON_ERR_OS when a
 * connector cannot be read. */
baton_status drm_modes_describe(int fd, const char *path, drm_card_desc *out, baton_error *err);

/* ---- matching the Vulkan side (VK_KHR_display) ------------------------- */

typedef struct drm_vk_display {
    const char *name;        /* VkDisplayPropertiesKHR.displayName, may be NULL */
    uint32_t width, height;  /* physicalResolution */
} drm_vk_display;

/* Which Vulkan display is the chosen connector: when the card has exactly one
 * connected connector and Vulkan exactly one display, that one; else a
 * display whose name is the connector's name, else one that holds it as a
 * word ("DELL U2720Q (DP-1)", "card0-DP-1"; not "eDP-1", "DP-10"); else the
 * only display whose physical resolution is the connector's preferred
 * (else largest) mode size. -1 when none or ambiguous. Names are a
 * heuristic (drivers name displays their own way); vkGetDrmDisplayEXT is
 * exact and preferred where available. */
int drm_modes_match_display(const drm_vk_display *displays, uint32_t count,
                            const drm_card_desc *card, uint32_t connector);

typedef struct drm_vk_mode {
    uint32_t width, height, refresh_mhz; /* VkDisplayModeParametersKHR */
} drm_vk_mode;

/* The Vulkan display mode of exactly this size whose refresh is closest to
 * refresh_mhz and within tol_mhz of it; -1 when none. */
int drm_modes_match_vk_mode(const drm_vk_mode *modes, uint32_t count, uint32_t width,
                            uint32_t height, uint32_t refresh_mhz, uint32_t tol_mhz);

/* Place a frame on a target of another size without scaling: centred; the
 * frame is cropped where the target is smaller. Outputs the source offset
 * (in the frame), destination offset (in the target) and the extent. */
typedef struct drm_fit {
    uint32_t src_x, src_y, dst_x, dst_y, width, height;
    bool covers; /* the copy fills the whole target (no clear needed) */
} drm_fit;
drm_fit drm_modes_fit(uint32_t frame_w, uint32_t frame_h, uint32_t target_w, uint32_t target_h);

/* Copy the fit's rectangle of an RGBA8 frame (rows of src_pitch bytes) into
 * a 32-bit scanout buffer (rows of dst_pitch bytes): byte order R,G,B,X
 * (DRM_FORMAT_XBGR8888) when swap_rb is false, B,G,R,X (DRM_FORMAT_XRGB8888)
 * when true. The 4th byte is written 0xff. Pixels outside the fit are not
 * touched. */
void drm_modes_copy_frame(uint8_t *dst, size_t dst_pitch, const uint8_t *src, size_t src_pitch,
                          const drm_fit *fit, bool swap_rb);

/* The sinks' cheap check that the display is still there, at most every
 * DRM_CONNECTOR_CHECK_NS: when CLOCK_MONOTONIC has reached *next_check_ns,
 * one GETCONNECTOR ioctl with room for one mode (no probe, no EDID read, no
 * allocation) and *next_check_ns moves on. Returns why the display is lost
 * ("the connector is gone", "the connector reports disconnected"), else NULL
 * (connected, unknown, not checked this time, or the ioctl failed otherwise). */
#define DRM_CONNECTOR_CHECK_NS 250000000ull
const char *drm_modes_connector_lost(int fd, uint32_t connector_id, uint64_t *next_check_ns);

/* ---- vblank records: a fixed ring, no allocation -------------------------- */

#define DRM_VBLANK_KEEP 64u

typedef enum drm_vblank_source {
    DRM_VBLANK_FROM_DRM_EVENT = 1,  /* a DRM vblank event on the connector's CRTC:
                                       the first vblank after the present was queued */
    DRM_VBLANK_FROM_DISPLAY_TIMING, /* VK_GOOGLE_display_timing actualPresentTime */
    DRM_VBLANK_FROM_FLIP_EVENT,     /* a page-flip completion: the vblank at which
                                       the frame went on screen */
} drm_vblank_source;

typedef struct drm_vblank {
    uint64_t frame;     /* pipeline frame number */
    uint64_t sequence;  /* DRM vblank counter (0 with display timing) */
    uint64_t ns;        /* CLOCK_MONOTONIC, ns */
    drm_vblank_source source;
} drm_vblank;

typedef struct drm_vblank_ring {
    drm_vblank items[DRM_VBLANK_KEEP];
    uint32_t head, count;
    uint64_t total;     /* records ever pushed */
} drm_vblank_ring;

void drm_vblank_push(drm_vblank_ring *r, const drm_vblank *v);
/* The newest min(capacity, count) records, oldest first; returns how many. */
size_t drm_vblank_copy(const drm_vblank_ring *r, drm_vblank *out, size_t capacity);

/* ---- implemented in sink_drm.c ------------------------------------------ */

struct baton_pipeline;
struct baton_context;

/* drm_modes_describe(fd) then drm_modes_choose() (size_w/size_h: the soft
 * size), and the chosen connector's name, ids, mode and refresh period in
 * *t. Errors as those two. */
baton_status drm_modes_pick(int fd, const char *path, const drm_spec *spec, uint32_t size_w,
                            uint32_t size_h, drm_target *t, baton_error *err);

/* Fill out's vblank fields from a ring (both drm paths use it). */
struct baton_display_report;
void sink_drm_report_vblanks(const drm_vblank_ring *ring, uint64_t missed, uint64_t period_ns,
                             struct baton_display_report *out);

/* Test seams for the steps that run before any display is touched. */
/* BATON_OK when the context's instance and device expose every function the
 * sink needs; else BATON_ERR_UNSUPPORTED naming the missing extensions. */
baton_status sink_drm_check_vulkan(const struct baton_context *ctx, baton_error *err);

#endif

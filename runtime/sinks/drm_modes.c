/* drm_modes.c - choose connector, mode and CRTC for the drm sink (pure),
 * and describe a card from libdrm (the only part that touches a device). */
#include "sinks/drm_modes.h"
#include "util/baton_internal.h"
#include "util/fault.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <xf86drm.h>
#include <xf86drmMode.h>

#define SPEC_FORM \
    "drm[:CONNECTOR|auto][@WxH[@HZ]][,via=auto|vulkan|kms], e.g. drm:HDMI-A-1@1920x1080@60"

/* ---- names and numbers ---------------------------------------------------- */

const char *drm_modes_connector_type_name(uint32_t type)
{
    /* The kernel's drm_connector_enum_list, indexed by DRM_MODE_CONNECTOR_*
     * (kept here: libdrm before 2.4.113 has no drmModeGetConnectorTypeName). */
    static const char *const names[] = {
        "Unknown", "VGA", "DVI-I", "DVI-D", "DVI-A", "Composite", "SVIDEO",
        "LVDS", "Component", "DIN", "DP", "HDMI-A", "HDMI-B", "TV", "eDP",
        "Virtual", "DSI", "DPI", "Writeback", "SPI", "USB",
    };
    return type < sizeof names / sizeof names[0] ? names[type] : "Unknown";
}

uint32_t drm_modes_refresh_mhz(uint32_t clock_khz, uint32_t htotal, uint32_t vtotal,
                               uint32_t vscan, bool interlace, bool doublescan,
                               uint32_t vrefresh_hz)
{
    if (htotal == 0 || vtotal == 0 || clock_khz == 0)
        return vrefresh_hz * 1000u;
    uint64_t num = (uint64_t)clock_khz * 1000u * 1000u; /* Hz * 1000 */
    uint64_t den = (uint64_t)htotal * vtotal;
    if (interlace)
        num *= 2;
    if (doublescan)
        den *= 2;
    if (vscan > 1)
        den *= vscan;
    return (uint32_t)((num + den / 2) / den);
}

const char *drm_modes_format_refresh(uint32_t mhz, char *buf, size_t len)
{
    if (mhz % 1000u == 0) {
        snprintf(buf, len, "%u", mhz / 1000u);
        return buf;
    }
    char frac[8];
    snprintf(frac, sizeof frac, "%03u", mhz % 1000u);
    size_t n = strlen(frac);
    while (n > 0 && frac[n - 1] == '0')
        frac[--n] = '\0';
    snprintf(buf, len, "%u.%s", mhz / 1000u, frac);
    return buf;
}

static const char *connection_name(drm_connection c)
{
    switch (c) {
    case DRM_CONN_CONNECTED: return "connected";
    case DRM_CONN_DISCONNECTED: return "disconnected";
    default: return "unknown";
    }
}

/* Append to a bounded list; once full, count what did not fit. */
typedef struct list_buf {
    char *buf;
    size_t len, used;
    uint32_t left_out;
} list_buf;

static void list_add(list_buf *l, const char *item)
{
    if (l->left_out) {
        l->left_out++;
        return;
    }
    const char *sep = l->used ? ", " : "";
    /* room for ", ... (NNNN more)" must remain */
    size_t need = strlen(sep) + strlen(item);
    if (l->used + need + 20 >= l->len) {
        l->left_out = 1;
        return;
    }
    l->used += (size_t)snprintf(l->buf + l->used, l->len - l->used, "%s%s", sep, item);
}

static void list_end(list_buf *l)
{
    if (l->left_out && l->used + 1 < l->len)
        snprintf(l->buf + l->used, l->len - l->used, "%s... (%u more)", l->used ? ", " : "",
                 l->left_out);
    if (l->len && !l->used && !l->left_out)
        snprintf(l->buf, l->len, "none");
}

static void mode_text(const drm_mode_desc *m, char *buf, size_t len)
{
    char hz[24];
    snprintf(buf, len, "%ux%u%s@%s%s", m->width, m->height, m->interlaced ? "i" : "",
             drm_modes_format_refresh(m->refresh_mhz, hz, sizeof hz),
             m->preferred ? " (preferred)" : "");
}

void drm_modes_list_modes(const drm_connector_desc *c, char *buf, size_t len)
{
    if (!len)
        return;
    buf[0] = '\0';
    list_buf l = {buf, len, 0, 0};
    for (uint32_t i = 0; i < c->mode_count; i++) {
        const drm_mode_desc *m = &c->modes[i], *prev = i ? &c->modes[i - 1] : NULL;
        if (prev && prev->width == m->width && prev->height == m->height &&
            prev->refresh_mhz == m->refresh_mhz && prev->interlaced == m->interlaced &&
            prev->preferred == m->preferred)
            continue; /* same timing listed twice (aspect ratio variants) */
        char t[64];
        mode_text(m, t, sizeof t);
        list_add(&l, t);
    }
    list_end(&l);
}

void drm_modes_list_connectors(const drm_card_desc *card, char *buf, size_t len)
{
    if (!len)
        return;
    buf[0] = '\0';
    list_buf l = {buf, len, 0, 0};
    for (uint32_t i = 0; i < card->connector_count; i++) {
        char t[DRM_MODES_NAME_MAX + 16];
        snprintf(t, sizeof t, "%s %s", card->connectors[i].name,
                 connection_name(card->connectors[i].connection));
        list_add(&l, t);
    }
    list_end(&l);
}

/* ---- the spec -------------------------------------------------------------- */

static baton_status spec_error(baton_error *err, const char *arg, const char *why)
{
    return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                           "drm sink: bad display spec '%s%s': %s (want " SPEC_FORM ")",
                           arg[0] == ':' || arg[0] == '@' || !arg[0] ? "drm" : "", arg, why);
}

/* 1..max digits, value 1..limit; advances *s. */
static bool parse_uint(const char **s, unsigned max_digits, uint32_t limit, uint32_t *out)
{
    const char *p = *s;
    uint64_t v = 0;
    unsigned n = 0;
    while (isdigit((unsigned char)*p) && n < max_digits) {
        v = v * 10 + (uint64_t)(*p - '0');
        p++;
        n++;
    }
    if (n == 0 || isdigit((unsigned char)*p) || v == 0 || v > limit)
        return false;
    *out = (uint32_t)v;
    *s = p;
    return true;
}

baton_status drm_spec_parse(const char *arg, drm_spec *out, baton_error *err)
{
    if (!arg || !out)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "drm_spec_parse: NULL argument");
    const char *s = arg;
    if (strncmp(s, "drm", 3) == 0 && (s[3] == '\0' || s[3] == ':' || s[3] == '@' || s[3] == ','))
        s += 3;
    const char *given = arg;
    drm_spec spec;
    memset(&spec, 0, sizeof spec);
    if (*s == ':')
        s++;
    else if (*s && *s != '@' && *s != ',')
        return spec_error(err, given, "expected ':', '@' or ',' after 'drm'");
    size_t n = strcspn(s, "@,");
    if (n >= DRM_MODES_NAME_MAX)
        return spec_error(err, given, "connector name too long");
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return spec_error(err, given, "connector names are letters, digits, '-', '_', '.'");
    memcpy(spec.connector, s, n);
    spec.connector[n] = '\0';
    if (strcasecmp(spec.connector, "auto") == 0)
        spec.connector[0] = '\0';
    s += n;
    if (*s == '@') {
        s++;
        if (!parse_uint(&s, 5, 16384, &spec.width) || (*s != 'x' && *s != 'X'))
            return spec_error(err, given, "mode is WxH (1..16384 each)");
        s++;
        if (!parse_uint(&s, 5, 16384, &spec.height))
            return spec_error(err, given, "mode is WxH (1..16384 each)");
        if (*s == '@') {
            s++;
            uint32_t hz = 0, frac = 0;
            unsigned digits = 0;
            if (!parse_uint(&s, 4, 1000, &hz))
                return spec_error(err, given, "refresh is HZ or HZ.FFF (1..1000)");
            if (*s == '.') {
                s++;
                while (isdigit((unsigned char)*s) && digits < 3) {
                    frac = frac * 10 + (uint32_t)(*s - '0');
                    s++;
                    digits++;
                }
                if (digits == 0 || isdigit((unsigned char)*s))
                    return spec_error(err, given, "refresh is HZ or HZ.FFF (at most 3 decimals)");
            }
            for (unsigned d = digits; d < 3; d++)
                frac *= 10;
            spec.refresh_mhz = hz * 1000u + frac;
            if (spec.refresh_mhz > 1000000u)
                return spec_error(err, given, "refresh is HZ or HZ.FFF (1..1000)");
            /* half a unit of the last digit given: "60" is 59.5..60.5 Hz */
            static const uint32_t tol[] = {500, 50, 5, 1};
            spec.refresh_tol_mhz = tol[digits];
        }
    }
    if (*s == ',') {
        s++;
        if (strcmp(s, "via=kms") == 0)
            spec.via = DRM_VIA_KMS;
        else if (strcmp(s, "via=vulkan") == 0)
            spec.via = DRM_VIA_VULKAN;
        else if (strcmp(s, "via=auto") == 0)
            spec.via = DRM_VIA_AUTO;
        else
            return spec_error(err, given, "the option is via=auto, via=vulkan or via=kms");
    } else if (*s) {
        return spec_error(err, given, "unexpected text after the mode");
    }
    *out = spec;
    return BATON_OK;
}

/* ---- choosing ---------------------------------------------------------------- */

static uint32_t absdiff(uint32_t a, uint32_t b) { return a > b ? a - b : b - a; }

/* >0 when a is the better of two modes of the same size. */
static int mode_cmp(const drm_mode_desc *a, const drm_mode_desc *b, uint32_t want_mhz)
{
    if (want_mhz) {
        uint32_t da = absdiff(a->refresh_mhz, want_mhz), db = absdiff(b->refresh_mhz, want_mhz);
        if (da != db)
            return da < db ? 1 : -1;
    }
    if (a->preferred != b->preferred)
        return a->preferred ? 1 : -1;
    if (a->interlaced != b->interlaced)
        return a->interlaced ? -1 : 1;
    if (a->refresh_mhz != b->refresh_mhz)
        return a->refresh_mhz > b->refresh_mhz ? 1 : -1;
    return 0; /* the driver's order: keep the earlier */
}

static int find_size(const drm_connector_desc *c, uint32_t w, uint32_t h, uint32_t want_mhz,
                     uint32_t tol_mhz)
{
    int best = -1;
    for (uint32_t i = 0; i < c->mode_count; i++) {
        const drm_mode_desc *m = &c->modes[i];
        if (m->width != w || m->height != h)
            continue;
        if (want_mhz && absdiff(m->refresh_mhz, want_mhz) > tol_mhz)
            continue;
        if (best < 0 || mode_cmp(m, &c->modes[best], want_mhz) > 0)
            best = (int)i;
    }
    return best;
}

static int find_preferred(const drm_connector_desc *c)
{
    for (uint32_t i = 0; i < c->mode_count; i++)
        if (c->modes[i].preferred)
            return (int)i;
    return -1;
}

static int find_largest(const drm_connector_desc *c)
{
    int best = -1;
    for (uint32_t i = 0; i < c->mode_count; i++) {
        const drm_mode_desc *m = &c->modes[i];
        if (best < 0) {
            best = (int)i;
            continue;
        }
        const drm_mode_desc *b = &c->modes[best];
        uint64_t am = (uint64_t)m->width * m->height, ab = (uint64_t)b->width * b->height;
        if (am > ab || (am == ab && mode_cmp(m, b, 0) > 0))
            best = (int)i;
    }
    return best;
}

static int find_encoder(const drm_card_desc *card, uint32_t id)
{
    for (uint32_t i = 0; id && i < card->encoder_count; i++)
        if (card->encoders[i].id == id)
            return (int)i;
    return -1;
}

static int find_crtc(const drm_card_desc *card, uint32_t id)
{
    for (uint32_t i = 0; id && i < card->crtc_count; i++)
        if (card->crtcs[i] == id)
            return (int)i;
    return -1;
}

/* The CRTC index connector ci drives now, -1 when none. */
static int driving_crtc(const drm_card_desc *card, uint32_t ci, int *encoder)
{
    int e = find_encoder(card, card->connectors[ci].encoder_id);
    if (e < 0)
        return -1;
    if (encoder)
        *encoder = e;
    return find_crtc(card, card->encoders[e].crtc_id);
}

static baton_status choose_crtc(const drm_card_desc *card, uint32_t ci, drm_choice *out,
                                baton_error *err)
{
    int enc = -1;
    int k = driving_crtc(card, ci, &enc);
    if (k >= 0) {
        out->crtc = (uint32_t)k;
        out->encoder = (uint32_t)enc;
        out->crtc_was_driving = true;
        return BATON_OK;
    }
    int busy[DRM_MODES_MAX_CRTCS];
    for (uint32_t i = 0; i < DRM_MODES_MAX_CRTCS; i++)
        busy[i] = -1;
    for (uint32_t j = 0; j < card->connector_count; j++) {
        int kj = j == ci ? -1 : driving_crtc(card, j, NULL);
        if (kj >= 0 && busy[kj] < 0)
            busy[kj] = (int)j;
    }
    const drm_connector_desc *c = &card->connectors[ci];
    uint32_t allowed = 0;
    for (uint32_t e = 0; e < c->encoder_count; e++) {
        int ei = find_encoder(card, c->encoders[e]);
        if (ei < 0)
            continue;
        uint32_t mask = card->encoders[ei].possible_crtcs;
        for (uint32_t i = 0; i < card->crtc_count && i < 32; i++) {
            if (!(mask & (1u << i)))
                continue;
            allowed |= 1u << i;
            if (busy[i] < 0) {
                out->crtc = i;
                out->encoder = (uint32_t)ei;
                out->crtc_was_driving = false;
                return BATON_OK;
            }
        }
    }
    if (!allowed)
        return baton_error_set(err, BATON_ERR_EXHAUSTED,
                               "drm sink: no free CRTC for %s: none of its %u encoder(s) can "
                               "drive any of the card's %u CRTCs",
                               c->name, c->encoder_count, card->crtc_count);
    char users[320];
    list_buf l = {users, sizeof users, 0, 0};
    users[0] = '\0';
    for (uint32_t i = 0; i < card->crtc_count && i < 32; i++) {
        if (!(allowed & (1u << i)))
            continue;
        char t[DRM_MODES_NAME_MAX + 32];
        snprintf(t, sizeof t, "CRTC %u driving %s", card->crtcs[i],
                 card->connectors[busy[i]].name);
        list_add(&l, t);
    }
    list_end(&l);
    return baton_error_set(err, BATON_ERR_EXHAUSTED,
                           "drm sink: no free CRTC for %s (its encoders can use: %s); "
                           "turn one of those displays off or drive it instead",
                           c->name, users);
}

baton_status drm_modes_choose(const drm_card_desc *card, const drm_spec *spec, uint32_t size_w,
                              uint32_t size_h, drm_choice *out, baton_error *err)
{
    if (!card || !spec || !out)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "drm_modes_choose: NULL argument");
    char list[400];
    if (card->connector_count == 0)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "drm sink: the DRM device has no connectors (a render-only or "
                               "display-less GPU?); set BATON_DRM_DEVICE to the card that "
                               "drives the display");
    drm_choice ch;
    memset(&ch, 0, sizeof ch);
    int ci = -1;
    if (spec->connector[0]) {
        for (uint32_t i = 0; i < card->connector_count && ci < 0; i++)
            if (strcasecmp(card->connectors[i].name, spec->connector) == 0)
                ci = (int)i;
        if (ci < 0) {
            drm_modes_list_connectors(card, list, sizeof list);
            return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                                   "drm sink: no connector '%s' (available: %s)", spec->connector,
                                   list);
        }
        if (card->connectors[ci].connection == DRM_CONN_DISCONNECTED) {
            drm_modes_list_connectors(card, list, sizeof list);
            return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                                   "drm sink: connector %s is disconnected (connectors: %s)",
                                   card->connectors[ci].name, list);
        }
    } else {
        for (uint32_t i = 0; i < card->connector_count && ci < 0; i++)
            if (card->connectors[i].connection == DRM_CONN_CONNECTED)
                ci = (int)i;
        if (ci < 0) {
            drm_modes_list_connectors(card, list, sizeof list);
            return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                                   "drm sink: no connected display (connectors: %s)", list);
        }
    }
    const drm_connector_desc *c = &card->connectors[ci];
    if (c->mode_count == 0)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "drm sink: %s (%s) reports no modes (no EDID read?)", c->name,
                               connection_name(c->connection));
    int m = -1;
    if (spec->width) {
        m = find_size(c, spec->width, spec->height, spec->refresh_mhz, spec->refresh_tol_mhz);
        ch.reason = DRM_MODE_BY_SPEC;
        if (m < 0) {
            char hz[24] = "";
            if (spec->refresh_mhz) {
                hz[0] = '@';
                drm_modes_format_refresh(spec->refresh_mhz, hz + 1, sizeof hz - 1);
            }
            drm_modes_list_modes(c, list, sizeof list);
            return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                                   "drm sink: %s has no mode %ux%u%s (modes: %s)", c->name,
                                   spec->width, spec->height, hz, list);
        }
    }
    if (m < 0 && size_w && size_h) {
        m = find_size(c, size_w, size_h, 0, 0);
        ch.reason = DRM_MODE_BY_SIZE;
    }
    if (m < 0) {
        m = find_preferred(c);
        ch.reason = DRM_MODE_BY_PREFERRED;
    }
    if (m < 0) {
        m = find_largest(c);
        ch.reason = DRM_MODE_BY_LARGEST;
    }
    ch.connector = (uint32_t)ci;
    ch.mode = (uint32_t)m;
    baton_status st = choose_crtc(card, (uint32_t)ci, &ch, err);
    if (st != BATON_OK)
        return st;
    *out = ch;
    return BATON_OK;
}

/* ---- Vulkan-side matching ------------------------------------------------- */

/* name appears in text as a word: not preceded by [A-Za-z0-9] ("eDP-1" is not
 * "DP-1", "card0-DP-1" is) nor followed by [A-Za-z0-9-] ("DP-10", "DP-1-1"). */
static bool holds_word(const char *text, const char *name)
{
    size_t n = strlen(name);
    if (!n)
        return false;
    for (const char *p = text; *p; p++) {
        if (strncasecmp(p, name, n) != 0)
            continue;
        char before = p == text ? ' ' : p[-1], after = p[n];
        if (!isalnum((unsigned char)before) && !isalnum((unsigned char)after) && after != '-')
            return true;
    }
    return false;
}

int drm_modes_match_display(const drm_vk_display *displays, uint32_t count,
                            const drm_card_desc *card, uint32_t connector)
{
    if (!displays || !card || connector >= card->connector_count || count == 0)
        return -1;
    const drm_connector_desc *c = &card->connectors[connector];
    uint32_t connected = 0;
    for (uint32_t i = 0; i < card->connector_count; i++)
        connected += card->connectors[i].connection == DRM_CONN_CONNECTED;
    if (count == 1 && connected == 1 && c->connection == DRM_CONN_CONNECTED)
        return 0;
    for (uint32_t i = 0; i < count; i++)
        if (displays[i].name && strcasecmp(displays[i].name, c->name) == 0)
            return (int)i;
    for (uint32_t i = 0; i < count; i++)
        if (displays[i].name && holds_word(displays[i].name, c->name))
            return (int)i;
    int m = find_preferred(c);
    if (m < 0)
        m = find_largest(c);
    if (m < 0)
        return -1;
    int found = -1;
    for (uint32_t i = 0; i < count; i++)
        if (displays[i].width == c->modes[m].width && displays[i].height == c->modes[m].height) {
            if (found >= 0)
                return -1; /* ambiguous */
            found = (int)i;
        }
    return found;
}

int drm_modes_match_vk_mode(const drm_vk_mode *modes, uint32_t count, uint32_t width,
                            uint32_t height, uint32_t refresh_mhz, uint32_t tol_mhz)
{
    int best = -1;
    uint32_t best_d = 0;
    for (uint32_t i = 0; modes && i < count; i++) {
        if (modes[i].width != width || modes[i].height != height)
            continue;
        uint32_t d = absdiff(modes[i].refresh_mhz, refresh_mhz);
        if (d > tol_mhz)
            continue;
        if (best < 0 || d < best_d) {
            best = (int)i;
            best_d = d;
        }
    }
    return best;
}

drm_fit drm_modes_fit(uint32_t frame_w, uint32_t frame_h, uint32_t target_w, uint32_t target_h)
{
    drm_fit f;
    memset(&f, 0, sizeof f);
    f.width = frame_w < target_w ? frame_w : target_w;
    f.height = frame_h < target_h ? frame_h : target_h;
    f.src_x = (frame_w - f.width) / 2;
    f.src_y = (frame_h - f.height) / 2;
    f.dst_x = (target_w - f.width) / 2;
    f.dst_y = (target_h - f.height) / 2;
    f.covers = f.width == target_w && f.height == target_h;
    return f;
}

void drm_modes_copy_frame(uint8_t *dst, size_t dst_pitch, const uint8_t *src, size_t src_pitch,
                          const drm_fit *fit, bool swap_rb)
{
    for (uint32_t y = 0; y < fit->height; y++) {
        const uint8_t *in = src + (size_t)(fit->src_y + y) * src_pitch + (size_t)fit->src_x * 4;
        uint8_t *out = dst + (size_t)(fit->dst_y + y) * dst_pitch + (size_t)fit->dst_x * 4;
        if (!swap_rb) {
            memcpy(out, in, (size_t)fit->width * 4);
            for (uint32_t x = 0; x < fit->width; x++)
                out[4 * x + 3] = 0xff;
            continue;
        }
        for (uint32_t x = 0; x < fit->width; x++) {
            out[4 * x + 0] = in[4 * x + 2];
            out[4 * x + 1] = in[4 * x + 1];
            out[4 * x + 2] = in[4 * x + 0];
            out[4 * x + 3] = 0xff;
        }
    }
}

/* ---- connector state, cheaply --------------------------------------------------- */

const char *drm_modes_connector_lost(int fd, uint32_t connector_id, uint64_t *next_check_ns)
{
    uint64_t now = baton_now_ns();
    if (now < *next_check_ns)
        return NULL;
    *next_check_ns = now + DRM_CONNECTOR_CHECK_NS;
    struct drm_mode_modeinfo one;
    struct drm_mode_get_connector c;
    memset(&c, 0, sizeof c);
    c.connector_id = connector_id;
    c.count_modes = 1;
    c.modes_ptr = (uint64_t)(uintptr_t)&one;
    if (BATON_FAULT_SYS(drmIoctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &c), -1) != 0)
        return errno == ENOENT ? "the connector is gone" : NULL;
    return c.connection == DRM_MODE_DISCONNECTED ? "the connector reports disconnected" : NULL;
}

/* ---- vblank ring -------------------------------------------------------------- */

void drm_vblank_push(drm_vblank_ring *r, const drm_vblank *v)
{
    r->items[r->head] = *v;
    r->head = (r->head + 1) % DRM_VBLANK_KEEP;
    if (r->count < DRM_VBLANK_KEEP)
        r->count++;
    r->total++;
}

size_t drm_vblank_copy(const drm_vblank_ring *r, drm_vblank *out, size_t capacity)
{
    size_t n = r->count < capacity ? r->count : capacity;
    size_t first = (r->head + DRM_VBLANK_KEEP - n) % DRM_VBLANK_KEEP;
    for (size_t i = 0; i < n; i++)
        out[i] = r->items[(first + i) % DRM_VBLANK_KEEP];
    return n;
}

/* ---- from libdrm ---------------------------------------------------------------- */

static drm_connection connection_of(drmModeConnection c)
{
    switch (c) {
    case DRM_MODE_CONNECTED: return DRM_CONN_CONNECTED;
    case DRM_MODE_DISCONNECTED: return DRM_CONN_DISCONNECTED;
    default: return DRM_CONN_UNKNOWN;
    }
}

static void describe_modes(const drmModeConnector *dc, drm_connector_desc *c)
{
    bool kept_preferred = false;
    for (int i = 0; i < dc->count_modes; i++) {
        const drmModeModeInfo *mi = &dc->modes[i];
        drm_mode_desc m = {
            .width = mi->hdisplay,
            .height = mi->vdisplay,
            .refresh_mhz = drm_modes_refresh_mhz(mi->clock, mi->htotal, mi->vtotal, mi->vscan,
                                                 (mi->flags & DRM_MODE_FLAG_INTERLACE) != 0,
                                                 (mi->flags & DRM_MODE_FLAG_DBLSCAN) != 0,
                                                 mi->vrefresh),
            .preferred = (mi->type & DRM_MODE_TYPE_PREFERRED) != 0,
            .interlaced = (mi->flags & DRM_MODE_FLAG_INTERLACE) != 0,
        };
        if (c->mode_count < DRM_MODES_MAX_MODES) {
            c->modes[c->mode_count++] = m;
            kept_preferred |= m.preferred;
        } else if (m.preferred && !kept_preferred) {
            c->modes[DRM_MODES_MAX_MODES - 1] = m; /* never lose the preferred mode */
            kept_preferred = true;
        }
    }
}

baton_status drm_modes_describe(int fd, const char *path, drm_card_desc *out, baton_error *err)
{
    if (!out)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "drm_modes_describe: NULL out");
    if (!path)
        path = "the DRM device";
    memset(out, 0, sizeof *out);
    drmModeRes *res = BATON_FAULT_PTR(drmModeGetResources(fd));
    if (!res)
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "drm sink: %s is not a KMS display device "
                               "(drmModeGetResources failed: %s)",
                               path, strerror(errno ? errno : ENODEV));
    for (int i = 0; i < res->count_crtcs && out->crtc_count < DRM_MODES_MAX_CRTCS; i++)
        out->crtcs[out->crtc_count++] = res->crtcs[i];
    for (int i = 0; i < res->count_encoders && out->encoder_count < DRM_MODES_MAX_ENCODERS; i++) {
        drmModeEncoder *e = BATON_FAULT_PTR(drmModeGetEncoder(fd, res->encoders[i]));
        if (!e)
            continue; /* gone meanwhile (DP MST) */
        out->encoders[out->encoder_count++] = (drm_encoder_desc){
            .id = e->encoder_id, .crtc_id = e->crtc_id, .possible_crtcs = e->possible_crtcs};
        drmModeFreeEncoder(e);
    }
    baton_status st = BATON_OK;
    for (int i = 0; i < res->count_connectors && out->connector_count < DRM_MODES_MAX_CONNECTORS;
         i++) {
        errno = 0;
        drmModeConnector *dc = BATON_FAULT_PTR(drmModeGetConnector(fd, res->connectors[i]));
        if (!dc) {
            if (errno == ENOENT)
                continue; /* unplugged meanwhile (DP MST) */
            st = baton_error_set(err, BATON_ERR_OS,
                                 "drm sink: %s: drmModeGetConnector(%u) failed: %s", path,
                                 res->connectors[i], strerror(errno ? errno : EIO));
            break;
        }
        drm_connector_desc *c = &out->connectors[out->connector_count++];
        c->id = dc->connector_id;
        c->type = dc->connector_type;
        c->type_id = dc->connector_type_id;
        snprintf(c->name, sizeof c->name, "%s-%u", drm_modes_connector_type_name(c->type),
                 c->type_id);
        c->connection = connection_of(dc->connection);
        c->encoder_id = dc->encoder_id;
        for (int k = 0; k < dc->count_encoders && c->encoder_count < DRM_MODES_MAX_CONN_ENCODERS;
             k++)
            c->encoders[c->encoder_count++] = dc->encoders[k];
        describe_modes(dc, c);
        drmModeFreeConnector(dc);
    }
    drmModeFreeResources(res);
    return st;
}

baton_status drm_modes_pick(int fd, const char *path, const drm_spec *spec, uint32_t size_w,
                            uint32_t size_h, drm_target *t, baton_error *err)
{
    baton_status st = drm_modes_describe(fd, path, &t->card, err);
    if (st == BATON_OK)
        st = drm_modes_choose(&t->card, spec, size_w, size_h, &t->choice, err);
    if (st != BATON_OK)
        return st;
    const drm_connector_desc *c = &t->card.connectors[t->choice.connector];
    snprintf(t->name, sizeof t->name, "%s", c->name);
    t->connector_id = c->id;
    t->mode = c->modes[t->choice.mode];
    t->crtc_index = t->choice.crtc;
    t->crtc_id = t->card.crtcs[t->choice.crtc];
    t->period_ns = t->mode.refresh_mhz ? 1000000000000ull / t->mode.refresh_mhz : 16666667u;
    return BATON_OK;
}

/* check_drm_modes.c - the drm sink's pure choices, on hand-written cards:
 * a Jetson (one DP connector, 4K preferred), an x86 desktop (HDMI + DP, one
 * disconnected), CRTCs already in use, modes that are not there, 59.94 vs
 * 60 Hz, connector names (against libdrm's own table), the spec grammar,
 * matching the Vulkan side, placing frames, the vblank ring; and the libdrm
 * describe step on a file that is not a DRM device. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>
#include <xf86drmMode.h>

#include "sinks/drm_modes.h"
#include "util_test.h"

/* libdrm 2.4.113+; weak so the suite still links against older libdrm
 * (Ubuntu 20.04 / L4T R35), where the comparison below says it is missing. */
extern const char *drmModeGetConnectorTypeName(uint32_t connector_type) __attribute__((weak));

/* ---- fixtures ------------------------------------------------------------- */

#define HZ(x) ((uint32_t)((x) * 1000.0 + 0.5))

typedef struct mode_init {
    uint32_t w, h, mhz;
    bool preferred, interlaced;
} mode_init;

static drm_connector_desc *add_connector(drm_card_desc *card, uint32_t id, uint32_t type,
                                         uint32_t type_id, drm_connection conn,
                                         uint32_t current_encoder, const uint32_t *encoders,
                                         uint32_t encoder_count, const mode_init *modes,
                                         uint32_t mode_count)
{
    ck_assert_uint_lt(card->connector_count, DRM_MODES_MAX_CONNECTORS);
    drm_connector_desc *c = &card->connectors[card->connector_count++];
    memset(c, 0, sizeof *c);
    c->id = id;
    c->type = type;
    c->type_id = type_id;
    snprintf(c->name, sizeof c->name, "%s-%u", drm_modes_connector_type_name(type), type_id);
    c->connection = conn;
    c->encoder_id = current_encoder;
    for (uint32_t i = 0; i < encoder_count; i++)
        c->encoders[c->encoder_count++] = encoders[i];
    for (uint32_t i = 0; i < mode_count; i++)
        c->modes[c->mode_count++] = (drm_mode_desc){modes[i].w, modes[i].h, modes[i].mhz,
                                                    modes[i].preferred, modes[i].interlaced};
    return c;
}

static void add_encoder(drm_card_desc *card, uint32_t id, uint32_t crtc_id, uint32_t possible)
{
    card->encoders[card->encoder_count++] = (drm_encoder_desc){id, crtc_id, possible};
}

static void add_crtcs(drm_card_desc *card, uint32_t first_id, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        card->crtcs[card->crtc_count++] = first_id + i;
}

/* A DP monitor as a 4K TV/monitor reports it (kernel order: preferred first). */
static const mode_init monitor_4k[] = {
    {3840, 2160, HZ(60), true, false},  {3840, 2160, HZ(59.94), false, false},
    {3840, 2160, HZ(30), false, false}, {2560, 1440, HZ(59.951), false, false},
    {1920, 1080, HZ(60), false, false}, {1920, 1080, HZ(59.94), false, false},
    {1920, 1080, HZ(50), false, false}, {1920, 1080, HZ(60), false, true},
    {1280, 720, HZ(60), false, false},  {1280, 720, HZ(59.94), false, false},
};
#define N(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

/* Jetson AGX Orin developer kit: one DP connector, two heads (CRTCs). */
static drm_card_desc *jetson(void)
{
    drm_card_desc *card = calloc(1, sizeof *card);
    ck_assert_ptr_nonnull(card);
    add_crtcs(card, 100, 2);
    add_encoder(card, 10, 0, 0x3);
    static const uint32_t enc[] = {10};
    add_connector(card, 1, DRM_MODE_CONNECTOR_DisplayPort, 1, DRM_CONN_CONNECTED, 0, enc, 1,
                  monitor_4k, N(monitor_4k));
    return card;
}

/* x86 desktop: HDMI-A-1 (disconnected), DP-1 (connected, 1080p monitor whose
 * console CRTC 200 drives it), DP-2 (connected, nothing driving it). */
static const mode_init monitor_1080[] = {
    {1920, 1080, HZ(60), true, false},
    {1920, 1080, HZ(59.94), false, false},
    {1680, 1050, HZ(59.954), false, false},
    {1280, 1024, HZ(75.025), false, false},
    {1280, 1024, HZ(60.02), false, false},
    {1024, 768, HZ(60.004), false, false},
};

static drm_card_desc *desktop(void)
{
    drm_card_desc *card = calloc(1, sizeof *card);
    ck_assert_ptr_nonnull(card);
    add_crtcs(card, 200, 3);
    add_encoder(card, 20, 0, 0x7);   /* TMDS for HDMI-A-1 */
    add_encoder(card, 21, 200, 0x7); /* DP-1's, driving CRTC 200 */
    add_encoder(card, 22, 0, 0x7);   /* DP-2's */
    static const uint32_t e20[] = {20}, e21[] = {21}, e22[] = {22};
    add_connector(card, 40, DRM_MODE_CONNECTOR_HDMIA, 1, DRM_CONN_DISCONNECTED, 0, e20, 1, NULL,
                  0);
    add_connector(card, 41, DRM_MODE_CONNECTOR_DisplayPort, 1, DRM_CONN_CONNECTED, 21, e21, 1,
                  monitor_1080, N(monitor_1080));
    add_connector(card, 42, DRM_MODE_CONNECTOR_DisplayPort, 2, DRM_CONN_CONNECTED, 0, e22, 1,
                  monitor_4k, N(monitor_4k));
    return card;
}

static drm_spec spec_of(const char *s)
{
    drm_spec spec;
    baton_error err;
    ck_assert_msg(drm_spec_parse(s, &spec, &err) == BATON_OK, "%s: %s", s, err.message);
    return spec;
}

static drm_choice choose_ok(const drm_card_desc *card, const char *s, uint32_t w, uint32_t h)
{
    drm_spec spec = spec_of(s);
    drm_choice ch;
    baton_error err;
    ck_assert_msg(drm_modes_choose(card, &spec, w, h, &ch, &err) == BATON_OK, "%s: %s", s,
                  err.message);
    return ch;
}

static baton_status choose_fail(const drm_card_desc *card, const char *s, uint32_t w, uint32_t h,
                                baton_error *err)
{
    drm_spec spec = spec_of(s);
    drm_choice ch;
    memset(&ch, 0xab, sizeof ch);
    drm_choice before = ch;
    baton_status st = drm_modes_choose(card, &spec, w, h, &ch, err);
    ck_assert_int_ne(st, BATON_OK);
    ck_assert_int_eq(err->status, st);
    ck_assert_msg(memcmp(&ch, &before, sizeof ch) == 0, "out written on failure");
    ck_assert_msg(strncmp(err->message, "drm sink: ", 10) == 0, "%s", err->message);
    printf("  %-34s -> %s\n", s, err->message);
    return st;
}

static const drm_mode_desc *chosen_mode(const drm_card_desc *card, const drm_choice *ch)
{
    return &card->connectors[ch->connector].modes[ch->mode];
}

static void assert_mode(const drm_card_desc *card, const drm_choice *ch, uint32_t w, uint32_t h,
                        uint32_t mhz, bool interlaced)
{
    const drm_mode_desc *m = chosen_mode(card, ch);
    ck_assert_msg(m->width == w && m->height == h && m->refresh_mhz == mhz &&
                      m->interlaced == interlaced,
                  "got %ux%u%s@%u mHz, want %ux%u%s@%u mHz", m->width, m->height,
                  m->interlaced ? "i" : "", m->refresh_mhz, w, h, interlaced ? "i" : "", mhz);
}

/* ---- Jetson ------------------------------------------------------------------ */

START_TEST(test_jetson_auto_preferred_4k)
{
    drm_card_desc *card = jetson();
    const char *specs[] = {"", ":", "drm", "drm:", "drm:auto", ":AUTO", "drm:DP-1", ":dp-1"};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        drm_choice ch = choose_ok(card, specs[i], 0, 0);
        ck_assert_uint_eq(ch.connector, 0);
        ck_assert_int_eq(ch.reason, DRM_MODE_BY_PREFERRED);
        assert_mode(card, &ch, 3840, 2160, 60000, false);
        ck_assert_uint_eq(ch.crtc, 0); /* first CRTC the encoder allows */
        ck_assert_uint_eq(card->crtcs[ch.crtc], 100);
        ck_assert_uint_eq(ch.encoder, 0);
        ck_assert(!ch.crtc_was_driving);
    }
    free(card);
}
END_TEST

START_TEST(test_jetson_board_size)
{
    drm_card_desc *card = jetson();
    /* the board profile's 1920x1080: offered, so taken; 60 over 59.94 and
     * progressive over interlaced (all else equal: the higher refresh) */
    drm_choice ch = choose_ok(card, "drm:DP-1", 1920, 1080);
    ck_assert_int_eq(ch.reason, DRM_MODE_BY_SIZE);
    assert_mode(card, &ch, 1920, 1080, 60000, false);
    ch = choose_ok(card, "drm", 1280, 720);
    assert_mode(card, &ch, 1280, 720, 60000, false);
    /* not offered: soft, falls to the preferred mode */
    ch = choose_ok(card, "drm", 1280, 1024);
    ck_assert_int_eq(ch.reason, DRM_MODE_BY_PREFERRED);
    assert_mode(card, &ch, 3840, 2160, 60000, false);
    /* the spec's mode wins over the board size */
    ch = choose_ok(card, "drm:DP-1@2560x1440", 1920, 1080);
    ck_assert_int_eq(ch.reason, DRM_MODE_BY_SPEC);
    assert_mode(card, &ch, 2560, 1440, 59951, false);
    free(card);
}
END_TEST

START_TEST(test_jetson_explicit_modes)
{
    drm_card_desc *card = jetson();
    drm_choice ch = choose_ok(card, "drm:DP-1@1920x1080", 0, 0);
    assert_mode(card, &ch, 1920, 1080, 60000, false);
    ch = choose_ok(card, "drm:DP-1@3840x2160@30", 0, 0);
    assert_mode(card, &ch, 3840, 2160, 30000, false);
    ch = choose_ok(card, "drm:auto@1920x1080@50", 0, 0);
    assert_mode(card, &ch, 1920, 1080, 50000, false);
    ch = choose_ok(card, "drm:@1280X720@59.94", 0, 0);
    assert_mode(card, &ch, 1280, 720, 59940, false);
    free(card);
}
END_TEST

START_TEST(test_jetson_explicit_mode_missing)
{
    drm_card_desc *card = jetson();
    baton_error err;
    ck_assert_int_eq(choose_fail(card, "drm:DP-1@1600x900", 0, 0, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "DP-1 has no mode 1600x900 "));
    /* the list names every distinct mode, the preferred one marked */
    ck_assert_ptr_nonnull(strstr(err.message, "3840x2160@60 (preferred)"));
    ck_assert_ptr_nonnull(strstr(err.message, "1920x1080@59.94"));
    ck_assert_ptr_nonnull(strstr(err.message, "1920x1080i@60"));
    ck_assert_ptr_nonnull(strstr(err.message, "2560x1440@59.951"));
    ck_assert_ptr_nonnull(strstr(err.message, "1280x720@59.94"));
    ck_assert_int_eq(choose_fail(card, "drm:DP-1@1920x1080@75", 0, 0, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "no mode 1920x1080@75 "));
    /* "@59" means 58.5..59.5 Hz: neither 59.94 nor 60 */
    ck_assert_int_eq(choose_fail(card, "drm:DP-1@1920x1080@59", 0, 0, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    /* an explicit mode is hard even when the board size would match */
    ck_assert_int_eq(choose_fail(card, "drm@1600x900", 1920, 1080, &err),
                     BATON_ERR_INVALID_ARGUMENT);
    free(card);
}
END_TEST

START_TEST(test_jetson_unknown_connector)
{
    drm_card_desc *card = jetson();
    baton_error err;
    ck_assert_int_eq(choose_fail(card, "drm:HDMI-A-1", 0, 0, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(err.message, "drm sink: no connector 'HDMI-A-1' (available: DP-1 connected)");
    ck_assert_int_eq(choose_fail(card, "drm:DP-10", 0, 0, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(choose_fail(card, "drm:DP", 0, 0, &err), BATON_ERR_INVALID_ARGUMENT);
    free(card);
}
END_TEST

/* ---- refresh rates -------------------------------------------------------------- */

START_TEST(test_refresh_59_94_vs_60)
{
    /* what the kernel's timings give */
    ck_assert_uint_eq(drm_modes_refresh_mhz(148500, 2200, 1125, 0, false, false, 60), 60000);
    ck_assert_uint_eq(drm_modes_refresh_mhz(148352, 2200, 1125, 0, false, false, 60), 59940);
    ck_assert_uint_eq(drm_modes_refresh_mhz(594000, 4400, 2250, 0, false, false, 60), 60000);
    ck_assert_uint_eq(drm_modes_refresh_mhz(593407, 4400, 2250, 0, false, false, 60), 59940);
    ck_assert_uint_eq(drm_modes_refresh_mhz(74176, 2750, 1125, 0, false, false, 24), 23976);
    ck_assert_uint_eq(drm_modes_refresh_mhz(74250, 2200, 1125, 0, true, false, 60), 60000);
    ck_assert_uint_eq(drm_modes_refresh_mhz(25175, 800, 525, 0, false, false, 60), 59940);
    ck_assert_uint_eq(drm_modes_refresh_mhz(40000, 1056, 628, 0, false, true, 30), 30158);
    ck_assert_uint_eq(drm_modes_refresh_mhz(40000, 1056, 628, 2, false, false, 30), 30158);
    ck_assert_uint_eq(drm_modes_refresh_mhz(0, 2200, 1125, 0, false, false, 60), 60000);
    ck_assert_uint_eq(drm_modes_refresh_mhz(148500, 0, 1125, 0, false, false, 50), 50000);

    drm_card_desc *card = jetson();
    /* "@60" accepts 59.94 and 60: the closer wins */
    drm_choice ch = choose_ok(card, "@1920x1080@60", 0, 0);
    assert_mode(card, &ch, 1920, 1080, 60000, false);
    ch = choose_ok(card, "@1920x1080@59.94", 0, 0);
    assert_mode(card, &ch, 1920, 1080, 59940, false);
    ch = choose_ok(card, "@1920x1080@59.9", 0, 0); /* 59.85..59.95 */
    assert_mode(card, &ch, 1920, 1080, 59940, false);
    ch = choose_ok(card, "@1920x1080@59.940", 0, 0);
    assert_mode(card, &ch, 1920, 1080, 59940, false);
    ch = choose_ok(card, "@2560x1440@60", 0, 0);  /* 59.951 rounds to 60 */
    assert_mode(card, &ch, 2560, 1440, 59951, false);
    ch = choose_ok(card, "@3840x2160@59.94", 0, 0);
    assert_mode(card, &ch, 3840, 2160, 59940, false);
    baton_error err;
    ck_assert_int_eq(choose_fail(card, "@2560x1440@59.94", 0, 0, &err), BATON_ERR_INVALID_ARGUMENT);

    /* a monitor with only 59.94 at 1080p */
    drm_card_desc *only = calloc(1, sizeof *only);
    ck_assert_ptr_nonnull(only);
    add_crtcs(only, 1, 1);
    add_encoder(only, 2, 0, 1);
    static const uint32_t enc[] = {2};
    static const mode_init m[] = {{1920, 1080, HZ(59.94), true, false}};
    add_connector(only, 3, DRM_MODE_CONNECTOR_HDMIA, 1, DRM_CONN_CONNECTED, 0, enc, 1, m, 1);
    ch = choose_ok(only, "@1920x1080@60", 0, 0); /* 60 = 59.5..60.5 */
    assert_mode(only, &ch, 1920, 1080, 59940, false);
    ck_assert_int_eq(choose_fail(only, "@1920x1080@60.00", 0, 0, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "no mode 1920x1080@60 (modes: 1920x1080@59.94 (preferred))"));
    free(only);
    free(card);
}
END_TEST

START_TEST(test_format_refresh)
{
    char b[24];
    ck_assert_str_eq(drm_modes_format_refresh(60000, b, sizeof b), "60");
    ck_assert_str_eq(drm_modes_format_refresh(59940, b, sizeof b), "59.94");
    ck_assert_str_eq(drm_modes_format_refresh(23976, b, sizeof b), "23.976");
    ck_assert_str_eq(drm_modes_format_refresh(119880, b, sizeof b), "119.88");
    ck_assert_str_eq(drm_modes_format_refresh(50500, b, sizeof b), "50.5");
    ck_assert_str_eq(drm_modes_format_refresh(5, b, sizeof b), "0.005");
    ck_assert_str_eq(drm_modes_format_refresh(0, b, sizeof b), "0");
    /* what it prints parses back to the same millihertz */
    static const uint32_t v[] = {59940, 23976, 29970, 59951, 75025, 144000};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char s[64];
        snprintf(s, sizeof s, "drm:DP-1@1920x1080@%s", drm_modes_format_refresh(v[i], b, sizeof b));
        ck_assert_uint_eq(spec_of(s).refresh_mhz, v[i]);
    }
}
END_TEST

/* ---- x86 desktop -------------------------------------------------------------------- */

START_TEST(test_desktop_auto_skips_disconnected)
{
    drm_card_desc *card = desktop();
    drm_choice ch = choose_ok(card, "drm", 0, 0);
    ck_assert_str_eq(card->connectors[ch.connector].name, "DP-1");
    assert_mode(card, &ch, 1920, 1080, 60000, false);
    /* DP-1 is on CRTC 200 already: keep it */
    ck_assert_uint_eq(card->crtcs[ch.crtc], 200);
    ck_assert(ch.crtc_was_driving);
    ck_assert_uint_eq(card->encoders[ch.encoder].id, 21);
    free(card);
}
END_TEST

START_TEST(test_desktop_disconnected_named)
{
    drm_card_desc *card = desktop();
    baton_error err;
    ck_assert_int_eq(choose_fail(card, "drm:HDMI-A-1", 0, 0, &err), BATON_ERR_UNSUPPORTED);
    ck_assert_str_eq(err.message,
                     "drm sink: connector HDMI-A-1 is disconnected (connectors: HDMI-A-1 "
                     "disconnected, DP-1 connected, DP-2 connected)");
    ck_assert_int_eq(choose_fail(card, "drm:HDMI-A-2", 0, 0, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(err.message,
                     "drm sink: no connector 'HDMI-A-2' (available: HDMI-A-1 disconnected, DP-1 "
                     "connected, DP-2 connected)");
    /* the other way round: HDMI connected first in order, DP unplugged */
    card->connectors[0].connection = DRM_CONN_CONNECTED;
    static const mode_init tv[] = {{1920, 1080, HZ(60), false, false},
                                   {1280, 720, HZ(60), true, false}};
    for (uint32_t i = 0; i < 2; i++)
        card->connectors[0].modes[card->connectors[0].mode_count++] =
            (drm_mode_desc){tv[i].w, tv[i].h, tv[i].mhz, tv[i].preferred, tv[i].interlaced};
    card->connectors[1].connection = DRM_CONN_DISCONNECTED;
    drm_choice ch = choose_ok(card, "drm", 0, 0);
    ck_assert_str_eq(card->connectors[ch.connector].name, "HDMI-A-1");
    assert_mode(card, &ch, 1280, 720, 60000, false); /* the TV prefers 720p */
    /* DP-1 is unplugged yet its stale encoder still holds CRTC 200 */
    ck_assert_uint_eq(card->crtcs[ch.crtc], 201);
    free(card);
}
END_TEST

START_TEST(test_desktop_second_dp_gets_free_crtc)
{
    drm_card_desc *card = desktop();
    drm_choice ch = choose_ok(card, "drm:DP-2", 1920, 1080);
    ck_assert_str_eq(card->connectors[ch.connector].name, "DP-2");
    assert_mode(card, &ch, 1920, 1080, 60000, false);
    ck_assert_uint_eq(card->crtcs[ch.crtc], 201); /* 200 drives DP-1 */
    ck_assert(!ch.crtc_was_driving);
    ck_assert_uint_eq(card->encoders[ch.encoder].id, 22);
    free(card);
}
END_TEST

START_TEST(test_crtc_in_use)
{
    drm_card_desc *card = desktop();
    baton_error err;
    /* DP-2's encoder may only use CRTC 200, which drives DP-1 */
    card->encoders[2].possible_crtcs = 0x1;
    ck_assert_int_eq(choose_fail(card, "drm:DP-2", 0, 0, &err), BATON_ERR_EXHAUSTED);
    ck_assert_str_eq(err.message,
                     "drm sink: no free CRTC for DP-2 (its encoders can use: CRTC 200 driving "
                     "DP-1); turn one of those displays off or drive it instead");
    /* a second encoder that can reach a free CRTC rescues it */
    add_encoder(card, 23, 0, 0x4);
    card->connectors[2].encoders[card->connectors[2].encoder_count++] = 23;
    drm_choice ch = choose_ok(card, "drm:DP-2", 0, 0);
    ck_assert_uint_eq(card->crtcs[ch.crtc], 202);
    ck_assert_uint_eq(card->encoders[ch.encoder].id, 23);
    /* both CRTCs busy: DP-1 on 200, HDMI-A-1 (another monitor) on 202 */
    card->connectors[0].connection = DRM_CONN_CONNECTED;
    card->connectors[0].encoder_id = 20;
    card->encoders[0].crtc_id = 202;
    ck_assert_int_eq(choose_fail(card, "drm:DP-2", 0, 0, &err), BATON_ERR_EXHAUSTED);
    ck_assert_ptr_nonnull(strstr(err.message, "CRTC 200 driving DP-1, CRTC 202 driving HDMI-A-1"));
    /* an encoder that can drive nothing */
    card->encoders[2].possible_crtcs = 0;
    card->connectors[2].encoder_count = 1;
    ck_assert_int_eq(choose_fail(card, "drm:DP-2", 0, 0, &err), BATON_ERR_EXHAUSTED);
    ck_assert_ptr_nonnull(strstr(err.message, "none of its 1 encoder(s)"));
    /* a current encoder with no CRTC is not "driving" */
    card->encoders[2].possible_crtcs = 0x7;
    card->connectors[2].encoder_id = 22;
    ch = choose_ok(card, "drm:DP-2", 0, 0);
    ck_assert(!ch.crtc_was_driving);
    ck_assert_uint_eq(card->crtcs[ch.crtc], 201);
    free(card);
}
END_TEST

START_TEST(test_ties_within_a_size)
{
    drm_card_desc *card = calloc(1, sizeof *card);
    ck_assert_ptr_nonnull(card);
    add_crtcs(card, 1, 1);
    add_encoder(card, 2, 0, 1);
    static const uint32_t enc[] = {2};
    /* a 50 Hz-region TV: 1080p50 preferred, 1080p60 and 59.94 also offered */
    static const mode_init m[] = {
        {1920, 1080, HZ(60), false, false},  {1920, 1080, HZ(59.94), false, false},
        {1920, 1080, HZ(50), true, false},   {1920, 1080, HZ(50), false, true},
        {1280, 720, HZ(50), false, false},   {1280, 720, HZ(60), false, true},
        {1280, 720, HZ(59.94), false, false},
    };
    add_connector(card, 3, DRM_MODE_CONNECTOR_HDMIA, 1, DRM_CONN_CONNECTED, 0, enc, 1, m, N(m));
    /* size only: the preferred mode beats a higher refresh */
    drm_choice ch = choose_ok(card, "drm", 1920, 1080);
    assert_mode(card, &ch, 1920, 1080, 50000, false);
    ch = choose_ok(card, "drm@1920x1080", 0, 0);
    assert_mode(card, &ch, 1920, 1080, 50000, false);
    /* a refresh asked for: closeness beats preference */
    ch = choose_ok(card, "drm@1920x1080@60", 0, 0);
    assert_mode(card, &ch, 1920, 1080, 60000, false);
    /* progressive beats interlaced even at a higher refresh */
    ch = choose_ok(card, "drm@1280x720", 0, 0);
    assert_mode(card, &ch, 1280, 720, 59940, false);
    /* same distance (60 asked, 59.94 progressive vs 60 interlaced: 60i is
     * closer and wins; then with only 59.94 and 60.06 left: progressive) */
    ch = choose_ok(card, "drm@1280x720@60", 0, 0);
    assert_mode(card, &ch, 1280, 720, 60000, true);
    card->connectors[0].modes[5] = (drm_mode_desc){1280, 720, 60060, false, true};
    ch = choose_ok(card, "drm@1280x720@60", 0, 0);
    assert_mode(card, &ch, 1280, 720, 59940, false);
    free(card);
}
END_TEST

START_TEST(test_no_preferred_takes_largest)
{
    drm_card_desc *card = calloc(1, sizeof *card);
    ck_assert_ptr_nonnull(card);
    add_crtcs(card, 1, 1);
    add_encoder(card, 2, 0, 1);
    static const uint32_t enc[] = {2};
    static const mode_init m[] = {
        {1280, 720, HZ(60), false, false},  {1920, 1080, HZ(30), false, false},
        {1920, 1080, HZ(60), false, true},  {1920, 1080, HZ(50), false, false},
        {1440, 1440, HZ(60), false, false}, /* 2073600 px, = 1920x1080 x 1.0 */
    };
    add_connector(card, 3, DRM_MODE_CONNECTOR_HDMIA, 1, DRM_CONN_CONNECTED, 0, enc, 1, m, N(m));
    drm_choice ch = choose_ok(card, "drm", 0, 0);
    ck_assert_int_eq(ch.reason, DRM_MODE_BY_LARGEST);
    /* same area: progressive over interlaced, then the higher refresh */
    assert_mode(card, &ch, 1440, 1440, 60000, false);
    card->connectors[0].mode_count = 4;
    ch = choose_ok(card, "drm", 0, 0);
    assert_mode(card, &ch, 1920, 1080, 50000, false);
    free(card);
}
END_TEST

START_TEST(test_edge_cards)
{
    baton_error err;
    drm_card_desc *card = calloc(1, sizeof *card);
    ck_assert_ptr_nonnull(card);
    ck_assert_int_eq(choose_fail(card, "drm", 0, 0, &err), BATON_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.message, "has no connectors"));
    add_crtcs(card, 1, 1);
    add_encoder(card, 2, 0, 1);
    static const uint32_t enc[] = {2};
    add_connector(card, 3, DRM_MODE_CONNECTOR_HDMIA, 1, DRM_CONN_DISCONNECTED, 0, enc, 1, NULL, 0);
    add_connector(card, 4, DRM_MODE_CONNECTOR_DSI, 1, DRM_CONN_UNKNOWN, 0, enc, 1, NULL, 0);
    ck_assert_int_eq(choose_fail(card, "drm", 0, 0, &err), BATON_ERR_UNSUPPORTED);
    ck_assert_str_eq(err.message, "drm sink: no connected display (connectors: HDMI-A-1 "
                                  "disconnected, DSI-1 unknown)");
    /* named, state unknown, no modes */
    ck_assert_int_eq(choose_fail(card, "drm:DSI-1", 0, 0, &err), BATON_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.message, "DSI-1 (unknown) reports no modes"));
    /* named, state unknown, with modes: allowed (panels often report unknown) */
    card->connectors[1].modes[card->connectors[1].mode_count++] =
        (drm_mode_desc){1080, 1920, 60000, true, false};
    drm_choice ch = choose_ok(card, "drm:DSI-1", 0, 0);
    assert_mode(card, &ch, 1080, 1920, 60000, false);
    /* connected with no modes */
    card->connectors[0].connection = DRM_CONN_CONNECTED;
    ck_assert_int_eq(choose_fail(card, "drm", 0, 0, &err), BATON_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.message, "HDMI-A-1 (connected) reports no modes"));
    free(card);
    ck_assert_int_eq(drm_modes_choose(NULL, NULL, 0, 0, NULL, &err), BATON_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_long_lists_fit)
{
    drm_card_desc *card = calloc(1, sizeof *card);
    ck_assert_ptr_nonnull(card);
    add_crtcs(card, 1, 1);
    add_encoder(card, 2, 0, 1);
    static const uint32_t enc[] = {2};
    drm_connector_desc *c = add_connector(card, 3, DRM_MODE_CONNECTOR_DisplayPort, 1,
                                          DRM_CONN_CONNECTED, 0, enc, 1, NULL, 0);
    for (uint32_t i = 0; i < DRM_MODES_MAX_MODES; i++)
        c->modes[c->mode_count++] = (drm_mode_desc){4000 - i, 2000 - i, 60000 + i, i == 0, false};
    baton_error err;
    ck_assert_int_eq(choose_fail(card, "drm@640x480", 0, 0, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "more)"));
    ck_assert_uint_lt(strlen(err.message), sizeof err.message - 1);
    char small[40];
    drm_modes_list_modes(c, small, sizeof small);
    ck_assert_uint_lt(strlen(small), sizeof small);
    ck_assert_ptr_nonnull(strstr(small, "more)"));
    for (uint32_t i = 1; i < DRM_MODES_MAX_CONNECTORS; i++)
        add_connector(card, 10 + i, DRM_MODE_CONNECTOR_DisplayPort, 1 + i, DRM_CONN_DISCONNECTED,
                      0, enc, 1, NULL, 0);
    ck_assert_int_eq(choose_fail(card, "drm:VGA-1", 0, 0, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "DP-1 connected, DP-2 disconnected"));
    drm_modes_list_connectors(card, small, sizeof small);
    ck_assert_ptr_nonnull(strstr(small, "more)"));
    drm_card_desc empty;
    memset(&empty, 0, sizeof empty);
    drm_modes_list_connectors(&empty, small, sizeof small);
    ck_assert_str_eq(small, "none");
    free(card);
}
END_TEST

/* ---- names ------------------------------------------------------------------------ */

START_TEST(test_connector_type_names)
{
    /* the kernel's drm_connector_enum_list, by DRM_MODE_CONNECTOR_* value */
    static const char *const kernel[] = {
        "Unknown", "VGA", "DVI-I", "DVI-D", "DVI-A", "Composite", "SVIDEO", "LVDS", "Component",
        "DIN", "DP", "HDMI-A", "HDMI-B", "TV", "eDP", "Virtual", "DSI", "DPI", "Writeback", "SPI",
        "USB"};
    for (uint32_t t = 0; t < sizeof kernel / sizeof kernel[0]; t++)
        ck_assert_str_eq(drm_modes_connector_type_name(t), kernel[t]);
    ck_assert_uint_eq(sizeof kernel / sizeof kernel[0] - 1, 20); /* DRM_MODE_CONNECTOR_USB */
    ck_assert_str_eq(drm_modes_connector_type_name(DRM_MODE_CONNECTOR_HDMIA), "HDMI-A");
    ck_assert_str_eq(drm_modes_connector_type_name(DRM_MODE_CONNECTOR_DisplayPort), "DP");
    ck_assert_str_eq(drm_modes_connector_type_name(DRM_MODE_CONNECTOR_eDP), "eDP");
    ck_assert_str_eq(drm_modes_connector_type_name(DRM_MODE_CONNECTOR_DSI), "DSI");
    ck_assert_str_eq(drm_modes_connector_type_name(999), "Unknown");
    /* and against libdrm's own table where it has one */
    if (!drmModeGetConnectorTypeName) {
        printf("  libdrm has no drmModeGetConnectorTypeName (< 2.4.113): compared with the "
               "kernel's names only\n");
        return;
    }
    for (uint32_t t = 0; t < sizeof kernel / sizeof kernel[0]; t++) {
        const char *theirs = drmModeGetConnectorTypeName(t);
        ck_assert_ptr_nonnull(theirs);
        ck_assert_msg(strcmp(drm_modes_connector_type_name(t), theirs) == 0,
                      "type %u: ours %s, libdrm %s", t, drm_modes_connector_type_name(t), theirs);
    }
    ck_assert_ptr_null(drmModeGetConnectorTypeName(999)); /* libdrm: NULL, ours: "Unknown" */
    printf("  connector type names match libdrm's drmModeGetConnectorTypeName for 0..20\n");
}
END_TEST

START_TEST(test_spec_grammar)
{
    drm_spec s = spec_of("drm:HDMI-A-1@1920x1080@60");
    ck_assert_str_eq(s.connector, "HDMI-A-1");
    ck_assert_uint_eq(s.width, 1920);
    ck_assert_uint_eq(s.height, 1080);
    ck_assert_uint_eq(s.refresh_mhz, 60000);
    ck_assert_uint_eq(s.refresh_tol_mhz, 500);
    s = spec_of(":DP-1@3840x2160@59.94");
    ck_assert_str_eq(s.connector, "DP-1");
    ck_assert_uint_eq(s.refresh_mhz, 59940);
    ck_assert_uint_eq(s.refresh_tol_mhz, 5);
    s = spec_of("@1280x720@23.976");
    ck_assert_str_eq(s.connector, "");
    ck_assert_uint_eq(s.refresh_mhz, 23976);
    ck_assert_uint_eq(s.refresh_tol_mhz, 1);
    s = spec_of("drm:eDP-1@1x1@59.9");
    ck_assert_uint_eq(s.refresh_mhz, 59900);
    ck_assert_uint_eq(s.refresh_tol_mhz, 50);
    s = spec_of("");
    ck_assert_str_eq(s.connector, "");
    ck_assert_uint_eq(s.width, 0);
    ck_assert_uint_eq(s.refresh_mhz, 0);
    s = spec_of("drm:auto");
    ck_assert_str_eq(s.connector, "");
    s = spec_of("drm:Unknown-3");
    ck_assert_str_eq(s.connector, "Unknown-3");
    s = spec_of("drm@16384x16384@1000");
    ck_assert_uint_eq(s.width, 16384);
    ck_assert_uint_eq(s.refresh_mhz, 1000000);
    ck_assert_int_eq(s.via, DRM_VIA_AUTO);
    s = spec_of("drm:Virtual-1@640x480,via=kms");
    ck_assert_str_eq(s.connector, "Virtual-1");
    ck_assert_uint_eq(s.width, 640);
    ck_assert_int_eq(s.via, DRM_VIA_KMS);
    s = spec_of("drm,via=vulkan");
    ck_assert_str_eq(s.connector, "");
    ck_assert_int_eq(s.via, DRM_VIA_VULKAN);
    s = spec_of("drm:DP-1,via=auto");
    ck_assert_str_eq(s.connector, "DP-1");
    ck_assert_int_eq(s.via, DRM_VIA_AUTO);
    s = spec_of("drm:auto@1280x720@60,via=kms");
    ck_assert_str_eq(s.connector, "");
    ck_assert_uint_eq(s.refresh_mhz, 60000);
    ck_assert_int_eq(s.via, DRM_VIA_KMS);

    static const char *const bad[] = {
        "drm:DP-1@", "drm:DP-1@1920", "drm:DP-1@1920x", "drm:DP-1@0x1080", "drm:DP-1@1920x0",
        "drm:DP-1@1920x1080@", "drm:DP-1@1920x1080@0", "drm:DP-1@1920x1080@60.",
        "drm:DP-1@1920x1080@60.1234", "drm:DP-1@1920x1080@60Hz", "drm:DP-1@1920x1080@1001",
        "drm:DP-1@16385x100", "drm:DP-1@1920x1080x", "drm:DP 1", "drm:DP/1", "drmfoo",
        "HDMI-A-1", "drm:DP-1@-1920x1080", "drm:DP-1@+1920x1080", "drm:DP-1@1920x1080@-60",
        "drm:ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", "drm:DP-1@1920x1080@60@60",
        "drm:DP-1,", "drm:DP-1,via=", "drm:DP-1,via=KMS", "drm:DP-1,via=kms,", "drm:DP-1,kms",
        "drm:DP-1,via=kms@640x480", "drm:DP-1,via=kms,via=vulkan",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        baton_error err;
        drm_spec out;
        memset(&out, 0x5a, sizeof out);
        drm_spec before = out;
        ck_assert_msg(drm_spec_parse(bad[i], &out, &err) == BATON_ERR_INVALID_ARGUMENT,
                      "'%s' parsed", bad[i]);
        ck_assert_msg(strstr(err.message, "want drm[:CONNECTOR|auto][@WxH[@HZ]]") != NULL, "%s",
                      err.message);
        char quoted[96];
        snprintf(quoted, sizeof quoted, "drm sink: bad display spec '%s'", bad[i]);
        ck_assert_msg(strstr(err.message, quoted) != NULL, "%s", err.message);
        ck_assert(memcmp(&out, &before, sizeof out) == 0);
    }
    baton_error err;
    ck_assert_int_eq(drm_spec_parse(":DP-1@1920x", &s, &err), BATON_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "'drm:DP-1@1920x'"));
    ck_assert_int_eq(drm_spec_parse(NULL, &s, &err), BATON_ERR_INVALID_ARGUMENT);
}
END_TEST

/* ---- the Vulkan side --------------------------------------------------------------- */

START_TEST(test_match_display)
{
    drm_card_desc *card = desktop(); /* DP-1 1080p preferred, DP-2 4K preferred */
    drm_vk_display named[] = {{"Samsung (DP-2)", 3840, 2160}, {"DELL U2415 (dp-1)", 1920, 1200}};
    ck_assert_int_eq(drm_modes_match_display(named, 2, card, 1), 1); /* DP-1 */
    ck_assert_int_eq(drm_modes_match_display(named, 2, card, 2), 0); /* DP-2 */
    drm_vk_display exact[] = {{"eDP-1", 1920, 1080}, {"DP-10", 1920, 1080}, {"DP-1", 640, 480}};
    ck_assert_int_eq(drm_modes_match_display(exact, 3, card, 1), 2);
    /* "eDP-1" and "DP-10" are not "DP-1"; by resolution 1080p is ambiguous */
    ck_assert_int_eq(drm_modes_match_display(exact, 2, card, 1), -1);
    /* no names: the only display of the connector's preferred size */
    drm_vk_display anon[] = {{NULL, 3840, 2160}, {"monitor", 1920, 1080}};
    ck_assert_int_eq(drm_modes_match_display(anon, 2, card, 1), 1);
    ck_assert_int_eq(drm_modes_match_display(anon, 2, card, 2), 0);
    ck_assert_int_eq(drm_modes_match_display(anon, 0, card, 1), -1);
    /* sysfs-style and MST names */
    drm_vk_display sysfs[] = {{"card0-DP-1-1", 2560, 1440}, {"card0-DP-1", 1, 1}};
    ck_assert_int_eq(drm_modes_match_display(sysfs, 2, card, 1), 1);
    ck_assert_int_eq(drm_modes_match_display(sysfs, 1, card, 1), -1);
    /* a single connected connector and a single display: that one */
    drm_card_desc *j = jetson();
    drm_vk_display one[] = {{"NVIDIA display 0", 1024, 768}};
    ck_assert_int_eq(drm_modes_match_display(one, 1, j, 0), 0);
    /* but not with two connected connectors and nothing else matching */
    ck_assert_int_eq(drm_modes_match_display(one, 1, card, 1), -1);
    ck_assert_int_eq(drm_modes_match_display(one, 1, card, 7), -1);
    free(j);
    free(card);
}
END_TEST

START_TEST(test_match_vk_mode)
{
    drm_vk_mode m[] = {{3840, 2160, 60000}, {1920, 1080, 60000}, {1920, 1080, 59940},
                       {1920, 1080, 59939}, {1920, 1080, 50000}};
    ck_assert_int_eq(drm_modes_match_vk_mode(m, 5, 1920, 1080, 60000, 10), 1);
    ck_assert_int_eq(drm_modes_match_vk_mode(m, 5, 1920, 1080, 59940, 10), 2);
    ck_assert_int_eq(drm_modes_match_vk_mode(m, 5, 1920, 1080, 59945, 10), 2);
    ck_assert_int_eq(drm_modes_match_vk_mode(m, 5, 1920, 1080, 59960, 10), -1);
    ck_assert_int_eq(drm_modes_match_vk_mode(m, 5, 1920, 1080, 50004, 10), 4);
    ck_assert_int_eq(drm_modes_match_vk_mode(m, 5, 1280, 720, 60000, 1000), -1);
    ck_assert_int_eq(drm_modes_match_vk_mode(m, 5, 3840, 2160, 59940, 10), -1);
    ck_assert_int_eq(drm_modes_match_vk_mode(NULL, 0, 3840, 2160, 60000, 10), -1);
}
END_TEST

START_TEST(test_fit)
{
    drm_fit f = drm_modes_fit(1920, 1080, 1920, 1080);
    ck_assert(f.covers);
    ck_assert_uint_eq(f.width, 1920);
    ck_assert_uint_eq(f.src_x + f.src_y + f.dst_x + f.dst_y, 0);
    f = drm_modes_fit(1920, 1080, 3840, 2160); /* centred with a border */
    ck_assert(!f.covers);
    ck_assert_uint_eq(f.dst_x, 960);
    ck_assert_uint_eq(f.dst_y, 540);
    ck_assert_uint_eq(f.src_x, 0);
    ck_assert_uint_eq(f.width, 1920);
    ck_assert_uint_eq(f.height, 1080);
    f = drm_modes_fit(3840, 2160, 1920, 1080); /* centre crop */
    ck_assert(f.covers);
    ck_assert_uint_eq(f.src_x, 960);
    ck_assert_uint_eq(f.src_y, 540);
    ck_assert_uint_eq(f.dst_x, 0);
    f = drm_modes_fit(1280, 1024, 1920, 1080); /* wider target, taller frame */
    ck_assert(!f.covers);
    ck_assert_uint_eq(f.width, 1280);
    ck_assert_uint_eq(f.height, 1024);
    ck_assert_uint_eq(f.dst_x, 320);
    ck_assert_uint_eq(f.dst_y, 28);
    f = drm_modes_fit(1920, 800, 1920, 1080); /* letterbox: full width only */
    ck_assert(!f.covers);
    ck_assert_uint_eq(f.dst_y, 140);
    f = drm_modes_fit(1000, 1080, 1920, 1080); /* pillarbox: full height only */
    ck_assert(!f.covers);
    ck_assert_uint_eq(f.dst_x, 460);
    f = drm_modes_fit(2000, 100, 1920, 1080);
    ck_assert_uint_eq(f.src_x, 40);
    ck_assert_uint_eq(f.width, 1920);
    ck_assert_uint_eq(f.dst_y, 490);
}
END_TEST

/* Into a scanout buffer larger than the frame: only the fit's rectangle is
 * written, in R,G,B,X or B,G,R,X order, X = 0xff. */
START_TEST(test_copy_frame)
{
    enum { FW = 5, FH = 3, SP = FW * 4 + 8, DW = 9, DH = 7, DP = DW * 4 + 12 };
    uint8_t src[FH * SP], dst[DH * DP];
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (uint8_t)(i * 7 + 3);
    for (int swap = 0; swap < 2; swap++) {
        memset(dst, 0xee, sizeof dst);
        drm_fit f = drm_modes_fit(FW, FH, DW, DH);
        ck_assert_uint_eq(f.dst_x, 2);
        ck_assert_uint_eq(f.dst_y, 2);
        drm_modes_copy_frame(dst, DP, src, SP, &f, swap);
        for (uint32_t y = 0; y < DH; y++)
            for (uint32_t x = 0; x < DP; x++) {
                uint8_t got = dst[y * DP + x];
                uint32_t px = x / 4, c = x % 4;
                bool inside = y >= 2 && y < 2 + FH && px >= 2 && px < 2 + FW;
                if (!inside) {
                    ck_assert_msg(got == 0xee, "(%u,%u) byte %u touched", px, y, c);
                    continue;
                }
                const uint8_t *in = src + (y - 2) * SP + (px - 2) * 4;
                uint8_t want = c == 3 ? 0xff : swap ? in[2 - c] : in[c];
                ck_assert_msg(got == want, "swap %d (%u,%u) byte %u: %u, want %u", swap, px, y,
                              c, got, want);
            }
    }
    /* a centre crop reads the middle of the frame */
    memset(dst, 0, sizeof dst);
    drm_fit f = drm_modes_fit(FW, FH, 3, 1);
    ck_assert_uint_eq(f.src_x, 1);
    ck_assert_uint_eq(f.src_y, 1);
    drm_modes_copy_frame(dst, DP, src, SP, &f, false);
    ck_assert_int_eq(memcmp(dst, src + SP + 4, 3), 0);
    ck_assert_uint_eq(dst[3], 0xff);
    ck_assert_int_eq(memcmp(dst + 8, src + SP + 12, 3), 0);
}
END_TEST

START_TEST(test_vblank_ring)
{
    drm_vblank_ring r;
    memset(&r, 0, sizeof r);
    drm_vblank out[DRM_VBLANK_KEEP + 8];
    ck_assert_uint_eq(drm_vblank_copy(&r, out, 8), 0);
    for (uint64_t i = 0; i < 10; i++) {
        drm_vblank v = {i, 1000 + i, 16666667u * i, DRM_VBLANK_FROM_DRM_EVENT};
        drm_vblank_push(&r, &v);
    }
    ck_assert_uint_eq(drm_vblank_copy(&r, out, 4), 4);
    ck_assert_uint_eq(out[0].frame, 6); /* the newest four, oldest first */
    ck_assert_uint_eq(out[3].frame, 9);
    ck_assert_uint_eq(out[3].sequence, 1009);
    for (uint64_t i = 10; i < 100; i++) {
        drm_vblank v = {i, 1000 + i, 16666667u * i, DRM_VBLANK_FROM_DISPLAY_TIMING};
        drm_vblank_push(&r, &v);
    }
    ck_assert_uint_eq(r.total, 100);
    size_t n = drm_vblank_copy(&r, out, sizeof out / sizeof out[0]);
    ck_assert_uint_eq(n, DRM_VBLANK_KEEP);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(out[i].frame, 100 - DRM_VBLANK_KEEP + i);
    ck_assert_int_eq(out[0].source, DRM_VBLANK_FROM_DISPLAY_TIMING);
}
END_TEST

/* ---- libdrm on something that is not a DRM device ------------------------------------ */

START_TEST(test_describe_not_drm)
{
    int before = test_open_fd_count();
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    drm_card_desc *card = calloc(1, sizeof *card);
    ck_assert_ptr_nonnull(card);
    baton_error err;
    ck_assert_int_eq(drm_modes_describe(fd, "/dev/null", card, &err), BATON_ERR_UNSUPPORTED);
    printf("  describe(/dev/null) -> %s\n", err.message);
    ck_assert_ptr_nonnull(strstr(err.message, "/dev/null is not a KMS display device"));
    ck_assert_uint_eq(card->connector_count, 0);
    ck_assert_int_eq(drm_modes_describe(-1, NULL, card, &err), BATON_ERR_UNSUPPORTED);
    ck_assert_int_eq(drm_modes_describe(fd, NULL, NULL, &err), BATON_ERR_INVALID_ARGUMENT);
    close(fd);
    free(card);
    ck_assert_int_eq(test_open_fd_count(), before);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("drm_modes");
    TCase *tc = tcase_create("selection");
    tcase_add_test(tc, test_jetson_auto_preferred_4k);
    tcase_add_test(tc, test_jetson_board_size);
    tcase_add_test(tc, test_jetson_explicit_modes);
    tcase_add_test(tc, test_jetson_explicit_mode_missing);
    tcase_add_test(tc, test_jetson_unknown_connector);
    tcase_add_test(tc, test_refresh_59_94_vs_60);
    tcase_add_test(tc, test_format_refresh);
    tcase_add_test(tc, test_desktop_auto_skips_disconnected);
    tcase_add_test(tc, test_desktop_disconnected_named);
    tcase_add_test(tc, test_desktop_second_dp_gets_free_crtc);
    tcase_add_test(tc, test_crtc_in_use);
    tcase_add_test(tc, test_ties_within_a_size);
    tcase_add_test(tc, test_no_preferred_takes_largest);
    tcase_add_test(tc, test_edge_cards);
    tcase_add_test(tc, test_long_lists_fit);
    suite_add_tcase(s, tc);
    TCase *tn = tcase_create("names and grammar");
    tcase_add_test(tn, test_connector_type_names);
    tcase_add_test(tn, test_spec_grammar);
    suite_add_tcase(s, tn);
    TCase *tv = tcase_create("vulkan side");
    tcase_add_test(tv, test_match_display);
    tcase_add_test(tv, test_match_vk_mode);
    tcase_add_test(tv, test_fit);
    tcase_add_test(tv, test_copy_frame);
    tcase_add_test(tv, test_vblank_ring);
    tcase_add_test(tv, test_describe_not_drm);
    suite_add_tcase(s, tv);
    return test_run_suite(s);
}

/* baton-trace - check, export and print saved trace files (baton/trace.h),
 * and write the pure plan of baton/schedule.h as a trace file.
 * Exit status: 0 success (check: the trace matches its plan), 1 check found
 * a mismatch, 2 bad usage, 3 a file could not be read, parsed or written. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/trace.h"

enum { EXIT_MATCH = 0, EXIT_MISMATCH = 1, EXIT_USAGE = 2, EXIT_FILE = 3 };

#define MAX_FRAMES 1000000u /* record-plan: up to 4 M events, 128 MiB of ring */
#define PLAN_T0_NS 1000000000u
#define PLAN_PERIOD_NS 1000000u /* one synthetic frame per millisecond */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: baton-trace check FILE\n"
            "       baton-trace perfetto FILE OUT.json\n"
            "       baton-trace timeline FILE [--from N] [--to M]\n"
            "       baton-trace record-plan --slots S --sync timeline|binary --frames N\n"
            "                               [--capacity E] OUT\n"
            "       baton-trace --help\n"
            "\n"
            "Work with trace files written by baton_trace_save (a recorded trace and the\n"
            "semaphore plan it must follow: slot count and sync mode).\n"
            "\n"
            "  check FILE          compare the recorded semaphore ops with the plan stored\n"
            "                      in FILE; print \"trace matches plan: ...\" or the first\n"
            "                      difference (exit 1)\n"
            "  perfetto FILE OUT   write Chrome/Perfetto JSON (open it in ui.perfetto.dev\n"
            "                      or chrome://tracing): the ops on host tracks, an arrow\n"
            "                      from each signal to the wait it satisfies, the stage\n"
            "                      spans on GPU tracks (CUDA stream, Vulkan queue)\n"
            "  timeline FILE       print the retained ops and spans per frame, host times\n"
            "                      relative to the first retained op\n"
            "    --from N          first frame to print (default 0)\n"
            "    --to M            last frame to print (default: the last)\n"
            "  record-plan OUT     write the pure plan as a trace file with synthetic host\n"
            "                      times (one frame per ms; for demos and tests)\n"
            "    --slots S         slots, %u..%u\n"
            "    --sync MODE       timeline or binary\n"
            "    --frames N        frames 0..N-1, N = 1..%u\n"
            "    --capacity E      event ring capacity (default: every op); a smaller ring\n"
            "                      keeps only the last E ops, as a long run would\n"
            "  -h, --help          this text\n"
            "\n"
            "exit status: 0 success (check: the trace matches its plan); 1 check found a\n"
            "mismatch; 2 bad arguments; 3 a file could not be read, parsed or written.\n",
            BATON_SLOTS_MIN, BATON_SLOTS_MAX, MAX_FRAMES);
}

/* ---- arguments ---- */

typedef struct args {
    const char *cmd;
    const char *pos[3];
    int npos;
    uint64_t from, to, slots, frames, capacity;
    bool has_slots, has_frames, has_capacity, has_sync;
    baton_sync_mode sync;
} args;

typedef struct command {
    const char *name;
    const struct option *opts;
    int npos;             /* positional arguments, exactly */
    const char *pos_help; /* their names, for the error message */
    int (*run)(const args *a);
} command;

__attribute__((format(printf, 2, 3)))
static int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "baton-trace%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (try --help)\n");
    return EXIT_USAGE;
}

/* Decimal digits only (no sign, no spaces), min..max. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end != '\0' || v < min || v > max)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* Returns -1 to go on, else the exit status. */
static int parse_option(args *a, int c, const char *arg, const char *opt)
{
    switch (c) {
    case 'F':
        if (parse_u64(arg, 0, UINT64_MAX - 1, &a->from))
            return usage_error(a->cmd, "--from wants a frame number, got '%s'", arg);
        return -1;
    case 'T':
        if (parse_u64(arg, 0, UINT64_MAX - 1, &a->to))
            return usage_error(a->cmd, "--to wants a frame number, got '%s'", arg);
        return -1;
    case 'S':
        if (parse_u64(arg, BATON_SLOTS_MIN, BATON_SLOTS_MAX, &a->slots))
            return usage_error(a->cmd, "--slots wants %u..%u, got '%s'", BATON_SLOTS_MIN,
                               BATON_SLOTS_MAX, arg);
        a->has_slots = true;
        return -1;
    case 'N':
        if (parse_u64(arg, 1, MAX_FRAMES, &a->frames))
            return usage_error(a->cmd, "--frames wants 1..%u, got '%s'", MAX_FRAMES, arg);
        a->has_frames = true;
        return -1;
    case 'C':
        if (parse_u64(arg, 1, UINT32_MAX, &a->capacity))
            return usage_error(a->cmd, "--capacity wants 1..%" PRIu32 ", got '%s'", UINT32_MAX,
                               arg);
        a->has_capacity = true;
        return -1;
    case 'Y':
        if (strcmp(arg, "timeline") == 0)
            a->sync = BATON_SYNC_TIMELINE;
        else if (strcmp(arg, "binary") == 0)
            a->sync = BATON_SYNC_BINARY;
        else
            return usage_error(a->cmd, "--sync wants timeline or binary, got '%s'", arg);
        a->has_sync = true;
        return -1;
    case 'h':
        usage(stdout);
        return EXIT_MATCH;
    case ':':
        return usage_error(a->cmd, "option '%s' needs a value", opt);
    default:
        return usage_error(a->cmd, "unknown option '%s'", opt);
    }
}

/* argv[0] is the command name. Returns -1 when a->... is ready to run. */
static int parse_args(const command *cmd, int argc, char **argv, args *a)
{
    int c;
    memset(a, 0, sizeof *a);
    a->cmd = cmd->name;
    a->to = UINT64_MAX;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", cmd->opts, NULL)) != -1) {
        int rc = parse_option(a, c, optarg, argv[optind - 1]);
        if (rc >= 0)
            return rc;
    }
    if (argc - optind != cmd->npos)
        return usage_error(cmd->name, "wants %s, got %d argument%s", cmd->pos_help,
                           argc - optind, argc - optind == 1 ? "" : "s");
    for (int i = 0; i < cmd->npos; i++)
        a->pos[i] = argv[optind + i];
    a->npos = cmd->npos;
    return -1;
}

/* ---- commands ---- */

static int load(const char *path, baton_trace **t, baton_schedule *sch)
{
    baton_error err = {0};
    if (baton_trace_load(path, t, sch, &err) != BATON_OK) {
        fprintf(stderr, "baton-trace: %s\n", err.message);
        return EXIT_FILE;
    }
    return -1;
}

static int cmd_check(const args *a)
{
    baton_trace *t = NULL;
    baton_schedule sch;
    int rc = load(a->pos[0], &t, &sch);
    if (rc >= 0)
        return rc;
    baton_error err = {0};
    baton_status st = baton_trace_check(t, &sch, &err);
    const char *mode = baton_sync_mode_name(sch.mode);
    uint32_t n = baton_trace_count(t);
    if (st == BATON_OK && n == 0) {
        printf("trace matches plan: 0 events, %" PRIu32 " slots, %s\n", sch.slots, mode);
    } else if (st == BATON_OK) {
        printf("trace matches plan: %" PRIu32 " events, frames %" PRIu64 "..%" PRIu64
               ", %" PRIu32 " slots, %s", n, baton_trace_event_at(t, 0)->op.frame,
               baton_trace_event_at(t, n - 1)->op.frame, sch.slots, mode);
        if (baton_trace_dropped(t))
            printf(" (%" PRIu64 " earlier events were overwritten in the ring)",
                   baton_trace_dropped(t));
        printf("\n");
    } else if (st == BATON_ERR_MISMATCH) {
        printf("trace does not match plan (%" PRIu32 " slots, %s): %s\n", sch.slots, mode,
               err.message);
    } else {
        fprintf(stderr, "baton-trace: %s\n", err.message);
    }
    baton_trace_destroy(t);
    return st == BATON_OK ? EXIT_MATCH : st == BATON_ERR_MISMATCH ? EXIT_MISMATCH : EXIT_FILE;
}

static int cmd_perfetto(const args *a)
{
    baton_trace *t = NULL;
    int rc = load(a->pos[0], &t, NULL);
    if (rc >= 0)
        return rc;
    baton_error err = {0};
    if (baton_trace_write_chrome(t, a->pos[1], &err) != BATON_OK) {
        fprintf(stderr, "baton-trace: %s\n", err.message);
        rc = EXIT_FILE;
    } else {
        printf("wrote %s: %" PRIu32 " events, %" PRIu32 " spans\n", a->pos[1],
               baton_trace_count(t), baton_trace_span_count(t));
        rc = EXIT_MATCH;
    }
    baton_trace_destroy(t);
    return rc;
}

static int cmd_timeline(const args *a)
{
    if (a->from > a->to)
        return usage_error(a->cmd, "--from %" PRIu64 " is after --to %" PRIu64, a->from, a->to);
    baton_trace *t = NULL;
    int rc = load(a->pos[0], &t, NULL);
    if (rc >= 0)
        return rc;
    uint32_t n = baton_trace_count(t), shown = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t f = baton_trace_event_at(t, i)->op.frame;
        shown += f >= a->from && f <= a->to;
    }
    baton_error err = {0};
    rc = EXIT_MATCH;
    if (baton_trace_print_timeline(t, stdout, a->from, a->to, &err) != BATON_OK) {
        fprintf(stderr, "baton-trace: %s\n", err.message);
        rc = EXIT_FILE;
    } else if (shown == 0 && n == 0) {
        printf("(the trace holds no events)\n");
    } else if (shown == 0) {
        printf("(no retained events in the frames asked for; the trace holds frames %" PRIu64
               "..%" PRIu64 ")\n", baton_trace_event_at(t, 0)->op.frame,
               baton_trace_event_at(t, n - 1)->op.frame);
    }
    baton_trace_destroy(t);
    return rc;
}

/* Synthetic host time of an op of the frame starting at base: compute
 * waits at +0, signals at +400 us; Vulkan waits at +410 us, signals at
 * +900 us. */
static uint64_t plan_time(const baton_op *op, uint64_t base)
{
    if (op->stage == BATON_STAGE_COMPUTE)
        return base + (op->kind == BATON_OP_WAIT ? 0u : 400000u);
    return base + (op->kind == BATON_OP_WAIT ? 410000u : 900000u);
}

static int cmd_record_plan(const args *a)
{
    if (!a->has_slots || !a->has_sync || !a->has_frames)
        return usage_error(a->cmd, "--%s is required",
                           !a->has_slots ? "slots" : !a->has_sync ? "sync" : "frames");
    baton_schedule sch = {.slots = (uint32_t)a->slots, .mode = a->sync};
    uint64_t ops = a->frames >= a->slots ? 4 * a->frames - a->slots : 3 * a->frames;
    uint64_t cap = a->has_capacity && a->capacity < ops ? a->capacity : ops;
    uint64_t span_cap = 2 * a->frames;
    if (a->has_capacity && cap / 2 < span_cap)
        span_cap = cap / 2 ? cap / 2 : 1; /* spans for about as many frames as events */
    baton_trace *t = NULL;
    baton_error err = {0};
    if (baton_trace_create((uint32_t)cap, (uint32_t)span_cap, &t, &err) != BATON_OK) {
        fprintf(stderr, "baton-trace: %s\n", err.message);
        return EXIT_FILE;
    }
    for (uint64_t f = 0; f < a->frames; f++) {
        baton_op plan[BATON_SCHEDULE_MAX_OPS];
        size_t n = baton_schedule_frame_ops(&sch, f, plan);
        uint64_t base = PLAN_T0_NS + f * PLAN_PERIOD_NS;
        for (size_t i = 0; i < n; i++)
            baton_trace_record(t, &plan[i], plan_time(&plan[i], base));
        baton_trace_record_span(t, f, BATON_STAGE_COMPUTE, base, base + 400000u);
        baton_trace_record_span(t, f, BATON_STAGE_VULKAN, base + 410000u, base + 900000u);
    }
    int rc = EXIT_MATCH;
    if (baton_trace_save(t, &sch, a->pos[0], &err) != BATON_OK) {
        fprintf(stderr, "baton-trace: %s\n", err.message);
        rc = EXIT_FILE;
    } else {
        printf("wrote %s: plan of frames 0..%" PRIu64 ", %" PRIu32 " slots, %s: %" PRIu64
               " events", a->pos[0], a->frames - 1, sch.slots, baton_sync_mode_name(sch.mode),
               ops);
        if (baton_trace_dropped(t))
            printf(", the last %" PRIu32 " kept", baton_trace_count(t));
        printf("\n");
    }
    baton_trace_destroy(t);
    return rc;
}

/* ---- main ---- */

static const struct option help_opts[] = {
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};
static const struct option timeline_opts[] = {
    {"from", required_argument, 0, 'F'},
    {"to", required_argument, 0, 'T'},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};
static const struct option record_opts[] = {
    {"slots", required_argument, 0, 'S'},   {"sync", required_argument, 0, 'Y'},
    {"frames", required_argument, 0, 'N'},  {"capacity", required_argument, 0, 'C'},
    {"help", no_argument, 0, 'h'},          {0, 0, 0, 0},
};

static const command commands[] = {
    {"check", help_opts, 1, "FILE", cmd_check},
    {"perfetto", help_opts, 2, "FILE OUT.json", cmd_perfetto},
    {"timeline", timeline_opts, 1, "FILE", cmd_timeline},
    {"record-plan", record_opts, 1, "OUT", cmd_record_plan},
};

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error(NULL, "missing command: check, perfetto, timeline or record-plan");
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "help") == 0) {
        usage(stdout);
        return EXIT_MATCH;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(name, commands[i].name) != 0)
            continue;
        args a;
        int rc = parse_args(&commands[i], argc - 1, argv + 1, &a);
        return rc >= 0 ? rc : commands[i].run(&a);
    }
    if (name[0] == '-')
        return usage_error(NULL, "unknown option '%s' before the command", name);
    return usage_error(NULL, "unknown command '%s'", name);
}

/* trace_chrome.c - baton_trace_write_chrome: a trace as Chrome/Perfetto
 * JSON. See baton/trace.h. */
#include "baton/trace.h"
#include "frame/trace_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static const char *kind_name(uint8_t kind)
{
    return kind == BATON_OP_WAIT ? "wait" : kind == BATON_OP_SIGNAL ? "signal" : "unknown";
}

static void chrome_event(trace_sink *s, const baton_trace_event *e)
{
    const baton_op *o = &e->op;
    trace_emit(s, ",\n{\"name\":\"%s %s\",\"cat\":\"sync\",\"ph\":\"i\",\"s\":\"t\",\"ts\":" TRACE_US_FMT
            ",\"pid\":1,\"tid\":%u,\"args\":{\"frame\":%" PRIu64 ",\"sem\":%" PRIu32
            ",\"value\":%" PRIu64 ",\"slot\":%u}}",
         kind_name(o->kind), baton_sem_role_name((baton_sem_role)o->role), TRACE_US_ARGS(e->host_ns),
         (unsigned)o->stage, o->frame, o->sem, o->value, (unsigned)o->slot);
}

static void chrome_span(trace_sink *s, const baton_trace_span *sp)
{
    uint64_t dur = sp->end_ns >= sp->start_ns ? sp->end_ns - sp->start_ns : 0;
    trace_emit(s, ",\n{\"name\":\"frame %" PRIu64 "\",\"cat\":\"frame\",\"ph\":\"X\",\"ts\":" TRACE_US_FMT
            ",\"dur\":" TRACE_US_FMT ",\"pid\":1,\"tid\":%u,\"args\":{\"frame\":%" PRIu64 "}}",
         sp->frame, TRACE_US_ARGS(sp->start_ns), TRACE_US_ARGS(dur), (unsigned)sp->stage, sp->frame);
}

static void chrome_body(trace_sink *s, const baton_trace *t)
{
    trace_emit(s, "{\"traceEvents\":[\n");
    for (unsigned tid = 0; tid < 2; tid++)
        trace_emit(s, "%s{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%u,"
                "\"args\":{\"name\":\"%s\"}}", tid ? ",\n" : "", tid,
             baton_stage_name((baton_stage)tid));
    for (uint32_t i = 0; i < baton_trace_count(t); i++)
        chrome_event(s, baton_trace_event_at(t, i));
    for (uint32_t i = 0; i < baton_trace_span_count(t); i++)
        chrome_span(s, baton_trace_span_at(t, i));
    trace_emit(s, "\n],\"displayTimeUnit\":\"ns\"}\n");
}

baton_status baton_trace_write_chrome(const baton_trace *t, const char *path, baton_error *err)
{
    if (!t || !path)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT,
                               "baton_trace_write_chrome: %s is NULL", t ? "path" : "trace");
    trace_sink s = {.f = fopen(path, "w")};
    if (!s.f)
        return baton_error_set(err, BATON_ERR_OS, "fopen(\"%s\") failed: %s", path,
                               strerror(errno));
    chrome_body(&s, t);
    int write_err = s.err;
    if (fclose(s.f) != 0 && !write_err)
        return baton_error_set(err, BATON_ERR_IO, "fclose(\"%s\") failed: %s", path,
                               strerror(errno));
    if (write_err)
        return baton_error_set(err, BATON_ERR_IO, "fprintf(\"%s\") failed: %s", path,
                               strerror(write_err));
    return BATON_OK;
}

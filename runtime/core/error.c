/* error.c - baton_status names and the error-detail helper. */
#include "baton/error.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const status_names[BATON_STATUS_COUNT] = {
    [BATON_OK] = "success",
    [BATON_ERR_INVALID_ARGUMENT] = "invalid argument",
    [BATON_ERR_NO_CUDA_DEVICE] = "no CUDA device",
    [BATON_ERR_NO_VULKAN] = "Vulkan unavailable",
    [BATON_ERR_NO_MATCHING_DEVICE] = "no Vulkan device matches the CUDA device",
    [BATON_ERR_UNSUPPORTED] = "unsupported by this device",
    [BATON_ERR_VULKAN] = "Vulkan call failed",
    [BATON_ERR_CUDA] = "CUDA call failed",
    [BATON_ERR_OS] = "system call failed",
    [BATON_ERR_EXHAUSTED] = "pool exhausted",
    [BATON_ERR_TIMEOUT] = "timeout",
    [BATON_ERR_OUT_OF_MEMORY] = "out of memory",
    [BATON_ERR_PARSE] = "parse error",
    [BATON_ERR_IO] = "I/O error",
    [BATON_ERR_END_OF_STREAM] = "end of stream",
    [BATON_ERR_STATE] = "invalid state",
    [BATON_ERR_MISMATCH] = "mismatch",
    [BATON_ERR_DISCONNECTED] = "device disconnected",
};

const char *baton_strerror(baton_status status)
{
    if ((unsigned)status >= BATON_STATUS_COUNT || !status_names[status])
        return "unknown baton status";
    return status_names[status];
}

baton_status baton_error_set(baton_error *err, baton_status status,
                             const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->status = status;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return status;
}

void baton_error_clear(baton_error *err)
{
    if (err) {
        err->status = BATON_OK;
        err->message[0] = '\0';
    }
}

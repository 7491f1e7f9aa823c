/* baton/error.h - error values shared by every baton function.
 *
 * Every fallible baton function returns a baton_status and, when the caller
 * passes a non-NULL baton_error, fills it with the same status and a message
 * that names the failing call and, where one exists, its VkResult or
 * cudaError_t name (for example
 * "vkGetSemaphoreFdKHR failed: VK_ERROR_OUT_OF_HOST_MEMORY").
 *
 * Ownership: the caller owns the baton_error struct; baton never keeps a
 * pointer to it. Thread-safety: baton_strerror() is thread-safe; a
 * baton_error must not be shared between threads calling baton at once.
 */
#ifndef BATON_ERROR_H
#define BATON_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum baton_status {
    BATON_OK = 0,
    BATON_ERR_INVALID_ARGUMENT,  /* a NULL pointer, a value out of range */
    BATON_ERR_NO_CUDA_DEVICE,    /* no CUDA driver or no CUDA device */
    BATON_ERR_NO_VULKAN,         /* no Vulkan loader, ICD or instance */
    BATON_ERR_NO_MATCHING_DEVICE,/* no Vulkan device with the CUDA UUID */
    BATON_ERR_UNSUPPORTED,       /* the device lacks a needed capability */
    BATON_ERR_VULKAN,            /* a Vulkan call failed */
    BATON_ERR_CUDA,              /* a CUDA call failed */
    BATON_ERR_OS,                /* a system call failed (errno in message) */
    BATON_ERR_EXHAUSTED,         /* a fixed-capacity pool is empty */
    BATON_ERR_TIMEOUT,           /* a bounded wait expired */
    BATON_ERR_OUT_OF_MEMORY,     /* a start-up allocation failed */
    BATON_ERR_PARSE,             /* a malformed file or argument */
    BATON_ERR_IO,                /* reading or writing a stream failed */
    BATON_ERR_END_OF_STREAM,     /* a source has no more frames */
    BATON_ERR_STATE,             /* call not valid in the object's state */
    BATON_ERR_MISMATCH,          /* a check found a difference */
    BATON_ERR_DISCONNECTED,      /* a device went away: a camera unplugged, a display
                                    disconnected or lost (not a GPU's VK_ERROR_DEVICE_LOST,
                                    which is BATON_ERR_VULKAN) */
    BATON_STATUS_COUNT
} baton_status;

#define BATON_ERROR_MESSAGE_MAX 512

typedef struct baton_error {
    baton_status status;
    char message[BATON_ERROR_MESSAGE_MAX];
} baton_error;

/* A short, static, English description of a status ("timeout", ...).
 * Never NULL; unknown values give "unknown baton status". */
const char *baton_strerror(baton_status status);

/* Fill err (if non-NULL) with status and a printf-style message and return
 * status. Used by baton itself; applications may use it for their own
 * callbacks (the pipeline passes a baton_error to them). */
baton_status baton_error_set(baton_error *err, baton_status status,
                             const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reset err (if non-NULL) to BATON_OK with an empty message. */
void baton_error_clear(baton_error *err);

#ifdef __cplusplus
}
#endif

#endif

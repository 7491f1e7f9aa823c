/* drm_device.h - the DRM card that shows a Vulkan device's frames. */
#ifndef BATON_DRM_DEVICE_H
#define BATON_DRM_DEVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "baton/error.h"

struct baton_context;

/* Open the DRM device a drm sink uses ($BATON_DRM_DEVICE, the Vulkan
 * device's primary node, else /dev/dri/card0) and check it is a KMS device.
 * any_card (the KMS path): when the Vulkan device has no display engine or
 * no known node, the first /dev/dri/cardN with KMS connectors instead.
 * *fd is -1 on failure (nothing left open); path receives the path. */
baton_status sink_drm_open_device(const struct baton_context *ctx, bool any_card, int *fd,
                                  char *path, size_t path_len, baton_error *err);

#endif

/* probe.h - the two halves of baton_probe(), one per API. */
#ifndef BATON_PROBE_H
#define BATON_PROBE_H

#include <stdio.h>

#include "baton/caps.h"
#include "util/baton_internal.h"

/* Fill the CUDA fields of caps for device `ordinal` (cuda_present false and
 * cuda_error set when there is no driver or device). */
void baton_probe_cuda(int ordinal, baton_caps *caps);

/* Fill the Vulkan fields: create a throw-away instance, describe devices. */
void baton_probe_vulkan(baton_caps *caps);

#endif

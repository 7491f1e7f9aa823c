/* vk_util.h - Vulkan helpers inside the runtime: result names, instance. */
#ifndef BATON_VK_UTIL_H
#define BATON_VK_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <vulkan/vulkan.h>

#include "baton/error.h"

/* "VK_ERROR_DEVICE_LOST", or "VkResult(-123)" for values it does not know. */
const char *baton_vk_result_name(VkResult r);

/* Set err to BATON_ERR_VULKAN "<call> failed: <VkResult name>" and return it. */
baton_status baton_vk_fail(baton_error *err, const char *call, VkResult r);

/* Create the instance baton uses (Vulkan 1.2+, optional validation layer
 * when BATON_VALIDATION=1 or validation is true, and the next instance
 * extensions in ext; alloc: the host allocation callbacks, or NULL). On
 * failure err explains, and when the NVIDIA ICD manifest names
 * libGLX_nvidia.so.0 it says how to use the EGL library instead (headless
 * machines). */
baton_status baton_vk_instance_create(bool validation, const char *const *ext, uint32_t next,
                                      const VkAllocationCallbacks *alloc, VkInstance *out,
                                      baton_error *err);

/* Whether the loader offers instance extension name. */
bool baton_vk_instance_offers(const char *name);

/* Whether physical device pd offers device extension name. */
bool baton_vk_device_offers(VkPhysicalDevice pd, const char *name);

/* A sentence describing the headless NVIDIA ICD fix when it applies to this
 * machine, else "" (never NULL). buf holds the text. */
const char *baton_vk_icd_hint(char *buf, size_t len);

#endif

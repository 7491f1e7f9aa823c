/* probe_vulkan.c - describe every Vulkan physical device into baton_caps. */
#include "core/probe.h"

#include <string.h>

#include "core/vk_util.h"
#include "util/fault.h"

static bool has_extension(const VkExtensionProperties *ext, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(ext[i].extensionName, name) == 0)
            return true;
    return false;
}

static void semaphore_fd_support(VkPhysicalDevice pd, bool timeline, bool *exportable,
                                 bool *importable)
{
    VkSemaphoreTypeCreateInfo type = {
        .sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
        .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE,
    };
    VkPhysicalDeviceExternalSemaphoreInfo info = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_SEMAPHORE_INFO,
        .pNext = timeline ? &type : NULL,
        .handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT,
    };
    VkExternalSemaphoreProperties props = {
        .sType = VK_STRUCTURE_TYPE_EXTERNAL_SEMAPHORE_PROPERTIES,
    };
    vkGetPhysicalDeviceExternalSemaphoreProperties(pd, &info, &props);
    *exportable = (props.externalSemaphoreFeatures &
                   VK_EXTERNAL_SEMAPHORE_FEATURE_EXPORTABLE_BIT) != 0;
    *importable = (props.externalSemaphoreFeatures &
                   VK_EXTERNAL_SEMAPHORE_FEATURE_IMPORTABLE_BIT) != 0;
}

static void describe_device(VkPhysicalDevice pd, baton_vk_device_info *d)
{
    VkPhysicalDeviceIDProperties id = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
    VkPhysicalDeviceProperties2 props = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
        .pNext = &id,
    };
    vkGetPhysicalDeviceProperties2(pd, &props);
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s", props.properties.deviceName);
    memcpy(d->uuid, id.deviceUUID, BATON_UUID_SIZE);
    d->api_version = props.properties.apiVersion;
    d->driver_version = props.properties.driverVersion;
    d->vendor_id = props.properties.vendorID;
    d->device_id = props.properties.deviceID;

    VkPhysicalDeviceTimelineSemaphoreFeatures tl = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES,
    };
    VkPhysicalDeviceFeatures2 feats = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
        .pNext = &tl,
    };
    vkGetPhysicalDeviceFeatures2(pd, &feats);
    d->timeline = tl.timelineSemaphore == VK_TRUE;

    VkExtensionProperties ext[512];
    uint32_t n = BATON_ARRAY_LEN(ext);
    if (BATON_FAULT_VK(vkEnumerateDeviceExtensionProperties(pd, NULL, &n, ext)) < 0)
        n = 0;
    d->ext_semaphore_fd = has_extension(ext, n, VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME);
    d->ext_memory_fd = has_extension(ext, n, VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME);
    semaphore_fd_support(pd, false, &d->binary_fd_exportable, &d->binary_fd_importable);
    if (d->timeline)
        semaphore_fd_support(pd, true, &d->timeline_fd_exportable, &d->timeline_fd_importable);
}

void baton_probe_vulkan(baton_caps *caps)
{
    VkInstance instance = VK_NULL_HANDLE;
    baton_error err;
    caps->vk_present = false;
    caps->vk_device_count = 0;
    if (BATON_FAULT_VK(vkEnumerateInstanceVersion(&caps->vk_instance_version)) != VK_SUCCESS)
        caps->vk_instance_version = 0;
    if (baton_vk_instance_create(false, NULL, 0, NULL, &instance, &err) != BATON_OK) {
        snprintf(caps->vk_error, sizeof caps->vk_error, "%s", err.message);
        return;
    }
    caps->vk_present = true;
    VkPhysicalDevice pds[BATON_MAX_VK_DEVICES];
    uint32_t n = BATON_MAX_VK_DEVICES;
    VkResult r = BATON_FAULT_VK(vkEnumeratePhysicalDevices(instance, &n, pds));
    if (r < 0) {
        snprintf(caps->vk_error, sizeof caps->vk_error,
                 "vkEnumeratePhysicalDevices failed: %s", baton_vk_result_name(r));
        n = 0;
    } else if (n == 0) {
        char hint[1024];
        baton_vk_icd_hint(hint, sizeof hint);
        snprintf(caps->vk_error, sizeof caps->vk_error,
                 "the Vulkan instance has no physical devices%s%s", hint[0] ? "; " : "", hint);
    }
    for (uint32_t i = 0; i < n; i++)
        describe_device(pds[i], &caps->vk_devices[i]);
    caps->vk_device_count = n;
    vkDestroyInstance(instance, NULL);
}

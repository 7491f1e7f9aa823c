/* vk_util.c - VkResult names, instance creation with a useful failure. */
#include "core/vk_util.h"
#include "util/fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *baton_vk_result_name(VkResult r)
{
    switch (r) {
#define NAME(x) case x: return #x;
    NAME(VK_SUCCESS) NAME(VK_NOT_READY) NAME(VK_TIMEOUT) NAME(VK_EVENT_SET)
    NAME(VK_EVENT_RESET) NAME(VK_INCOMPLETE) NAME(VK_ERROR_OUT_OF_HOST_MEMORY)
    NAME(VK_ERROR_OUT_OF_DEVICE_MEMORY) NAME(VK_ERROR_INITIALIZATION_FAILED)
    NAME(VK_ERROR_DEVICE_LOST) NAME(VK_ERROR_MEMORY_MAP_FAILED)
    NAME(VK_ERROR_LAYER_NOT_PRESENT) NAME(VK_ERROR_EXTENSION_NOT_PRESENT)
    NAME(VK_ERROR_FEATURE_NOT_PRESENT) NAME(VK_ERROR_INCOMPATIBLE_DRIVER)
    NAME(VK_ERROR_TOO_MANY_OBJECTS) NAME(VK_ERROR_FORMAT_NOT_SUPPORTED)
    NAME(VK_ERROR_FRAGMENTED_POOL) NAME(VK_ERROR_UNKNOWN)
    NAME(VK_ERROR_OUT_OF_POOL_MEMORY) NAME(VK_ERROR_INVALID_EXTERNAL_HANDLE)
    NAME(VK_ERROR_FRAGMENTATION) NAME(VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS)
    NAME(VK_ERROR_SURFACE_LOST_KHR) NAME(VK_ERROR_NATIVE_WINDOW_IN_USE_KHR)
    NAME(VK_SUBOPTIMAL_KHR) NAME(VK_ERROR_OUT_OF_DATE_KHR)
#undef NAME
    default: break;
    }
    static _Thread_local char buf[32];
    snprintf(buf, sizeof buf, "VkResult(%d)", (int)r);
    return buf;
}

baton_status baton_vk_fail(baton_error *err, const char *call, VkResult r)
{
    return baton_error_set(err, BATON_ERR_VULKAN, "%s failed: %s", call,
                           baton_vk_result_name(r));
}

static const char *const icd_manifests[] = {
    "/usr/share/vulkan/icd.d/nvidia_icd.json",
    "/etc/vulkan/icd.d/nvidia_icd.json",
    "/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json",
};

const char *baton_vk_icd_hint(char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof icd_manifests / sizeof icd_manifests[0]; i++) {
        FILE *f = BATON_FAULT_PTR(fopen(icd_manifests[i], "r"));
        if (!f)
            continue;
        char text[2048];
        size_t n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[n] = '\0';
        if (strstr(text, "libGLX_nvidia")) {
            snprintf(buf, len,
                     "the NVIDIA ICD manifest %s loads libGLX_nvidia.so.0, which fails on "
                     "machines without an X server; fix: write a copy whose \"library_path\" "
                     "is \"libEGL_nvidia.so.0\" and point VK_ICD_FILENAMES (or "
                     "VK_DRIVER_FILES) at it (README: headless NVIDIA machines)",
                     icd_manifests[i]);
            break;
        }
    }
    return buf;
}

static bool layer_present(const char *name)
{
    uint32_t n = 0;
    if (BATON_FAULT_VK(vkEnumerateInstanceLayerProperties(&n, NULL)) != VK_SUCCESS || n == 0)
        return false;
    VkLayerProperties props[64];
    if (n > 64)
        n = 64;
    if (BATON_FAULT_VK(vkEnumerateInstanceLayerProperties(&n, props)) < 0)
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(props[i].layerName, name) == 0)
            return true;
    return false;
}

bool baton_vk_instance_offers(const char *name)
{
    VkExtensionProperties ext[256];
    uint32_t n = 256;
    if (BATON_FAULT_VK(vkEnumerateInstanceExtensionProperties(NULL, &n, ext)) < 0)
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(ext[i].extensionName, name) == 0)
            return true;
    return false;
}

bool baton_vk_device_offers(VkPhysicalDevice pd, const char *name)
{
    VkExtensionProperties ext[512];
    uint32_t n = 512;
    if (BATON_FAULT_VK(vkEnumerateDeviceExtensionProperties(pd, NULL, &n, ext)) < 0)
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(ext[i].extensionName, name) == 0)
            return true;
    return false;
}

baton_status baton_vk_instance_create(bool validation, const char *const *ext, uint32_t next,
                                      const VkAllocationCallbacks *alloc, VkInstance *out,
                                      baton_error *err)
{
    const char *env = getenv("BATON_VALIDATION");
    if (env && env[0] == '1')
        validation = true;
    static const char *const layer = "VK_LAYER_KHRONOS_validation";
    if (validation && !layer_present(layer))
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "validation requested but %s is not installed "
                               "(Debian: vulkan-validationlayers; or set VK_LAYER_PATH)", layer);
    uint32_t version = 0;
    VkResult vr = BATON_FAULT_VK(vkEnumerateInstanceVersion(&version));
    if (vr != VK_SUCCESS)
        return baton_error_set(err, BATON_ERR_NO_VULKAN, "vkEnumerateInstanceVersion failed: %s",
                               baton_vk_result_name(vr));
    if (version < VK_API_VERSION_1_2)
        return baton_error_set(err, BATON_ERR_NO_VULKAN,
                               "the Vulkan loader is older than 1.2 (found %u.%u)",
                               VK_API_VERSION_MAJOR(version), VK_API_VERSION_MINOR(version));
    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "baton",
        .pEngineName = "baton",
        .apiVersion = VK_API_VERSION_1_2,
    };
    VkInstanceCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        .pApplicationInfo = &app,
        .enabledLayerCount = validation ? 1u : 0u,
        .ppEnabledLayerNames = validation ? &layer : NULL,
        .enabledExtensionCount = next,
        .ppEnabledExtensionNames = ext,
    };
    VkResult r = BATON_FAULT_VK(vkCreateInstance(&ci, alloc, out));
    if (r != VK_SUCCESS) {
        char hint[1024];
        baton_vk_icd_hint(hint, sizeof hint);
        return baton_error_set(err, BATON_ERR_NO_VULKAN, "vkCreateInstance failed: %s%s%s",
                               baton_vk_result_name(r), hint[0] ? "; " : "", hint);
    }
    return BATON_OK;
}

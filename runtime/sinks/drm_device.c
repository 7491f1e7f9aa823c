/* drm_device.c - which DRM card shows a Vulkan device's frames, opened and
 * checked to be a KMS device: $BATON_DRM_DEVICE, else the device's primary
 * node (VK_EXT_physical_device_drm), else its PCI address
 * (VK_EXT_pci_bus_info), else (the KMS path, any_card) the first card with
 * connectors, else /dev/dri/card0. Both drm paths use it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <xf86drm.h>
#include <xf86drmMode.h>

#include "core/context_internal.h"
#include "core/vk_util.h"
#include "sinks/drm_device.h"
#include "util/fault.h"

/* /dev/dri/cardN whose device number is want. */
static bool card_by_devnum(dev_t want, char *path, size_t len)
{
    DIR *dir = BATON_FAULT_PTR(opendir("/dev/dri"));
    if (!dir)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(dir)) != NULL) {
        if (strncmp(e->d_name, "card", 4) != 0)
            continue;
        snprintf(path, len, "/dev/dri/%s", e->d_name);
        struct stat st;
        found = stat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == want;
    }
    closedir(dir);
    return found;
}

static bool card_by_pci(const VkPhysicalDevicePCIBusInfoPropertiesEXT *pci, char *path,
                        size_t len)
{
    drmDevicePtr devs[32];
    int n = BATON_FAULT_SYS(drmGetDevices2(0, devs, (int)BATON_ARRAY_LEN(devs)), -1);
    if (n <= 0)
        return false;
    bool found = false;
    for (int i = 0; i < n && !found; i++) {
        const drmDevicePtr d = devs[i];
        if (d->bustype != DRM_BUS_PCI || !(d->available_nodes & (1 << DRM_NODE_PRIMARY)))
            continue;
        const drmPciBusInfo *b = d->businfo.pci;
        if (b->domain == pci->pciDomain && b->bus == pci->pciBus && b->dev == pci->pciDevice &&
            b->func == pci->pciFunction) {
            snprintf(path, len, "%s", d->nodes[DRM_NODE_PRIMARY]);
            found = true;
        }
    }
    drmFreeDevices(devs, n);
    return found;
}

/* The lowest-numbered /dev/dri/cardN that is a KMS device with at least
 * one connector (a display controller apart from the GPU, a BMC's VGA). */
static bool first_kms_card(char *path, size_t len)
{
    int best = -1;
    for (int n = 0; n < 64; n++) {
        char p[32];
        snprintf(p, sizeof p, "/dev/dri/card%d", n);
        int f = BATON_FAULT_SYS(open(p, O_RDWR | O_CLOEXEC), -1);
        if (f < 0)
            continue;
        drmModeRes *res = BATON_FAULT_PTR(drmModeGetResources(f));
        bool kms = res && res->count_connectors > 0;
        drmModeFreeResources(res);
        close(f);
        if (kms) {
            best = n;
            break;
        }
    }
    if (best >= 0)
        snprintf(path, len, "/dev/dri/card%d", best);
    return best >= 0;
}

/* Which device node, and why (for messages). any_card: the display need
 * not be the Vulkan device's (the KMS path). */
static baton_status device_path(const baton_context *ctx, bool any_card, char *path, size_t len,
                                char *why, size_t why_len, baton_error *err)
{
    const char *env = getenv("BATON_DRM_DEVICE");
    if (env && env[0]) {
        snprintf(path, len, "%s", env);
        snprintf(why, why_len, "$BATON_DRM_DEVICE");
        return BATON_OK;
    }
    if (ctx->physical && baton_vk_device_offers(ctx->physical, VK_EXT_PHYSICAL_DEVICE_DRM_EXTENSION_NAME)) {
        VkPhysicalDeviceDrmPropertiesEXT drm = {
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRM_PROPERTIES_EXT};
        VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                          .pNext = &drm};
        vkGetPhysicalDeviceProperties2(ctx->physical, &p2);
        if (!drm.hasPrimary && any_card) {
            if (first_kms_card(path, len)) {
                snprintf(why, why_len, "the first KMS card: %s has no display engine",
                         baton_context_device_name(ctx));
                return BATON_OK;
            }
            return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                                   "drm sink: no display: the Vulkan device %s has no display "
                                   "engine (no primary DRM node per VK_EXT_physical_device_drm) "
                                   "and no /dev/dri/card* is a KMS device with connectors%s; set "
                                   "BATON_DRM_DEVICE to the card driving the display",
                                   baton_context_device_name(ctx),
                                   access("/dev/dri", F_OK) != 0 ? " (this machine has no /dev/dri)"
                                                                 : "");
        }
        if (!drm.hasPrimary)
            return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                                   "drm sink: the Vulkan device %s has no display engine (no "
                                   "primary DRM node per VK_EXT_physical_device_drm); set "
                                   "BATON_DRM_DEVICE to the card driving the display",
                                   baton_context_device_name(ctx));
        dev_t want = makedev((unsigned)drm.primaryMajor, (unsigned)drm.primaryMinor);
        if (!card_by_devnum(want, path, len))
            snprintf(path, len, "/dev/dri/card%lld", (long long)drm.primaryMinor);
        snprintf(why, why_len, "the primary node %lld:%lld of %s (VK_EXT_physical_device_drm)",
                 (long long)drm.primaryMajor, (long long)drm.primaryMinor,
                 baton_context_device_name(ctx));
        return BATON_OK;
    }
    if (ctx->physical && baton_vk_device_offers(ctx->physical, VK_EXT_PCI_BUS_INFO_EXTENSION_NAME)) {
        VkPhysicalDevicePCIBusInfoPropertiesEXT pci = {
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PCI_BUS_INFO_PROPERTIES_EXT};
        VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                          .pNext = &pci};
        vkGetPhysicalDeviceProperties2(ctx->physical, &p2);
        if (card_by_pci(&pci, path, len)) {
            snprintf(why, why_len, "the card at PCI %04x:%02x:%02x.%x (VK_EXT_pci_bus_info)",
                     pci.pciDomain, pci.pciBus, pci.pciDevice, pci.pciFunction);
            return BATON_OK;
        }
    }
    if (any_card && first_kms_card(path, len)) {
        snprintf(why, why_len, "the first KMS card (%s offers neither VK_EXT_physical_device_drm "
                 "nor a PCI match)", baton_context_device_name(ctx));
        return BATON_OK;
    }
    snprintf(path, len, "/dev/dri/card0");
    snprintf(why, why_len, "the default: %s offers neither VK_EXT_physical_device_drm nor a "
             "PCI match", baton_context_device_name(ctx));
    return BATON_OK;
}

baton_status sink_drm_open_device(const struct baton_context *ctx, bool any_card, int *fd,
                                  char *path, size_t path_len, baton_error *err)
{
    if (!ctx || !fd || !path || !path_len)
        return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "sink_drm_open_device: NULL");
    *fd = -1;
    char why[256];
    baton_status st = device_path(ctx, any_card, path, path_len, why, sizeof why, err);
    if (st != BATON_OK)
        return st;
    int f = BATON_FAULT_SYS(open(path, O_RDWR | O_CLOEXEC), -1);
    if (f < 0) {
        int e = errno;
        const char *hint = "";
        if (e == ENOENT && access("/dev/dri", F_OK) != 0)
            hint = "; this machine has no /dev/dri (no DRM driver loaded, or a container "
                   "without the device)";
        else if (e == EACCES || e == EPERM)
            hint = "; add the user to the 'video' group";
        bool from_env = strcmp(why, "$BATON_DRM_DEVICE") == 0;
        return baton_error_set(err, BATON_ERR_OS,
                               "drm sink: no DRM device: open(%s) failed: %s (chosen by %s%s%s)",
                               path, strerror(e), why, hint,
                               from_env ? "" : "; set BATON_DRM_DEVICE to override");
    }
    errno = 0;
    drmModeRes *res = BATON_FAULT_PTR(drmModeGetResources(f));
    if (!res) {
        int e = errno ? errno : ENODEV;
        close(f);
        return baton_error_set(err, BATON_ERR_UNSUPPORTED,
                               "drm sink: %s is not a KMS display device (drmModeGetResources "
                               "failed: %s; chosen by %s)",
                               path, strerror(e), why);
    }
    drmModeFreeResources(res);
    *fd = f;
    return BATON_OK;
}

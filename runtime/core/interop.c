/* interop.c - raw handle accessors declared in baton/interop.h. */
#include "baton/interop.h"
#include "core/context_internal.h"

VkInstance baton_context_vk_instance(const baton_context *ctx) { return ctx->instance; }
VkPhysicalDevice baton_context_vk_physical_device(const baton_context *ctx) { return ctx->physical; }
VkDevice baton_context_vk_device(const baton_context *ctx) { return ctx->device; }
VkQueue baton_context_vk_queue(const baton_context *ctx) { return ctx->queue; }
uint32_t baton_context_vk_queue_family(const baton_context *ctx) { return ctx->queue_family; }

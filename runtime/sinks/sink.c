/* sink.c - choose a sink implementation by name. */
#include "sinks/sink.h"

#include <stdio.h>
#include <string.h>

/* Every sink baton knows; add new ones here. */
static const sink_ops *const sinks[] = {
    &sink_headless_ops,
    &sink_drm_ops,
    &sink_x11_ops,
    &sink_gst_ops,
};

baton_status sink_find(const char *spec, const sink_ops **ops, const char **arg, baton_error *err)
{
    size_t n = strcspn(spec, ":@,");
    for (size_t i = 0; i < sizeof sinks / sizeof sinks[0]; i++)
        if (strlen(sinks[i]->scheme) == n && strncmp(spec, sinks[i]->scheme, n) == 0) {
            *ops = sinks[i];
            *arg = spec + n;
            return BATON_OK;
        }
    char known[512] = "";
    for (size_t i = 0; i < sizeof sinks / sizeof sinks[0]; i++) {
        size_t used = strlen(known);
        snprintf(known + used, sizeof known - used, "%s%s", i ? "; " : "", sinks[i]->usage);
    }
    return baton_error_set(err, BATON_ERR_INVALID_ARGUMENT, "unknown sink '%s' (known: %s)", spec,
                           known);
}

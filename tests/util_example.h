/* util_example.h - run the example application (tools/examples/edge_overlay)
 * and check the frames it shows against an independent reference. */
#ifndef BATON_UTIL_EXAMPLE_H
#define BATON_UTIL_EXAMPLE_H

#include <stdint.h>

/* The example program: $BATON_EXAMPLES_DIR/edge_overlay, else
 * $BUILD/examples/edge_overlay (make examples builds it), else
 * build/examples/edge_overlay. */
const char *example_path(void);

/* The edge overlay of tools/examples/edge_filter.h, computed here from its
 * definition (a luma plane, then the Sobel sums, into a separate image):
 * in and out are tightly packed RGBA8 frames of w x h. Returns how many
 * pixels were painted as edges. */
uint64_t ref_edge_overlay(const uint8_t *in, uint8_t *out, uint32_t w, uint32_t h, int threshold);

/* Run the example with --compute `compute` ("cpu" or "cuda") on the RGB24
 * pattern, frames frames of w x h, dumping the first and the last; assert
 * (Check) that it exits 0, prints one latency line per frame and the summary
 * naming `stage` ("CPU" or "CUDA"), and that both dumped frames equal the
 * reference overlay of the pattern frame, pixel for pixel. */
void example_check(const char *compute, const char *stage, uint32_t w, uint32_t h,
                   uint64_t frames, int threshold);

#endif

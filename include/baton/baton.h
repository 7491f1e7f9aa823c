/* baton/baton.h - everything an application needs, in one include.
 *
 *   #include <baton/baton.h>
 *
 * pulls in the context (the CUDA device and its matching Vulkan device), the
 * pipeline (camera -> CUDA -> Vulkan -> display), the exported semaphore
 * pool, errors, pixel formats, the trace and the plan it is checked against,
 * board profiles and the machine's capabilities. None of these includes a
 * CUDA or Vulkan header; include baton/interop.h as well where the
 * application records its own work against baton's Vulkan or CUDA handles.
 *
 * Every function's header comment states who owns what, which threads may
 * call it, and the errors it returns. Link with `pkg-config --libs baton` or
 * CMake's `baton::baton` (find_package(baton)).
 */
#ifndef BATON_BATON_H
#define BATON_BATON_H

#include "baton/types.h"
#include "baton/error.h"
#include "baton/format.h"
#include "baton/caps.h"
#include "baton/context.h"
#include "baton/sem_pool.h"
#include "baton/schedule.h"
#include "baton/trace.h"
#include "baton/pipeline.h"
#include "baton/board.h"

#endif

#!/usr/bin/env python3
# rtsp_server.py - a real RTSP server (GStreamer's gst-rtsp-server) on
# 127.0.0.1 for tests/check_source_gst.c: serves PIPELINE (a launch
# description ending in a payloader named pay0) at rtsp://127.0.0.1:PORT/test,
# prints "ready PORT" once it listens, and runs until stdin closes or
# SECONDS pass (so a test that dies never leaves it behind).
#   tests/rtsp_server.py SECONDS 'PIPELINE'
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main():
    seconds, launch = int(sys.argv[1]), sys.argv[2]
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service("0")  # any free port
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch("( " + launch + " )")
    factory.set_shared(False)  # each client its own pipeline, from a key frame
    server.get_mount_points().add_factory("/test", factory)
    if server.attach(None) == 0:
        print("error: cannot listen", flush=True)
        return 1
    print("ready %d" % server.get_bound_port(), flush=True)
    loop = GLib.MainLoop()
    GLib.timeout_add_seconds(seconds, loop.quit)
    GLib.io_add_watch(sys.stdin.fileno(), GLib.IO_IN | GLib.IO_HUP,
                      lambda *a: loop.quit() or False)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())

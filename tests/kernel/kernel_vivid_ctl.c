/* kernel_vivid_ctl.c - set one of vivid's controls by its name, from the
 * guest of tests/kernel/check-kernel-drm.sh (CAMERA_LOSS=1) while baton-run
 * streams from the same node: "Percentage of Dropped Buffers" (100: vivid
 * fills no buffer, a camera that stalls; 0: frames again) and "Disconnect"
 * (a button: vivid unregisters its nodes as an unplugged USB camera would).
 *
 *   kernel_vivid_ctl DEVICE NAME [VALUE]     (VALUE default 1)
 *
 * Finds the control with VIDIOC_QUERYCTRL (V4L2_CTRL_FLAG_NEXT_CTRL), sets
 * it with VIDIOC_S_CTRL, closes the node (so that vivid can be unloaded
 * once baton-run has closed it too). Exit 0 done, 1 with a message. */
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: kernel_vivid_ctl DEVICE NAME [VALUE]\n");
        return 1;
    }
    long value = argc == 4 ? strtol(argv[3], NULL, 10) : 1;
    int fd = open(argv[1], O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "kernel_vivid_ctl: open %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    struct v4l2_queryctrl q;
    memset(&q, 0, sizeof q);
    q.id = V4L2_CTRL_FLAG_NEXT_CTRL;
    int rc = 1;
    while (ioctl(fd, VIDIOC_QUERYCTRL, &q) == 0) {
        if (strcmp((const char *)q.name, argv[2]) == 0) {
            struct v4l2_control c = {.id = q.id, .value = (int)value};
            if (ioctl(fd, VIDIOC_S_CTRL, &c) < 0)
                fprintf(stderr, "kernel_vivid_ctl: VIDIOC_S_CTRL '%s' = %ld: %s\n", argv[2],
                        value, strerror(errno));
            else
                rc = 0;
            break;
        }
        q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
    }
    if (rc && strcmp((const char *)q.name, argv[2]) != 0)
        fprintf(stderr, "kernel_vivid_ctl: %s has no control '%s'\n", argv[1], argv[2]);
    close(fd);
    return rc;
}

/* bench_plot.c - capture -> done CDFs as a hand-written SVG: one panel per
 * workload, saturated and paced alike (a paced panel marks the frame
 * period), and one for the hand-offs. */
#include "bench_plot.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define SVG_W 1200
#define PANEL_H 350
#define PLOT_L 90.0   /* plot area, relative to the panel */
#define PLOT_R 650.0
#define PLOT_T 48.0
#define PLOT_B 288.0
#define LEGEND_X 690.0
#define MAX_POINTS 700 /* per line */

static const char *row_colour(bench_row_id row)
{
    static const char *colours[BENCH_ROW_COUNT] = {
        [BENCH_ROW_HOST_SYNC] = "#d62728", [BENCH_ROW_RAW] = "#555555",
        [BENCH_ROW_TIMELINE_S2] = "#1f77b4", [BENCH_ROW_TIMELINE_S3] = "#17becf",
        [BENCH_ROW_BINARY_S2] = "#2ca02c", [BENCH_ROW_BINARY_S3] = "#bcbd22",
        [BENCH_ROW_TIMELINE_S2_RELAY] = "#ff7f0e", [BENCH_ROW_BINARY_S2_RELAY] = "#e377c2",
        [BENCH_ROW_TIMELINE_S2_RELAY_GPU] = "#7f7f00",
        [BENCH_ROW_TIMELINE_S2_GPU_RELAY] = "#00007f",
        [BENCH_ROW_AUTO] = "#000000",
        [BENCH_ROW_CUDA_TO_VK] = "#9467bd", [BENCH_ROW_VK_TO_CUDA] = "#8c564b",
    };
    return colours[row];
}

/* Text content with XML's special characters escaped. */
static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static bool plotted(const bench_result *r, int workload)
{
    return r->workload == workload && r->status == BENCH_OK && r->sorted_count > 0;
}

typedef struct axis {
    double lo, hi; /* log10 of the latency range, whole decades */
} axis;

static double x_of(const axis *a, double us)
{
    double l = log10(us > 0.01 ? us : 0.01);
    return PLOT_L + (l - a->lo) / (a->hi - a->lo) * (PLOT_R - PLOT_L);
}

static double y_of(double frac) { return PLOT_B - frac * (PLOT_B - PLOT_T); }

static void axis_text(char *buf, size_t len, double decade)
{
    double v = round(pow(10.0, decade) * 1e3) / 1e3;
    if (v >= 1e6)
        snprintf(buf, len, "%gs", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, len, "%gms", v / 1e3);
    else
        snprintf(buf, len, "%gus", v);
}

static void draw_axes(FILE *f, const axis *a, const char *xlabel)
{
    fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"#fff\" "
               "stroke=\"#333\"/>\n",
            PLOT_L, PLOT_T, PLOT_R - PLOT_L, PLOT_B - PLOT_T);
    for (int d = (int)a->lo; d <= (int)a->hi; d++) {
        double x = PLOT_L + ((double)d - a->lo) / (a->hi - a->lo) * (PLOT_R - PLOT_L);
        char t[32];
        axis_text(t, sizeof t, (double)d);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#ccc\"/>\n", x,
                PLOT_T, x, PLOT_B);
        fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n", x,
                PLOT_B + 16, t);
        for (int m = 2; m <= 9 && d < (int)a->hi; m++) {
            double xm = x_of(a, pow(10.0, d) * m);
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#eee\"/>\n",
                    xm, PLOT_T, xm, PLOT_B);
            if ((m == 2 || m == 5) && a->hi - a->lo <= 2) { /* few decades: label 2x and 5x too */
                axis_text(t, sizeof t, (double)d + log10((double)m));
                fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\" fill=\"#777\">%s</text>\n",
                        xm, PLOT_B + 16, t);
            }
        }
    }
    static const double ys[] = {0, 0.25, 0.5, 0.75, 0.99, 1};
    for (size_t i = 0; i < sizeof ys / sizeof ys[0]; i++) {
        double y = y_of(ys[i]);
        fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#ccc\"%s/>\n",
                PLOT_L, y, PLOT_R, y, ys[i] == 0.99 ? " stroke-dasharray=\"4 3\"" : "");
        if (ys[i] == 0.99) /* beside the plot: the 1 label sits just above it */
            fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" fill=\"#777\">p99</text>\n", PLOT_R + 4, y + 4);
        else
            fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", PLOT_L - 6,
                    y + 4, ys[i]);
    }
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">", (PLOT_L + PLOT_R) / 2,
            PLOT_B + 38);
    xml_text(f, xlabel);
    fprintf(f, "</text>\n<text transform=\"translate(%.0f %.0f) rotate(-90)\" "
               "text-anchor=\"middle\">fraction of samples &#8804; latency</text>\n",
            PLOT_L - 50, (PLOT_T + PLOT_B) / 2);
}

static void draw_line(FILE *f, const axis *a, const bench_result *r)
{
    size_t n = r->sorted_count;
    /* evenly spaced ranks, plus every rank of the top 1% (thinned) for the tail */
    size_t stride = n / (MAX_POINTS / 2) + 1;
    size_t tail = n - n / 100 - 1;
    size_t tail_stride = (n - tail) / (MAX_POINTS / 2) + 1;
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"%s points=\"",
            row_colour(r->row), r->row == BENCH_ROW_RAW ? " stroke-dasharray=\"6 3\"" : "");
    for (size_t i = 0; i < n; i++) {
        bool last = i + 1 == n;
        if (!last && (i < tail ? i % stride != 0 : (i - tail) % tail_stride != 0))
            continue;
        double us = (double)r->sorted_latency_ns[i] / 1e3;
        /* a step CDF: the fraction rises at this latency */
        fprintf(f, "%.1f,%.1f %.1f,%.1f ", x_of(a, us), y_of((double)i / (double)n), x_of(a, us),
                y_of((double)(i + 1) / (double)n));
    }
    fprintf(f, "\"/>\n");
}

/* A paced panel: a dashed line at the frame period. */
static void draw_period(FILE *f, const axis *a, double fps)
{
    double x = x_of(a, 1e6 / fps);
    if (x < PLOT_L || x > PLOT_R)
        return;
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#d62728\" "
               "stroke-dasharray=\"2 3\"/>\n",
            x, PLOT_T, x, PLOT_B);
    fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" fill=\"#d62728\" text-anchor=\"middle\">1/fps = "
               "%.0f us</text>\n",
            x, PLOT_T - 6, 1e6 / fps);
}

static void panel_title(FILE *f, const bench_run *run, int workload)
{
    char title[256];
    const bench_workload *w = workload >= 0 ? &run->workloads[workload] : NULL;
    if (w && w->fps > 0)
        snprintf(title, sizeof title,
                 "%s (%ux%u %s, paced at %g fps, replayed frames): capture -> done CDF, "
                 "%llu frames per row",
                 w->name, w->width, w->height, baton_format_name(w->format), w->fps,
                 (unsigned long long)run->paced_frames);
    else if (w)
        snprintf(title, sizeof title,
                 "%s (%ux%u %s, saturated): latency CDF, source frame ready -> host saw the "
                 "Vulkan fence, %llu frames per row",
                 w->name, w->width, w->height, baton_format_name(w->format),
                 (unsigned long long)run->frames);
    else
        snprintf(title, sizeof title,
                 "hand-offs: signal call -> the other API's wait seen complete, %u iterations",
                 run->handoff_iterations);
    fprintf(f, "<text x=\"%.0f\" y=\"24\" font-size=\"14\" font-weight=\"bold\">", PLOT_L);
    xml_text(f, title);
    fprintf(f, "</text>\n");
}

static void draw_panel(FILE *f, const bench_run *run, int workload, double y0)
{
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; i < run->count; i++) {
        const bench_result *r = &run->results[i];
        if (!plotted(r, workload))
            continue;
        double a = (double)r->sorted_latency_ns[0] / 1e3;
        double b = (double)r->sorted_latency_ns[r->sorted_count - 1] / 1e3;
        lo = fmin(lo, a > 0.01 ? a : 0.01);
        hi = fmax(hi, b > 0.01 ? b : 0.01);
    }
    const bench_workload *w = workload >= 0 ? &run->workloads[workload] : NULL;
    if (w && w->fps > 0) { /* keep the period in view */
        lo = fmin(lo, 1e6 / w->fps);
        hi = fmax(hi, 1e6 / w->fps);
    }
    axis ax = {floor(log10(lo)), ceil(log10(hi))};
    if (ax.hi <= ax.lo)
        ax.hi = ax.lo + 1;
    fprintf(f, "<g transform=\"translate(0 %.0f)\">\n", y0);
    panel_title(f, run, workload);
    draw_axes(f, &ax, w && w->fps > 0 ? "capture -> done (log scale)" : "latency (log scale)");
    if (w && w->fps > 0)
        draw_period(f, &ax, w->fps);
    int k = 0;
    for (size_t i = 0; i < run->count; i++) {
        const bench_result *r = &run->results[i];
        if (!plotted(r, workload))
            continue;
        draw_line(f, &ax, r);
        double ly = PLOT_T + 30 + 20.0 * k++;
        fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" "
                   "stroke-width=\"2.5\"%s/>\n",
                LEGEND_X, ly, LEGEND_X + 24, ly, row_colour(r->row),
                r->row == BENCH_ROW_RAW ? " stroke-dasharray=\"6 3\"" : "");
        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">", LEGEND_X + 30, ly + 4);
        char label[96];
        bench_row_title(r, label, sizeof label);
        xml_text(f, label);
        fprintf(f, ": p50 %.0f us, p99 %.0f us</text>\n", r->latency.p50, r->latency.p99);
    }
    fprintf(f, "</g>\n");
}

baton_status bench_write_svg(const char *path, const bench_run *run, baton_error *err)
{
    int panels[BENCH_MAX_WORKLOADS + 1];
    int np = 0;
    for (int wl = 0; wl < (int)run->nworkloads; wl++)
        for (size_t i = 0; i < run->count; i++)
            if (plotted(&run->results[i], wl)) {
                panels[np++] = wl;
                break;
            }
    for (size_t i = 0; i < run->count; i++)
        if (plotted(&run->results[i], -1)) {
            panels[np++] = -1;
            break;
        }
    FILE *f = fopen(path, "w");
    if (!f)
        return baton_error_set(err, BATON_ERR_OS, "fopen(\"%s\") failed: %s", path, strerror(errno));
    int h = np ? np * PANEL_H + 10 : 80;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
            SVG_W, h, SVG_W, h);
    fprintf(f, "<title>baton-bench latency distributions (%s)</title>\n", BATON_VERSION);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fafafa\"/>\n");
    if (np == 0)
        fprintf(f, "<text x=\"20\" y=\"44\">no latency samples: no row ran</text>\n");
    for (int i = 0; i < np; i++)
        draw_panel(f, run, panels[i], (double)(i * PANEL_H));
    fprintf(f, "</svg>\n");
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return baton_error_set(err, BATON_ERR_IO, "writing \"%s\" failed: %s", path,
                               strerror(errno ? errno : EIO));
    return BATON_OK;
}

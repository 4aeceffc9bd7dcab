#!/usr/bin/env python3
"""Plots the samples of sandbox/soak: resident memory (and the ledger's size), open file
descriptors, the server-side p50/p99 of POST /v1/grants per interval, and grants acknowledged
per second, over the minutes of the load.

    python3 sandbox/plot-soak.py SAMPLES.csv OUT.png [--title TEXT] [--warmup SECONDS]

Needs matplotlib (sandbox/lib.sh: ensure_plot_tools).
"""
import argparse
import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def column(rows, name, cast=float):
    return [cast(row[name]) if row[name] != "" else float("nan") for row in rows]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv")
    parser.add_argument("png")
    parser.add_argument("--title", default="sandbox/soak")
    parser.add_argument("--warmup", type=float, default=30, help="seconds left out of the judgement (shaded)")
    args = parser.parse_args()
    with open(args.csv) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise SystemExit(f"plot-soak: no samples in {args.csv}")
    minutes = [t / 60 for t in column(rows, "t_s")]
    end = minutes[-1]
    warm = args.warmup / 60
    third = (end - warm) / 3

    fig, axes = plt.subplots(4, 1, figsize=(10, 10), sharex=True, dpi=90)
    for ax in axes:
        ax.axvspan(0, warm, color="0.9", lw=0)
        ax.axvspan(warm, warm + third, color="#e8f0fb", lw=0)
        ax.axvspan(end - third, end, color="#e8f0fb", lw=0)
        ax.grid(True, color="0.85", lw=0.6)

    ax = axes[0]
    ax.plot(minutes, column(rows, "rss_mib"), color="#1f77b4", lw=1.6, label="server RSS")
    ax.set_ylabel("RSS (MiB)")
    ax.set_ylim(bottom=0)
    twin = ax.twinx()
    twin.plot(minutes, [m / 1024 for m in column(rows, "ledger_mib")], color="#7f7f7f", lw=1.2, ls="--",
              label="ledger on disk")
    twin.set_ylabel("ledger (GiB)")
    twin.set_ylim(bottom=0)
    lines = ax.get_lines() + twin.get_lines()
    ax.legend(lines, [l.get_label() for l in lines], loc="upper left", fontsize=9)

    ax = axes[1]
    ax.plot(minutes, column(rows, "fds", int), color="#2ca02c", lw=1.6, drawstyle="steps-post", label="open fds")
    ax.plot(minutes, column(rows, "open_connections", int), color="#98df8a", lw=1.2, drawstyle="steps-post",
            label="open client connections")
    ax.set_ylabel("count")
    ax.set_ylim(0, max(column(rows, "fds", int)) * 1.25 + 1)
    ax.legend(loc="lower right", fontsize=9)

    ax = axes[2]
    ax.plot(minutes, column(rows, "p50_ms"), color="#ff7f0e", lw=1.4, label="p50")
    ax.plot(minutes, column(rows, "p99_ms"), color="#d62728", lw=1.4, label="p99")
    ax.set_ylabel("server latency (ms)")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper right", fontsize=9, title="POST /v1/grants, server side, per interval", title_fontsize=8)

    ax = axes[3]
    ax.plot(minutes, column(rows, "grants_per_s"), color="#9467bd", lw=1.4)
    ax.set_ylabel("grants acknowledged / s")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("minutes of load  (grey: warm-up, not judged; blue: first and last thirds, compared)")
    ax.set_xlim(0, end)

    fig.suptitle(args.title, fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(args.png)
    print(f"plot-soak: wrote {args.png}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Prints the sampler bench as a Markdown table of µs per process per sample.

Reads criterion's estimates (mean and its 95 % interval) from
TARGET/criterion/<group>/<method>/<N>/new/estimates.json (groups sampler_cpu, sampler_wall), where TARGET is the first argument,
$CARGO_TARGET_DIR, or ./target. Run after `cargo bench --bench sampler`.
"""

import json
import os
import sys

METHODS = [
    ("linux_kept", "LinuxSampler, kept fds (steady state)"),
    ("linux_first", "LinuxSampler, first sample (opens every file)"),
    ("naive_open_read", "open+read+close stat, statm, io"),
    ("portable_sysinfo", "PortableSampler (sysinfo)"),
]


def main():
    target = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CARGO_TARGET_DIR", "target")
    for group, what in (("sampler_cpu", "CPU time of the sampling thread"), ("sampler_wall", "wall time")):
        table(os.path.join(target, "criterion", group), what)


def table(base, what):
    sizes = sorted({int(n) for m, _ in METHODS if os.path.isdir(os.path.join(base, m))
                    for n in os.listdir(os.path.join(base, m)) if n.isdigit()})
    if not sizes:
        print(f"no estimates under {base}: run `cargo bench --bench sampler` first\n")
        return
    print(f"{what}, µs per process per sample: criterion mean (95 % interval)\n")
    print("| method | " + " | ".join(f"{n} processes" for n in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for method, label in METHODS:
        cells = []
        for n in sizes:
            path = os.path.join(base, method, str(n), "new", "estimates.json")
            try:
                with open(path) as f:
                    mean = json.load(f)["mean"]
            except FileNotFoundError:
                cells.append("–")
                continue
            # Criterion's times are ns per iteration; one iteration samples n processes.
            est = mean["point_estimate"] / n / 1e3
            lo = mean["confidence_interval"]["lower_bound"] / n / 1e3
            hi = mean["confidence_interval"]["upper_bound"] / n / 1e3
            cells.append(f"{est:.2f} ({lo:.2f}–{hi:.2f})")
        print(f"| {label} | " + " | ".join(cells) + " |")
    print()


if __name__ == "__main__":
    main()

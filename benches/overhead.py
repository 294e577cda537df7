#!/usr/bin/env python3
"""Whole-process overhead of `cicd-monitor wrap`, measured against the bare command in the same run.

Each repetition runs every mode once, in a rotated order (bare, wrap, … then wrap, …, bare), so
slow drifts of the machine (another job compiling) hit every mode alike. Ratios are paired: a
mode's wall or CPU divided by the bare run of the same repetition, then the median and min of
those ratios are reported.

Every mode is started the same way, through `sh -c '"$@"; exit $?'` (see VIA_SHELL). CPU is
the kernel's: user+sys from wait4() of that shell, which includes every descendant reaped (the wrapper is a subreaper, so for `wrap` this is tree + wrapper). For
pidstat, which runs alongside the command, its own wait4() CPU is added.

Workloads:
  a  fork-heavy build: make -B -j2 of fixtures/sample-build (copied to a scratch dir)
  b  CPU-bound parallel: xz -T2 of a generated text file
  c  many very short processes: 2000x /bin/true from a shell loop

Modes: bare, wrap, wrap-trace (--trace-exec), wrap-nocg (wrap run as user nobody via setpriv, so
it cannot create a stage cgroup; needs root; skipped when not root), psrecord (--include-children --interval 1),
pidstat (-h -u -r -d 1, system-wide, alongside the command).

Also: start-up cost (`wrap -- true` vs `true`), wrapper peak RSS, and trace-exec coverage
(processes recorded by `wrap --trace-exec` vs forks and execs counted by strace).

Stdlib only. Usage (see BENCHMARKS.md):
  python3 benches/overhead.py --bin target/release/cicd-monitor --reps 5 --results results.md
"""

import argparse
import json
import os
import random
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALL_MODES = ["bare", "wrap", "wrap-trace", "wrap-nocg", "psrecord", "pidstat"]
DEFAULT_MODES = ["bare", "wrap", "wrap-trace", "wrap-nocg", "psrecord", "pidstat"]
MIB = 1024 * 1024


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Workloads


def make_workloads(scratch, modules, xz_mib, loops):
    """Prepares the inputs once and returns {key: (description, argv)}."""
    build = os.path.join(scratch, "sample-build")
    if not os.path.isdir(build):
        shutil.copytree(os.path.join(REPO, "fixtures", "sample-build"), build,
                        ignore=shutil.ignore_patterns("build"))
    data = os.path.join(scratch, f"xz-input-{xz_mib}m.txt")
    if not os.path.exists(data):
        # Deterministic text that compresses like source code (~4-5x), not like zeros.
        rng = random.Random(42)
        words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz_") for _ in range(rng.randint(2, 12)))
                 for _ in range(5000)]
        with open(data, "w") as f:
            written = 0
            while written < xz_mib * MIB:
                line = " ".join(rng.choice(words) for _ in range(12)) + f" {rng.randint(0, 10**6)};\n"
                f.write(line)
                written += len(line)
    return {
        "a": (f"make -B -j2 of fixtures/sample-build (MODULES={modules})",
              ["make", "-s", "-C", build, "-B", "-j2", f"MODULES={modules}"]),
        "b": (f"xz -T2 -6 --block-size=4MiB of {xz_mib} MiB of text",
              ["xz", "-T2", "-6", "--block-size=4MiB", "-c", data]),
        "c": (f"{loops}x /bin/true from a shell loop",
              ["sh", "-c", f"i=0; while [ $i -lt {loops} ]; do /bin/true; i=$((i+1)); done"]),
    }


# ---------------------------------------------------------------------------------------------
# Running one measurement


# Every measured command is started by a small shell, as a CI runner's shell would: a process's
# ru_maxrss (and so the wrapper's `monitor.peak_rss_bytes`, read with getrusage) keeps the RSS of
# the image it was exec'd from, which for a direct spawn would be this Python interpreter's.
# `; exit $?` stops the shell from exec'ing the command in place.
VIA_SHELL = ["sh", "-c", '"$@"; exit $?', "sh"]


def spawn(argv, stdout, stderr, via_shell=True):
    if via_shell:
        argv = VIA_SHELL + argv
    return os.posix_spawnp(argv[0], argv, os.environ, file_actions=[
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666),
    ])


TICKS = os.sysconf("SC_CLK_TCK")


def own_cpu(pid):
    """utime+stime of pid itself (not its children), seconds; None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS


def timed(argv, stdout="/dev/null", stderr="/dev/null", via_shell=True, poll_own_cpu=False):
    """Runs argv; returns (wall seconds, cpu seconds of it and its reaped tree, exit code, own).

    With poll_own_cpu (and via_shell=False), `own` is the process's own CPU as last read from
    /proc every 0.1 s before it ended (psrecord: its CPU apart from the command's)."""
    t0 = time.perf_counter()
    pid = spawn(argv, stdout, stderr, via_shell)
    own = None
    if poll_own_cpu:
        while True:
            done, status, ru = os.wait4(pid, os.WNOHANG)
            if done:
                break
            own = own_cpu(pid) or own
            time.sleep(0.1)
    else:
        _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    return wall, ru.ru_utime + ru.ru_stime, os.waitstatus_to_exitcode(status), own


class Runner:
    def __init__(self, binary, scratch):
        self.bin = binary
        self.scratch = scratch
        self.out = os.path.join(scratch, "profiles")
        os.makedirs(self.out, exist_ok=True)
        os.chmod(self.out, 0o777)
        self.count = 0

    def wrap_argv(self, stage, extra, argv):
        return [self.bin, "wrap", "--quiet", "--stage", stage, "--out", self.out] + extra + ["--"] + argv

    def run(self, mode, key, argv):
        """One run of `argv` under `mode`; returns a dict of measurements."""
        self.count += 1
        stage = f"{key}-{mode}-{self.count}"
        err = os.path.join(self.scratch, f"stderr-{stage}.txt")
        res = {}
        if mode == "bare":
            wall, cpu, code, _ = timed(argv, stderr=err)
        elif mode in ("wrap", "wrap-trace", "wrap-nocg"):
            extra = ["--trace-exec"] if mode == "wrap-trace" else []
            cmd = self.wrap_argv(stage, extra, argv)
            if mode == "wrap-nocg":
                cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + cmd
            wall, cpu, code, _ = timed(cmd, stderr=err)
            prof_path = os.path.join(self.out, f"stage-{stage}.json")
            with open(prof_path) as f:
                prof = json.load(f)
            res.update(
                monitor_cpu=prof["monitor"]["cpu_seconds"],
                monitor_rss=prof["monitor"]["peak_rss_bytes"],
                cgroup=prof["monitor"].get("cgroup"),
                processes=prof["totals"]["processes"],
                processes_listed=len(prof["processes"]),
            )
            os.unlink(prof_path)
            samples = os.path.join(self.out, f"stage-{stage}.samples.jsonl")
            if os.path.exists(samples):
                os.unlink(samples)
        elif mode == "psrecord":
            plog = os.path.join(self.scratch, "psrecord.log")
            # Not through the shell, so its own CPU can be polled apart from the command's.
            wall, cpu, code, own = timed(["psrecord", "--include-children", "--interval", "1",
                                          "--log", plog, shlex.join(argv)], stderr=err,
                                         via_shell=False, poll_own_cpu=True)
            res["monitor_cpu"] = own or 0.0
        elif mode == "pidstat":
            mon = spawn(["pidstat", "-h", "-u", "-r", "-d", "1"],
                        os.path.join(self.scratch, "pidstat.log"), "/dev/null", via_shell=False)
            wall, cpu, code, _ = timed(argv, stderr=err)
            os.kill(mon, signal.SIGINT)  # pidstat prints its averages and exits
            _, _, ru = os.wait4(mon, 0)
            res["monitor_cpu"] = ru.ru_utime + ru.ru_stime
            cpu += res["monitor_cpu"]
        else:
            raise ValueError(mode)
        with open(err) as f:
            # Pids in names (cicd-monitor-1234) would make every run's warning distinct.
            warnings = [re.sub(r"cicd-monitor-\d+", "cicd-monitor-PID", line.strip())
                        for line in f if "cicd-monitor" in line]
        os.unlink(err)
        if code != 0:
            raise SystemExit(f"{mode} {key}: exit {code}: {' '.join(argv)}")
        res.update(wall=wall, cpu=cpu, warnings=warnings)
        return res


# ---------------------------------------------------------------------------------------------
# Statistics and report


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt(x, digits=3):
    return "–" if x is None or x != x else f"{x:.{digits}f}"


def overhead_section(key, desc, modes, runs):
    """runs[mode] = list of result dicts, index = repetition."""
    lines = [f"### Workload {key}: {desc}", "",
             "| mode | wall median s (min) | wall ratio median (min) | CPU median s (min) "
             "| CPU ratio median (min) | monitor's own CPU s | own CPU / tree CPU | wrapper peak RSS MiB |",
             "|---|---|---|---|---|---|---|---|"]
    bare = runs["bare"]
    for mode in modes:
        rs = runs[mode]
        walls = [r["wall"] for r in rs]
        cpus = [r["cpu"] for r in rs]
        wr = [r["wall"] / b["wall"] for r, b in zip(rs, bare)]
        cr = [r["cpu"] / b["cpu"] for r, b in zip(rs, bare)]
        mon = [r["monitor_cpu"] for r in rs if "monitor_cpu" in r]
        # The monitor's own CPU over the CPU of the tree it watched (wait4 total minus its own;
        # pidstat's own CPU was added to the total), per run, median.
        share = [r["monitor_cpu"] / (r["cpu"] - r["monitor_cpu"]) for r in rs if "monitor_cpu" in r]
        rss = [r["monitor_rss"] for r in rs if "monitor_rss" in r]
        lines.append(
            f"| {mode} | {fmt(med(walls), 2)} ({fmt(min(walls), 2)}) "
            f"| {fmt(med(wr))} ({fmt(min(wr))}) "
            f"| {fmt(med(cpus), 2)} ({fmt(min(cpus), 2)}) "
            f"| {fmt(med(cr))} ({fmt(min(cr))}) "
            f"| {fmt(med(mon)) if mon else '–'} "
            f"| {f'{med(share) * 100:.2f} %' if share else '–'} "
            f"| {fmt(max(rss) / MIB, 1) if rss else '–'} |")
    warn = sorted({w for m in modes for r in runs[m] for w in r["warnings"]})
    if warn:
        lines += ["", "Warnings printed by the wrapper:", ""] + [f"- `{w}`" for w in warn]
    cg = sorted({str(r.get("cgroup")) for m in modes if m.startswith("wrap") for r in runs[m]})
    if cg:
        lines += ["", f"Stage cgroup used by the wrapper: {', '.join(cg)}."]
    return lines


def strace_counts(argv, scratch):
    """Processes (1 + successful fork/vfork/clone without CLONE_THREAD) and successful execve."""
    out = os.path.join(scratch, "strace.txt")
    subprocess.run(["strace", "-f", "-qq", "-e", "trace=execve,fork,vfork,clone,clone3",
                    "-e", "signal=none", "-o", out] + argv,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    pending, forks, threads, execs = {}, 0, 0, 0
    call = re.compile(r"^(\d+)\s+(.*)$")
    with open(out) as f:
        for line in f:
            m = call.match(line.rstrip("\n"))
            if not m:
                continue
            pid, text = m.groups()
            if text.endswith("<unfinished ...>"):
                pending[pid] = text[: -len("<unfinished ...>")]
                continue
            r = re.match(r"<\.\.\. (\w+) resumed>(.*)$", text)
            if r:
                text = pending.pop(pid, r.group(1) + "(") + r.group(2)
            name = text.split("(", 1)[0]
            result = text.rsplit("=", 1)[-1].strip().split(" ", 1)[0]
            ok = result.lstrip("-").isdigit() and int(result) >= 0
            if name == "execve" and ok:
                execs += 1
            elif name in ("fork", "vfork", "clone", "clone3") and ok and int(result) > 0:
                if "CLONE_THREAD" in text:
                    threads += 1
                else:
                    forks += 1
    os.unlink(out)
    return {"processes": 1 + forks, "forks": forks, "execs": execs, "threads": threads}


def startup(runner, n):
    """Interleaved `true` vs `wrap -- true`: walls and the wrapper's `monitor.peak_rss_bytes`."""
    true = shutil.which("true")
    bare, wrapped, rss = [], [], []
    for i in range(n):
        order = [0, 1] if i % 2 == 0 else [1, 0]
        for which in order:
            if which == 0:
                bare.append(timed([true])[0])
            else:
                wrapped.append(timed(runner.wrap_argv("startup", [], [true]))[0])
                with open(os.path.join(runner.out, "stage-startup.json")) as f:
                    rss.append(json.load(f)["monitor"]["peak_rss_bytes"])
    return bare, wrapped, rss


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(REPO, "target", "release", "cicd-monitor"))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--workloads", default="a,b,c")
    ap.add_argument("--modes", default=",".join(DEFAULT_MODES),
                    help=f"comma-separated, from {','.join(ALL_MODES)} (bare is always run)")
    ap.add_argument("--modules", type=int, default=24, help="C modules of workload a")
    ap.add_argument("--xz-mib", type=int, default=24, help="input size of workload b")
    ap.add_argument("--loops", type=int, default=2000, help="processes of workload c")
    ap.add_argument("--startup-runs", type=int, default=200)
    ap.add_argument("--no-trace-coverage", action="store_true")
    ap.add_argument("--scratch", help="scratch directory (kept; default: a fresh temp dir)")
    ap.add_argument("--results", help="also write the Markdown report to this file")
    args = ap.parse_args()

    binary = os.path.abspath(args.bin)
    modes = ["bare"] + [m for m in args.modes.split(",") if m and m != "bare"]
    for m in modes:
        if m not in ALL_MODES:
            ap.error(f"unknown mode {m}")
    if "wrap-nocg" in modes and os.geteuid() != 0:
        log("not root: skipping wrap-nocg")
        modes.remove("wrap-nocg")
    need = {"psrecord": "psrecord", "pidstat": "pidstat", "wrap-nocg": "setpriv"}
    for m in modes:
        if m in need and not shutil.which(need[m]):
            ap.error(f"mode {m} needs {need[m]} on PATH")
    # wrap-nocg runs as nobody in files that root runs also create: make everything writable.
    os.umask(0)
    scratch = args.scratch or tempfile.mkdtemp(prefix="cicd-monitor-bench-")
    os.makedirs(scratch, exist_ok=True)
    os.chmod(scratch, 0o777)  # wrap-nocg runs as nobody and writes here
    workloads = make_workloads(scratch, args.modules, args.xz_mib, args.loops)
    if "wrap-nocg" in modes:
        subprocess.run(["chmod", "-R", "a+rwX", scratch], check=True)
    runner = Runner(binary, scratch)

    report = ["# cicd-monitor overhead", "",
              f"- date: {time.strftime('%Y-%m-%d %H:%M %Z')}",
              f"- machine: {os.cpu_count()} cores, {os.uname().sysname} {os.uname().release}",
              f"- load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
              f"- binary: {binary}",
              f"- repetitions: {args.reps} per mode, interleaved (rotated order), ratios paired with "
              f"the bare run of the same repetition", ""]

    coverage = []
    for key in args.workloads.split(","):
        desc, argv = workloads[key]
        log(f"workload {key}: {desc}: warm-up")
        timed(argv)
        runs = {m: [] for m in modes}
        for rep in range(args.reps):
            order = modes[rep % len(modes):] + modes[: rep % len(modes)]
            for mode in order:
                r = runner.run(mode, key, argv)
                runs[mode].append(r)
                log(f"  rep {rep + 1} {mode:10} wall {r['wall']:7.3f}s cpu {r['cpu']:7.3f}s")
        report += overhead_section(key, desc, modes, runs) + [""]
        if not args.no_trace_coverage and "wrap-trace" in modes and shutil.which("strace"):
            st = strace_counts(argv, scratch)
            tr = runs["wrap-trace"]
            coverage.append(
                f"| {key} | {st['processes']} | {st['forks']} | {st['execs']} "
                f"| {min(r['processes'] for r in tr)}–{max(r['processes'] for r in tr)} "
                f"| {min(r['processes_listed'] for r in tr)}–{max(r['processes_listed'] for r in tr)} "
                f"| {med([r['processes'] for r in runs['wrap']]):.0f} |")

    if coverage:
        report += ["### Trace-exec coverage", "",
                   "strace: `strace -f -e trace=execve,fork,vfork,clone,clone3` of the bare command "
                   "(processes = 1 + successful forks without CLONE_THREAD). wrap: profile "
                   "`totals.processes` and the number of `processes[]` records.", "",
                   "| workload | strace processes | strace forks | strace execve | "
                   "wrap --trace-exec totals.processes | processes[] | wrap (sampling) totals.processes |",
                   "|---|---|---|---|---|---|---|"] + coverage + [""]

    if args.startup_runs > 0:
        log(f"start-up: {args.startup_runs} runs each")
        bare, wrapped, rss = startup(runner, args.startup_runs)
        report += ["### Start-up cost", "",
                   f"{args.startup_runs} runs each of `true` and `cicd-monitor wrap --quiet -- true`, "
                   "interleaved; wall from spawn to reap (includes writing the profile).", "",
                   "| command | wall median ms | wall min ms | wrapper peak RSS MiB (max) |",
                   "|---|---|---|---|",
                   f"| true | {med(bare) * 1e3:.2f} | {min(bare) * 1e3:.2f} | – |",
                   f"| wrap -- true | {med(wrapped) * 1e3:.2f} | {min(wrapped) * 1e3:.2f} "
                   f"| {max(rss) / MIB:.1f} |", "",
                   f"Start-up cost (median difference): {(med(wrapped) - med(bare)) * 1e3:.2f} ms.", ""]

    text = "\n".join(report)
    print(text)
    if args.results:
        with open(args.results, "w") as f:
            f.write(text)
    if not args.scratch:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()

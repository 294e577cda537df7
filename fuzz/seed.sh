#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seeds: the procfs fixture texts (fixtures/procfs), the cgroup
# layout fixtures (fixtures/host, fixtures/cgroup), this machine's cgroup counter files, and a
# profile and a record stream written by a real `cicd-monitor wrap` run.
#
#   fuzz/seed.sh
set -euo pipefail

fuzz=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$fuzz")
procfs=$repo/fixtures/procfs
corpus=$fuzz/corpus

# seed TARGET FILE...: copies each FILE into the target's corpus, named after its path.
seed() {
	local target=$1 f
	shift
	mkdir -p "$corpus/$target"
	for f in "$@"; do
		cp "$f" "$corpus/$target/$(echo "${f#"$repo"/}" | tr / _)"
	done
}

seed parse_stat "$procfs"/*/[0-9]*/stat
seed parse_io "$procfs"/*/[0-9]*/io
seed parse_status "$procfs"/*/[0-9]*/status
seed parse_pid_list "$procfs"/*/[0-9]*/task/*/children
seed parse_pressure "$procfs"/*/pressure/*
seed parse_proc_stat_cpu "$procfs"/*/stat
seed small_files "$procfs"/*/[0-9]*/smaps_rollup "$procfs"/*/meminfo "$procfs"/*/loadavg

# flat_keyed: the first byte picks the key (see the target), so each file is seeded with each.
mkdir -p "$corpus/flat_keyed"
for f in /sys/fs/cgroup/cpu.stat /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory.current \
	/sys/fs/cgroup/unified/cpu.stat /sys/fs/cgroup/cpuacct/cpuacct.stat \
	/sys/fs/cgroup/cpuacct/cpuacct.usage /sys/fs/cgroup/memory/memory.oom_control \
	/sys/fs/cgroup/memory/memory.usage_in_bytes; do
	[ -r "$f" ] || continue
	for key in 0 1 2 3 4 5 6; do
		{ printf "\\$key"; cat "$f"; } >"$corpus/flat_keyed/$(echo "${f#/}" | tr / _)-$key"
	done
done

# cgroup_layout: mountinfo, a NUL, then the cgroup file.
mkdir -p "$corpus/cgroup_layout"
for dir in "$repo"/fixtures/host/*/proc/self "$repo"/fixtures/cgroup/*/proc/self; do
	case=${dir%/proc/self}
	{ cat "$dir/mountinfo"; printf '\0'; cat "$dir/cgroup"; } \
		>"$corpus/cgroup_layout/$(basename "$(dirname "$case")")-$(basename "$case")"
done

# profile and record: the files of a real run of the wrapper around a small build-like tree.
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cargo run --quiet --manifest-path "$repo/Cargo.toml" -- wrap --quiet --out "$out" --stage seed -- \
	sh -c 'for i in 1 2 3; do sleep 0.6 & done; wait; echo done' >/dev/null
mkdir -p "$corpus/profile"
cp "$out/stage-seed.json" "$corpus/profile/stage-seed.json"
mkdir -p "$corpus/record"
n=0
while IFS= read -r line; do
	n=$((n + 1))
	printf '%s' "$line" >"$corpus/record/line-$n"
done <"$out/stage-seed.samples.jsonl"
echo "seeded $(find "$corpus" -type f | wc -l) files into $corpus" >&2

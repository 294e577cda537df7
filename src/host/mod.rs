//! The host fingerprint: what machine a stage ran on, and how much of it the stage could use.
//!
//! [`read_host`] fills a [`Host`] from procfs, sysfs, `os-release` and the enclosing cgroup
//! limits, all read under a root path (`/` live, `fixtures/host/<case>/` in tests). Reading never
//! fails: a value that cannot be read stays `None` (or 0 for the counts the schema requires).
//!
//! May depend on `profile` (the [`Host`] wire type), `sample::linux::cgroupfs` (limits) and
//! `procfs-core`; nothing else in the crate.

mod container;
mod cpu;
mod virt;

#[cfg(test)]
mod tests;

use std::fs;
use std::path::Path;

use procfs_core::{CpuInfo, FromRead, Meminfo};

use crate::profile::Host;

const GIB: f64 = (1u64 << 30) as f64;

/// Reads the machine description under `root` ("/" live); `env` looks up environment variables
/// (tests pass a map). Never fails: what can't be read stays None.
pub fn read_host(root: &Path, env: &dyn Fn(&str) -> Option<String>) -> Host {
    // procfs-core's parsers fit cpuinfo and meminfo; a file that is missing or malformed
    // leaves its fields empty.
    let cpuinfo = fs::File::open(root.join("proc/cpuinfo"))
        .ok()
        .and_then(|file| CpuInfo::from_read(file).ok());
    let memory_bytes = fs::File::open(root.join("proc/meminfo"))
        .ok()
        .and_then(|file| Meminfo::from_read(file).ok())
        .map_or(0, |meminfo| meminfo.mem_total);

    let cpus = cpu::online_cpus(root)
        .or_else(|| cpuinfo.as_ref().map(|info| info.num_cores() as u32))
        .unwrap_or(0);
    let cpus_allowed = cpu::allowed_cpus(root).filter(|&allowed| allowed != cpus);
    let (cpu_quota_cores, memory_limit_bytes) = cgroup_limits(root);

    let mut host = Host {
        hostname: read_trimmed(&root.join("proc/sys/kernel/hostname")),
        os: std::env::consts::OS.to_owned(),
        os_release: os_release(root),
        kernel: read_trimmed(&root.join("proc/sys/kernel/osrelease")),
        arch: std::env::consts::ARCH.to_owned(),
        cpu_model: cpuinfo.as_ref().and_then(cpu::model),
        cpus,
        cpus_allowed,
        cpu_quota_cores,
        memory_bytes,
        memory_limit_bytes,
        container: container::detect(root, env),
        virtualization: virt::detect(root, cpuinfo.as_ref()),
        fingerprint: String::new(),
    };
    host.fingerprint = fingerprint(&host);
    host
}

/// The stable class id of a machine: `{arch}/{cpus}c/{mem}GiB/{cpu_model}`, with the effective
/// cores ([`effective_cpus`]) and the effective memory ([`effective_memory_bytes`]) rounded to
/// whole GiB, e.g. `x86_64/2c/24GiB/AMD EPYC`.
pub fn fingerprint(host: &Host) -> String {
    let memory_gib = (effective_memory_bytes(host) as f64 / GIB).round() as u64;
    format!(
        "{}/{}c/{}GiB/{}",
        host.arch,
        effective_cpus(host),
        memory_gib,
        host.cpu_model.as_deref().unwrap_or("unknown"),
    )
}

/// The cores a stage can use: the least of the online CPUs, the CPUs in the affinity mask and
/// the cgroup CPU quota rounded up.
pub fn effective_cpus(host: &Host) -> u32 {
    let quota = host
        .cpu_quota_cores
        .map_or(u32::MAX, |cores| cores.ceil() as u32);
    host.cpus
        .min(host.cpus_allowed.unwrap_or(u32::MAX))
        .min(quota)
}

/// The memory a stage can use: the least of the machine's memory and the cgroup limit.
pub fn effective_memory_bytes(host: &Host) -> u64 {
    match (host.memory_bytes, host.memory_limit_bytes) {
        (0, Some(limit)) => limit,
        (total, Some(limit)) => total.min(limit),
        (total, None) => total,
    }
}

/// The enclosing cgroup limits of this process: CPU quota in cores and memory limit in bytes.
#[cfg(target_os = "linux")]
fn cgroup_limits(root: &Path) -> (Option<f64>, Option<u64>) {
    use crate::sample::linux::cgroupfs::{CgroupLayout, read_limits};
    // Without a readable cgroup layout no limit is known; the host description stays usable.
    let limits = CgroupLayout::read(root, "self")
        .map(|layout| read_limits(&layout))
        .unwrap_or_default();
    (limits.cpu_quota_cores, limits.memory_limit_bytes)
}

/// Cgroups exist on Linux only.
#[cfg(not(target_os = "linux"))]
fn cgroup_limits(_root: &Path) -> (Option<f64>, Option<u64>) {
    (None, None)
}

/// `PRETTY_NAME` of `etc/os-release`, else of `usr/lib/os-release` (the os-release(5) order).
fn os_release(root: &Path) -> Option<String> {
    ["etc/os-release", "usr/lib/os-release"]
        .iter()
        // The first file that can be read counts; a missing one sends us to the next location.
        .find_map(|path| fs::read_to_string(root.join(path)).ok())
        .and_then(|text| pretty_name(&text))
}

/// The `PRETTY_NAME` of an os-release text, falling back to `NAME VERSION`.
fn pretty_name(text: &str) -> Option<String> {
    let value = |key: &str| {
        text.lines().find_map(|line| {
            let (k, v) = line.split_once('=')?;
            (k.trim() == key)
                .then(|| unquote(v.trim()))
                .filter(|v| !v.is_empty())
        })
    };
    value("PRETTY_NAME").or_else(|| match (value("NAME"), value("VERSION")) {
        (Some(name), Some(version)) => Some(format!("{name} {version}")),
        (name, _) => name,
    })
}

/// Removes os-release quoting: double quotes with backslash escapes, or single quotes.
fn unquote(value: &str) -> String {
    if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.extend(chars.next()),
                c => out.push(c),
            }
        }
        out
    } else if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        inner.to_owned()
    } else {
        value.to_owned()
    }
}

/// A one-line file without surrounding whitespace; `None` when missing, unreadable or empty.
fn read_trimmed(path: &Path) -> Option<String> {
    // Missing or unreadable leaves the field unknown.
    let text = fs::read_to_string(path).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The machine this process runs on: [`read_host`] of `/` on Linux, sysinfo elsewhere (macOS
/// and Windows runners have no procfs).
pub fn read_live_host(env: &dyn Fn(&str) -> Option<String>) -> Host {
    if cfg!(target_os = "linux") {
        return read_host(Path::new("/"), env);
    }
    portable_host()
}

/// The host description from sysinfo (what it cannot tell stays `None`).
pub fn portable_host() -> Host {
    use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};
    let kind = RefreshKind::nothing()
        .with_memory(MemoryRefreshKind::nothing().with_ram())
        .with_cpu(CpuRefreshKind::nothing());
    let system = System::new_with_specifics(kind).ok();
    let cpus = system.as_ref().map_or(0, |s| s.cpus().len() as u32);
    let cpus = if cpus == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get() as u32)
    } else {
        cpus
    };
    let mut host = Host {
        hostname: System::host_name().ok(),
        os: std::env::consts::OS.to_owned(),
        os_release: System::long_os_version().ok(),
        kernel: System::kernel_version().ok(),
        arch: std::env::consts::ARCH.to_owned(),
        cpu_model: system
            .as_ref()
            .and_then(|s| s.cpus().first().map(|c| c.brand().trim().to_owned()))
            .filter(|b| !b.is_empty()),
        cpus,
        memory_bytes: system.as_ref().map_or(0, |s| s.total_memory()),
        ..Host::default()
    };
    host.fingerprint = fingerprint(&host);
    host
}

//! Where a process's cgroups are, and the CPU and memory limits that enclose it.
//!
//! [`CgroupLayout`] maps each line of `/proc/PID/cgroup` to the directory of that cgroup, using
//! the cgroup mounts listed in `/proc/PID/mountinfo`. It handles pure cgroup v2, the hybrid layout
//! (v2 at `/sys/fs/cgroup/unified` next to v1 controllers), pure v1 with co-mounted controllers
//! (`cpu,cpuacct`) and named hierarchies (`name=systemd`), and containers with or without a
//! cgroup namespace. [`read_limits`] walks those directories up to the mount point and keeps the
//! tightest CPU quota and memory limit.
//!
//! Every path is read under a root directory (`/` on a live system), so tests run on fixture
//! trees of real kernel text (`fixtures/cgroup/<case>/`, `fixtures/host/<case>/`).
//!
//! Depends on `std`, `procfs-core` (mountinfo lines) and `thiserror`; nothing else in the crate.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use procfs_core::process::MountInfo;

/// The suffix the kernel appends to a cgroup path in `/proc/PID/cgroup` once the cgroup of a
/// zombie process has been removed.
const DELETED_SUFFIX: &str = " (deleted)";

/// A v1 memory limit at or above this is "no limit". The kernel reports an unset limit as the
/// largest page count times the page size: 9223372036854771712 with 4 KiB pages,
/// 9223372036854710272 with 64 KiB pages. Nothing real comes near 2^62 bytes (4 EiB).
const UNLIMITED_MEMORY_FROM: u64 = 1 << 62;

/// Why the cgroup layout of a process could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    /// `mountinfo` or `cgroup` of the process could not be read.
    #[error("failed to read {path}")]
    Read {
        /// The file that could not be read.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A line of `mountinfo` or `cgroup` does not have the kernel's format.
    #[error("failed to parse {path} line {line}: {reason}")]
    Malformed {
        /// The file the line came from.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong with the line.
        reason: String,
    },
}

/// A cgroup directory of one hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupDir {
    /// Where the hierarchy is mounted, re-rooted under the root path that was read
    /// (e.g. `/sys/fs/cgroup/memory` on a live system). The highest directory of the hierarchy
    /// that the process can see.
    pub mount_point: PathBuf,
    /// The directory of the process's cgroup, under `mount_point`.
    pub path: PathBuf,
    /// The cgroup path exactly as `/proc/PID/cgroup` shows it, e.g. `/user.slice/x`. Without a
    /// cgroup namespace this is the full path on the host, which can be longer than what is
    /// visible under `mount_point` (a container sees `/docker/ID` mounted as its root).
    pub rel: String,
}

impl CgroupDir {
    /// The cgroup's directory and its parents, up to and including `mount_point`: the path along
    /// which limits of the hierarchy apply, as far as it is visible.
    pub fn ancestors(&self) -> impl Iterator<Item = &Path> {
        self.path
            .ancestors()
            .take_while(move |dir| dir.starts_with(&self.mount_point))
    }
}

/// The cgroup hierarchies a process is in: the v2 (unified) one, and v1 ones by controller name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CgroupLayout {
    /// The process's cgroup in the v2 hierarchy; `None` when the v2 hierarchy is not mounted
    /// where the process can see it.
    pub v2: Option<CgroupDir>,
    /// The process's cgroups in v1 hierarchies, keyed by the controller list as
    /// `/proc/PID/cgroup` shows it (`memory`, `cpu,cpuacct`, `name=systemd`). Hierarchies that
    /// are not mounted where the process can see them are left out. Use [`CgroupLayout::v1_dir`]
    /// to look up a single controller.
    pub v1: BTreeMap<String, CgroupDir>,
}

impl CgroupLayout {
    /// Reads `root/proc/<pid>/mountinfo` and `root/proc/<pid>/cgroup` (`pid` is "self" or a
    /// number); mount points are re-rooted under `root` so tests run on fixture trees.
    pub fn read(root: &Path, pid: &str) -> Result<CgroupLayout, CgroupError> {
        let proc_dir = root.join("proc").join(pid);
        let read = |path: PathBuf| match fs::read_to_string(&path) {
            Ok(text) => Ok((path, text)),
            Err(source) => Err(CgroupError::Read { path, source }),
        };
        let (mountinfo_path, mountinfo) = read(proc_dir.join("mountinfo"))?;
        let (cgroup_path, cgroup) = read(proc_dir.join("cgroup"))?;
        parse_named(root, &mountinfo_path, &mountinfo, &cgroup_path, &cgroup)
    }

    /// The same from the two texts. Errors name them `mountinfo` and `cgroup`.
    pub fn parse(root: &Path, mountinfo: &str, cgroup: &str) -> Result<CgroupLayout, CgroupError> {
        parse_named(
            root,
            Path::new("mountinfo"),
            mountinfo,
            Path::new("cgroup"),
            cgroup,
        )
    }

    /// The v1 hierarchy holding `controller` (e.g. "memory", "cpuacct", "name=systemd"); finds
    /// co-mounted controllers such as "cpu,cpuacct" by either name.
    pub fn v1_dir(&self, controller: &str) -> Option<&CgroupDir> {
        self.v1
            .iter()
            .find(|(controllers, _)| controllers.split(',').any(|c| c == controller))
            .map(|(_, dir)| dir)
    }
}

/// Limits that apply to the process: the tightest along the path from its cgroup up to the
/// hierarchy root.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CgroupLimits {
    /// CPU bandwidth quota in cores (`cpu.max` or `cpu.cfs_quota_us / cpu.cfs_period_us`);
    /// `None` when no cgroup on the path sets one.
    pub cpu_quota_cores: Option<f64>,
    /// Memory limit in bytes (`memory.max` or `memory.limit_in_bytes`); `None` when no cgroup
    /// on the path sets one.
    pub memory_limit_bytes: Option<u64>,
}

/// Reads the CPU quota and memory limit files along the process's cgroup paths, in the v2
/// hierarchy and in the v1 `cpu` and `memory` hierarchies, and keeps the tightest of each.
/// A missing or unreadable file means "no limit here", never an error.
pub fn read_limits(layout: &CgroupLayout) -> CgroupLimits {
    let v2 = || layout.v2.iter().flat_map(CgroupDir::ancestors);
    let v1_cpu = layout
        .v1_dir("cpu")
        .into_iter()
        .flat_map(CgroupDir::ancestors);
    let v1_memory = layout
        .v1_dir("memory")
        .into_iter()
        .flat_map(CgroupDir::ancestors);

    let v2_quotas = v2().filter_map(|dir| parse_cpu_max(&read_text(&dir.join("cpu.max"))?));
    let v1_quotas = v1_cpu.filter_map(|dir| {
        let quota = read_text(&dir.join("cpu.cfs_quota_us"))?;
        parse_cfs_quota(&quota, &read_text(&dir.join("cpu.cfs_period_us"))?)
    });
    let memory_files = v2()
        .map(|dir| dir.join("memory.max"))
        .chain(v1_memory.map(|dir| dir.join("memory.limit_in_bytes")));

    CgroupLimits {
        cpu_quota_cores: v2_quotas.chain(v1_quotas).reduce(f64::min),
        memory_limit_bytes: memory_files
            .filter_map(|path| parse_memory_limit(&read_text(&path)?))
            .min(),
    }
}

/// Reads a cgroup interface file.
fn read_text(path: &Path) -> Option<String> {
    // Missing (controller not enabled, root cgroup without the file) or unreadable (EACCES) both
    // mean no limit is known at this level.
    fs::read_to_string(path).ok()
}

/// Parses v2 `cpu.max` (`$MAX $PERIOD`, `max` for no limit) into cores.
fn parse_cpu_max(text: &str) -> Option<f64> {
    let mut fields = text.split_whitespace();
    let quota = fields.next()?;
    let period: u64 = fields.next()?.parse().ok()?;
    if quota == "max" {
        return None;
    }
    cores(quota.parse().ok()?, period)
}

/// Parses v1 `cpu.cfs_quota_us` (-1 for no limit) and `cpu.cfs_period_us` into cores.
fn parse_cfs_quota(quota: &str, period: &str) -> Option<f64> {
    let quota: i64 = quota.trim().parse().ok()?;
    let period: u64 = period.trim().parse().ok()?;
    cores(u64::try_from(quota).ok()?, period)
}

/// A quota per period as cores; `None` for a zero period or quota, which the kernel rejects.
fn cores(quota_usec: u64, period_usec: u64) -> Option<f64> {
    (quota_usec > 0 && period_usec > 0).then(|| quota_usec as f64 / period_usec as f64)
}

/// Parses v2 `memory.max` (bytes or `max`) or v1 `memory.limit_in_bytes` (bytes, near 2^63 for
/// no limit).
fn parse_memory_limit(text: &str) -> Option<u64> {
    let bytes: u64 = text.trim().parse().ok()?;
    (bytes < UNLIMITED_MEMORY_FROM).then_some(bytes)
}

/// A cgroup filesystem mount, from one mountinfo line.
struct CgroupMount {
    /// The cgroup path in the hierarchy that forms the root of the mount (`/`, or e.g.
    /// `/docker/ID` in a container without a cgroup namespace).
    root: String,
    /// The mount point, as the process sees it.
    mount_point: PathBuf,
    /// True for a cgroup2 mount.
    v2: bool,
    /// Superblock options, as `name` or `name=value` (`memory`, `name=systemd`).
    options: Vec<String>,
}

/// One line of `/proc/PID/cgroup`: `hierarchy-ID:controller-list:cgroup-path`.
struct CgroupLine<'a> {
    /// 0 for the v2 hierarchy.
    hierarchy: u32,
    /// The controller list, empty for v2.
    controllers: &'a str,
    /// The cgroup path, without a ` (deleted)` suffix.
    path: &'a str,
}

/// Parses both texts; `mountinfo_path` and `cgroup_path` only name the sources in errors.
fn parse_named(
    root: &Path,
    mountinfo_path: &Path,
    mountinfo: &str,
    cgroup_path: &Path,
    cgroup: &str,
) -> Result<CgroupLayout, CgroupError> {
    let mounts = parse_cgroup_mounts(mountinfo_path, mountinfo)?;
    let mut layout = CgroupLayout::default();
    for line in parse_cgroup_lines(cgroup_path, cgroup)? {
        let is_v2 = line.hierarchy == 0 && line.controllers.is_empty();
        let Some(dir) = locate(root, &mounts, &line, is_v2) else {
            // The hierarchy is not mounted where this process can see it (e.g. a container that
            // is shown `0::/docker/ID` but has no cgroup2 mount): nothing to read there.
            continue;
        };
        if is_v2 {
            layout.v2 = Some(dir);
        } else {
            layout.v1.insert(line.controllers.to_owned(), dir);
        }
    }
    Ok(layout)
}

/// The cgroup and cgroup2 mounts of a mountinfo text.
fn parse_cgroup_mounts(path: &Path, text: &str) -> Result<Vec<CgroupMount>, CgroupError> {
    let mut mounts = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        // procfs-core splits the fields; its errors carry no position, so name the line here.
        let info = MountInfo::from_line(line).map_err(|_| CgroupError::Malformed {
            path: path.to_owned(),
            line: index + 1,
            reason: "expected `ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS [FIELDS...] - TYPE \
                     SOURCE SUPER-OPTIONS`"
                .to_owned(),
        })?;
        let v2 = match info.fs_type.as_str() {
            "cgroup2" => true,
            "cgroup" => false,
            _ => continue,
        };
        let options = info
            .super_options
            .iter()
            .map(|(name, value)| match value {
                Some(value) => format!("{name}={value}"),
                None => name.clone(),
            })
            .collect();
        mounts.push(CgroupMount {
            root: unescape_octal(&info.root),
            mount_point: PathBuf::from(unescape_octal(&info.mount_point.to_string_lossy())),
            v2,
            options,
        });
    }
    Ok(mounts)
}

/// The lines of a `/proc/PID/cgroup` text.
fn parse_cgroup_lines<'a>(path: &Path, text: &'a str) -> Result<Vec<CgroupLine<'a>>, CgroupError> {
    // Parsed here rather than with procfs-core's `ProcessCGroups`, which reads the whole file and
    // cannot say which line is malformed.
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let malformed = |reason: &str| CgroupError::Malformed {
            path: path.to_owned(),
            line: index + 1,
            reason: reason.to_owned(),
        };
        let mut fields = line.splitn(3, ':');
        let (Some(hierarchy), Some(controllers), Some(cgroup_path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(malformed("expected `HIERARCHY-ID:CONTROLLERS:PATH`"));
        };
        let hierarchy = hierarchy
            .parse()
            .map_err(|_| malformed("the hierarchy ID is not a number"))?;
        if !cgroup_path.starts_with('/') {
            return Err(malformed("the cgroup path does not start with `/`"));
        }
        lines.push(CgroupLine {
            hierarchy,
            controllers,
            path: cgroup_path
                .strip_suffix(DELETED_SUFFIX)
                .unwrap_or(cgroup_path),
        });
    }
    Ok(lines)
}

/// The directory of `line`'s cgroup: the mount of its hierarchy whose root is the longest prefix
/// of the cgroup path, plus the rest of the path.
fn locate(
    root: &Path,
    mounts: &[CgroupMount],
    line: &CgroupLine,
    is_v2: bool,
) -> Option<CgroupDir> {
    let mut best: Option<(&CgroupMount, &str)> = None;
    for mount in mounts {
        let same_hierarchy = if is_v2 {
            mount.v2
        } else {
            !mount.v2
                && line
                    .controllers
                    .split(',')
                    .all(|c| mount.options.iter().any(|o| o == c))
        };
        if !same_hierarchy {
            continue;
        }
        let Some(rest) = strip_mount_root(line.path, &mount.root) else {
            continue;
        };
        if best.is_none_or(|(b, _)| mount.root.len() > b.root.len()) {
            best = Some((mount, rest));
        }
    }
    let (mount, rest) = best?;
    let mount_point = join_absolute(root, &mount.mount_point.to_string_lossy())?;
    let path = join_absolute(&mount_point, rest)?;
    Some(CgroupDir {
        mount_point,
        path,
        rel: line.path.to_owned(),
    })
}

/// The part of `cgroup_path` below `mount_root`, or `None` when the path is not under it.
fn strip_mount_root<'a>(cgroup_path: &'a str, mount_root: &str) -> Option<&'a str> {
    let mount_root = mount_root.trim_end_matches('/');
    let rest = cgroup_path.strip_prefix(mount_root)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// `base` joined with the absolute path `path`, or `None` when `path` climbs out with `..` (a
/// cgroup outside the process's cgroup namespace, shown as `/../sibling`).
fn join_absolute(base: &Path, path: &str) -> Option<PathBuf> {
    let mut joined = base.to_path_buf();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            part => joined.push(part),
        }
    }
    Some(joined)
}

/// Undoes the octal escapes (`\040` for a space) that mountinfo uses in paths.
fn unescape_octal(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes.get(i + 1..i + 4).and_then(|digits| {
            let digits = std::str::from_utf8(digits).ok()?;
            u8::from_str_radix(digits, 8).ok()
        });
        match (bytes[i], escaped) {
            (b'\\', Some(byte)) => {
                out.push(byte);
                i += 4;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(case: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(case)
    }

    fn layout(case: &str) -> (PathBuf, CgroupLayout) {
        let root = fixture(case);
        let layout = CgroupLayout::read(&root, "self").unwrap();
        (root, layout)
    }

    fn dir(mount_point: &Path, rel_dir: &str, rel: &str) -> CgroupDir {
        CgroupDir {
            mount_point: mount_point.to_path_buf(),
            path: join_absolute(mount_point, rel_dir).unwrap(),
            rel: rel.to_owned(),
        }
    }

    #[test]
    fn hybrid_host_has_v2_unified_and_separate_v1_controllers() {
        let (root, layout) = layout("host/debian12-kvm-hybrid");
        let cg = root.join("sys/fs/cgroup");
        assert_eq!(layout.v2, Some(dir(&cg.join("unified"), "/", "/")));
        assert_eq!(
            layout.v1.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "blkio",
                "cpu",
                "cpuacct",
                "cpuset",
                "devices",
                "freezer",
                "memory",
                "name=systemd",
                "pids"
            ]
        );
        let memory = "/process_api/02737f1035cef639f9a763a43fe7839e";
        assert_eq!(
            layout.v1_dir("memory"),
            Some(&dir(&cg.join("memory"), memory, memory))
        );
        assert_eq!(
            layout.v1_dir("name=systemd"),
            Some(&dir(&cg.join("systemd"), "/", "/"))
        );
        assert_eq!(layout.v1_dir("hugetlb"), None);
        // Every level of the memory path is unlimited (9223372036854771712), cpu says -1.
        assert_eq!(read_limits(&layout), CgroupLimits::default());
    }

    #[test]
    fn docker_without_cgroupns_strips_the_mount_root() {
        let (root, layout) = layout("host/docker-v1-limits");
        let id = "/docker/67e5c7e0b82a84dfb4700eace55580e13723957c8504162360c72581a11485dc";
        let cg = root.join("sys/fs/cgroup");
        // /proc/self/cgroup says `0::/docker/ID`, but no cgroup2 is mounted in the container.
        assert_eq!(layout.v2, None);
        assert_eq!(layout.v1.len(), 9);
        assert_eq!(
            layout.v1_dir("memory"),
            Some(&dir(&cg.join("memory"), "/", id))
        );
        assert_eq!(layout.v1_dir("cpu"), Some(&dir(&cg.join("cpu"), "/", id)));
        let limits = read_limits(&layout);
        assert_eq!(limits.cpu_quota_cores, Some(1.5));
        assert_eq!(limits.memory_limit_bytes, Some(512 << 20));
    }

    #[test]
    fn docker_with_cgroupns_sees_its_cgroup_as_root() {
        let (root, layout) = layout("host/docker-v1-cgroupns-cpuset");
        let cg = root.join("sys/fs/cgroup");
        assert_eq!(layout.v2, None);
        assert_eq!(
            layout.v1_dir("memory"),
            Some(&dir(&cg.join("memory"), "/", "/"))
        );
        let limits = read_limits(&layout);
        assert_eq!(limits.cpu_quota_cores, Some(1.5));
        assert_eq!(limits.memory_limit_bytes, Some(512 << 20));
    }

    #[test]
    fn v1_child_cgroup_takes_the_tightest_limit_on_the_path() {
        let (root, layout) = layout("cgroup/v1-child-limits");
        let memory = "/process_api/02737f1035cef639f9a763a43fe7839e/cicd-monitor-fixture/job";
        assert_eq!(
            layout.v1_dir("memory"),
            Some(&dir(&root.join("sys/fs/cgroup/memory"), memory, memory))
        );
        assert_eq!(layout.v1_dir("cpu").map(|d| d.ancestors().count()), Some(3));
        let limits = read_limits(&layout);
        // cpu: parent 50000/100000, leaf -1. memory: leaf 256 MiB under a 1 GiB parent.
        assert_eq!(limits.cpu_quota_cores, Some(0.5));
        assert_eq!(limits.memory_limit_bytes, Some(256 << 20));
    }

    #[test]
    fn v1_co_mounted_and_named_hierarchies() {
        let (root, layout) = layout("cgroup/v1-comounted-systemd");
        let cg = root.join("sys/fs/cgroup");
        let service = "/system.slice/jenkins-agent.service";
        assert_eq!(layout.v2, None);
        let cpu = dir(&cg.join("cpu,cpuacct"), service, service);
        assert_eq!(layout.v1_dir("cpu"), Some(&cpu));
        assert_eq!(layout.v1_dir("cpuacct"), Some(&cpu));
        assert_eq!(
            layout.v1_dir("net_prio"),
            Some(&dir(&cg.join("net_cls,net_prio"), "/", "/"))
        );
        assert_eq!(
            layout.v1_dir("name=systemd"),
            Some(&dir(&cg.join("systemd"), service, service))
        );
        let limits = read_limits(&layout);
        assert_eq!(limits.cpu_quota_cores, Some(3.0));
        assert_eq!(limits.memory_limit_bytes, Some(6 << 30));
    }

    #[test]
    fn v2_runner_service_without_limits() {
        let (root, layout) = layout("cgroup/v2-runner-service");
        let service = "/system.slice/ci-runner.service";
        assert_eq!(
            layout.v2,
            Some(dir(&root.join("sys/fs/cgroup"), service, service))
        );
        assert!(layout.v1.is_empty());
        assert_eq!(read_limits(&layout), CgroupLimits::default());
    }

    #[test]
    fn v2_user_slice_limits_from_different_levels() {
        let (root, layout) = layout("cgroup/v2-user-slice");
        let scope = "/user.slice/user-1000.slice/user@1000.service/app.slice/ci-job.scope";
        assert_eq!(
            layout.v2,
            Some(dir(&root.join("sys/fs/cgroup"), scope, scope))
        );
        let limits = read_limits(&layout);
        assert_eq!(limits.cpu_quota_cores, Some(2.0));
        assert_eq!(limits.memory_limit_bytes, Some(8 << 30));
    }

    #[test]
    fn v2_container_with_cgroupns() {
        let (root, layout) = layout("cgroup/v2-container-cgroupns");
        assert_eq!(layout.v2, Some(dir(&root.join("sys/fs/cgroup"), "/", "/")));
        let limits = read_limits(&layout);
        assert_eq!(limits.cpu_quota_cores, Some(1.5));
        assert_eq!(limits.memory_limit_bytes, Some(512 << 20));
    }

    #[test]
    fn missing_limit_files_mean_no_limit() {
        let root = tempfile::tempdir().unwrap();
        let mountinfo = "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n\
                         31 23 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
        let layout = CgroupLayout::parse(root.path(), mountinfo, "4:memory:/a\n0::/a/b\n").unwrap();
        assert!(layout.v2.is_some() && layout.v1_dir("memory").is_some());
        assert_eq!(read_limits(&layout), CgroupLimits::default());
    }

    #[test]
    fn malformed_mountinfo_line_names_file_and_line() {
        let root = fixture("host/debian12-kvm-hybrid");
        let mountinfo = "22 27 0:21 / /proc rw,relatime - proc proc rw\n\
                         23 27 0:22 / /sys rw,relatime sysfs sysfs rw\n";
        let err = CgroupLayout::parse(&root, mountinfo, "0::/\n").unwrap_err();
        assert!(
            matches!(&err, CgroupError::Malformed { path, line: 2, .. } if path == Path::new("mountinfo")),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .starts_with("failed to parse mountinfo line 2: ")
        );
    }

    #[test]
    fn malformed_cgroup_line_names_file_and_line() {
        let root = fixture("host/debian12-kvm-hybrid");
        let mountinfo = fs::read_to_string(root.join("proc/self/mountinfo")).unwrap();
        for (cgroup, reason) in [
            ("1:cpu:/\nnot a cgroup line\n", "expected"),
            ("1:cpu:/\nx:memory:/\n", "not a number"),
            ("1:cpu:/\n4:memory:relative\n", "does not start with"),
        ] {
            let err = CgroupLayout::parse(&root, &mountinfo, cgroup).unwrap_err();
            let text = err.to_string();
            assert!(
                text.starts_with("failed to parse cgroup line 2: "),
                "{text}"
            );
            assert!(text.contains(reason), "{text}");
        }
    }

    #[test]
    fn unreadable_proc_files_are_errors_with_the_path() {
        let root = tempfile::tempdir().unwrap();
        let err = CgroupLayout::read(root.path(), "4242").unwrap_err();
        match &err {
            CgroupError::Read { path, source } => {
                assert_eq!(path, &root.path().join("proc/4242/mountinfo"));
                assert_eq!(source.kind(), io::ErrorKind::NotFound);
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().starts_with("failed to read "));
    }

    #[test]
    fn deleted_cgroups_escaped_mount_points_and_paths_outside_the_namespace() {
        let root = Path::new("/fixture");
        let mountinfo = "40 31 0:37 / /sys/fs/cgroup\\040v2 rw - cgroup2 cgroup2 rw\n\
                         41 31 0:38 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n";
        let layout =
            CgroupLayout::parse(root, mountinfo, "0::/a/b (deleted)\n8:pids:/../sibling\n")
                .unwrap();
        let v2 = layout.v2.unwrap();
        assert_eq!(v2.path, Path::new("/fixture/sys/fs/cgroup v2/a/b"));
        assert_eq!(v2.rel, "/a/b");
        // A cgroup outside the process's cgroup namespace has no visible directory.
        assert!(layout.v1.is_empty());
    }

    #[test]
    fn limit_file_formats() {
        assert_eq!(parse_cpu_max("max 100000\n"), None);
        assert_eq!(parse_cpu_max("150000 100000\n"), Some(1.5));
        assert_eq!(parse_cpu_max("50000 100000 0\n"), Some(0.5));
        assert_eq!(parse_cpu_max("garbage\n"), None);
        assert_eq!(parse_cfs_quota("-1\n", "100000\n"), None);
        assert_eq!(parse_cfs_quota("250000\n", "100000\n"), Some(2.5));
        assert_eq!(parse_cfs_quota("250000\n", "0\n"), None);
        assert_eq!(parse_memory_limit("max\n"), None);
        assert_eq!(parse_memory_limit("536870912\n"), Some(512 << 20));
        assert_eq!(parse_memory_limit("9223372036854771712\n"), None);
        assert_eq!(parse_memory_limit("9223372036854710272\n"), None);
    }

    #[test]
    fn live_machine_layout_is_readable() {
        let layout = CgroupLayout::read(Path::new("/"), "self").unwrap();
        for dir in layout.v2.iter().chain(layout.v1.values()) {
            assert!(dir.path.starts_with(&dir.mount_point), "{dir:?}");
        }
        let limits = read_limits(&layout);
        assert!(limits.cpu_quota_cores.is_none_or(|c| c > 0.0));
    }
}

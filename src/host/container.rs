//! Which container runtime, if any, this process runs in.

use std::fs;
use std::path::Path;

use procfs_core::process::MountInfo;

/// Runtimes in the order a hint wins when several are seen: Kubernetes runs pods through Docker
/// or containerd, and Podman paths can mention containers in general.
const PRIORITY: [&str; 5] = ["kubernetes", "podman", "docker", "lxc", "containerd"];

/// The container runtime: `docker`, `podman`, `kubernetes`, `lxc`, `containerd`, or `None` on a
/// plain host (or machine).
///
/// Hints, strongest first: `run/.containerenv` (Podman writes it into every container);
/// `KUBERNETES_SERVICE_HOST` (set in every pod); runtime names in the cgroup paths of PID 1 and in
/// the roots of cgroup mounts; the source of the `/etc/hostname`, `/etc/hosts` and
/// `/etc/resolv.conf` bind mounts, which runtimes write per container; last `/.dockerenv`.
pub(super) fn detect(root: &Path, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    if root.join("run/.containerenv").exists() {
        return Some("podman".to_owned());
    }
    if env("KUBERNETES_SERVICE_HOST").is_some_and(|v| !v.is_empty()) {
        return Some("kubernetes".to_owned());
    }

    // Unreadable files give no hint.
    let cgroup = fs::read_to_string(root.join("proc/1/cgroup")).unwrap_or_default();
    let mountinfo = fs::read_to_string(root.join("proc/self/mountinfo")).unwrap_or_default();
    // A malformed mountinfo line gives no hint; the cgroup reader reports it.
    let mounts: Vec<MountInfo> = mountinfo
        .lines()
        .filter_map(|line| MountInfo::from_line(line).ok())
        .collect();

    let mut hints: Vec<&str> = cgroup
        .lines()
        .filter_map(|line| line.splitn(3, ':').nth(2))
        .filter_map(runtime_in_cgroup_path)
        .collect();
    for mount in &mounts {
        let point = mount.mount_point.to_string_lossy();
        if matches!(mount.fs_type.as_str(), "cgroup" | "cgroup2") {
            hints.extend(runtime_in_cgroup_path(&mount.root));
        } else if matches!(
            point.as_ref(),
            "/etc/hostname" | "/etc/hosts" | "/etc/resolv.conf"
        ) {
            hints.extend(runtime_in_bind_source(&mount.root));
        }
    }
    if let Some(runtime) = PRIORITY.iter().find(|r| hints.contains(r)) {
        return Some((*runtime).to_owned());
    }

    if root.join(".dockerenv").exists() && !root_is_whole_block_device(&mounts) {
        return Some("docker".to_owned());
    }
    None
}

/// The runtime named by a cgroup path, e.g. `/docker/ID`, `/system.slice/docker-ID.scope`,
/// `/kubepods/burstable/podUID/ID`, `/lxc.payload.NAME`, `/machine.slice/libpod-ID.scope`.
fn runtime_in_cgroup_path(path: &str) -> Option<&'static str> {
    let parts = || path.split('/').filter(|p| !p.is_empty());
    let any = |pred: &dyn Fn(&str) -> bool| parts().any(pred);
    if any(&|p| p.starts_with("kubepods")) {
        Some("kubernetes")
    } else if any(&|p| p.starts_with("libpod")) {
        Some("podman")
    } else if any(&|p| p == "docker" || p.starts_with("docker-") || p == "actions_job") {
        // `actions_job` is the cgroup parent of GitHub Actions job and service containers.
        Some("docker")
    } else if any(&|p| p == "lxc" || p.starts_with("lxc.payload")) {
        Some("lxc")
    } else if any(&|p| p.contains("containerd")) {
        Some("containerd")
    } else {
        None
    }
}

/// The runtime that wrote a per-container file bind-mounted over `/etc/hostname` and friends:
/// `/var/lib/docker/containers/ID/hostname`, `/var/lib/kubelet/pods/UID/etc-hosts`,
/// `.../containers/storage/overlay-containers/ID/userdata/hostname`, containerd sandboxes.
fn runtime_in_bind_source(path: &str) -> Option<&'static str> {
    if path.contains("/kubelet/pods/") {
        Some("kubernetes")
    } else if path.contains("/overlay-containers/") || path.contains("/libpod/") {
        Some("podman")
    } else if path.contains("/docker/containers/") {
        Some("docker")
    } else if path.contains("/lxc/") {
        Some("lxc")
    } else if path.contains("containerd") {
        Some("containerd")
    } else {
        None
    }
}

/// True when `/` is a whole block device (`/dev/vda` mounted at its own root), as on a machine
/// rather than in a container, whose root is an overlay or a subvolume. A machine image built from
/// a container image keeps a stale `/.dockerenv`; this tells the two apart.
fn root_is_whole_block_device(mounts: &[MountInfo]) -> bool {
    mounts.iter().any(|m| {
        m.mount_point == Path::new("/")
            && m.root == "/"
            && m.mount_source
                .as_deref()
                .is_some_and(|s| s.starts_with("/dev/") && !s.contains("docker"))
            && !m.fs_type.contains("overlay")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_paths_name_runtimes() {
        let cases = [
            ("/docker/67e5c7e0b82a", Some("docker")),
            ("/system.slice/docker-67e5c7e0b82a.scope", Some("docker")),
            ("/actions_job/67e5c7e0b82a", Some("docker")),
            (
                "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-2.scope",
                Some("kubernetes"),
            ),
            ("/kubepods/burstable/pod1/67e5c7e0b82a", Some("kubernetes")),
            (
                "/machine.slice/libpod-67e5c7e0b82a.scope/container",
                Some("podman"),
            ),
            ("/lxc.payload.runner", Some("lxc")),
            ("/system.slice/containerd.service/ns-1", Some("containerd")),
            ("/user.slice/user-1000.slice/session-3.scope", None),
            ("/", None),
        ];
        for (path, runtime) in cases {
            assert_eq!(runtime_in_cgroup_path(path), runtime, "{path}");
        }
    }

    #[test]
    fn bind_sources_name_runtimes() {
        assert_eq!(
            runtime_in_bind_source("/var/lib/docker/containers/67e5/hostname"),
            Some("docker")
        );
        assert_eq!(
            runtime_in_bind_source("/var/lib/kubelet/pods/6b1f/etc-hosts"),
            Some("kubernetes")
        );
        assert_eq!(
            runtime_in_bind_source(
                "/var/lib/containers/storage/overlay-containers/67e5/userdata/hostname"
            ),
            Some("podman")
        );
        assert_eq!(runtime_in_bind_source("/var/lib/docker"), None);
    }
}

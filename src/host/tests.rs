//! `read_host` on fixture trees of real kernel text and on the live machine.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::*;

fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/host")
        .join(case)
}

fn read_with_env(root: &Path, vars: &[(&str, &str)]) -> Host {
    let vars: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    read_host(root, &|key| vars.get(key).cloned())
}

fn read(case: &str) -> Host {
    read_with_env(&fixture(case), &[])
}

const ARCH: &str = std::env::consts::ARCH;

#[test]
fn debian_kvm_hybrid_host() {
    let host = read("debian12-kvm-hybrid");
    assert_eq!(
        host,
        Host {
            hostname: Some("vm".to_owned()),
            os: std::env::consts::OS.to_owned(),
            os_release: Some("Debian GNU/Linux 12 (bookworm)".to_owned()),
            kernel: Some("6.18.44-fc-v1272".to_owned()),
            arch: ARCH.to_owned(),
            cpu_model: Some("AMD EPYC".to_owned()),
            cpus: 2,
            cpus_allowed: None,
            cpu_quota_cores: None,
            memory_bytes: 24683784 * 1024,
            memory_limit_bytes: None,
            // The root file system carries a stale /.dockerenv from the image it was built from;
            // nothing else says container.
            container: None,
            // No DMI in this microVM; the kvm-clock clock source names the hypervisor.
            virtualization: Some("kvm".to_owned()),
            fingerprint: format!("{ARCH}/2c/24GiB/AMD EPYC"),
        }
    );
}

#[test]
fn docker_container_with_cpu_and_memory_limits() {
    let host = read("docker-v1-limits");
    assert_eq!(host.hostname.as_deref(), Some("67e5c7e0b82a"));
    // A FROM-scratch image has no os-release.
    assert_eq!(host.os_release, None);
    assert_eq!(host.kernel.as_deref(), Some("6.18.44-fc-v1272"));
    assert_eq!(host.cpus, 2);
    assert_eq!(host.cpus_allowed, None);
    assert_eq!(host.cpu_quota_cores, Some(1.5));
    assert_eq!(host.memory_bytes, 24683784 * 1024);
    assert_eq!(host.memory_limit_bytes, Some(512 << 20));
    assert_eq!(host.container.as_deref(), Some("docker"));
    assert_eq!(host.virtualization.as_deref(), Some("kvm"));
    // 1.5 cores round up to 2; 0.5 GiB rounds to 1.
    assert_eq!(host.fingerprint, format!("{ARCH}/2c/1GiB/AMD EPYC"));
}

#[test]
fn docker_container_with_cgroupns_and_cpuset() {
    let host = read("docker-v1-cgroupns-cpuset");
    assert_eq!(host.cpus, 2);
    assert_eq!(host.cpus_allowed, Some(1));
    assert_eq!(host.cpu_quota_cores, Some(1.5));
    assert_eq!(host.memory_limit_bytes, Some(512 << 20));
    // Cgroup paths are all `/` here; the /etc/hostname bind mount names Docker.
    assert_eq!(host.container.as_deref(), Some("docker"));
    assert_eq!(host.fingerprint, format!("{ARCH}/1c/1GiB/AMD EPYC"));
}

#[test]
fn kubernetes_from_the_environment() {
    let host = read_with_env(
        &fixture("debian12-kvm-hybrid"),
        &[("KUBERNETES_SERVICE_HOST", "10.96.0.1")],
    );
    assert_eq!(host.container.as_deref(), Some("kubernetes"));
}

#[test]
fn dockerenv_counts_when_the_root_is_not_a_whole_disk() {
    let root = tempfile::tempdir().unwrap();
    fs::write(root.path().join(".dockerenv"), "").unwrap();
    assert_eq!(
        read_with_env(root.path(), &[]).container.as_deref(),
        Some("docker")
    );
    fs::create_dir_all(root.path().join("run")).unwrap();
    fs::write(root.path().join("run/.containerenv"), "").unwrap();
    assert_eq!(
        read_with_env(root.path(), &[]).container.as_deref(),
        Some("podman")
    );
}

#[test]
fn empty_root_reads_as_unknown() {
    let root = tempfile::tempdir().unwrap();
    let host = read_with_env(root.path(), &[]);
    assert_eq!(
        host,
        Host {
            os: std::env::consts::OS.to_owned(),
            arch: ARCH.to_owned(),
            fingerprint: format!("{ARCH}/0c/0GiB/unknown"),
            ..Host::default()
        }
    );
}

#[test]
fn cpus_fall_back_to_cpuinfo_and_os_release_to_usr_lib() {
    let root = tempfile::tempdir().unwrap();
    let from = fixture("debian12-kvm-hybrid");
    fs::create_dir_all(root.path().join("proc")).unwrap();
    fs::create_dir_all(root.path().join("usr/lib")).unwrap();
    fs::copy(from.join("proc/cpuinfo"), root.path().join("proc/cpuinfo")).unwrap();
    fs::copy(
        from.join("etc/os-release"),
        root.path().join("usr/lib/os-release"),
    )
    .unwrap();
    let host = read_with_env(root.path(), &[]);
    assert_eq!(host.cpus, 2);
    assert_eq!(
        host.os_release.as_deref(),
        Some("Debian GNU/Linux 12 (bookworm)")
    );
    // The hypervisor flag is set but nothing names the hypervisor.
    assert_eq!(host.virtualization.as_deref(), Some("unknown"));
}

#[test]
fn os_release_quoting() {
    assert_eq!(
        pretty_name("NAME=\"Ubuntu\"\nPRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\n").as_deref(),
        Some("Ubuntu 24.04.1 LTS")
    );
    assert_eq!(
        pretty_name("PRETTY_NAME='Alpine Linux v3.20'\n").as_deref(),
        Some("Alpine Linux v3.20")
    );
    assert_eq!(
        pretty_name("NAME=Fedora\nVERSION=\"40 (Container Image)\"\n").as_deref(),
        Some("Fedora 40 (Container Image)")
    );
    assert_eq!(
        pretty_name("PRETTY_NAME=\"say \\\"hi\\\"\"\n").as_deref(),
        Some("say \"hi\"")
    );
    assert_eq!(pretty_name("ID=debian\n"), None);
}

#[test]
fn effective_values_take_the_tightest_limit() {
    let host = Host {
        cpus: 8,
        cpus_allowed: Some(6),
        cpu_quota_cores: Some(3.2),
        memory_bytes: 16 << 30,
        memory_limit_bytes: Some(3 << 30),
        ..Host::default()
    };
    assert_eq!(effective_cpus(&host), 4);
    assert_eq!(effective_memory_bytes(&host), 3 << 30);
    let unlimited = Host {
        cpus: 8,
        memory_bytes: 16 << 30,
        ..Host::default()
    };
    assert_eq!(effective_cpus(&unlimited), 8);
    assert_eq!(effective_memory_bytes(&unlimited), 16 << 30);
}

#[test]
fn live_machine_invariants() {
    let host = read_host(Path::new("/"), &|key| std::env::var(key).ok());
    assert!(host.cpus >= 1, "{host:?}");
    assert!(host.memory_bytes > 0, "{host:?}");
    assert!(host.fingerprint.starts_with(ARCH), "{host:?}");
}

#[test]
fn portable_host_describes_this_machine_too() {
    let host = super::portable_host();
    assert!(host.cpus >= 1);
    assert!(host.memory_bytes > 0);
    assert!(!host.fingerprint.is_empty());
}

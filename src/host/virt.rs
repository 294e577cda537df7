//! Which hypervisor, if any, the host runs on.

use std::fs;
use std::path::Path;

use procfs_core::CpuInfo;

/// The hypervisor: `kvm`, `qemu`, `microsoft`, `vmware`, `xen`, `amazon`, `google`, `oracle`,
/// `parallels`, `bhyve`; `unknown` when the CPU says it is virtual but nothing names the
/// hypervisor; `None` on bare metal.
///
/// On x86 the `hypervisor` CPU flag decides whether this is a virtual machine at all (bare-metal
/// cloud instances keep their cloud's DMI vendor). Then the DMI vendor and product name the
/// hypervisor, and, for machines without DMI (such as Firecracker microVMs), the Xen sysfs type
/// or a paravirtual clock source does.
pub(super) fn detect(root: &Path, cpuinfo: Option<&CpuInfo>) -> Option<String> {
    // x86 lists `flags`; other architectures print no such line and no hypervisor bit.
    let hypervisor_flag = cpuinfo
        .and_then(|info| info.flags(0))
        .map(|flags| flags.contains(&"hypervisor"));
    if hypervisor_flag == Some(false) {
        return None;
    }
    // Missing files (no DMI, no Xen, no sysfs) give no hint.
    let read = |path: &str| fs::read_to_string(root.join(path)).unwrap_or_default();
    let clocksources = read("sys/devices/system/clocksource/clocksource0/available_clocksource");
    let has_clock = |name: &str| clocksources.split_whitespace().any(|c| c == name);

    let name = match from_dmi(
        read("sys/class/dmi/id/sys_vendor").trim(),
        read("sys/class/dmi/id/product_name").trim(),
    ) {
        // QEMU's machine types are the same with and without KVM; the KVM clock tells them apart.
        Some("qemu") if has_clock("kvm-clock") => "kvm",
        Some(name) => name,
        None if read("sys/hypervisor/type").trim() == "xen" || has_clock("xen") => "xen",
        None if has_clock("kvm-clock") => "kvm",
        None if clocksources.contains("hyperv_clocksource") => "microsoft",
        None if hypervisor_flag == Some(true) => "unknown",
        None => return None,
    };
    Some(name.to_owned())
}

/// The hypervisor named by DMI `sys_vendor` and `product_name`.
fn from_dmi(vendor: &str, product: &str) -> Option<&'static str> {
    let name = match vendor {
        "QEMU" => "qemu",
        "Microsoft Corporation" if product == "Virtual Machine" => "microsoft",
        "VMware, Inc." => "vmware",
        "Xen" => "xen",
        // Bare-metal instances (`m5.metal`) keep the vendor; the CPU flag caught those on x86.
        "Amazon EC2" if !product.ends_with(".metal") => "amazon",
        "Google" if product == "Google Compute Engine" => "google",
        "innotek GmbH" | "Oracle Corporation" if product == "VirtualBox" => "oracle",
        "Parallels Software International Inc." | "Parallels International GmbH." => "parallels",
        "BHYVE" => "bhyve",
        _ if product.starts_with("KVM") || vendor == "KVM" => "kvm",
        _ if product == "HVM domU" => "xen",
        _ => return None,
    };
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dmi_vendors() {
        let cases = [
            ("QEMU", "Standard PC (Q35 + ICH9, 2009)", Some("qemu")),
            (
                "Microsoft Corporation",
                "Virtual Machine",
                Some("microsoft"),
            ),
            ("Microsoft Corporation", "Surface Laptop 5", None),
            ("VMware, Inc.", "VMware Virtual Platform", Some("vmware")),
            ("Xen", "HVM domU", Some("xen")),
            ("Amazon EC2", "c6i.large", Some("amazon")),
            ("Amazon EC2", "c6i.metal", None),
            ("Google", "Google Compute Engine", Some("google")),
            ("innotek GmbH", "VirtualBox", Some("oracle")),
            ("Red Hat", "KVM", Some("kvm")),
            ("Dell Inc.", "PowerEdge R650", None),
        ];
        for (vendor, product, name) in cases {
            assert_eq!(from_dmi(vendor, product), name, "{vendor} / {product}");
        }
    }

    #[test]
    fn bare_metal_flag_wins_over_dmi() {
        let root = tempfile::tempdir().unwrap();
        let dmi = root.path().join("sys/class/dmi/id");
        fs::create_dir_all(&dmi).unwrap();
        fs::write(dmi.join("sys_vendor"), "Amazon EC2\n").unwrap();
        fs::write(dmi.join("product_name"), "c5.large\n").unwrap();
        let cpuinfo = |flags: &str| {
            let text = format!("processor\t: 0\nflags\t\t: fpu vme {flags}\n");
            <CpuInfo as procfs_core::FromRead>::from_read(text.as_bytes()).unwrap()
        };
        assert_eq!(
            detect(root.path(), Some(&cpuinfo("hypervisor"))).as_deref(),
            Some("amazon")
        );
        assert_eq!(detect(root.path(), Some(&cpuinfo("sse"))), None);
        // Without a flags line (arm64) DMI alone decides.
        assert_eq!(detect(root.path(), None).as_deref(), Some("amazon"));
        assert_eq!(detect(tempfile::tempdir().unwrap().path(), None), None);
    }
}

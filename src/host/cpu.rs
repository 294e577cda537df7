//! CPU model and CPU counts of the host.

use std::fs;
use std::path::Path;

use procfs_core::CpuInfo;

/// The CPU model: `model name` (x86, 32-bit ARM), else the core named by `CPU implementer` and
/// `CPU part` (arm64 prints no model name), else `cpu` (POWER). Runs of spaces are collapsed.
pub(super) fn model(info: &CpuInfo) -> Option<String> {
    let field = |name: &str| info.get_field(0, name).filter(|v| !v.trim().is_empty());
    let text = field("model name")
        .map(str::to_owned)
        .or_else(|| arm_core(field("CPU implementer")?, field("CPU part")?))
        .or_else(|| field("cpu").map(str::to_owned))?;
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Names an arm64 core from its MIDR implementer and part numbers (as `0x41`, `0xd0c`). Common
/// server and board cores get their name; others keep the numbers, e.g. `ARM part 0xd0f`.
fn arm_core(implementer: &str, part: &str) -> Option<String> {
    let implementer = parse_hex(implementer)?;
    let part = parse_hex(part)?;
    let vendor = match implementer {
        0x41 => "ARM",
        0x42 => "Broadcom",
        0x43 => "Cavium",
        0x48 => "HiSilicon",
        0x4e => "NVIDIA",
        0x50 => "APM",
        0x51 => "Qualcomm",
        0x61 => "Apple",
        0xc0 => "Ampere",
        _ => return Some(format!("implementer {implementer:#04x} part {part:#05x}")),
    };
    let name = match (implementer, part) {
        (0x41, 0xd03) => "Cortex-A53",
        (0x41, 0xd07) => "Cortex-A57",
        (0x41, 0xd08) => "Cortex-A72",
        (0x41, 0xd0b) => "Cortex-A76",
        (0x41, 0xd0c) => "Neoverse-N1",
        (0x41, 0xd40) => "Neoverse-V1",
        (0x41, 0xd49) => "Neoverse-N2",
        (0x41, 0xd4f) => "Neoverse-V2",
        (0x41, 0xd84) => "Neoverse-V3",
        (0x41, 0xd8e) => "Neoverse-N3",
        (0xc0, 0xac3) => "Ampere-1",
        (0xc0, 0xac4) => "Ampere-1a",
        _ => return Some(format!("{vendor} part {part:#05x}")),
    };
    Some(format!("{vendor} {name}"))
}

/// Parses `0x`-prefixed hexadecimal.
fn parse_hex(text: &str) -> Option<u32> {
    u32::from_str_radix(text.trim().strip_prefix("0x")?, 16).ok()
}

/// CPUs online, from `sys/devices/system/cpu/online` (a CPU list such as `0-3,6`).
pub(super) fn online_cpus(root: &Path) -> Option<u32> {
    // Missing (no sysfs) falls back to the cpuinfo processor count in the caller.
    let text = fs::read_to_string(root.join("sys/devices/system/cpu/online")).ok()?;
    count_cpu_list(&text)
}

/// CPUs in this process's affinity mask: `Cpus_allowed_list` of `proc/self/status`.
pub(super) fn allowed_cpus(root: &Path) -> Option<u32> {
    // procfs-core's `Status` needs the whole file with dozens of fields; one line is read here.
    let text = fs::read_to_string(root.join("proc/self/status")).ok()?;
    let list = text
        .lines()
        .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))?;
    count_cpu_list(list)
}

/// Counts the CPUs of a kernel CPU list (`0-3,6,8-9`); `None` when it is empty or malformed.
pub(super) fn count_cpu_list(text: &str) -> Option<u32> {
    let mut count = 0u32;
    for range in text.trim().split(',') {
        let (first, last) = match range.split_once('-') {
            Some((first, last)) => (first.parse::<u32>().ok()?, last.parse::<u32>().ok()?),
            None => {
                let cpu = range.parse::<u32>().ok()?;
                (cpu, cpu)
            }
        };
        count += last.checked_sub(first)? + 1;
    }
    (count > 0).then_some(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use procfs_core::FromRead;

    #[test]
    fn cpu_lists() {
        assert_eq!(count_cpu_list("0-1\n"), Some(2));
        assert_eq!(count_cpu_list("0\n"), Some(1));
        assert_eq!(count_cpu_list("0-3,6,8-9\n"), Some(7));
        assert_eq!(count_cpu_list("\n"), None);
        assert_eq!(count_cpu_list("3-1"), None);
    }

    /// arm64 cpuinfo in the kernel's format (`arch/arm64/kernel/cpuinfo.c`, `c_show`): no
    /// `model name`, no `flags`; the core is named by implementer and part.
    const ARM64_CPUINFO: &str = "processor\t: 0\nBogoMIPS\t: 243.75\n\
        Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs\n\
        CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: 0xd0c\nCPU revision\t: 1\n\n\
        processor\t: 1\nBogoMIPS\t: 243.75\n\
        Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs\n\
        CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: 0xd0c\nCPU revision\t: 1\n";

    #[test]
    fn arm64_core_from_implementer_and_part() {
        let info = CpuInfo::from_read(ARM64_CPUINFO.as_bytes()).unwrap();
        assert_eq!(info.num_cores(), 2);
        assert_eq!(model(&info).as_deref(), Some("ARM Neoverse-N1"));
        assert_eq!(arm_core("0x41", "0xd0f").as_deref(), Some("ARM part 0xd0f"));
        assert_eq!(
            arm_core("0x99", "0x001").as_deref(),
            Some("implementer 0x99 part 0x001")
        );
        assert_eq!(arm_core("65", "0xd0c"), None);
    }

    #[test]
    fn model_name_spaces_are_collapsed() {
        let text =
            "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) CPU           E5-2680 0 @ 2.70GHz\n";
        let info = CpuInfo::from_read(text.as_bytes()).unwrap();
        assert_eq!(
            model(&info).as_deref(),
            Some("Intel(R) Xeon(R) CPU E5-2680 0 @ 2.70GHz")
        );
    }
}

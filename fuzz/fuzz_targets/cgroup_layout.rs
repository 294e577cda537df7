//! `CgroupLayout::parse`: a mountinfo text and a `/proc/PID/cgroup` text, given as one input
//! split at the first NUL byte.
#![no_main]

use std::path::Path;

use cicd_monitor::sample::linux::cgroupfs::CgroupLayout;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (mountinfo, cgroup) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let (Ok(mountinfo), Ok(cgroup)) = (std::str::from_utf8(mountinfo), std::str::from_utf8(cgroup))
    else {
        return;
    };
    if let Ok(layout) = CgroupLayout::parse(Path::new("/fixture-root"), mountinfo, cgroup) {
        // Every directory found is re-rooted under the root that was given.
        for dir in layout.v2.iter().chain(layout.v1.values()) {
            assert!(dir.path.starts_with("/fixture-root"));
            assert!(dir.path.starts_with(&dir.mount_point));
        }
    }
});

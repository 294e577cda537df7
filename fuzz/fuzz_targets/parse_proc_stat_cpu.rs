//! The aggregate `cpu` line of `/proc/stat`, summed into user/system/idle/iowait/steal.
#![no_main]

use cicd_monitor::sample::linux::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse::parse_proc_stat_cpu(data);
});

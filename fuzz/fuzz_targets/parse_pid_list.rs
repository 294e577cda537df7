//! `/proc/PID/task/TID/children`: space-separated pids.
#![no_main]

use cicd_monitor::sample::linux::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut pids = Vec::new();
    parse::parse_pid_list(data, &mut pids);
    // At most one pid per two bytes ("1 1 1 …").
    assert!(pids.len() <= data.len().div_ceil(2));
});

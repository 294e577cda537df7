//! `/proc/PID/status`: `Key:\tvalue [kB]` lines, converted to bytes.
#![no_main]

use cicd_monitor::sample::linux::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse::parse_status(data);
});

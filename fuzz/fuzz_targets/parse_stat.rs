//! `/proc/PID/stat`: the comm field may hold anything, fields are counted after the last `)`.
#![no_main]

use cicd_monitor::sample::linux::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(stat) = parse::parse_stat(data) {
        // The comm is a slice of the input, between the first `(` and the last `)`.
        assert!(stat.comm.len() < data.len());
    }
});

//! The one-value readers: `smaps_rollup` (Pss), `meminfo` (MemAvailable), `loadavg`.
#![no_main]

use cicd_monitor::sample::linux::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse::parse_smaps_rollup_pss(data);
    let _ = parse::parse_meminfo_available(data);
    let _ = parse::parse_loadavg1(data);
});

//! PSI files: `some|full avg10=… avg60=… avg300=… total=N` lines.
#![no_main]

use cicd_monitor::sample::linux::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse::parse_pressure(data);
});

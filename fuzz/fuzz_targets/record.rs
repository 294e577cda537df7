//! One line of `stage-NAME.samples.jsonl`, as `profile --from-samples` reads it.
#![no_main]

use cicd_monitor::sample::record::Record;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(line) = std::str::from_utf8(data) {
        let _ = serde_json::from_str::<Record>(line);
    }
});

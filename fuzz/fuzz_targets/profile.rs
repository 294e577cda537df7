//! A stage profile (`stage-NAME.json`). `profile::io::parse_profile` is private to the crate,
//! so this fuzzes the deserialisation it ends in.
#![no_main]

use cicd_monitor::profile::StageProfile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<StageProfile>(data);
});

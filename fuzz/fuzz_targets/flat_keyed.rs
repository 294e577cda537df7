//! Flat-keyed cgroup files (`cpu.stat`, `cpuacct.stat`, `memory.events`, `memory.oom_control`)
//! and single-value files (`memory.current`, `cpuacct.usage`). The first byte picks the key.
#![no_main]

use cicd_monitor::sample::linux::parse;
use libfuzzer_sys::fuzz_target;

const KEYS: &[&[u8]] = &[
    b"usage_usec",
    b"user_usec",
    b"system_usec",
    b"user",
    b"system",
    b"oom_kill",
    b"",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, text)) = data.split_first() else {
        return;
    };
    let _ = parse::flat_keyed(text, KEYS[usize::from(pick) % KEYS.len()]);
    let _ = parse::single_u64(data);
});

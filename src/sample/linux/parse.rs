//! Allocation-free parsers for the kernel text the sampler reads every interval.
//!
//! Each parser takes the bytes exactly as read from one file and returns the fields as numbers
//! in the kernel's own units (ticks, pages, kB are converted only where the name says so).
//! They never panic: malformed text gives `None` or a [`ParseError`] naming the field.
//! Depends on nothing but `std`.

use std::fmt;

/// A field that could not be parsed, named for error messages ("stat field 14 (utime)").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseError {
    /// What was being parsed, e.g. "stat", "io".
    pub file: &'static str,
    /// The field that was missing or malformed.
    pub field: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed {} (field {})", self.file, self.field)
    }
}

impl std::error::Error for ParseError {}

/// The fields of `/proc/PID/stat` the sampler uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatFields<'a> {
    /// Executable name as the kernel keeps it (at most 15 bytes).
    pub comm: &'a [u8],
    /// State letter (R, S, D, Z, T, t, X, I, ...).
    pub state: u8,
    /// Parent pid.
    pub ppid: u32,
    /// Process group id.
    pub pgrp: i32,
    /// User CPU in clock ticks.
    pub utime_ticks: u64,
    /// System CPU in clock ticks.
    pub stime_ticks: u64,
    /// User CPU of waited-for children in clock ticks.
    pub cutime_ticks: u64,
    /// System CPU of waited-for children in clock ticks.
    pub cstime_ticks: u64,
    /// Threads in the process.
    pub num_threads: u32,
    /// Start time in clock ticks since boot.
    pub starttime_ticks: u64,
    /// Resident set size in pages.
    pub rss_pages: u64,
}

/// Parses `/proc/PID/stat`. The comm field may hold spaces and parentheses, so the fields
/// after it are located from the last `)`.
pub fn parse_stat(buf: &[u8]) -> Result<StatFields<'_>, ParseError> {
    let err = |field| ParseError {
        file: "stat",
        field,
    };
    let open = buf.iter().position(|&b| b == b'(').ok_or(err("comm"))?;
    let close = buf.iter().rposition(|&b| b == b')').ok_or(err("comm"))?;
    if close < open {
        return Err(err("comm"));
    }
    let comm = &buf[open + 1..close];
    let mut fields = buf[close + 1..]
        .split(|&b| b == b' ' || b == b'\n')
        .filter(|f| !f.is_empty());
    // Field numbers below are those of proc(5); comm is field 2.
    let state = fields.next().and_then(|f| f.first().copied());
    let mut stat = StatFields {
        comm,
        state: state.ok_or(err("3 (state)"))?,
        ..StatFields::default()
    };
    let mut n = 3;
    for f in fields {
        n += 1;
        match n {
            4 => stat.ppid = parse_u64(f).ok_or(err("4 (ppid)"))? as u32,
            5 => stat.pgrp = parse_i64(f).ok_or(err("5 (pgrp)"))? as i32,
            14 => stat.utime_ticks = parse_u64(f).ok_or(err("14 (utime)"))?,
            15 => stat.stime_ticks = parse_u64(f).ok_or(err("15 (stime)"))?,
            // cutime/cstime are signed in the kernel's output type but never negative.
            16 => stat.cutime_ticks = parse_i64(f).ok_or(err("16 (cutime)"))?.max(0) as u64,
            17 => stat.cstime_ticks = parse_i64(f).ok_or(err("17 (cstime)"))?.max(0) as u64,
            20 => stat.num_threads = parse_u64(f).ok_or(err("20 (num_threads)"))? as u32,
            22 => stat.starttime_ticks = parse_u64(f).ok_or(err("22 (starttime)"))?,
            24 => {
                stat.rss_pages = parse_i64(f).ok_or(err("24 (rss)"))?.max(0) as u64;
                return Ok(stat);
            }
            _ => {}
        }
    }
    Err(err("24 (rss)"))
}

/// The counters of `/proc/PID/io`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IoFields {
    /// Bytes read through read-like syscalls (`rchar`).
    pub rchar: u64,
    /// Bytes written through write-like syscalls (`wchar`).
    pub wchar: u64,
    /// Bytes fetched from the storage layer (`read_bytes`).
    pub read_bytes: u64,
    /// Bytes sent to the storage layer (`write_bytes`).
    pub write_bytes: u64,
    /// Bytes whose write was cancelled by truncation (`cancelled_write_bytes`).
    pub cancelled_write_bytes: u64,
}

/// Parses `/proc/PID/io` ("key: value" lines).
pub fn parse_io(buf: &[u8]) -> Result<IoFields, ParseError> {
    let mut io = IoFields::default();
    // One bit per key, so a repeated line cannot stand in for a missing one (or overflow a count).
    let mut seen = 0u8;
    for (key, value) in key_values(buf) {
        let (slot, bit) = match key {
            b"rchar" => (&mut io.rchar, 1),
            b"wchar" => (&mut io.wchar, 2),
            b"read_bytes" => (&mut io.read_bytes, 4),
            b"write_bytes" => (&mut io.write_bytes, 8),
            b"cancelled_write_bytes" => (&mut io.cancelled_write_bytes, 16),
            _ => continue,
        };
        *slot = first_u64(value).ok_or(ParseError {
            file: "io",
            field: "value",
        })?;
        seen |= bit;
    }
    if seen & 0b1111 != 0b1111 {
        return Err(ParseError {
            file: "io",
            field: "rchar/wchar/read_bytes/write_bytes",
        });
    }
    Ok(io)
}

/// Fields of `/proc/PID/status` the sampler uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusFields {
    /// Thread group id (the process id).
    pub tgid: Option<u32>,
    /// Peak resident set size ("high water mark"), in bytes.
    pub vm_hwm_bytes: Option<u64>,
    /// Current resident set size, in bytes.
    pub vm_rss_bytes: Option<u64>,
}

/// Parses `/proc/PID/status`. Kernel threads and zombies have no Vm* lines: those stay `None`.
pub fn parse_status(buf: &[u8]) -> StatusFields {
    let mut s = StatusFields::default();
    for (key, value) in key_values(buf) {
        match key {
            b"Tgid" => s.tgid = first_u64(value).map(|v| v as u32),
            b"VmHWM" => s.vm_hwm_bytes = first_u64(value).and_then(kib_to_bytes),
            b"VmRSS" => {
                s.vm_rss_bytes = first_u64(value).and_then(kib_to_bytes);
                // VmRSS follows VmHWM; nothing after it is needed.
                break;
            }
            _ => {}
        }
    }
    s
}

/// Parses the `Pss:` line of `/proc/PID/smaps_rollup`, in bytes.
pub fn parse_smaps_rollup_pss(buf: &[u8]) -> Option<u64> {
    key_values(buf)
        .find(|(k, _)| *k == b"Pss")
        .and_then(|(_, v)| first_u64(v))
        .and_then(kib_to_bytes)
}

/// Appends the pids listed in `/proc/PID/task/TID/children` (space separated) to `out`.
pub fn parse_pid_list(buf: &[u8], out: &mut Vec<u32>) {
    for f in buf.split(|b| b.is_ascii_whitespace()) {
        if let Some(pid) = parse_u64(f) {
            out.push(pid as u32);
        }
    }
}

/// The aggregate `cpu` line of `/proc/stat`, in clock ticks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuTimes {
    /// user + nice
    pub user_ticks: u64,
    /// system + irq + softirq
    pub system_ticks: u64,
    /// idle
    pub idle_ticks: u64,
    /// iowait
    pub iowait_ticks: u64,
    /// steal
    pub steal_ticks: u64,
}

/// Parses the first (`cpu `) line of `/proc/stat`.
pub fn parse_proc_stat_cpu(buf: &[u8]) -> Option<CpuTimes> {
    let line = buf.split(|&b| b == b'\n').next()?;
    let mut f = line.split(|&b| b == b' ').filter(|f| !f.is_empty());
    if f.next()? != b"cpu" {
        return None;
    }
    let mut v = [0u64; 8];
    for slot in v.iter_mut() {
        // Old kernels have fewer columns; missing ones stay 0.
        match f.next() {
            Some(x) => *slot = parse_u64(x)?,
            None => break,
        }
    }
    let [user, nice, system, idle, iowait, irq, softirq, steal] = v;
    Some(CpuTimes {
        // Sums that overflow are not counters the kernel printed.
        user_ticks: user.checked_add(nice)?,
        system_ticks: system.checked_add(irq)?.checked_add(softirq)?,
        idle_ticks: idle,
        iowait_ticks: iowait,
        steal_ticks: steal,
    })
}

/// Parses the 1-minute load average from `/proc/loadavg`.
pub fn parse_loadavg1(buf: &[u8]) -> Option<f64> {
    let first = buf.split(|&b| b == b' ').next()?;
    // Only finite values: "nan" and "inf" parse as f64 but are no load average.
    std::str::from_utf8(first)
        .ok()?
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
}

/// Parses `MemAvailable` from `/proc/meminfo`, in bytes.
pub fn parse_meminfo_available(buf: &[u8]) -> Option<u64> {
    key_values(buf)
        .find(|(k, _)| *k == b"MemAvailable")
        .and_then(|(_, v)| first_u64(v))
        .and_then(kib_to_bytes)
}

/// Cumulative stall times from a PSI file (`/proc/pressure/*` or a cgroup's `*.pressure`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pressure {
    /// `some ... total=` in microseconds.
    pub some_usec: Option<u64>,
    /// `full ... total=` in microseconds (absent for host-wide cpu on old kernels).
    pub full_usec: Option<u64>,
}

/// Parses a PSI file: lines `some avg10=0.00 avg60=0.00 avg300=0.00 total=123`.
pub fn parse_pressure(buf: &[u8]) -> Pressure {
    let mut p = Pressure::default();
    for line in buf.split(|&b| b == b'\n') {
        let total = line
            .split(|&b| b == b' ')
            .find_map(|f| f.strip_prefix(b"total="))
            .and_then(parse_u64);
        if line.starts_with(b"some ") {
            p.some_usec = total;
        } else if line.starts_with(b"full ") {
            p.full_usec = total;
        }
    }
    p
}

/// Looks up `key` in a flat-keyed cgroup file (`cpu.stat`, `memory.events`, `cpuacct.stat`,
/// `memory.oom_control`): lines of `key value`.
pub fn flat_keyed(buf: &[u8], key: &[u8]) -> Option<u64> {
    buf.split(|&b| b == b'\n').find_map(|line| {
        let mut f = line.split(|&b| b == b' ');
        (f.next()? == key).then(|| f.next().and_then(parse_u64))?
    })
}

/// Parses a single-value file (`memory.current`, `memory.peak`, `cpuacct.usage`).
/// `max` (no limit) gives `None`.
pub fn single_u64(buf: &[u8]) -> Option<u64> {
    first_u64(buf)
}

/// Iterates `key: value` / `key value` lines, yielding the key (without `:`) and the rest.
fn key_values(buf: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    buf.split(|&b| b == b'\n').filter_map(|line| {
        let sep = line.iter().position(|&b| b == b':' || b == b' ')?;
        Some((&line[..sep], &line[sep + 1..]))
    })
}

/// The first unsigned number in `buf`, skipping leading blanks and a `:`.
fn first_u64(buf: &[u8]) -> Option<u64> {
    let start = buf.iter().position(|b| b.is_ascii_digit())?;
    let digits = &buf[start..];
    let end = digits
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    // Reject text like "abc12": everything before the number must be separators.
    if !buf[..start]
        .iter()
        .all(|&b| b == b' ' || b == b'\t' || b == b':')
    {
        return None;
    }
    parse_u64(&digits[..end])
}

/// A `kB` value (KiB, as procfs prints it) in bytes; `None` when that does not fit in a `u64`.
fn kib_to_bytes(kib: u64) -> Option<u64> {
    kib.checked_mul(1024)
}

/// Parses an unsigned decimal; `None` on anything else or overflow.
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let mut n: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(n)
}

fn parse_i64(s: &[u8]) -> Option<i64> {
    match s.split_first() {
        Some((b'-', rest)) => parse_u64(rest)
            .and_then(|v| i64::try_from(v).ok())
            .map(|v| -v),
        _ => parse_u64(s).and_then(|v| i64::try_from(v).ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real text read from this project's CI machine (kernel 6.x).
    const STAT: &[u8] = b"2470 (bash) S 2468 2470 2470 0 -1 4194560 1418 4711 0 0 3 2 15 9 20 0 1 0 11402 9699328 1067 18446744073709551615 94299318611968 94299319540125 140727238598768 0 0 0 65536 3686404 1266761467 1 0 0 17 1 0 0 0 0 0 94299319785200 94299319832516 94299332067328 140727238601583 140727238601593 140727238601593 140727238606830 0\n";

    #[test]
    fn stat_fields() {
        let s = parse_stat(STAT).unwrap();
        assert_eq!(s.comm, b"bash");
        assert_eq!(s.state, b'S');
        assert_eq!(s.ppid, 2468);
        assert_eq!(s.pgrp, 2470);
        assert_eq!((s.utime_ticks, s.stime_ticks), (3, 2));
        assert_eq!((s.cutime_ticks, s.cstime_ticks), (15, 9));
        assert_eq!(s.num_threads, 1);
        assert_eq!(s.starttime_ticks, 11402);
        assert_eq!(s.rss_pages, 1067);
    }

    #[test]
    fn stat_comm_with_parens_and_spaces() {
        let line = b"42 (a) b (c)) R 1 42 42 0 -1 0 0 0 0 0 7 8 9 10 20 0 3 0 500 0 12 0\n";
        let s = parse_stat(line).unwrap();
        assert_eq!(s.comm, b"a) b (c)");
        assert_eq!(s.state, b'R');
        assert_eq!(s.num_threads, 3);
        assert_eq!(s.rss_pages, 12);
    }

    #[test]
    fn stat_truncated_is_an_error_naming_the_field() {
        let e = parse_stat(b"1 (x) S 0 1 1 0 -1 0 0 0 0 0 5").unwrap_err();
        assert_eq!(e.field, "24 (rss)");
        assert!(parse_stat(b"").is_err());
        assert!(parse_stat(b")(").is_err());
        assert_eq!(
            parse_stat(b"1 (x) S zz").unwrap_err().to_string(),
            "malformed stat (field 4 (ppid))"
        );
    }

    #[test]
    fn io_fields() {
        let io = parse_io(b"rchar: 2012\nwchar: 12\nsyscr: 7\nsyscw: 1\nread_bytes: 4096\nwrite_bytes: 8192\ncancelled_write_bytes: 0\n").unwrap();
        assert_eq!(
            io,
            IoFields {
                rchar: 2012,
                wchar: 12,
                read_bytes: 4096,
                write_bytes: 8192,
                cancelled_write_bytes: 0
            }
        );
        assert!(parse_io(b"rchar: 1\n").is_err());
    }

    #[test]
    fn status_fields() {
        let s = parse_status(b"Name:\tcc1\nUmask:\t0022\nState:\tR (running)\nTgid:\t77\nNgid:\t0\nPid:\t77\nVmPeak:\t  20000 kB\nVmSize:\t  19000 kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\nVmHWM:\t    5120 kB\nVmRSS:\t    4096 kB\nRssAnon:\t 1 kB\n");
        assert_eq!(s.tgid, Some(77));
        assert_eq!(s.vm_hwm_bytes, Some(5120 * 1024));
        assert_eq!(s.vm_rss_bytes, Some(4096 * 1024));
        let zombie = parse_status(b"Name:\tx\nState:\tZ (zombie)\nTgid:\t9\n");
        assert_eq!(zombie.vm_hwm_bytes, None);
    }

    #[test]
    fn small_files() {
        assert_eq!(
            parse_smaps_rollup_pss(
                b"55d0-7ffd ---p 00000000 00:00 0 [rollup]\nRss:   100 kB\nPss:   40 kB\n"
            ),
            Some(40 * 1024)
        );
        let mut v = vec![];
        parse_pid_list(b"12 13 4000 \n", &mut v);
        assert_eq!(v, [12, 13, 4000]);
        assert_eq!(parse_loadavg1(b"0.52 0.31 0.20 2/301 4242\n"), Some(0.52));
        assert_eq!(
            parse_meminfo_available(
                b"MemTotal:       24000000 kB\nMemFree:  1 kB\nMemAvailable:   2000 kB\n"
            ),
            Some(2000 * 1024)
        );
        let cpu = parse_proc_stat_cpu(b"cpu  100 5 50 1000 7 1 2 3 0 0\ncpu0 1 2 3\n").unwrap();
        assert_eq!(cpu.user_ticks, 105);
        assert_eq!(cpu.system_ticks, 53);
        assert_eq!(cpu.steal_ticks, 3);
        assert_eq!(cpu.iowait_ticks, 7);
        let p = parse_pressure(b"some avg10=0.00 avg60=0.22 avg300=0.43 total=2977757\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
        assert_eq!(p.some_usec, Some(2_977_757));
        assert_eq!(p.full_usec, Some(0));
        assert_eq!(
            flat_keyed(
                b"usage_usec 500\nuser_usec 300\nsystem_usec 200\n",
                b"user_usec"
            ),
            Some(300)
        );
        assert_eq!(single_u64(b"max\n"), None);
        assert_eq!(single_u64(b"4096\n"), Some(4096));
    }

    // Found by the `parse_io` fuzz target: 258 `wchar:` lines overflowed the u8 count of keys
    // seen, and any four repeated lines passed for the four required keys.
    #[test]
    fn io_with_hundreds_of_repeated_lines() {
        let many = b"wchar: 1\n".repeat(258);
        assert!(parse_io(&many).is_err());
        assert!(parse_io(b"rchar: 1\nrchar: 2\nrchar: 3\nrchar: 4\n").is_err());
        let mut full = b"rchar: 5\nwchar: 6\nread_bytes: 7\nwrite_bytes: 8\n".to_vec();
        full.extend(b"rchar: 9\n".repeat(300));
        assert_eq!(parse_io(&full).unwrap().rchar, 9);
    }

    // Found by the `parse_status` and `small_files` fuzz targets and the stable mutator: a `kB`
    // value above u64::MAX / 1024 overflowed when converted to bytes.
    #[test]
    fn kib_values_too_large_for_bytes() {
        let status = b"VmHWM:\t18014398509481984 kB\nVmRSS:\t18014398509481983 kB\n";
        let s = parse_status(status);
        assert_eq!(s.vm_hwm_bytes, None);
        assert_eq!(s.vm_rss_bytes, Some(18_014_398_509_481_983 * 1024));
        assert_eq!(
            parse_meminfo_available(b"MemAvailable:   232222222222222221 kB\n"),
            None
        );
        assert_eq!(
            parse_smaps_rollup_pss(b"Pss: 18446744073709551615 kB\n"),
            None
        );
    }

    // Found by the stable mutator: user + nice (and system + irq + softirq) overflowed.
    #[test]
    fn proc_stat_cpu_sums_that_overflow() {
        assert_eq!(
            parse_proc_stat_cpu(b"cpu  18446744073709551615 1 0 0 0 0 0 0 0 0\n"),
            None
        );
        assert_eq!(
            parse_proc_stat_cpu(b"cpu  0 0 18446744073709551615 0 0 0 1 0 0 0\n"),
            None
        );
        assert_eq!(
            parse_proc_stat_cpu(b"cpu  18446744073709551614 1 0 0 0 0 0 0 0 0\n")
                .unwrap()
                .user_ticks,
            u64::MAX
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(first_u64(b"abc12"), None);
        assert_eq!(first_u64(b":\t 12 kB"), Some(12));
    }
}

//! Looking at processes from the outside: descendants, liveness, argv and
//! environment, memory scans, kills.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// (pid, ppid, comm) of every process.
pub fn all() -> Vec<(u32, u32, String)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // comm is in parentheses and may contain spaces.
        let (Some(l), Some(r)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[l + 1..r].to_string();
        let rest: Vec<&str> = stat[r + 2..].split(' ').collect();
        let state = rest.first().copied().unwrap_or("");
        if state == "Z" || state == "X" {
            continue;
        }
        let ppid = rest.get(1).and_then(|p| p.parse().ok()).unwrap_or(0);
        out.push((pid, ppid, comm));
    }
    out
}

/// Descendants of `root` by name (comm is truncated to 15 chars by the kernel).
pub fn descendants(root: u32) -> HashMap<String, Vec<u32>> {
    let procs = all();
    let mut found: HashMap<String, Vec<u32>> = HashMap::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for (pid, ppid, comm) in &procs {
            if *ppid == p {
                found.entry(comm.clone()).or_default().push(*pid);
                frontier.push(*pid);
            }
        }
    }
    found
}

/// Pid of the single descendant named `name`, waiting up to 5 s for it.
pub fn wait_child(root: u32, name: &str) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(p) = descendants(root).get(name).and_then(|v| v.first().copied()) {
            return p;
        }
        assert!(Instant::now() < deadline, "no {name} under pid {root}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// True while `pid` exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => !s
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z'),
        Err(_) => false,
    }
}

/// Sends a signal.
pub fn signal(pid: u32, sig: nix::sys::signal::Signal) {
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), sig);
}

/// SIGKILL.
pub fn kill9(pid: u32) {
    signal(pid, nix::sys::signal::Signal::SIGKILL);
}

/// Waits until none of `pids` is alive; returns false on timeout.
pub fn wait_gone(pids: &[u32], timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if pids.iter().all(|p| !alive(*p)) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    pids.iter().all(|p| !alive(*p))
}

/// Raw bytes of /proc/<pid>/<file> (cmdline, environ).
pub fn proc_file(pid: u32, file: &str) -> Vec<u8> {
    std::fs::read(format!("/proc/{pid}/{file}")).unwrap_or_default()
}

/// Calls `f` with each readable region of `pid`'s memory (its maps line and
/// its bytes), skipping only the kernel's vvar/vsyscall pages, until `f`
/// returns true. Fails when the memory cannot be opened, or when a region that
/// is mapped readable cannot be read: "not found" must never mean "did not look".
///
/// The process keeps running while it is scanned, so a region listed in its
/// maps may be unmapped before it is read (a thread that exits takes its
/// stack and signal stack with it; a trimmed heap shrinks). Such a region no
/// longer holds anything, but its contents may have moved (a `mremap`), so the
/// whole scan starts again on fresh maps; `f` sees every region of the new
/// scan too, so a hit in any pass counts. Only a region still mapped as it
/// was, yet unreadable, is an error.
fn scan_memory(pid: u32, mut f: impl FnMut(&str, &[u8]) -> bool) -> Result<(), String> {
    const PASSES: usize = 5;
    let mut vanished = Vec::new();
    for _ in 0..PASSES {
        match scan_pass(pid, &mut f)? {
            Pass::Complete => return Ok(()),
            Pass::Vanished(lines) => vanished = lines,
        }
    }
    Err(format!(
        "the memory of {pid} kept changing under {PASSES} scans; last regions gone mid-scan: {}",
        vanished.join("; ")
    ))
}

/// How one pass over a process's maps ended.
enum Pass {
    /// Every region was read (or `f` stopped the scan).
    Complete,
    /// These regions were unmapped between listing and reading them.
    Vanished(Vec<String>),
}

fn maps_of(pid: u32) -> Result<String, String> {
    std::fs::read_to_string(format!("/proc/{pid}/maps"))
        .map_err(|e| format!("/proc/{pid}/maps: {e}"))
}

fn scan_pass(pid: u32, f: &mut impl FnMut(&str, &[u8]) -> bool) -> Result<Pass, String> {
    use std::io::{Read, Seek, SeekFrom};
    let maps = maps_of(pid)?;
    let mut mem = std::fs::File::open(format!("/proc/{pid}/mem"))
        .map_err(|e| format!("/proc/{pid}/mem: {e}"))?;
    let mut unreadable = Vec::new();
    for line in maps.lines() {
        let mut parts = line.split_whitespace();
        let (Some(range), Some(perms)) = (parts.next(), parts.next()) else {
            return Err(format!("unparsable maps line {line:?}"));
        };
        if !perms.starts_with('r') {
            continue;
        }
        let path = parts.nth(3).unwrap_or("");
        if path.starts_with("[vvar") || path.starts_with("[vsyscall") {
            continue;
        }
        let Some((a, b)) = range.split_once('-') else {
            return Err(format!("unparsable maps range {line:?}"));
        };
        let (Ok(a), Ok(b)) = (u64::from_str_radix(a, 16), u64::from_str_radix(b, 16)) else {
            return Err(format!("unparsable maps range {line:?}"));
        };
        let mut buf = vec![0u8; (b - a) as usize];
        if let Err(e) = mem
            .seek(SeekFrom::Start(a))
            .and_then(|_| mem.read_exact(&mut buf))
        {
            unreadable.push((line.to_string(), e));
            continue;
        }
        if f(line, &buf) {
            return Ok(Pass::Complete);
        }
    }
    if unreadable.is_empty() {
        return Ok(Pass::Complete);
    }
    // Still mapped exactly as listed, yet unreadable: the scan cannot see it.
    let now = maps_of(pid)?;
    let still: Vec<String> = unreadable
        .iter()
        .filter(|(line, _)| now.lines().any(|l| l == line))
        .map(|(line, e)| format!("{line}: {e}"))
        .collect();
    if !still.is_empty() {
        return Err(format!("unreadable regions of {pid}: {}", still.join("; ")));
    }
    Ok(Pass::Vanished(
        unreadable.into_iter().map(|(line, _)| line).collect(),
    ))
}

/// The maps lines of the regions of `pid`'s memory that contain `needle`,
/// with the offsets, for diagnostics.
pub fn memory_regions_with(pid: u32, needle: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let _ = scan_memory(pid, |line, buf| {
        let hits: Vec<usize> = buf
            .windows(needle.len())
            .enumerate()
            .filter(|(_, w)| *w == needle)
            .map(|(i, _)| i)
            .collect();
        if !hits.is_empty() {
            out.push(format!("{line} at offsets {hits:?}"));
        }
        false
    });
    out
}

/// Searches the readable memory of `pid` for `needle`.
/// Returns None (and says why on stderr) when any readable region could not
/// be read.
pub fn memory_contains(pid: u32, needle: &[u8]) -> Option<bool> {
    let mut found = false;
    if let Err(e) = scan_memory(pid, |_, buf| {
        found = buf.windows(needle.len()).any(|w| w == needle);
        found
    }) {
        eprintln!("memory scan of {pid} incomplete: {e}");
        return None;
    }
    Some(found)
}

/// Asserts, in one scan of `pid`'s memory, that `control` (a value the
/// process is known to hold) is found and that no `absent` value is: the
/// control proves the scan saw the process's live data.
pub fn assert_absent_with_control(pid: u32, name: &str, absent: &[&[u8]], control: &[u8]) {
    let mut found_control = false;
    let mut found = vec![false; absent.len()];
    let scanned = scan_memory(pid, |_, buf| {
        found_control |= buf.windows(control.len()).any(|w| w == control);
        for (hit, needle) in found.iter_mut().zip(absent) {
            *hit |= buf.windows(needle.len()).any(|w| w == *needle);
        }
        false
    });
    if let Err(e) = scanned {
        panic!("{name}: memory scan incomplete: {e}");
    }
    assert!(
        found_control,
        "{name}: the positive control {:?} was not found: the scan did not see live data",
        String::from_utf8_lossy(control)
    );
    for (hit, needle) in found.iter().zip(absent) {
        assert!(
            !hit,
            "{name}: {:?} found in memory: {:?}",
            String::from_utf8_lossy(needle),
            memory_regions_with(pid, needle)
        );
    }
}

/// Like [`assert_absent_with_control`] for values that a process frees
/// asynchronously (connection-pool tasks that end after the answer was sent):
/// scans until they are gone, failing with the regions that still hold them
/// after `within`.
pub fn assert_gone_with_control(
    pid: u32,
    name: &str,
    absent: &[&[u8]],
    control: &[u8],
    within: Duration,
) {
    let deadline = std::time::Instant::now() + within;
    loop {
        let still = absent
            .iter()
            .any(|n| memory_contains(pid, n) != Some(false));
        if !still || std::time::Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_absent_with_control(pid, name, absent, control);
}

/// The `n` bytes that follow each occurrence of `needle` in `pid`'s memory
/// (to find key material by its DER framing).
pub fn memory_bytes_after(pid: u32, needle: &[u8], n: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let scanned = scan_memory(pid, |_, buf| {
        for (i, w) in buf.windows(needle.len()).enumerate() {
            let start = i + needle.len();
            if w == needle && start + n <= buf.len() {
                out.push(buf[start..start + n].to_vec());
            }
        }
        false
    });
    if let Err(e) = scanned {
        panic!("memory scan incomplete: {e}");
    }
    out.sort();
    out.dedup();
    out
}

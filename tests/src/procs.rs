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
/// The process is stopped (SIGSTOP) while its memory is scanned, so its
/// mappings cannot change under the scan (an allocator unmapping an arena
/// between the maps read and the memory read made "unreadable" a race).
fn scan_memory(pid: u32, mut f: impl FnMut(&str, &[u8]) -> bool) -> Result<(), String> {
    use std::io::{Read, Seek, SeekFrom};
    let _frozen = Frozen::stop(pid)?;
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps"))
        .map_err(|e| format!("/proc/{pid}/maps: {e}"))?;
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
            unreadable.push(format!("{line}: {e}"));
            continue;
        }
        if f(line, &buf) {
            break;
        }
    }
    if unreadable.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "unreadable regions of {pid}: {}",
            unreadable.join("; ")
        ))
    }
}

/// Every thread of a process held stopped; continued on drop (also when
/// the scan panics).
struct Frozen(nix::unistd::Pid);

impl Frozen {
    /// Sends SIGSTOP and waits until every thread of `pid` is stopped.
    fn stop(pid: u32) -> Result<Self, String> {
        use nix::sys::signal::{kill, Signal};
        let target = nix::unistd::Pid::from_raw(pid as i32);
        kill(target, Signal::SIGSTOP).map_err(|e| format!("SIGSTOP {pid}: {e}"))?;
        let frozen = Frozen(target);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !all_threads_stopped(pid)? {
            if std::time::Instant::now() >= deadline {
                return Err(format!("{pid} did not stop within 5 s"));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(frozen)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(self.0, nix::sys::signal::Signal::SIGCONT);
    }
}

/// True when every thread of `pid` is in the stopped state.
fn all_threads_stopped(pid: u32) -> Result<bool, String> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map_err(|e| format!("/proc/{pid}/task: {e}"))?;
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue; // a thread that ended meanwhile
        };
        // The state follows the command name, which may itself hold ')'.
        let state = stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next());
        if !matches!(state, Some("T" | "t")) {
            return Ok(false);
        }
    }
    Ok(true)
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
/// Returns None when any readable region could not be read.
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

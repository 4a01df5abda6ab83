//! What network peers a set of processes has: the sockets each holds, read from /proc, with the
//! remote addresses that are not loopback. Sampling while browsers run shows whether any of
//! them opened a connection (or a connected UDP socket, as a DNS lookup does) off the machine.

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A socket whose peer is not on loopback: the process's command name and the peer.
pub type OffLoopback = (String, String);

/// Socket inodes a process holds open.
fn socket_inodes(pid: u32) -> HashSet<u64> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return HashSet::new();
    };
    fds.flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|link| {
            let l = link.to_string_lossy().to_string();
            l.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
        })
        .collect()
}

/// The remote address of a /proc/net table's hex `ADDR:PORT`, or None when it is loopback or
/// unset (a listening or unconnected socket).
pub fn off_loopback(hex: &str) -> Option<String> {
    let (addr, port) = hex.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let bytes: Vec<u8> = (0..addr.len() / 2)
        .filter_map(|i| u8::from_str_radix(&addr[2 * i..2 * i + 2], 16).ok())
        .collect();
    // The kernel prints each 32-bit word in host (little-endian) order.
    let ordered: Vec<u8> = bytes
        .chunks(4)
        .flat_map(|w| w.iter().rev().copied())
        .collect();
    let ip: std::net::IpAddr = match ordered.len() {
        4 => std::net::Ipv4Addr::new(ordered[0], ordered[1], ordered[2], ordered[3]).into(),
        16 => {
            let a: [u8; 16] = ordered.try_into().ok()?;
            let v6 = std::net::Ipv6Addr::from(a);
            match v6.to_ipv4_mapped() {
                Some(v4) => v4.into(),
                None => v6.into(),
            }
        }
        _ => return None,
    };
    if ip.is_unspecified() || ip.is_loopback() {
        return None;
    }
    Some(format!("{ip}:{port}"))
}

/// Sockets of `pids` whose peers are off loopback, from the TCP and UDP tables.
pub fn peers_off_loopback(pids: &[u32]) -> Vec<OffLoopback> {
    let held: Vec<(u32, HashSet<u64>)> = pids
        .iter()
        .map(|&pid| (pid, socket_inodes(pid)))
        .filter(|(_, inodes)| !inodes.is_empty())
        .collect();
    let mut out = Vec::new();
    if held.is_empty() {
        return out;
    }
    // The tables are the network namespace's, one for every process in it: read each once.
    for table in ["tcp", "tcp6", "udp", "udp6"] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/net/{table}")) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (Some(remote), Some(inode)) = (f.get(2), f.get(9)) else {
                continue;
            };
            let Some(peer) = off_loopback(remote) else {
                continue;
            };
            let Ok(inode) = inode.parse::<u64>() else {
                continue;
            };
            for (pid, inodes) in &held {
                if inodes.contains(&inode) {
                    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))
                        .unwrap_or_default()
                        .trim()
                        .to_string();
                    out.push((comm, format!("{table} {peer}")));
                }
            }
        }
    }
    out
}

/// Samples, every few milliseconds until stopped, the peers off loopback of the processes
/// `pids()` names.
pub struct Watch {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<BTreeSet<OffLoopback>>>,
    thread: Option<std::thread::JoinHandle<usize>>,
}

impl Watch {
    /// Starts sampling in a thread of its own.
    pub fn start(pids: impl Fn() -> Vec<u32> + Send + 'static) -> Watch {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(BTreeSet::new()));
        let (s, k) = (stop.clone(), seen.clone());
        let thread = std::thread::spawn(move || {
            let mut samples = 0;
            let mut watched = Vec::new();
            while !s.load(Ordering::Relaxed) {
                // Finding the processes walks all of /proc: do it every tenth sample only (a
                // new browser process is found within 0.2 s, its sockets then every 20 ms).
                if samples % 10 == 0 {
                    watched = pids();
                }
                let found = peers_off_loopback(&watched);
                k.lock().expect("watch").extend(found);
                samples += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            samples
        });
        Watch {
            stop,
            seen,
            thread: Some(thread),
        }
    }

    /// Stops sampling: how many samples were taken and every peer off loopback seen.
    pub fn stop(mut self) -> (usize, Vec<OffLoopback>) {
        self.stop.store(true, Ordering::Relaxed);
        let samples = self.thread.take().map_or(0, |t| t.join().unwrap_or(0));
        let seen = self.seen.lock().expect("watch").iter().cloned().collect();
        (samples, seen)
    }
}

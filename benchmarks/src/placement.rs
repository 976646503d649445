//! Where the benchmark and its PostgreSQL server run.
//!
//! On a two-core machine a call to PostgreSQL involves two busy processes, the client and its
//! backend, and the scheduler places them anew all the time: on one core they take turns (each
//! round trip waits for a context switch), on two they run at once. Which of the two a side
//! got decided a microsecond ratio more than the code did (`tenant_list_page` measured 0.79× to
//! 2.33× for builds whose statements were the same). So, when the server runs on this machine
//! and there are at least two cores, the benchmark's thread runs on the first core and the
//! backends of the benchmark's database on the second: both sides of every comparison get the
//! same placement, and it stays put. Bulk work ([`Placement::Free`]) is left to the scheduler.
//!
//! A backend is pinned only when `/proc/<pid>/cmdline` shows it is a PostgreSQL backend of the
//! benchmark's database (a server in a container reports process ids of its own namespace,
//! which name other processes here, or none): otherwise nothing is pinned and [`place`] says why.

use crate::pq::Pq;

/// The core the benchmark's thread runs on when apart.
const CLIENT_CPU: usize = 0;
/// The core the benchmark database's backends run on when apart.
const SERVER_CPU: usize = 1;

/// Where an operation's two processes run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The benchmark's thread on one core, the database's backends on another: for calls timed
    /// in microseconds, which the scheduler's moves would otherwise decide.
    Apart,
    /// Anywhere, as the scheduler likes: for bulk work measured in rows per second, where the
    /// server's own helpers (WAL writer, checkpointer) need room beside the backend (measured:
    /// `batch_insert` pinned apart ran 1.19 s for the baseline and 1.57 s for the store, 1.01 s
    /// and 1.08 s placed freely).
    Free,
}

/// Places the calling thread and every client backend connected to `database` (seen through
/// `pq`, an admin connection of the same server) as `placement` says. Returns how many
/// backends were placed, or why they could not be (cores 0 and 1 not both available, a server
/// elsewhere, no permission); then the calling thread and any backend already moved are back on the
/// cores the benchmark started with, and the benchmark runs as the scheduler places it.
pub fn place(pq: &mut Pq, database: &str, placement: Placement) -> Result<usize, String> {
    let started_with = *STARTED_WITH.get_or_init(|| affinity(0).unwrap_or_else(|_| everywhere()));
    let mut moved = Vec::new();
    let placed = place_backends(pq, database, placement, started_with, &mut moved).and_then(|n| {
        match placement {
            Placement::Apart => set_affinity(0, &only(CLIENT_CPU))?,
            Placement::Free => set_affinity(0, &started_with)?,
        }
        Ok(n)
    });
    if placed.is_err() {
        for pid in moved {
            let _ = set_affinity(pid, &started_with);
        }
        let _ = set_affinity(0, &started_with);
    }
    placed
}

/// The cores the benchmark's thread could use before the first [`place`].
static STARTED_WITH: std::sync::OnceLock<libc::cpu_set_t> = std::sync::OnceLock::new();

fn place_backends(
    pq: &mut Pq,
    database: &str,
    placement: Placement,
    started_with: libc::cpu_set_t,
    moved: &mut Vec<libc::pid_t>,
) -> Result<usize, String> {
    // SAFETY: CPU_ISSET only reads the set (bounds-checked).
    let usable = |cpu| unsafe { libc::CPU_ISSET(cpu, &started_with) };
    if !(usable(CLIENT_CPU) && usable(SERVER_CPU)) {
        return Err(format!(
            "cores {CLIENT_CPU} and {SERVER_CPU} are not both this benchmark's to use"
        ));
    }
    let rows = pq.query(
        &format!(
            "SELECT pid::bigint FROM pg_stat_activity \
              WHERE datname = '{}' AND backend_type = 'client backend'",
            database.replace('\'', "''")
        ),
        &[],
    )?;
    let server = match placement {
        Placement::Apart => only(SERVER_CPU),
        Placement::Free => started_with,
    };
    for row in 0..rows.len() {
        let pid = rows.i64(row, 0);
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline);
        if !(cmdline.starts_with("postgres: ") && cmdline.contains(database)) {
            return Err(format!(
                "process {pid} here is not the server's backend {pid} (a server in a \
                 container or on another machine)"
            ));
        }
        let pid = pid as libc::pid_t;
        set_affinity(pid, &server)?;
        moved.push(pid);
    }
    Ok(rows.len())
}

/// The set of the one core `cpu`.
fn only(cpu: usize) -> libc::cpu_set_t {
    // SAFETY: a zeroed cpu_set_t is an empty set; CPU_SET indexes within it (bounds-checked).
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        set
    }
}

/// Every core the set can name (when the thread's own set cannot be read).
fn everywhere() -> libc::cpu_set_t {
    // SAFETY: a zeroed cpu_set_t is an empty set; CPU_SET indexes within it (bounds-checked).
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for cpu in 0..8 * std::mem::size_of::<libc::cpu_set_t>() {
            libc::CPU_SET(cpu, &mut set);
        }
        set
    }
}

/// The cores `pid` (0: the calling thread) may run on.
fn affinity(pid: libc::pid_t) -> Result<libc::cpu_set_t, String> {
    // SAFETY: sched_getaffinity fills `set`, of the size given, and keeps no pointer to it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(pid, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0 {
            Ok(set)
        } else {
            Err(format!(
                "sched_getaffinity({pid}): {}",
                std::io::Error::last_os_error()
            ))
        }
    }
}

/// Lets `pid` (0: the calling thread) run only on the cores of `set`.
fn set_affinity(pid: libc::pid_t, set: &libc::cpu_set_t) -> Result<(), String> {
    // SAFETY: sched_setaffinity reads `set`, of the size given, and keeps no pointer to it.
    let status =
        unsafe { libc::sched_setaffinity(pid, std::mem::size_of::<libc::cpu_set_t>(), set) };
    if status == 0 {
        Ok(())
    } else {
        Err(format!(
            "sched_setaffinity({pid}): {}",
            std::io::Error::last_os_error()
        ))
    }
}

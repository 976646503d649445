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
//! which name other processes here, or none): otherwise nothing is pinned and [`pin`] says why.

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

/// Places the calling thread and every backend connected to `database` (seen through `pq`, an
/// admin connection of the same server) as `placement` says. Returns how many backends were
/// placed, or why none could be (fewer than two cores, a server elsewhere, no permission);
/// the benchmark then runs as the scheduler places it.
pub fn place(pq: &mut Pq, database: &str, placement: Placement) -> Result<usize, String> {
    // The machine's cores online, not this thread's (once pinned, it may use only one).
    // SAFETY: sysconf reads a system value and touches no memory of ours.
    let cores = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }.max(1) as usize;
    if cores < 2 {
        return Err(format!("{cores} core: nothing to separate"));
    }
    let rows = pq.query(
        &format!(
            "SELECT pid::bigint FROM pg_stat_activity WHERE datname = '{}'",
            database.replace('\'', "''")
        ),
        &[],
    )?;
    let mut pids = Vec::new();
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
        pids.push(pid as libc::pid_t);
    }
    let all: Vec<usize> = (0..cores).collect();
    let (client, server) = match placement {
        Placement::Apart => (vec![CLIENT_CPU], vec![SERVER_CPU]),
        Placement::Free => (all.clone(), all),
    };
    set_affinity(0, &client)?;
    for pid in &pids {
        set_affinity(*pid, &server)?;
    }
    Ok(pids.len())
}

/// Lets `pid` (0: the calling thread) run only on `cpus`.
fn set_affinity(pid: libc::pid_t, cpus: &[usize]) -> Result<(), String> {
    // SAFETY: `set` is a plain bit set that CPU_ZERO and CPU_SET initialize in full before
    // sched_setaffinity reads it, with its own size; no pointer outlives the call.
    let status = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_ZERO(&mut set);
        for cpu in cpus {
            libc::CPU_SET(*cpu, &mut set);
        }
        libc::sched_setaffinity(pid, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if status == 0 {
        Ok(())
    } else {
        Err(format!(
            "sched_setaffinity({pid}, cpus {cpus:?}): {}",
            std::io::Error::last_os_error()
        ))
    }
}

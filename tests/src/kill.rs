//! Killing a command with SIGKILL at chosen points of its work, for the fault tests: the
//! points are found by watching the work (files, `pg_stat_activity`, output), never by
//! sleeping.

use std::process::Child;

/// One run of [`at_points`]: the point it was to be killed at, and whether it was (or had
/// ended before the point was seen).
#[derive(Debug, Clone, Copy)]
pub struct Run {
    /// The point, from 1.
    pub point: usize,
    /// Whether the command got SIGKILL there.
    pub killed: bool,
}

/// How many runs may end before their point is seen, for one point, before the test fails.
pub const TRIES: usize = 5;

/// Kills commands at points 1 to `count`, one run each, in order. `start()` spawns a command
/// and returns it with what the run works on (`C`: its database, say) and a watcher for this
/// run, which is polled (`watch(&c, k)`) until it says point k is reached — then the command
/// gets SIGKILL — or the command exits. After each run `after(run, c)` checks what the command
/// left (and runs it again). A command that ended before point k was seen is run again for the
/// same point, up to [`TRIES`] times; a point never seen fails the test, so every one of the
/// `count` points is really reached.
pub fn at_points<C, W: FnMut(&C, usize) -> bool>(
    count: usize,
    mut start: impl FnMut() -> (Child, C, W),
    mut after: impl FnMut(Run, C),
) {
    for point in 1..=count {
        let mut tries = 0;
        loop {
            let (mut child, work, mut watch) = start();
            let killed = loop {
                if child.try_wait().expect("poll the command").is_some() {
                    break false;
                }
                if watch(&work, point) {
                    child.kill().expect("SIGKILL");
                    child.wait().expect("wait for the killed command");
                    break true;
                }
            };
            after(Run { point, killed }, work);
            tries += 1;
            if killed {
                break;
            }
            assert!(
                tries < TRIES,
                "point {point} of {count} was never reached in {TRIES} runs: the command ended first"
            );
        }
    }
}

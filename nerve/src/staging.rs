//! Loading large tables through staging, for `nerve copy` and `nerve import` into PostgreSQL:
//! a table's rows go over [`STAGING_CONNECTIONS`] connections at once into its twin in
//! [`STAGING_SCHEMA`](nerve_postgres::bulk::STAGING_SCHEMA), its indexes are built there on
//! those connections while the caller goes on with the next tables (and, for an import, the
//! twin's digest is read there for its verification), and the caller swaps the twins into
//! place in its own transaction
//! ([`PgTarget::swap_in`](nerve_postgres::bulk::PgTarget::swap_in)).
//!
//! Two halves, so that the connections can live in a `std::thread::scope` the caller's
//! loading thread is not: [`Workers`] (the job queue the connections take from, shared by
//! reference) and [`Stager`] (what the loading thread sends and waits for, owned).

use nerve_core::transfer::{ColumnPlan, TableDigest};
use nerve_core::{Error, Result};
use nerve_postgres::bulk::{PgTarget, StagedTable};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::Scope;

/// From this many source rows on, by default, a table is loaded through staging. Below it, a
/// staging table's few statements and catalog reads weigh more than the load they share out (a
/// judgement: `scripts/bench-copy.sh` measures tables of 300 k and 2 M rows staged, and 44 of
/// 10–20 k rows not).
pub const PARALLEL_ROWS: u64 = 50_000;

/// Connections that load and index staged tables: this machine's kind has two cores.
const STAGING_CONNECTIONS: usize = 2;

/// Work for a staging connection.
enum Job {
    /// `COPY` into the staged twin of `table`, taking binary COPY chunks from `chunks` (shared
    /// with the other connections copying it) until they end; the rows copied go to `done`.
    Copy {
        table: &'static str,
        chunks: Arc<Mutex<Receiver<Vec<u8>>>>,
        done: Sender<Result<u64>>,
    },
    /// Build index `statement` of `table.builds` on the loaded twin.
    Build {
        table: Arc<StagedTable>,
        statement: usize,
        done: Sender<Result<()>>,
    },
    /// The digest of the loaded twin of `table` (of `columns`), read as verification reads a
    /// table ([`crate::copy::digests_in`]).
    Digest {
        table: &'static str,
        columns: Vec<ColumnPlan>,
        done: Sender<Result<TableDigest>>,
    },
}

/// Opens the staging connections to `to`: the first must open; more only where the server
/// allows them.
pub(crate) fn open_connections(to: &str) -> Result<Vec<PgTarget>> {
    let mut connections = vec![PgTarget::open_staging(to)?];
    while connections.len() < STAGING_CONNECTIONS {
        match PgTarget::open_staging(to) {
            Ok(db) => connections.push(db),
            Err(_) => break,
        }
    }
    Ok(connections)
}

/// The queue the staging connections take their jobs from, and the flag that makes them answer
/// the jobs left with an error instead of running them.
pub(crate) struct Workers {
    queue: Mutex<Receiver<Job>>,
    stop: Arc<AtomicBool>,
}

/// The loading side of staging: sends the staging connections their jobs and waits for them.
/// Dropped before [`Stager::finish`] (the load failed), it stops the jobs still queued.
pub(crate) struct Stager {
    /// `None` once [`Stager::finish`] has closed the queue.
    jobs: Option<Sender<Job>>,
    stop: Arc<AtomicBool>,
    builds: Vec<Receiver<Result<()>>>,
    digests: Vec<(&'static str, Receiver<Result<TableDigest>>)>,
}

impl Drop for Stager {
    fn drop(&mut self) {
        if self.jobs.is_some() {
            self.stop.store(true, Ordering::Relaxed);
        }
    }
}

/// A new job queue and its sending side.
pub(crate) fn queue() -> (Workers, Stager) {
    let (jobs, queue) = channel();
    let stop = Arc::new(AtomicBool::new(false));
    let workers = Workers {
        queue: Mutex::new(queue),
        stop: Arc::clone(&stop),
    };
    let stager = Stager {
        jobs: Some(jobs),
        stop,
        builds: Vec::new(),
        digests: Vec::new(),
    };
    (workers, stager)
}

impl Workers {
    /// Runs each of `connections` on a thread of `scope`, taking jobs until the [`Stager`] is
    /// dropped or [`Workers::stop`] is called.
    pub(crate) fn spawn<'scope>(
        &'scope self,
        scope: &'scope Scope<'scope, '_>,
        connections: Vec<PgTarget>,
    ) {
        for db in connections {
            scope.spawn(move || self.work(db));
        }
    }

    /// The builds still queued are answered with an error, not run (the load failed).
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// `job`'s result, or, once the load has stopped, an error without running it.
    fn unless_stopped<T>(&self, job: impl FnOnce() -> Result<T>) -> Result<T> {
        if self.stop.load(Ordering::Relaxed) {
            Err(load_stopped())
        } else {
            job()
        }
    }

    /// A staging connection's life: the next job, until the queue closes.
    fn work(&self, mut db: PgTarget) {
        loop {
            let job = match self.queue.lock() {
                Ok(queue) => queue.recv(),
                Err(_) => return,
            };
            let Ok(job) = job else { return };
            match job {
                Job::Copy {
                    table,
                    chunks,
                    done,
                } => {
                    let copied = db.copy_in(table, &mut |w| loop {
                        let next = chunks.lock().map_err(|_| load_stopped())?.recv();
                        let Ok(chunk) = next else { return Ok(()) };
                        w.write_all(&chunk).map_err(|e| Error::Transaction {
                            rolled_back: false,
                            reason: format!("copy into {table}: {e}"),
                        })?;
                    });
                    let _ = done.send(copied);
                }
                // After a failure (`stop`), the jobs left are answered, not run.
                Job::Build {
                    table,
                    statement,
                    done,
                } => {
                    let built = self.unless_stopped(|| db.build(&table, &table.builds[statement]));
                    let _ = done.send(built);
                }
                Job::Digest {
                    table,
                    columns,
                    done,
                } => {
                    // The connection's search path finds the twin by the table's name.
                    let read = self.unless_stopped(|| {
                        crate::copy::digests_in(&mut db, &[(table, &columns)]).map(|d| d[0])
                    });
                    let _ = done.send(read);
                }
            }
        }
    }
}

/// A job not run because the load stopped.
fn load_stopped() -> Error {
    Error::Transaction {
        rolled_back: false,
        reason: "the load stopped".into(),
    }
}

/// The staging connections are gone (they stop only when the load does, or on a panic).
fn workers_gone(table: &str) -> Error {
    Error::Transaction {
        rolled_back: false,
        reason: format!("{table}: the staging connections stopped"),
    }
}

/// PostgreSQL must have taken every row sent.
pub(crate) fn check_copied(table: &str, took: u64, sent: u64) -> Result<()> {
    if took == sent {
        Ok(())
    } else {
        Err(Error::Transaction {
            rolled_back: false,
            reason: format!("{table}: PostgreSQL took {took} rows of {sent}"),
        })
    }
}

impl Stager {
    /// Queues `job` for the next free staging connection.
    fn send(&self, table: &str, job: Job) -> Result<()> {
        let jobs = self.jobs.as_ref().ok_or_else(|| workers_gone(table))?;
        jobs.send(job).map_err(|_| workers_gone(table))
    }

    /// Loads `table`'s twin: `feed` hands every binary COPY chunk of its rows to the sink it is
    /// given, shared out among the staging connections, each running its own `COPY` (committed
    /// there: the twin is not the target's until it is swapped in), and returns what the
    /// caller needs with, by `sent`, how many rows it sent; PostgreSQL must have taken as many.
    /// Its indexes are then to be built ([`Stager::build`]).
    pub(crate) fn load<T>(
        &mut self,
        table: &Arc<StagedTable>,
        feed: impl FnOnce(&mut dyn FnMut(Vec<u8>) -> Result<()>) -> Result<T>,
        sent: impl Fn(&T) -> u64,
    ) -> Result<T> {
        let name = table.table;
        let (chunks, shared) = sync_channel::<Vec<u8>>(STAGING_CONNECTIONS * 2);
        let shared = Arc::new(Mutex::new(shared));
        let mut results = Vec::new();
        for _ in 0..STAGING_CONNECTIONS {
            let (done, result) = channel();
            let job = Job::Copy {
                table: name,
                chunks: Arc::clone(&shared),
                done,
            };
            self.send(name, job)?;
            results.push(result);
        }
        drop(shared);
        let fed = feed(&mut |chunk| chunks.send(chunk).map_err(|_| workers_gone(name)));
        drop(chunks); // the COPYs end
        let mut took = 0;
        let mut failed = None;
        for result in results {
            match result.recv().map_err(|_| workers_gone(name)) {
                Ok(Ok(rows)) => took += rows,
                Ok(Err(e)) | Err(e) => failed = failed.or(Some(e)),
            }
        }
        // The connections' own error says more than the feed's "they stopped".
        if let Some(e) = failed {
            return Err(e);
        }
        let fed = fed?;
        check_copied(name, took, sent(&fed))?;
        Ok(fed)
    }

    /// Queues the digest of `table`'s loaded twin over `columns` (the rows as they will be the
    /// table's: the swap moves the twin, it changes no row), read by a staging connection while
    /// the caller goes on; [`Stager::finish`] returns it. Queue it before [`Stager::build`]:
    /// one connection then reads while the other builds.
    pub(crate) fn digest(&mut self, table: &StagedTable, columns: Vec<ColumnPlan>) -> Result<()> {
        let (done, result) = channel();
        let job = Job::Digest {
            table: table.table,
            columns,
            done,
        };
        self.send(table.table, job)?;
        self.digests.push((table.table, result));
        Ok(())
    }

    /// Queues the index builds of `table`'s loaded twin, each on the next free connection.
    pub(crate) fn build(&mut self, table: &Arc<StagedTable>) -> Result<()> {
        let name = table.table;
        for statement in 0..table.builds.len() {
            let (done, result) = channel();
            let job = Job::Build {
                table: Arc::clone(table),
                statement,
                done,
            };
            self.send(name, job)?;
            self.builds.push(result);
        }
        Ok(())
    }

    /// Waits for every job queued and returns the digests asked for, by table; the staging
    /// connections then stop.
    pub(crate) fn finish(mut self) -> Result<Vec<(&'static str, TableDigest)>> {
        drop(self.jobs.take());
        let waited: Result<Vec<(&'static str, TableDigest)>> = (|| {
            for result in self.builds.drain(..) {
                result.recv().map_err(|_| workers_gone("-"))??;
            }
            self.digests
                .drain(..)
                .map(|(table, result)| {
                    Ok((table, result.recv().map_err(|_| workers_gone(table))??))
                })
                .collect()
        })();
        if waited.is_err() {
            self.stop.store(true, Ordering::Relaxed); // the jobs after the one that failed
        }
        waited
    }
}

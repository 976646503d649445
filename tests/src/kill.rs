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

/// The longest one run may go on with its point unseen: a command stuck (on a gate no one
/// sees it waiting at, say) fails the test instead of hanging it.
pub const RUN_LIMIT: std::time::Duration = std::time::Duration::from_secs(600);

/// Kills commands at points 1 to `count`, one run each, in order. `start(k)` spawns a command
/// for point k and returns it with what the run works on (`C`: its database, say) and a
/// watcher for this run, which is polled (`watch(&c, k)`) until it says point k is reached — then the command
/// gets SIGKILL — or the command exits. After each run `after(run, c)` checks what the command
/// left (and runs it again). A command that ended before point k was seen is run again for the
/// same point, up to [`TRIES`] times; a point never seen fails the test, so every one of the
/// `count` points is really reached.
pub fn at_points<C, W: FnMut(&C, usize) -> bool>(
    count: usize,
    mut start: impl FnMut(usize) -> (Child, C, W),
    mut after: impl FnMut(Run, C),
) {
    for point in 1..=count {
        let mut tries = 0;
        loop {
            let (mut child, work, mut watch) = start(point);
            let started = std::time::Instant::now();
            let killed = loop {
                if child.try_wait().expect("poll the command").is_some() {
                    break false;
                }
                if started.elapsed() > RUN_LIMIT {
                    let _ = child.kill();
                    panic!("point {point} of {count}: neither reached nor ended in {RUN_LIMIT:?}");
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

/// Stops a PostgreSQL database's DDL at a chosen command, whatever the server's speed: an
/// event trigger on `ddl_command_start` numbers every DDL command run in the database (a
/// sequence, so the count survives rollbacks) and makes command n take the shared advisory
/// lock `(GATE_CLASS, n)` first. [`DdlGate::hold`] takes lock n exclusively, so commands 1 to
/// n - 1 pass and command n waits, inside its transaction, until [`Held::release`]. A kill test
/// kills its client once [`Held::reached`] sees command n waiting: the client dies at that
/// command, not at whatever a watcher happened to see run. (Once released, the server runs on
/// to the end of the query that command came in, then finds its client gone and rolls back:
/// a client that had sent COMMIT is past every DDL command.) Needs a superuser connection
/// (event triggers).
pub struct DdlGate;

/// The first key of the gate's advisory locks (two-key form, apart from any `bigint` key).
pub const GATE_CLASS: i32 = 7357;

/// One advisory lock of the gate held by the test: command `n` of the gated database waits.
pub struct Held {
    conn: diesel::PgConnection,
    n: i64,
}

impl DdlGate {
    /// Installs the gate in the database at `url` (schema `nerve_test_gate`, outside the
    /// store's schema).
    pub fn install(url: &str) -> Result<(), String> {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        let mut conn = diesel::PgConnection::establish(url).map_err(|e| e.to_string())?;
        conn.batch_execute(&format!(
            "CREATE SCHEMA nerve_test_gate; \
             CREATE SEQUENCE nerve_test_gate.commands; \
             CREATE FUNCTION nerve_test_gate.wait() RETURNS event_trigger LANGUAGE plpgsql AS $$ \
             BEGIN PERFORM pg_advisory_xact_lock_shared({GATE_CLASS}, \
                 nextval('nerve_test_gate.commands')::int); END $$; \
             CREATE EVENT TRIGGER nerve_test_gate ON ddl_command_start \
                 EXECUTE FUNCTION nerve_test_gate.wait();"
        ))
        .map_err(|e| format!("install the DDL gate: {e}"))
    }

    /// How many DDL commands the database at `url` has run since the gate was installed.
    pub fn commands_run(url: &str) -> Result<i64, String> {
        use diesel::Connection;
        let mut conn = diesel::PgConnection::establish(url).map_err(|e| e.to_string())?;
        one_number(
            &mut conn,
            "SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n \
             FROM nerve_test_gate.commands",
        )
    }

    /// Holds command `n` of the database at `url` (from 1) until [`Held::release`].
    pub fn hold(url: &str, n: i64) -> Result<Held, String> {
        use diesel::Connection;
        let mut conn = diesel::PgConnection::establish(url).map_err(|e| e.to_string())?;
        one_number(
            &mut conn,
            &format!("SELECT 0::bigint AS n FROM pg_advisory_lock({GATE_CLASS}, {n})"),
        )?;
        Ok(Held { conn, n })
    }
}

impl Held {
    /// The server process of the command waiting at this gate, once one waits (`None`
    /// before). Errors: the test's own connection failed.
    pub fn reached(&mut self) -> Result<Option<i64>, String> {
        Ok(Some(one_number(
            &mut self.conn,
            &format!(
                "SELECT coalesce(max(pid), 0)::bigint AS n FROM pg_locks \
                 WHERE locktype = 'advisory' AND NOT granted AND classid = {GATE_CLASS} \
                   AND objid = {} AND objsubid = 2 \
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                self.n
            ),
        )?)
        .filter(|pid| *pid != 0))
    }

    /// Lets the held command go, then waits until the server process `pid` (a killed
    /// command's, which then runs until it finds its client gone and rolls back) has ended.
    pub fn release(mut self, pid: Option<i64>) -> Result<(), String> {
        one_number(
            &mut self.conn,
            &format!(
                "SELECT 0::bigint AS n FROM pg_advisory_unlock({GATE_CLASS}, {})",
                self.n
            ),
        )?;
        let Some(pid) = pid else { return Ok(()) };
        let started = std::time::Instant::now();
        while one_number(
            &mut self.conn,
            &format!("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = {pid}"),
        )? > 0
        {
            if started.elapsed() > std::time::Duration::from_secs(60) {
                return Err(format!(
                    "server process {pid} still runs a minute after its client was killed"
                ));
            }
            std::thread::yield_now();
        }
        Ok(())
    }
}

/// The one `bigint` column `n` of the one row `sql` returns.
fn one_number(conn: &mut diesel::PgConnection, sql: &str) -> Result<i64, String> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql)
        .get_result::<N>(conn)
        .map(|r| r.n)
        .map_err(|e| format!("{sql}: {e}"))
}

//! `nerve`: the operator's command for NERVE storage databases (SQLite and PostgreSQL).
//!
//! Every failure prints one line to standard error, starting `nerve: error:`; passwords in
//! URLs are never printed. Exit status: 0 success; 1 failure; 2 a malformed command line; 3
//! the command ran and found the database not as it should be (unhealthy, migrations pending
//! or unknown, two databases that differ, differences that block adoption). Variables from a
//! `.env` file (in the working directory or a parent) are read first, as sqlx-cli and the
//! diesel CLI do; variables already set win.

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use nerve::{url::redact, SchemaStatus};
use std::process::ExitCode;

mod demo;
mod progress;

/// The URL used when neither --database-url nor DATABASE_URL is given.
const DEFAULT_URL: &str = "sqlite://data/nerve.db";

/// What `--help` ends with.
const EXIT_STATUS_HELP: &str = "Exit status: 0 success; 1 failure; 2 a malformed command line; \
3 the database is not as it should be (unhealthy, migrations pending or unknown, databases \
that differ, differences that block adoption).\n\
A .env file in the working directory or a parent is read first (DATABASE_URL=...); variables \
already set win.";

#[derive(Parser)]
#[command(
    name = "nerve",
    version,
    about = "Operate NERVE storage databases (SQLite and PostgreSQL)",
    after_help = EXIT_STATUS_HELP
)]
struct Cli {
    /// Database URL: sqlite://PATH, sqlite::memory:, postgres://... or postgresql://...
    /// [default: sqlite://data/nerve.db, its directory created]
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    database_url: Option<String>,

    /// Log what the store does to standard error: -v info (migrations applied, retries, slow
    /// operations, waits for a connection), -vv debug, -vvv trace. Without it, RUST_LOG
    /// decides (e.g. RUST_LOG=nerve_diesel=debug); by default nothing is logged.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,

    /// Log nothing, whatever RUST_LOG says.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations (in one transaction, under a lock); creates a SQLite database
    /// when missing. `migrate revert` rolls back instead.
    Migrate {
        /// Print what would run (the pending migrations, or for `revert` the ones to revert)
        /// and change nothing.
        #[arg(long, global = true)]
        dry_run: bool,
        /// Print JSON instead of text: the migrations applied, reverted or that would be.
        #[arg(long, global = true)]
        json: bool,
        #[command(subcommand)]
        action: Option<MigrateAction>,
    },
    /// Fill a fresh database (migrated first) with a realistic sample company across OSINT,
    /// attack surface, BAIT, uploads, Ghost Search, compliance (an assessment with controls a
    /// scan finding flagged) and a security roadmap (tasks in every status, achievements,
    /// progress snapshots), through the storage contract, in one transaction; print what was written and the owner's generated password (shown once).
    Demo {
        /// Print JSON instead of text (the password included: it is shown once).
        #[arg(long)]
        json: bool,
    },
    /// Print the driver, schema version and applied and pending migrations. Exits 3 when
    /// migrations are pending or the database has migrations this binary does not know.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print a completion script for SHELL (bash, zsh, fish, elvish, powershell), e.g.
    /// `nerve completions bash > /etc/bash_completion.d/nerve`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `nerve man > /usr/local/share/man/man1/nerve.1`.
    Man,
    /// Check the database: connection and latency, schema version against this binary's
    /// migrations, every expected table, column and index, SQLite's integrity and foreign-key
    /// checks (orphan rows by table and rowid), PostgreSQL's constraint and index validity,
    /// and the pool. Exits 3 when anything is wrong.
    Health {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the rows of every table, their total and the database's size on disk.
    Stats {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List the recorded slow operations, newest first.
    SlowQueries {
        /// How many (1 to 1000).
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Refresh the planner's statistics (SQLite: ANALYZE, PRAGMA optimize; PostgreSQL:
    /// ANALYZE), and with --vacuum reclaim space first (SQLite: VACUUM; PostgreSQL:
    /// VACUUM (ANALYZE)).
    Optimize {
        /// Also vacuum.
        #[arg(long)]
        vacuum: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Retention: delete rows of an append-heavy table (login_attempts, security_events,
    /// bait_accesses, xasm_scan_history, lightbox_scan_history, slow_queries, audit_logs past
    /// its one-year minimum) older than --older-than, or with --deleted the rows soft-deleted
    /// longer ago than --older-than. A dry run (counts only) unless --apply.
    Purge {
        /// The table (not with --deleted).
        #[arg(long, required_unless_present = "deleted")]
        table: Option<String>,
        /// Purge soft-deleted rows of every table instead.
        #[arg(long, conflicts_with = "table")]
        deleted: bool,
        /// Age: `90d`, `12h`, `30m`, or a date (`2026-01-31`) or RFC 3339 time.
        #[arg(long)]
        older_than: String,
        /// Delete (otherwise only count).
        #[arg(long)]
        apply: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// GDPR access: print as JSON every row about the person with this e-mail address.
    ExportSubject {
        /// The address.
        email: String,
        /// Accepted for uniformity (the output is JSON anyway); an error is printed as JSON
        /// too.
        #[arg(long)]
        json: bool,
    },
    /// GDPR erasure: anonymize the users with this address and remove it from every table
    /// (the audit trail is kept, without it). Refused without --confirm.
    EraseSubject {
        /// The address.
        email: String,
        /// Required: this cannot be undone.
        #[arg(long)]
        confirm: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete a company and every row it owns, in one transaction. Refused without --confirm.
    DeleteCompany {
        /// The company's id.
        id: i64,
        /// Required: this cannot be undone.
        #[arg(long)]
        confirm: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the schema in backend-neutral terms, read from the database's catalog; with
    /// --json, as JSON that is byte-identical for two backends with the same schema.
    Schema {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Copy a NERVE SQLite database into PostgreSQL: every table, parents first, in one
    /// transaction (nothing is kept unless all of it is), then ANALYZE and verify. Bad source
    /// rows stop the copy, named by table, rowid, column and reason, unless --rejects is given.
    Copy {
        /// The source: sqlite://PATH.
        #[arg(long)]
        from: String,
        /// The target: postgres://... (migrated to the source's schema version first).
        #[arg(long)]
        to: String,
        /// Read and check everything, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Copy only these tables (comma-separated).
        #[arg(long, value_delimiter = ',')]
        tables: Option<Vec<String>>,
        /// Write bad rows to FILE (JSON lines) and copy the rest; the exit status is still 1.
        #[arg(long, value_name = "FILE")]
        rejects: Option<std::path::PathBuf>,
        /// Empty the target's tables first (otherwise a target holding other rows is refused).
        #[arg(long)]
        truncate: bool,
        /// Skip the verification at the end.
        #[arg(long)]
        no_verify: bool,
        /// Load tables of at least N rows through staging tables, over two connections at once
        /// (default 50000).
        #[arg(long, value_name = "N")]
        parallel_from_rows: Option<u64>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Bring in the SQLite database NERVE's Python application made (`data/ghost.db`): into a
    /// new SQLite file or an empty PostgreSQL database, migrated first. Prints the plan, then
    /// converts every value by the rules in the README, verifies, and commits all or nothing.
    /// The source is opened read-only. Exit 1 when rows were refused (see --rejects).
    Import {
        /// The legacy database: sqlite://PATH.
        #[arg(long)]
        from: String,
        /// The target: sqlite://NEW-FILE (must not exist) or postgres://... (empty).
        #[arg(long)]
        to: String,
        /// Write refused rows to FILE (JSON lines, the whole source row) and import the rest;
        /// the exit status is still 1.
        #[arg(long, value_name = "FILE")]
        rejects: Option<std::path::PathBuf>,
        /// Print the whole plan and check every row; write nothing to the target.
        #[arg(long)]
        dry_run: bool,
        /// Leave a source table (TABLE) or column (TABLE.COLUMN) behind that has no home in
        /// NERVE's schema; repeatable. Without it such data stops the import.
        #[arg(long, value_name = "TABLE[.COLUMN]")]
        drop: Vec<String>,
        /// How timestamps written without an offset are read: UTC (default), +HH:MM, or an
        /// IANA name such as Europe/Paris.
        #[arg(long, value_name = "TZ")]
        timezone: Option<String>,
        /// Into PostgreSQL: load tables of at least N rows through staging tables, over two
        /// connections at once (default 50000).
        #[arg(long, value_name = "N")]
        parallel_from_rows: Option<u64>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Back the database up while it stays in use: SQLite's online backup API, PostgreSQL's
    /// pg_dump -Fc (found on PATH), one consistent point in time. Writes the backup into the
    /// backup directory (backups/ beside a SQLite file, data/backups for PostgreSQL) as
    /// nerve_backup_YYYYMMDD_HHMMSS.db|.dump with a manifest beside it (<file>.json: schema
    /// version, row counts, SHA-256).
    Backup {
        /// Write the backup here instead (must not exist), or `-` for standard output (the
        /// manifest is then printed to standard error, not written).
        #[arg(long)]
        out: Option<String>,
        /// The backup directory.
        #[arg(long, conflicts_with = "out")]
        dir: Option<std::path::PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the backups of the backup directory, newest first: size, time, schema version,
    /// rows.
    Backups {
        /// The backup directory.
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
        /// Print the list as JSON (with every table's row count).
        #[arg(long)]
        json: bool,
    },
    /// Replace the database's content with a backup. The backup is checked first (manifest
    /// checksum, integrity, a schema no newer than this binary) and refused, changing nothing,
    /// when anything is off; what it replaces is kept as a safety copy, named in the output.
    Restore {
        /// The backup file.
        path: std::path::PathBuf,
        /// Required: the live content is replaced.
        #[arg(long)]
        confirm: bool,
        /// Where the safety copy goes (SQLite).
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Adopt a database made outside the migration runner (by NERVE's earlier application,
    /// or our SQL run by hand): compare its schema and CHECKs with what the migrations build.
    /// A match records the migrations as applied. Missing indexes, nullable columns and CHECKs
    /// the rows satisfy are printed as a plan (tried and rolled back) and applied with
    /// --apply. Any other difference is listed, nothing changes, and the exit status is 3.
    Baseline {
        /// Apply the plan and record the migrations, in one transaction.
        #[arg(long)]
        apply: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Compare a SQLite database with a PostgreSQL one, table by table: row counts and an
    /// order-independent digest of canonical values. Exits 3 naming every table that differs.
    Verify {
        /// The SQLite database: sqlite://PATH.
        #[arg(long)]
        from: String,
        /// The PostgreSQL database: postgres://...
        #[arg(long)]
        to: String,
        /// Compare only these tables (comma-separated).
        #[arg(long, value_delimiter = ',')]
        tables: Option<Vec<String>>,
        /// Leave out the source rows a copy refuses, as `nerve copy --rejects` left them out.
        #[arg(long)]
        without_refused: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

impl Command {
    /// Whether `--json` was given: then an error is printed as JSON on standard output too.
    fn json(&self) -> bool {
        match self {
            Command::Migrate { json, .. }
            | Command::Status { json }
            | Command::Demo { json }
            | Command::Health { json }
            | Command::Stats { json }
            | Command::SlowQueries { json, .. }
            | Command::Schema { json }
            | Command::Copy { json, .. }
            | Command::Import { json, .. }
            | Command::Backup { json, .. }
            | Command::Backups { json, .. }
            | Command::Baseline { json, .. }
            | Command::Verify { json, .. }
            | Command::Optimize { json, .. }
            | Command::Purge { json, .. }
            | Command::ExportSubject { json, .. }
            | Command::EraseSubject { json, .. }
            | Command::DeleteCompany { json, .. }
            | Command::Restore { json, .. } => *json,
            // Their output is a script or a page, not data.
            Command::Completions { .. } | Command::Man => false,
        }
    }
}

/// `nerve --version`: the release, the schema version it migrates to, the compiled backends.
fn version() -> String {
    let backends: Vec<&str> = nerve::compiled_backends()
        .into_iter()
        .map(|b| b.name())
        .collect();
    format!(
        "{} (schema {}; backends: {})",
        env!("CARGO_PKG_VERSION"),
        nerve::embedded_migrations()
            .last()
            .map(String::as_str)
            .unwrap_or("none"),
        backends.join(", ")
    )
}

/// The command line's definition, with the version of [`version`].
fn definition() -> clap::Command {
    // Leaked once per run: clap keeps the version for the life of the command.
    Cli::command().version(&*Box::leak(version().into_boxed_str()))
}

#[derive(Subcommand)]
enum MigrateAction {
    /// Revert the newest migrations by running their down.sql, all in one transaction. This
    /// drops tables and their data: take a backup first.
    Revert {
        /// How many migrations to revert (at least 1).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        steps: u32,
    },
}

fn main() -> ExitCode {
    // A panic is a bug; report it in one line, without a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("nerve: internal error: {info}");
    }));
    // A missing .env is normal; a malformed one is an error, before anything runs.
    match dotenvy::dotenv() {
        Err(e) if !e.not_found() => {
            // dotenvy quotes the malformed line, which may hold a password: name its position
            // only.
            let reason = match e {
                dotenvy::Error::LineParse(_, at) => {
                    format!("a line is malformed (at character {at}); nothing was read")
                }
                other => other.to_string(),
            };
            eprintln!("nerve: error: .env: {}", one_line(&reason));
            return ExitCode::from(EXIT_FAILURE);
        }
        _ => {}
    }
    let _ = SECRETS.set(command_line_secrets());
    let cli = definition()
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches))
        .unwrap_or_else(|e| usage_error(e));
    if let Err(reason) = install_logging(cli.verbose, cli.quiet) {
        eprintln!("nerve: error: {}", one_line(&reason));
        return ExitCode::from(EXIT_FAILURE);
    }
    let url = cli.database_url.unwrap_or_else(|| DEFAULT_URL.to_string());
    let mut out = String::new();
    match run(&cli.command, &url, &mut out) {
        Ok(failure) => {
            // A command that stopped before printing anything (a confirmation missing) still
            // answers --json with JSON.
            if let (true, true, Some(verdict)) = (cli.command.json(), out.is_empty(), &failure) {
                let (kind, reason) = match verdict {
                    Verdict::Failed(reason) => ("failed", reason),
                    Verdict::NotOk(reason) => ("not_ok", reason),
                };
                let error =
                    serde_json::json!({"error": {"kind": kind, "message": one_line(reason)}});
                out = format!("{error}\n");
            }
            // A reader that stops early (`nerve schema | head`) is not an error.
            let written =
                match std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes()) {
                    Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                        eprintln!("nerve: error: cannot write the output: {e}");
                        ExitCode::FAILURE
                    }
                    _ => ExitCode::SUCCESS,
                };
            match failure {
                Some(Verdict::Failed(reason)) => {
                    eprintln!("nerve: error: {}", one_line(&reason));
                    ExitCode::from(EXIT_FAILURE)
                }
                Some(Verdict::NotOk(reason)) => {
                    eprintln!("nerve: error: {}", one_line(&reason));
                    ExitCode::from(EXIT_NOT_OK)
                }
                None => written,
            }
        }
        Err(e) => {
            let message = one_line(&e.to_string());
            if cli.command.json() {
                let error = serde_json::json!({"error": {"kind": e.kind(), "message": message}});
                println!("{error}");
            }
            eprintln!("nerve: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Exits as clap does for a malformed command line (status 2, the message on standard error;
/// `--help` and `--version` print and exit 0); with `--json` among the arguments, the error is
/// printed on standard output as JSON first (kind `usage`).
fn usage_error(e: clap::Error) -> ! {
    use clap::error::ErrorKind;
    let help = matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
    if help {
        e.exit()
    }
    // clap quotes the value it refused: a password in it is removed like everywhere else.
    let rendered = scrub(&e.render().to_string());
    if std::env::args_os().any(|a| a == "--json") {
        // The error's own paragraph, without the usage and the hint after it.
        let first = rendered.split("\n\n").next().unwrap_or_default();
        let message = one_line(first.strip_prefix("error: ").unwrap_or(first));
        println!(
            "{}",
            serde_json::json!({"error": {"kind": "usage", "message": message}})
        );
    }
    eprint!("{rendered}");
    std::process::exit(e.exit_code())
}

/// The passwords of every URL on the command line and in `DATABASE_URL`, set once at start.
static SECRETS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

/// Every password a URL among the arguments or in `DATABASE_URL` carries (in the user part or
/// as a `password=` parameter), wherever the URL was given: nerve prints none of them, even
/// when an argument was given the URL by mistake and an error quotes it.
fn command_line_secrets() -> Vec<String> {
    std::env::args_os()
        .skip(1)
        .chain(std::env::var_os("DATABASE_URL"))
        .map(|arg| arg.to_string_lossy().into_owned())
        .flat_map(|arg| {
            // `--to=postgres://...` as well as `--to postgres://...`.
            let url = arg
                .split_once('=')
                .filter(|(flag, _)| flag.starts_with("--"));
            nerve::url::secrets_of(url.map_or(arg.as_str(), |(_, url)| url))
        })
        .collect()
}

/// `text` without any password of [`SECRETS`].
fn scrub(text: &str) -> String {
    nerve::url::scrub(text, SECRETS.get().map_or(&[], Vec::as_slice))
}

/// Sends the library's events to standard error: at the level `-v` asks for, else as RUST_LOG
/// says, else none (so a failure stays one line); none at all with `-q`. A malformed RUST_LOG
/// is an error.
fn install_logging(verbose: u8, quiet: bool) -> Result<(), String> {
    use tracing_subscriber::EnvFilter;
    let filter = match (quiet, verbose) {
        (true, _) => return Ok(()),
        (false, 0) => match std::env::var("RUST_LOG") {
            Ok(spec) if !spec.trim().is_empty() => {
                EnvFilter::try_new(&spec).map_err(|e| format!("RUST_LOG={spec:?}: {e}"))?
            }
            _ => return Ok(()),
        },
        (false, 1) => EnvFilter::new("info"),
        (false, 2) => EnvFilter::new("debug"),
        (false, _) => EnvFilter::new("trace"),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(true)
        .compact()
        .try_init()
        .map_err(|e| format!("logging: {e}"))
}

/// Appends a line to the command's output (written at the end, in one piece).
macro_rules! say {
    ($out:expr) => { $out.push('\n') };
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

/// One line per table: its row count, then its name.
fn print_rows(out: &mut String, rows: &[nerve::model::TableStats]) {
    for t in rows {
        say!(out, "  {:>10} {}", t.rows, t.table);
    }
}

/// `s` on one line, without any password given on the command line.
fn one_line(s: &str) -> String {
    scrub(&s.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Why a command that ran still exits non-zero.
enum Verdict {
    /// It did not do all it was asked (rows refused, a confirmation missing): exit 1.
    Failed(String),
    /// It did its work and found the database not as it should be (unhealthy, migrations
    /// pending, two databases that differ, a schema that blocks adoption): exit 3.
    NotOk(String),
}

/// The exit statuses, documented in `--help`.
const EXIT_FAILURE: u8 = 1;
const EXIT_NOT_OK: u8 = 3;

/// Runs `command`, its output in `out`; `Ok(Some(verdict))` when it ran but must exit non-zero.
fn run(command: &Command, url: &str, out: &mut String) -> nerve::Result<Option<Verdict>> {
    match command {
        Command::Copy {
            from,
            to,
            dry_run,
            tables,
            rejects,
            truncate,
            no_verify,
            parallel_from_rows,
            json,
        } => {
            let options = nerve::copy::CopyOptions {
                dry_run: *dry_run,
                tables: tables.clone(),
                rejects: rejects.clone(),
                truncate: *truncate,
                no_verify: *no_verify,
                parallel_from_rows: *parallel_from_rows,
            };
            let mut progress = progress::Bars::new();
            let report = nerve::copy::copy(from, to, &options, &mut progress)?;
            drop(progress);
            if *json {
                say!(out, "{}", to_json(&report)?);
            } else {
                print_copy(out, &report);
            }
            Ok(copy_failure(&report, rejects.as_deref()).map(Verdict::Failed))
        }
        Command::Import {
            from,
            to,
            rejects,
            dry_run,
            drop,
            timezone,
            parallel_from_rows,
            json,
        } => {
            let zone = match timezone {
                Some(tz) => {
                    nerve::legacy::Zone::parse(tz).map_err(|reason| nerve::Error::Validation {
                        table: "-",
                        field: "timezone",
                        reason,
                    })?
                }
                None => nerve::legacy::Zone::default(),
            };
            let options = nerve::import::ImportOptions {
                dry_run: *dry_run,
                rejects: rejects.clone(),
                drop: drop.clone(),
                zone,
                parallel_from_rows: *parallel_from_rows,
            };
            // The plan goes out before any row moves (the report follows at the end).
            let report = nerve::import::import(from, to, &options, &mut |plan| {
                if !*json {
                    let mut text = String::new();
                    print_import_plan(&mut text, plan, *dry_run);
                    let mut stdout = std::io::stdout().lock();
                    let _ = std::io::Write::write_all(&mut stdout, text.as_bytes());
                    let _ = std::io::Write::flush(&mut stdout);
                }
            })?;
            if *json {
                say!(out, "{}", to_json(&report)?);
            } else {
                print_import(out, &report);
            }
            Ok((report.refused > 0).then(|| {
                let file = rejects
                    .as_deref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                Verdict::Failed(format!(
                    "{} row(s) refused and not imported; they are in {file}",
                    report.refused
                ))
            }))
        }
        Command::Verify {
            from,
            to,
            tables,
            without_refused,
            json,
        } => {
            let report = nerve::copy::verify(from, to, tables.as_deref(), *without_refused)?;
            if *json {
                say!(out, "{}", to_json(&report)?);
            } else {
                print_verify(out, &report);
            }
            let differing = report.differing();
            Ok((!differing.is_empty()).then(|| {
                Verdict::NotOk(format!("the databases differ in: {}", differing.join(", ")))
            }))
        }
        Command::Migrate {
            dry_run: true,
            json,
            action,
        } => {
            let status = status_for_dry_run(url)?;
            match action {
                Some(MigrateAction::Revert { steps }) => {
                    let n = (*steps as usize).min(status.applied.len());
                    let names: Vec<&str> = status
                        .applied
                        .iter()
                        .rev()
                        .take(n)
                        .map(|m| m.name.as_str())
                        .collect();
                    if *json {
                        say!(
                            out,
                            "{}",
                            to_json(&serde_json::json!({ "would_revert": names }))?
                        );
                    } else {
                        say!(out, "{}: would revert {n} migration(s):", redact(url));
                        for name in names {
                            say!(out, "  {name}");
                        }
                    }
                }
                None => {
                    if !status.unknown.is_empty() {
                        return Err(nerve::Error::SchemaTooNew {
                            unknown: status.unknown,
                        });
                    }
                    if *json {
                        let would = serde_json::json!({ "would_apply": status.pending });
                        say!(out, "{}", to_json(&would)?);
                    } else {
                        say!(
                            out,
                            "{}: would apply {} migration(s):",
                            redact(url),
                            status.pending.len()
                        );
                        for name in &status.pending {
                            say!(out, "  {name}");
                        }
                    }
                }
            }
            Ok(None)
        }
        Command::Migrate {
            action: Some(MigrateAction::Revert { steps }),
            json,
            ..
        } => {
            let reverted = nerve::revert(url, *steps as usize)?;
            if *json {
                say!(
                    out,
                    "{}",
                    to_json(&serde_json::json!({ "reverted": reverted }))?
                );
            } else if reverted.is_empty() {
                say!(out, "{}: no migration to revert", redact(url));
            } else {
                say!(
                    out,
                    "{}: reverted {} migration(s):",
                    redact(url),
                    reverted.len()
                );
                for name in reverted {
                    say!(out, "  {name}");
                }
            }
            Ok(None)
        }
        Command::Migrate {
            action: None, json, ..
        } => {
            let applied = nerve::migrate(url)?;
            if *json {
                say!(
                    out,
                    "{}",
                    to_json(&serde_json::json!({ "applied": applied }))?
                );
            } else if applied.is_empty() {
                say!(out, "{}: the schema is up to date", redact(url));
            } else {
                say!(
                    out,
                    "{}: applied {} migration(s):",
                    redact(url),
                    applied.len()
                );
                for name in applied {
                    say!(out, "  {name}");
                }
            }
            Ok(None)
        }
        Command::Schema { json } => {
            let schema = nerve::describe_schema(url)?;
            if *json {
                say!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&schema).map_err(|e| nerve::Error::Backend {
                        table: "-",
                        operation: "print schema",
                        source: Box::new(e),
                    })?
                );
            } else {
                print_schema(out, &schema);
            }
            Ok(None)
        }
        Command::Demo { json } => {
            let summary = demo::run(url)?;
            if *json {
                let counts: serde_json::Map<String, serde_json::Value> = summary
                    .counts
                    .iter()
                    .map(|(what, n)| (what.to_string(), serde_json::json!(n)))
                    .collect();
                let report = serde_json::json!({
                    "company": {"name": summary.company.0, "id": summary.company.1},
                    "owner": {"email": summary.owner.0, "password": summary.owner.1.expose()},
                    "rows": counts,
                });
                say!(out, "{}", to_json(&report)?);
                return Ok(None);
            }
            say!(
                out,
                "{}: demo company '{}' (id {})",
                redact(url),
                summary.company.0,
                summary.company.1
            );
            say!(
                out,
                "owner: {} / password {} (shown once; stored only as an argon2id hash)",
                summary.owner.0,
                summary.owner.1.expose()
            );
            for (what, n) in &summary.counts {
                say!(out, "  {n:>4} {what}");
            }
            Ok(None)
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut definition(), "nerve", &mut script);
            out.push_str(&String::from_utf8_lossy(&script));
            Ok(None)
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(definition())
                .render(&mut page)
                .map_err(|e| nerve::Error::Unsupported {
                    what: format!("writing the man page: {e}"),
                })?;
            out.push_str(&String::from_utf8_lossy(&page));
            Ok(None)
        }
        Command::Status { json } => {
            let status = nerve::schema_status(url)?;
            if *json {
                say!(out, "{}", to_json(&status)?);
            } else {
                print_status(out, url, &status);
            }
            Ok(if !status.unknown.is_empty() {
                Some(Verdict::NotOk(format!(
                    "the database has {} migration(s) this binary does not know",
                    status.unknown.len()
                )))
            } else if !status.pending.is_empty() {
                Some(Verdict::NotOk(format!(
                    "{} pending migration(s): run `nerve migrate`",
                    status.pending.len()
                )))
            } else {
                None
            })
        }
        Command::Health { json } => {
            let store = open(url, nerve::MigrationPolicy::Inspect)?;
            let report = store.admin().health()?;
            if *json {
                say!(out, "{}", to_json(&report)?);
            } else {
                print_health(out, url, &report);
            }
            Ok((!report.healthy)
                .then(|| Verdict::NotOk("the database is unhealthy (see the report)".into())))
        }
        Command::Stats { json } => {
            let stats = open(url, nerve::MigrationPolicy::Require)?
                .admin()
                .stats()?;
            if *json {
                say!(out, "{}", to_json(&stats)?);
            } else {
                say!(out, "{} ({}):", redact(url), stats.backend);
                for t in &stats.tables {
                    say!(out, "  {:>12} {}", t.rows, t.table);
                }
                say!(out, "  {:>12} rows in all", stats.total_rows);
                say!(out, "  {:>12} bytes on disk", stats.size_bytes);
                print_metrics(out, &stats.metrics);
            }
            Ok(None)
        }
        Command::SlowQueries { limit, json } => {
            let slow = open(url, nerve::MigrationPolicy::Require)?
                .admin()
                .slow_queries(nerve::model::Page::first(*limit))?;
            if *json {
                say!(out, "{}", to_json(&slow)?);
            } else if slow.is_empty() {
                say!(out, "{}: no slow operation recorded", redact(url));
            } else {
                for q in &slow {
                    say!(
                        out,
                        "{}  {:>10.3} ms  {}",
                        q.recorded_at.format("%Y-%m-%d %H:%M:%S%.6fZ"),
                        q.duration_us as f64 / 1000.0,
                        q.operation
                    );
                }
            }
            Ok(None)
        }
        Command::Purge {
            table,
            deleted,
            older_than,
            apply,
            json,
        } => {
            let cutoff = nerve::clock::cutoff(older_than, chrono::Utc::now())?;
            let store = open(url, nerve::MigrationPolicy::Require)?;
            let verb = if *apply { "deleted" } else { "would delete" };
            let rows = if *deleted {
                let grace = chrono::Utc::now() - cutoff;
                store.admin().purge_deleted(grace, !*apply)?
            } else {
                let table = table.as_deref().unwrap_or_default();
                let rows = store.admin().purge(table, cutoff, !*apply)?;
                vec![nerve::model::TableStats {
                    table: table.to_string(),
                    rows,
                }]
            };
            if *json {
                let report = serde_json::json!({
                    "applied": *apply,
                    "older_than": cutoff,
                    "soft_deleted_only": *deleted,
                    "tables": rows,
                    "total": rows.iter().map(|t| t.rows).sum::<u64>(),
                });
                say!(out, "{}", to_json(&report)?);
            } else if *deleted {
                say!(
                    out,
                    "{}: {verb} soft-deleted rows older than {cutoff}:",
                    redact(url)
                );
                print_rows(out, &rows);
                say!(
                    out,
                    "  {:>10} in all",
                    rows.iter().map(|t| t.rows).sum::<u64>()
                );
            } else {
                let t = &rows[0];
                say!(
                    out,
                    "{}: {verb} {} row(s) of {} older than {cutoff}",
                    redact(url),
                    t.rows,
                    t.table
                );
            }
            if !*apply && !*json {
                say!(out, "(a dry run: --apply deletes)");
            }
            Ok(None)
        }
        Command::ExportSubject { email, .. } => {
            let export = open(url, nerve::MigrationPolicy::Require)?
                .admin()
                .export_subject(email)?;
            say!(out, "{}", to_json(&export)?);
            Ok(None)
        }
        Command::EraseSubject {
            email,
            confirm,
            json,
        } => {
            if !confirm {
                return Ok(Some(Verdict::Failed(
                    "erasure cannot be undone: add --confirm".into(),
                )));
            }
            let rows = open(url, nerve::MigrationPolicy::Require)?
                .admin()
                .erase_subject(email)?;
            if *json {
                say!(out, "{}", to_json(&serde_json::json!({ "erased": rows }))?);
            } else {
                say!(out, "{}: erased {email}:", redact(url));
                print_rows(out, &rows);
            }
            Ok(None)
        }
        Command::DeleteCompany { id, confirm, json } => {
            if !confirm {
                return Ok(Some(Verdict::Failed(
                    "deleting a company cannot be undone: add --confirm".into(),
                )));
            }
            let rows = open(url, nerve::MigrationPolicy::Require)?
                .admin()
                .delete_company(*id)?;
            if *json {
                let report = serde_json::json!({ "company": id, "deleted": rows });
                say!(out, "{}", to_json(&report)?);
            } else {
                say!(out, "{}: deleted company {id}:", redact(url));
                print_rows(out, &rows);
            }
            Ok(None)
        }
        Command::Backup { out: to, dir, json } => {
            let store = open_for_backups(url, dir)?;
            if to.as_deref() == Some("-") {
                let stdout = std::io::stdout();
                let mut lock = stdout.lock();
                let manifest = store.backups().write_backup(&mut lock)?;
                eprintln!("{}", to_json(&manifest)?);
                return Ok(None);
            }
            let info = store
                .backups()
                .create_backup(to.as_deref().map(std::path::Path::new))?;
            if *json {
                say!(out, "{}", to_json(&info)?);
            } else {
                say!(out, "{}: backed up to {}", redact(url), info.path.display());
                print_backup(out, &info);
            }
            Ok(None)
        }
        Command::Backups { dir, json } => {
            // A directory named on purpose must exist: a typo is not "no backups".
            if let Some(dir) = dir.as_ref().filter(|d| !d.is_dir()) {
                return Err(nerve::Error::Backup {
                    path: dir.display().to_string(),
                    reason: "no such backup directory".into(),
                });
            }
            let list = open_for_backups(url, dir)?.backups().list_backups()?;
            if *json {
                say!(out, "{}", to_json(&list)?);
            } else if list.is_empty() {
                say!(out, "no backups");
            }
            for info in list.iter().filter(|_| !*json) {
                say!(out, "{}", info.path.display());
                print_backup(out, info);
            }
            Ok(None)
        }
        Command::Restore {
            path,
            confirm,
            dir,
            json,
        } => {
            let report = open_for_backups(url, dir)?
                .backups()
                .restore_backup(path, *confirm)?;
            if *json {
                say!(out, "{}", to_json(&report)?);
                return Ok(None);
            }
            say!(
                out,
                "{}: restored from {} (schema {}, {} rows{})",
                redact(url),
                report.restored_from.display(),
                report.schema_version.as_deref().unwrap_or("-"),
                report.row_counts.values().sum::<u64>(),
                if report.checksum_verified {
                    ", checksum verified"
                } else {
                    ", no manifest: checksum not verified"
                }
            );
            say!(
                out,
                "the replaced database was kept as {}",
                report.safety_copy
            );
            for w in &report.warnings {
                say!(out, "warning: {w}");
            }
            Ok(None)
        }
        Command::Baseline { apply, json } => {
            let report = nerve::baseline(url, *apply)?;
            if *json {
                say!(out, "{}", to_json(&report)?);
            } else {
                print_baseline(out, url, &report);
            }
            Ok(match report.outcome {
                nerve::baseline::BaselineOutcome::Refused => Some(Verdict::NotOk(format!(
                    "{} difference(s) block adoption; nothing was changed",
                    report.differences.len()
                ))),
                _ => None,
            })
        }
        Command::Optimize { vacuum, json } => {
            let ran = open(url, nerve::MigrationPolicy::Require)?
                .admin()
                .optimize(*vacuum)?;
            if *json {
                say!(out, "{}", to_json(&serde_json::json!({ "ran": ran }))?);
            } else {
                say!(out, "{}: ran {}", redact(url), ran.join("; "));
            }
            Ok(None)
        }
    }
}

/// A store for backups: any schema version (a restore may be what repairs it), the backup
/// directory of `dir` when given.
fn open_for_backups(
    url: &str,
    dir: &Option<std::path::PathBuf>,
) -> nerve::Result<Box<dyn nerve::Store>> {
    let options = nerve::StoreOptions {
        migrations: nerve::MigrationPolicy::Inspect,
        backup_dir: dir.clone(),
        ..Default::default()
    };
    nerve::connect_with(url, &options)
}

fn print_baseline(out: &mut String, url: &str, r: &nerve::baseline::BaselineReport) {
    use nerve::baseline::BaselineOutcome;
    let url = redact(url);
    match r.outcome {
        BaselineOutcome::Adopted if r.plan.is_empty() => say!(
            out,
            "{url}: the schema matches; recorded {} migration(s) as applied",
            r.recorded.len()
        ),
        BaselineOutcome::Adopted => say!(
            out,
            "{url}: applied {} change(s) and recorded {} migration(s) as applied",
            r.plan.len(),
            r.recorded.len()
        ),
        BaselineOutcome::Planned => say!(
            out,
            "{url}: the schema lacks only what can be added safely; nothing was changed. \
             Plan (run `nerve baseline --apply` to apply it):"
        ),
        BaselineOutcome::Refused => say!(
            out,
            "{url}: the schema differs from NERVE's; nothing was changed. Differences:"
        ),
    }
    for d in &r.differences {
        say!(out, "  - {d}");
    }
    for change in &r.plan {
        say!(out, "  + {}", change.what);
        for sql in &change.sql {
            say!(out, "      {};", one_line(sql));
        }
    }
    for note in &r.notes {
        say!(out, "  note: {note}");
    }
}

/// The lines describing one backup, under its path.
fn print_backup(out: &mut String, info: &nerve::backup::BackupInfo) {
    match &info.manifest {
        Some(m) => say!(
            out,
            "  {}, {} bytes, taken {}, schema {}, {} rows, sha256 {}",
            m.backend,
            info.size_bytes,
            m.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
            m.schema_version.as_deref().unwrap_or("-"),
            m.total_rows(),
            m.sha256
        ),
        None => say!(
            out,
            "  {} bytes, {}",
            info.size_bytes,
            info.problem.as_deref().unwrap_or("no manifest")
        ),
    }
}

/// A store on `url` opened with `migrations`.
fn open(url: &str, migrations: nerve::MigrationPolicy) -> nerve::Result<Box<dyn nerve::Store>> {
    nerve::connect_with(
        url,
        &nerve::StoreOptions {
            migrations,
            ..Default::default()
        },
    )
}

/// The status `migrate --dry-run` reports: the database's, or for a SQLite file that does not
/// exist yet (which `migrate` would create), that of an empty database.
fn status_for_dry_run(url: &str) -> nerve::Result<SchemaStatus> {
    let file = url.strip_prefix("sqlite://").filter(|p| !p.is_empty());
    if file.is_some_and(|path| !std::path::Path::new(path).exists()) {
        return open("sqlite::memory:", nerve::MigrationPolicy::Inspect)?.schema_status();
    }
    nerve::schema_status(url)
}

fn print_health(out: &mut String, url: &str, r: &nerve::model::HealthReport) {
    say!(
        out,
        "{}: {} ({}, round trip {} µs)",
        redact(url),
        if r.healthy { "healthy" } else { "UNHEALTHY" },
        r.backend,
        r.latency_us
    );
    say!(
        out,
        "  schema: version {}; pending: {}; unknown to this binary: {}",
        r.schema_version.as_deref().unwrap_or("none"),
        list_or_none(&r.pending),
        list_or_none(&r.unknown)
    );
    if r.problems.is_empty() {
        say!(out, "  structure: ok");
    } else {
        say!(out, "  structure: {} problem(s):", r.problems.len());
        for p in &r.problems {
            say!(out, "    {p}");
        }
    }
    if r.orphans.is_empty() {
        say!(out, "  foreign keys: ok");
    } else {
        say!(out, "  foreign keys: {} orphan row(s):", r.orphans.len());
        for o in &r.orphans {
            say!(
                out,
                "    {} rowid {} -> no row in {}",
                o.table,
                o.rowid,
                o.parent
            );
        }
    }
    say!(
        out,
        "  pool: max {}, open {}, idle {}, in use {}",
        r.pool.max_size,
        r.pool.connections,
        r.pool.idle,
        r.pool.in_use
    );
    print_metrics(out, &r.metrics);
    if r.warnings.is_empty() {
        say!(out, "  warnings: none");
    }
    for w in &r.warnings {
        let kind = serde_json::to_value(w.kind).unwrap_or_default();
        say!(
            out,
            "  warning [{}]: {}",
            kind.as_str().unwrap_or("-"),
            w.message
        );
    }
}

/// The server's own numbers, a few lines.
fn print_metrics(out: &mut String, metrics: &nerve::model::ServerMetrics) {
    use nerve::model::ServerMetrics;
    match metrics {
        ServerMetrics::Sqlite(m) => say!(
            out,
            "  sqlite: journal {}, {} pages of {} bytes, {} free; WAL {} bytes",
            m.journal_mode,
            m.page_count,
            m.page_size,
            m.free_pages,
            m.wal_bytes
        ),
        ServerMetrics::Postgres(m) => {
            say!(
                out,
                "  postgres {}: connections {} of {}; database {} bytes",
                m.server_version,
                m.connections,
                m.max_connections,
                m.database_bytes
            );
            for r in &m.replicas {
                say!(
                    out,
                    "  replica {} ({}): {} bytes, {} ms behind",
                    r.name,
                    r.state,
                    r.replay_lag_bytes.map_or("?".into(), |b| b.to_string()),
                    r.replay_lag_ms.unwrap_or(0)
                );
            }
            say!(
                out,
                "  sessions: {} running long, {} idle in a transaction, {} blocked",
                m.long_running.len(),
                m.idle_in_transaction.len(),
                m.blocked.len()
            );
            for t in &m.tables {
                say!(
                    out,
                    "  table {}: {} bytes, {} live / {} dead rows, vacuumed {}",
                    t.table,
                    t.bytes,
                    t.live_rows,
                    t.dead_rows,
                    t.last_vacuum
                        .max(t.last_autovacuum)
                        .map_or("never".into(), |at| at.to_rfc3339())
                );
            }
        }
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> nerve::Result<String> {
    serde_json::to_string_pretty(value).map_err(|e| nerve::Error::Backend {
        table: "-",
        operation: "print report",
        source: Box::new(e),
    })
}

/// Why a copy that ran must still exit 1: rows refused, or a verification that failed.
fn copy_failure(
    report: &nerve::copy::CopyReport,
    rejects: Option<&std::path::Path>,
) -> Option<String> {
    if report.rejected > 0 {
        let file = rejects.map(|p| p.display().to_string()).unwrap_or_default();
        return Some(format!(
            "{} row(s) refused and not copied; they are in {file}",
            report.rejected
        ));
    }
    let differing = report
        .verify
        .as_ref()
        .map(|v| v.differing())
        .unwrap_or_default();
    (!differing.is_empty()).then(|| {
        format!(
            "verification failed: the target differs from the source in {}",
            differing.join(", ")
        )
    })
}

fn print_copy(out: &mut String, report: &nerve::copy::CopyReport) {
    if !report.migrated.is_empty() {
        let verb = if report.dry_run {
            "would apply"
        } else {
            "applied"
        };
        say!(
            out,
            "target migrations {verb}: {}",
            report.migrated.join(", ")
        );
    }
    if report.already_copied {
        say!(
            out,
            "the target already holds exactly the source: nothing to do"
        );
    }
    for t in &report.tables {
        say!(
            out,
            "{:<28} {:>10} rows  {:>10} copied  {:>8} refused  {:>8.2} s",
            t.table,
            t.source_rows,
            t.copied,
            t.rejected,
            t.seconds
        );
    }
    let verb = if report.dry_run {
        "would copy"
    } else {
        "copied"
    };
    say!(
        out,
        "{verb} {} rows, refused {}, in {:.2} s (copy {:.2} s)",
        report.copied,
        report.rejected,
        report.total_seconds,
        report.copy_seconds
    );
    if let Some(v) = &report.verify {
        print_verify(out, v);
    }
    print_statistics_failed(out, report.statistics_failed.as_deref());
}

/// The warning of a copy or import whose rows committed but whose `ANALYZE` failed.
fn print_statistics_failed(out: &mut String, failed: Option<&str>) {
    if let Some(reason) = failed {
        say!(
            out,
            "warning: statistics not gathered (the rows are committed and verified; \
             PostgreSQL's autovacuum gathers them later): {reason}"
        );
    }
}

/// The plan: a summary line per table, or with `full` every column and how it is filled.
fn print_import_plan(out: &mut String, plan: &nerve::import::ImportPlan, full: bool) {
    use nerve::import::ColumnSource;
    say!(out, "plan:");
    for t in plan.tables.iter().filter(|t| t.in_source) {
        let derived: Vec<String> = t
            .columns
            .iter()
            .filter_map(|(c, how)| match how {
                ColumnSource::Derived { rule } => Some(format!("{c} ({rule})")),
                ColumnSource::Null => Some(format!("{c} (NULL)")),
                ColumnSource::Default { value } => Some(format!("{c} (default {value})")),
                ColumnSource::Column { .. } => None,
            })
            .collect();
        let mapped = t.columns.len() - derived.len();
        say!(
            out,
            "  {:<28} {:>10} rows  {mapped} columns mapped, {} derived",
            t.table,
            t.source_rows,
            derived.len()
        );
        if full {
            for d in &derived {
                say!(out, "      derived {d}");
            }
            for (c, how) in &t.columns {
                if let ColumnSource::Column { rule: Some(rule) } = how {
                    say!(out, "      {c}: {rule}");
                }
            }
        }
        for (c, n) in &t.unmapped {
            say!(out, "      source column {c}: no home ({n} non-null)");
        }
    }
    let absent: Vec<&str> = plan
        .tables
        .iter()
        .filter(|t| !t.in_source)
        .map(|t| t.table.as_str())
        .collect();
    if !absent.is_empty() {
        say!(
            out,
            "  not in the source (left empty): {}",
            absent.join(", ")
        );
    }
    for (t, n) in &plan.unmapped_tables {
        say!(
            out,
            "  source table {t}: no home in NERVE's schema ({n} rows)"
        );
    }
    for (what, n) in &plan.dropped {
        say!(out, "  dropped by --drop: {what} ({n} values)");
    }
    if !plan.legacy_migrations.is_empty() {
        let versions: Vec<&str> = plan
            .legacy_migrations
            .iter()
            .map(|m| m.version.as_str())
            .collect();
        say!(
            out,
            "  legacy schema_migrations: {} (reported, not imported)",
            versions.join(", ")
        );
    }
}

fn print_import(out: &mut String, report: &nerve::import::ImportReport) {
    for t in report.tables.iter().filter(|t| t.source_rows > 0) {
        let converted: Vec<String> = t
            .converted
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        say!(
            out,
            "{:<28} {:>10} rows  {:>10} imported  {:>8} refused  verified {}  {:>8.2} s{}",
            t.table,
            t.source_rows,
            t.imported,
            t.refused,
            if t.verified { "yes" } else { "NO" },
            t.seconds,
            if converted.is_empty() {
                String::new()
            } else {
                format!("  converted: {}", converted.join(", "))
            }
        );
    }
    if !report.password_hashes.is_empty() {
        let formats: Vec<String> = report
            .password_hashes
            .iter()
            .map(|(f, n)| format!("{f} {n}"))
            .collect();
        say!(
            out,
            "password hashes: {} (all but argon2 become argon2id at the first login; unknown \
             ones must be reset)",
            formats.join(", ")
        );
    }
    if report.secrets_hashed > 0 {
        say!(
            out,
            "secrets found in clear and stored as SHA-256: {}",
            report.secrets_hashed
        );
    }
    let verb = if report.dry_run {
        "would import"
    } else {
        "imported"
    };
    say!(
        out,
        "{verb} {} rows, refused {}, in {:.2} s",
        report.imported,
        report.refused,
        report.seconds
    );
    print_statistics_failed(out, report.statistics_failed.as_deref());
}

fn print_verify(out: &mut String, report: &nerve::copy::VerifyReport) {
    for t in report.tables.iter().filter(|t| !t.equal) {
        say!(
            out,
            "DIFFERS {}: source {} rows (digest {}), target {} rows (digest {})",
            t.table,
            t.source_rows,
            t.source_digest,
            t.target_rows,
            t.target_digest
        );
    }
    let rows: u64 = report.tables.iter().map(|t| t.source_rows).sum();
    if report.equal() {
        say!(
            out,
            "verified: {} tables, {rows} rows, equal value by value",
            report.tables.len()
        );
    }
}

fn print_status(out: &mut String, url: &str, status: &SchemaStatus) {
    say!(out, "driver:          {}", status.backend);
    say!(out, "database:        {}", redact(url));
    say!(
        out,
        "schema version:  {}",
        status.version().unwrap_or("none (empty database)")
    );
    say!(out, "applied migrations ({}):", status.applied.len());
    for m in &status.applied {
        say!(
            out,
            "  {}  {}  applied {}",
            m.version,
            m.name,
            m.applied_at.format("%Y-%m-%d %H:%M:%S UTC")
        );
    }
    if status.pending.is_empty() {
        say!(out, "pending migrations: none");
    } else {
        say!(
            out,
            "pending migrations ({}): run `nerve migrate`",
            status.pending.len()
        );
        for name in &status.pending {
            say!(out, "  {name}");
        }
    }
    if !status.unknown.is_empty() {
        say!(
            out,
            "unknown migrations ({}): applied by a newer nerve; upgrade this binary",
            status.unknown.len()
        );
        for v in &status.unknown {
            say!(out, "  {v}");
        }
    }
}

fn print_schema(out: &mut String, schema: &nerve::model::SchemaDescription) {
    for set in &schema.value_sets {
        say!(out, "value set {}: {}", set.name, set.values.join(", "));
    }
    for t in &schema.tables {
        say!(
            out,
            "\ntable {} (primary key {})",
            t.name,
            t.primary_key.join(", ")
        );
        for c in &t.columns {
            let mut line = format!("  {:<24} {}", c.name, c.logical_type);
            if let Some(n) = c.max_length {
                line.push_str(&format!("({n})"));
            }
            if !c.nullable {
                line.push_str(" not null");
            }
            if let Some(d) = &c.default {
                line.push_str(&format!(" default {d}"));
            }
            say!(out, "{line}");
        }
        for u in &t.unique {
            say!(out, "  unique ({})", u.join(", "));
        }
        for f in &t.foreign_keys {
            say!(
                out,
                "  foreign key ({}) -> {} ({}) on delete {}",
                f.columns.join(", "),
                f.references,
                f.referenced_columns.join(", "),
                f.on_delete
            );
        }
        for i in &t.indexes {
            let kind = if i.unique { "unique index" } else { "index" };
            let predicate = i
                .predicate
                .as_deref()
                .map(|p| format!(" where {p}"))
                .unwrap_or_default();
            say!(
                out,
                "  {kind} {} ({}){predicate}",
                i.name,
                i.columns.join(", ")
            );
        }
    }
}

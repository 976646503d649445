//! `nerve`: the operator's command for NERVE storage databases (SQLite and PostgreSQL).
//!
//! Every failure prints one line to standard error, starting `nerve: error:`, and exits with
//! status 1 (2 for a malformed command line); passwords in URLs are never printed.

use clap::{Parser, Subcommand};
use nerve::{url::redact, SchemaStatus};
use std::process::ExitCode;

/// The URL used when neither --database-url nor DATABASE_URL is given.
const DEFAULT_URL: &str = "sqlite://data/nerve.db";

#[derive(Parser)]
#[command(
    name = "nerve",
    version,
    about = "Operate NERVE storage databases (SQLite and PostgreSQL)"
)]
struct Cli {
    /// Database URL: sqlite://PATH, sqlite::memory:, postgres://... or postgresql://...
    /// [default: sqlite://data/nerve.db, its directory created]
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    database_url: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations (in one transaction, under a lock); creates a SQLite database
    /// when missing. `migrate revert` rolls back instead.
    Migrate {
        #[command(subcommand)]
        action: Option<MigrateAction>,
    },
    /// Print the driver, schema version and applied and pending migrations.
    Status,
}

#[derive(Subcommand)]
enum MigrateAction {
    /// Revert the newest migrations by running their down.sql, all in one transaction. This
    /// drops tables and their data: take a backup first.
    Revert {
        /// How many migrations to revert.
        #[arg(long, default_value_t = 1)]
        steps: usize,
    },
}

fn main() -> ExitCode {
    // A panic is a bug; report it in one line, without a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("nerve: internal error: {info}");
    }));
    let cli = Cli::parse();
    let url = cli.database_url.unwrap_or_else(|| DEFAULT_URL.to_string());
    match run(&cli.command, &url) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nerve: error: {}", one_line(&e.to_string()));
            ExitCode::FAILURE
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn run(command: &Command, url: &str) -> nerve::Result<()> {
    match command {
        Command::Migrate {
            action: Some(MigrateAction::Revert { steps }),
        } => {
            let reverted = nerve::revert(url, *steps)?;
            if reverted.is_empty() {
                println!("{}: no migration to revert", redact(url));
            } else {
                println!("{}: reverted {} migration(s):", redact(url), reverted.len());
                for name in reverted {
                    println!("  {name}");
                }
            }
            Ok(())
        }
        Command::Migrate { action: None } => {
            let applied = nerve::migrate(url)?;
            if applied.is_empty() {
                println!("{}: the schema is up to date", redact(url));
            } else {
                println!("{}: applied {} migration(s):", redact(url), applied.len());
                for name in applied {
                    println!("  {name}");
                }
            }
            Ok(())
        }
        Command::Status => {
            let status = nerve::schema_status(url)?;
            print_status(url, &status);
            Ok(())
        }
    }
}

fn print_status(url: &str, status: &SchemaStatus) {
    println!("driver:          {}", status.backend);
    println!("database:        {}", redact(url));
    println!(
        "schema version:  {}",
        status.version().unwrap_or("none (empty database)")
    );
    println!("applied migrations ({}):", status.applied.len());
    for m in &status.applied {
        println!(
            "  {}  {}  applied {}",
            m.version,
            m.name,
            m.applied_at.format("%Y-%m-%d %H:%M:%S UTC")
        );
    }
    if status.pending.is_empty() {
        println!("pending migrations: none");
    } else {
        println!(
            "pending migrations ({}): run `nerve migrate`",
            status.pending.len()
        );
        for name in &status.pending {
            println!("  {name}");
        }
    }
    if !status.unknown.is_empty() {
        println!(
            "unknown migrations ({}): applied by a newer nerve; upgrade this binary",
            status.unknown.len()
        );
        for v in &status.unknown {
            println!("  {v}");
        }
    }
}

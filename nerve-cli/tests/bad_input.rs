//! Every `nerve` command with each of its arguments malformed — empty, huge, non-UTF-8, of
//! the wrong type, a directory where a file is meant, a URL with unknown parameters (and a
//! password) — ends cleanly: exit status ≠ 0 and one error line (`nerve: error:` and exit 1,
//! or clap's usage error and exit 2), never a panic or a backtrace, never the password. The
//! test prints how many cases it ran.

mod common;

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Output};

const PASSWORD: &str = "s3cr3t-in-url";

fn nerve(cwd: &Path, args: &[OsString], database_url: &OsStr) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nerve"))
        .current_dir(cwd)
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_BACKTRACE", "1")
        .env_remove("RUST_LOG")
        .output()
        .expect("the nerve binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A command's arguments that take a value: its `--long <VALUE>` options (but the global
/// `--database-url`, tried on its own) and its positionals, from its `--help`.
fn value_arguments(cwd: &Path, command: &str) -> Vec<Argument> {
    let help = text(&nerve(cwd, &[command.into(), "--help".into()], OsStr::new("")).stdout);
    let mut out = Vec::new();
    for line in help.lines() {
        let line = line.trim_start();
        if let Some(rest) = line.strip_prefix("--") {
            let mut words = rest.split_whitespace();
            let name = words.next().unwrap_or_default();
            if words.next().is_some_and(|w| w.starts_with('<')) && name != "database-url" {
                out.push(Argument::Option(name.to_string()));
            }
        }
    }
    let usage = help
        .lines()
        .find(|l| l.starts_with("Usage:"))
        .unwrap_or_default();
    let mut previous = "";
    for word in usage.split_whitespace().skip(3) {
        // A <VALUE> right after --option is that option's value, not a positional.
        if word.starts_with('<') && !previous.starts_with("--") {
            out.push(Argument::Positional(
                word.trim_matches(['<', '>', '[', ']', '.']).to_string(),
            ));
        }
        previous = word;
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Argument {
    Option(String),
    Positional(String),
}

impl Argument {
    fn name(&self) -> &str {
        match self {
            Argument::Option(n) | Argument::Positional(n) => n,
        }
    }
}

/// A well-formed value for an argument, so that only the malformed one is at fault.
fn good_value(name: &str, db: &str, dir: &Path) -> String {
    match name {
        "from" => db.to_string(),
        "to" => format!("sqlite://{}/copy-target.db", dir.display()),
        "older-than" => "90d".into(),
        "table" => "bait_accesses".into(),
        "tables" => "companies".into(),
        "limit" | "steps" | "ID" | "parallel-from-rows" => "1".into(),
        "EMAIL" => "ada@acme.example".into(),
        "SHELL" => "bash".into(),
        "PATH" => dir.join("no-such-backup.db").display().to_string(),
        "out" => dir.join("fresh-backup.db").display().to_string(),
        "dir" => dir.join("backups").display().to_string(),
        "rejects" => dir.join("rejects.jsonl").display().to_string(),
        "drop" => "legacy_table".into(),
        "timezone" => "UTC".into(),
        other => panic!("no well-formed value known for {other}: add one"),
    }
}

/// The malformed values tried for every argument.
fn malformed(dir: &Path) -> Vec<(&'static str, OsString)> {
    vec![
        ("empty", OsString::new()),
        ("huge", OsString::from("x".repeat(100_000))),
        (
            "non-UTF-8",
            OsStr::from_bytes(b"caf\xe9\xff\xfe").to_os_string(),
        ),
        ("wrong type", OsString::from("-12.5e3?")),
        ("a directory", dir.as_os_str().to_os_string()),
        (
            "a URL with unknown parameters",
            OsString::from(format!(
                "postgres://nerve:{PASSWORD}@127.0.0.1:1/nerve?bogus=1&sslmode=sometimes"
            )),
        ),
        (
            "a SQLite URL with unknown parameters",
            OsString::from(format!(
                "sqlite://{}/x.db?bogus=1&password={PASSWORD}",
                dir.display()
            )),
        ),
    ]
}

/// Checks one run; returns a description of what was wrong, if anything.
fn judge(out: &Output) -> Option<String> {
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    for bad in [
        "panicked",
        "internal error",
        "stack backtrace",
        "RUST_BACKTRACE",
        PASSWORD,
    ] {
        if stdout.contains(bad) || stderr.contains(bad) {
            return Some(format!("{bad:?} in the output: {stderr}"));
        }
    }
    match out.status.code() {
        Some(1) if stderr.lines().count() == 1 && stderr.starts_with("nerve: error: ") => None,
        Some(2) if stderr.starts_with("error: ") => None,
        code => Some(format!("exit {code:?}, stderr {stderr:?}")),
    }
}

#[test]
fn every_command_refuses_every_malformed_argument_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/nerve.db", dir.path().display());
    let migrated = nerve(dir.path(), &["migrate".into()], OsStr::new(&db));
    assert!(migrated.status.success(), "{}", text(&migrated.stderr));
    std::fs::create_dir(dir.path().join("backups")).unwrap();

    let commands = common::subcommands();
    assert!(commands.len() >= 20, "{commands:?}");
    let mut cases = 0;
    let mut failures = Vec::new();
    for command in &commands {
        let arguments = value_arguments(dir.path(), command);
        // The malformed database URL, for every command (the global option).
        let mut tried: Vec<(Option<Argument>, &str, OsString)> = malformed(dir.path())
            .into_iter()
            .map(|(kind, value)| (None, kind, value))
            .collect();
        for argument in &arguments {
            for (kind, value) in malformed(dir.path()) {
                tried.push((Some(argument.clone()), kind, value));
            }
        }
        for (bad_argument, kind, value) in tried {
            let mut args: Vec<OsString> = vec![command.into()];
            let database_url = match &bad_argument {
                None => value.clone(),
                Some(_) => OsString::from(&db),
            };
            for argument in &arguments {
                let is_bad = bad_argument.as_ref() == Some(argument);
                let given = if is_bad {
                    value.clone()
                } else {
                    good_value(argument.name(), &db, dir.path()).into()
                };
                if let Argument::Option(name) = argument {
                    args.push(format!("--{name}").into());
                }
                args.push(given);
            }
            // Commands that would change the database are asked for real (no dry run), and
            // confirmed, so the malformed value is what stops them.
            if matches!(
                command.as_str(),
                "erase-subject" | "delete-company" | "restore"
            ) {
                args.push("--confirm".into());
            }
            // Well-formed after all: the commands that open no database ignore DATABASE_URL,
            // and a directory is what `backups --dir` asks for.
            let valid = match (&bad_argument, kind) {
                (None, _) => matches!(command.as_str(), "completions" | "man"),
                (Some(a), "a directory") => command == "backups" && a.name() == "dir",
                _ => false,
            };
            if valid {
                continue;
            }
            let out = nerve(dir.path(), &args, &database_url);
            cases += 1;
            let refused = out.status.code() != Some(0);
            let what = format!(
                "nerve {command} with {} {kind}",
                bad_argument.as_ref().map_or("DATABASE_URL", |a| a.name())
            );
            match judge(&out) {
                Some(problem) => failures.push(format!("{what}: {problem}")),
                None if !refused => failures.push(format!("{what}: accepted (exit 0)")),
                None => {}
            }
        }
    }
    println!(
        "bad input: {cases} cases over {} commands, {} not refused cleanly",
        commands.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

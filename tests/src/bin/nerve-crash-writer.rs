//! The writer the crash tests kill: opens the store at the URL given as its argument and
//! writes transactions (a company and its owner) until killed, printing each company's id on
//! standard output once its transaction has committed — the acknowledgement the test holds
//! the store to. Not a test itself; `tests/tests/faults.rs` runs it.

use nerve::model::{NewCompany, NewUser, Role};
use nerve::{MigrationPolicy, PasswordParams, StoreExt, StoreOptions};
use std::io::Write;

fn main() {
    let url = std::env::args()
        .nth(1)
        .expect("usage: nerve-crash-writer URL");
    let options = StoreOptions {
        migrations: MigrationPolicy::Apply,
        password: PasswordParams::INSECURE_FOR_TESTS,
        ..StoreOptions::default()
    };
    let store = nerve::connect_with(&url, &options).unwrap_or_else(|e| {
        eprintln!("nerve-crash-writer: {e}");
        std::process::exit(1)
    });
    let stdout = std::io::stdout();
    for i in 0u64.. {
        let id = store
            .transaction(|tx| {
                let company = tx.companies().create(&NewCompany {
                    name: format!("Crash {i} {}", std::process::id()),
                    domain: None,
                })?;
                tx.users().create(
                    company.id,
                    &NewUser {
                        email: format!("owner{i}-{}@crash.example", std::process::id()),
                        password: "correct horse battery".into(),
                        full_name: Some("x".repeat(200)),
                        role: Role::Owner,
                    },
                )?;
                Ok(company.id)
            })
            .unwrap_or_else(|e| {
                eprintln!("nerve-crash-writer: {e}");
                std::process::exit(1)
            });
        let mut out = stdout.lock();
        // The test reads line by line: one flushed line per acknowledged write.
        if writeln!(out, "{id}").and_then(|_| out.flush()).is_err() {
            return;
        }
    }
}

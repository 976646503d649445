//! Migration bookkeeping both drivers share: which embedded migrations are applied, pending,
//! or unknown to this binary.

use chrono::{DateTime, Utc};
use diesel::backend::Backend as DieselBackend;
use diesel::migration::MigrationSource;
use nerve_core::{AppliedMigration, Backend, Error, MigrationPolicy, Result, SchemaStatus};

/// The embedded migrations of a source as `(version, name)`, oldest first.
pub fn embedded<DB: DieselBackend>(source: &impl MigrationSource<DB>) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = source
        .migrations()
        .unwrap_or_default()
        .iter()
        .map(|m| (m.name().version().to_string(), m.name().to_string()))
        .collect();
    list.sort();
    list
}

/// Compares the `applied` rows of a database (version, applied at) with the `embedded`
/// migrations.
pub fn status(
    backend: Backend,
    embedded: &[(String, String)],
    mut applied: Vec<(String, DateTime<Utc>)>,
) -> SchemaStatus {
    applied.sort();
    let name_of = |v: &str| {
        embedded
            .iter()
            .find(|(ev, _)| ev == v)
            .map(|(_, n)| n.clone())
    };
    SchemaStatus {
        backend,
        pending: embedded
            .iter()
            .filter(|(v, _)| !applied.iter().any(|(a, _)| a == v))
            .map(|(_, n)| n.clone())
            .collect(),
        unknown: applied
            .iter()
            .filter(|(v, _)| name_of(v).is_none())
            .map(|(v, _)| v.clone())
            .collect(),
        applied: applied
            .into_iter()
            .map(|(version, applied_at)| AppliedMigration {
                name: name_of(&version).unwrap_or_else(|| version.clone()),
                version,
                applied_at,
            })
            .collect(),
    }
}

/// Does on `conn` what `policy` asks when a store opens: apply pending migrations with
/// `migrate`, or require the schema `status` reports to be current, or nothing (inspection).
pub fn apply_policy<C>(
    conn: &mut C,
    policy: MigrationPolicy,
    migrate: fn(&mut C) -> Result<Vec<String>>,
    status: fn(&mut C) -> Result<SchemaStatus>,
) -> Result<()> {
    match policy {
        MigrationPolicy::Apply => migrate(conn).map(drop),
        MigrationPolicy::Require => status(conn)?.require_current(),
        MigrationPolicy::Inspect => Ok(()),
    }
}

/// Reverts the newest `steps` applied migrations on `conn`, which the caller has locked for
/// migrating (inside its transaction); `status` is the schema status read under that lock.
/// Returns the names reverted, newest first. A database with migrations this binary does not
/// know is refused ([`Error::SchemaTooNew`]): their down.sql is not embedded here. `source`
/// gives the embedded migrations (a `const` in each driver).
pub fn revert<DB, C>(
    conn: &mut C,
    status: &SchemaStatus,
    steps: usize,
    source: impl Fn() -> diesel_migrations::EmbeddedMigrations,
) -> Result<Vec<String>>
where
    DB: DieselBackend,
    C: diesel_migrations::MigrationHarness<DB>,
{
    if !status.unknown.is_empty() {
        return Err(Error::SchemaTooNew {
            unknown: status.unknown.clone(),
        });
    }
    let names: Vec<String> = status
        .applied
        .iter()
        .rev()
        .take(steps)
        .map(|m| m.name.clone())
        .collect();
    for _ in &names {
        conn.revert_last_migration(source()).map_err(error)?;
    }
    Ok(names)
}

/// A failed migration run as [`Error::Migration`].
pub fn error(e: impl std::fmt::Display) -> Error {
    Error::Migration {
        reason: e.to_string(),
    }
}

/// Says, as an `info` event per migration, that `applied` (oldest first) were applied.
pub fn log_applied(applied: &[String]) {
    for migration in applied {
        tracing::info!(%migration, "migration applied");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_unknown_and_names() {
        let embedded = vec![
            ("1".to_string(), "1_a".to_string()),
            ("2".to_string(), "2_b".to_string()),
        ];
        let t = DateTime::<Utc>::UNIX_EPOCH;
        let s = status(Backend::Sqlite, &embedded, vec![("1".into(), t)]);
        assert_eq!(s.pending, vec!["2_b"]);
        assert!(s.unknown.is_empty());
        assert_eq!(s.version(), Some("1"));
        assert!(matches!(
            s.require_current(),
            Err(Error::PendingMigrations { .. })
        ));
        let s = status(
            Backend::Sqlite,
            &embedded,
            vec![("2".into(), t), ("1".into(), t), ("3".into(), t)],
        );
        assert_eq!(s.unknown, vec!["3"]);
        assert_eq!(s.applied[0].name, "1_a");
        assert!(matches!(
            s.require_current(),
            Err(Error::SchemaTooNew { .. })
        ));
    }
}

//! Adoption of databases built outside the migration runner (`nerve baseline`).

use nerve::baseline::BaselineOutcome;
use nerve::model::SchemaDescription;
use nerve::{Backend, Error, MigrationPolicy};
use nerve_conformance::{CaseResult, Ctx, TestDb};

/// The migration that creates `slow_queries`, the table these cases alter.
const SLOW_QUERIES: &str = "000012_slow_queries";

/// A database built by running our up.sql files by hand, with `change` applied to the text of
/// the slow-queries migration.
fn built_by_hand(ctx: &Ctx, change: impl Fn(&str) -> String) -> Result<TestDb, String> {
    TestDb::built_by_hand(ctx.backend, |folder, sql| {
        if folder.ends_with(SLOW_QUERIES) {
            change(sql)
        } else {
            sql.to_string()
        }
    })
}

/// The text without the lines containing `needle`.
fn without_lines(sql: &str, needle: &str) -> String {
    sql.lines()
        .filter(|l| !l.contains(needle))
        .collect::<Vec<_>>()
        .join("\n")
}

fn unmanaged(db: &TestDb) -> Result<bool, Box<dyn std::error::Error>> {
    Ok(nerve::schema_status(&db.url)?.applied.is_empty())
}

fn adopted_and_usable(ctx: &Ctx, db: &TestDb) -> CaseResult {
    let status = nerve::schema_status(&db.url)?;
    assert!(
        status.pending.is_empty() && status.unknown.is_empty(),
        "{status:?}"
    );
    // Equal but for the order of columns (PostgreSQL appends an added column).
    let by_name = |mut d: SchemaDescription| {
        for t in &mut d.tables {
            t.columns.sort_by(|a, b| a.name.cmp(&b.name));
        }
        d
    };
    let described = by_name(nerve::describe_schema(&db.url)?);
    let expected = by_name(SchemaDescription::expected());
    for (have, want) in described.tables.iter().zip(&expected.tables) {
        assert_eq!(have, want, "table {} after adoption", want.name);
    }
    assert!(
        described == expected,
        "the adopted schema is the migrations'"
    );
    let mut options = nerve_conformance::test_options(ctx.clock.clone(), MigrationPolicy::Require);
    options.max_connections = 2;
    let store = nerve::connect_with(&db.url, &options)?;
    let health = store.admin().health()?;
    assert!(health.problems.is_empty(), "{:?}", health.problems);
    super::company(store.as_ref(), "adopted", None)?;
    Ok(())
}

pub fn a_database_built_from_our_sql_is_adopted(ctx: &Ctx) -> CaseResult {
    let db = built_by_hand(ctx, str::to_string)?;
    assert!(unmanaged(&db)?);
    let report = nerve::baseline(&db.url, false)?;
    assert_eq!(report.outcome, BaselineOutcome::Adopted, "{report:?}");
    assert!(report.plan.is_empty() && report.differences.is_empty());
    let embedded: Vec<String> = nerve::schema_status(&db.url)?
        .applied
        .into_iter()
        .map(|m| m.version)
        .collect();
    assert_eq!(report.recorded, embedded);
    adopted_and_usable(ctx, &db)?;
    // Once adopted, it is managed: baseline refuses, migrate has nothing to do.
    assert!(matches!(
        nerve::baseline(&db.url, true),
        Err(Error::Migration { .. })
    ));
    assert!(nerve::migrate(&db.url)?.is_empty());
    // An empty database has nothing to adopt.
    let empty = ctx.empty_database()?;
    if ctx.backend == Backend::Sqlite {
        empty.execute_raw("CREATE TABLE unrelated (x INTEGER)")?;
    }
    assert!(matches!(
        nerve::baseline(&empty.url, true),
        Err(Error::Migration { .. })
    ));
    Ok(())
}

pub fn a_missing_index_is_planned_then_applied(ctx: &Ctx) -> CaseResult {
    let db = built_by_hand(ctx, |sql| {
        without_lines(sql, "CREATE INDEX slow_queries_recorded_idx")
    })?;
    let before = nerve::describe_schema(&db.url)?;
    let report = nerve::baseline(&db.url, false)?;
    assert_eq!(report.outcome, BaselineOutcome::Planned, "{report:?}");
    assert_eq!(report.plan.len(), 1, "{:?}", report.plan);
    assert!(report.plan[0].what.contains("slow_queries_recorded_idx"));
    assert!(report.plan[0].sql[0].contains("CREATE INDEX slow_queries_recorded_idx"));
    // Planning changed nothing.
    assert!(unmanaged(&db)?);
    assert_eq!(nerve::describe_schema(&db.url)?, before);

    let report = nerve::baseline(&db.url, true)?;
    assert_eq!(report.outcome, BaselineOutcome::Adopted, "{report:?}");
    adopted_and_usable(ctx, &db)
}

pub fn missing_columns_and_checks_are_added_when_the_rows_allow(ctx: &Ctx) -> CaseResult {
    // On SQLite a missing length CHECK leaves the column unlimited text (PostgreSQL's
    // VARCHAR(200) has no such CHECK to drop): it is added as a check, not refused as a
    // column of another type.
    let change = |sql: &str| {
        without_lines(sql, "deleted_at")
            .replace(" CHECK (duration_us >= 0)", "")
            .replace(" CHECK (length(operation) <= 200)", "")
    };
    // On SQLite a missing CHECK that holds a value set leaves the column plain text: it is
    // added as a check too, not refused as a column of another type.
    let built = || {
        TestDb::built_by_hand(ctx.backend, |folder, sql| {
            if folder.ends_with(SLOW_QUERIES) {
                change(sql)
            } else if folder.ends_with("000002_account_security") {
                sql.replace(
                    " CHECK (failure IN ('unknown_account', 'bad_password', 'locked'))",
                    "",
                )
            } else {
                sql.to_string()
            }
        })
    };
    // A row the missing CHECK refuses: the plan cannot apply, nothing changes.
    let db = built()?;
    let insert = |db: &TestDb, duration: i64| {
        db.execute_raw(&format!(
            "INSERT INTO slow_queries (operation, duration_us, recorded_at, created_at, \
             updated_at) VALUES ('op', {duration}, '2026-01-01 00:00:00', \
             '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        ))
    };
    insert(&db, -5)?;
    let before = nerve::describe_schema(&db.url)?;
    for apply in [false, true] {
        let report = nerve::baseline(&db.url, apply)?;
        assert_eq!(report.outcome, BaselineOutcome::Refused, "{report:?}");
        assert!(
            report
                .differences
                .iter()
                .any(|d| d.contains("slow_queries")),
            "{:?}",
            report.differences
        );
        assert!(unmanaged(&db)?);
        assert_eq!(nerve::describe_schema(&db.url)?, before);
    }
    assert_eq!(
        db.query_strings("SELECT CAST(duration_us AS TEXT) AS value FROM slow_queries")?,
        vec!["-5".to_string()]
    );

    // Rows that satisfy it: planned, then applied with the rows kept.
    let db = built()?;
    insert(&db, 7)?;
    let report = nerve::baseline(&db.url, false)?;
    assert_eq!(report.outcome, BaselineOutcome::Planned, "{report:?}");
    let plan = report
        .plan
        .iter()
        .map(|c| c.what.clone())
        .collect::<Vec<_>>()
        .join("; ");
    assert!(plan.contains("slow_queries.deleted_at"), "{plan}");
    assert!(plan.contains("duration_us >= 0"), "{plan}");
    if ctx.backend == Backend::Sqlite {
        assert!(plan.contains("login_attempts"), "{plan}");
        assert!(plan.contains("length(operation) <= 200"), "{plan}");
    }
    assert!(unmanaged(&db)?);
    let report = nerve::baseline(&db.url, true)?;
    assert_eq!(report.outcome, BaselineOutcome::Adopted, "{report:?}");
    adopted_and_usable(ctx, &db)?;
    assert_eq!(
        db.query_strings("SELECT CAST(duration_us AS TEXT) AS value FROM slow_queries")?,
        vec!["7".to_string()]
    );
    // The value set's CHECK is back: a failure outside it is refused.
    let outside = db.execute_raw(
        "INSERT INTO login_attempts (email, success, failure, attempted_at) \
         VALUES ('a@example.com', false, 'bogus', '2026-01-01 00:00:00')",
    );
    assert!(outside.is_err(), "{outside:?}");
    Ok(())
}

pub fn a_column_of_the_wrong_type_is_refused_and_nothing_changes(ctx: &Ctx) -> CaseResult {
    let db = built_by_hand(ctx, |sql| {
        sql.replace(" CHECK (duration_us >= 0)", "")
            .replace("duration_us  INTEGER", "duration_us  TEXT")
            .replace("duration_us  BIGINT", "duration_us  TEXT")
    })?;
    let before = nerve::describe_schema(&db.url)?;
    for apply in [false, true] {
        let report = nerve::baseline(&db.url, apply)?;
        assert_eq!(report.outcome, BaselineOutcome::Refused, "{report:?}");
        assert!(report.plan.is_empty() && report.recorded.is_empty());
        assert!(
            report
                .differences
                .iter()
                .any(|d| d.contains("slow_queries.duration_us is text")),
            "{:?}",
            report.differences
        );
        assert!(unmanaged(&db)?);
        assert_eq!(nerve::describe_schema(&db.url)?, before);
    }
    Ok(())
}

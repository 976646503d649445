//! Schema parity: both backends, migrated by this binary, describe the same logical schema
//! (tables, columns, logical types, nullability, defaults, length limits, keys, foreign keys
//! with ON DELETE rules, unique constraints, indexes with predicates, value sets).

use nerve::model::SchemaDescription;
use nerve::Backend;
use nerve_conformance::TestDb;

fn migrated(backend: Backend) -> TestDb {
    let db = TestDb::empty(backend).unwrap_or_else(|e| panic!("[{backend}] {e}"));
    nerve::migrate(&db.url).unwrap_or_else(|e| panic!("[{backend}] migrate: {e}"));
    db
}

fn json(schema: &SchemaDescription) -> String {
    serde_json::to_string_pretty(schema).expect("a description serializes")
}

/// The lines of `a` and `b` that differ, for a readable failure.
fn differences(a: &str, b: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let mut out = String::new();
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or("<end>"),
            b.get(i).copied().unwrap_or("<end>"),
        );
        if x != y {
            out.push_str(&format!(
                "line {}:\n  sqlite:   {x}\n  postgres: {y}\n",
                i + 1
            ));
            if out.len() > 4000 {
                break;
            }
        }
    }
    out
}

#[test]
fn both_backends_describe_the_same_schema() {
    let sqlite = migrated(Backend::Sqlite);
    let postgres = migrated(Backend::Postgres);
    let s = nerve::describe_schema(&sqlite.url).expect("sqlite description");
    let p = nerve::describe_schema(&postgres.url).expect("postgres description");
    let (sj, pj) = (json(&s), json(&p));
    assert!(sj == pj, "the schemas differ:\n{}", differences(&sj, &pj));
    // The description is not trivially equal: it holds every table and value set.
    assert!(s.tables.len() >= 8, "{} tables", s.tables.len());
    assert!(s
        .tables
        .iter()
        .all(|t| !t.columns.is_empty() && t.primary_key == ["id"]));
    assert_eq!(s.value_sets.len(), nerve::model::value_sets().len());
}

#[test]
fn a_column_on_one_side_only_is_a_difference() {
    let sqlite = migrated(Backend::Sqlite);
    let postgres = migrated(Backend::Postgres);
    sqlite
        .execute_raw("ALTER TABLE users ADD COLUMN nickname TEXT")
        .expect("alter");
    let s = json(&nerve::describe_schema(&sqlite.url).unwrap());
    let p = json(&nerve::describe_schema(&postgres.url).unwrap());
    assert_ne!(s, p);
    assert!(
        differences(&s, &p).contains("nickname"),
        "{}",
        differences(&s, &p)
    );
}

#[test]
fn a_changed_rule_on_one_side_is_a_difference() {
    let sqlite = migrated(Backend::Sqlite);
    let postgres = migrated(Backend::Postgres);
    let before = nerve::describe_schema(&postgres.url).unwrap();
    postgres
        .execute_raw(
            "ALTER TABLE sessions DROP CONSTRAINT sessions_user_id_fkey; \
             ALTER TABLE sessions ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) \
               REFERENCES users (id) ON DELETE SET NULL; \
             DROP INDEX users_email_live_key; CREATE UNIQUE INDEX users_email_live_key ON users (email);",
        )
        .expect("alter");
    let after = nerve::describe_schema(&postgres.url).unwrap();
    assert_ne!(before, after);
    let diff = differences(
        &json(&nerve::describe_schema(&sqlite.url).unwrap()),
        &json(&after),
    );
    assert!(diff.contains("SET NULL"), "{diff}");
    assert!(
        diff.contains("deleted_at is null"),
        "the dropped predicate shows: {diff}"
    );
}

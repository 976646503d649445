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

/// What differs between the two descriptions, table by table: the JSON lines only one side
/// has (a readable failure, and what the tests below look for).
fn differences(sqlite: &SchemaDescription, postgres: &SchemaDescription) -> String {
    fn only_in(a: &str, b: &str) -> Vec<String> {
        let mut rest: Vec<&str> = b.lines().map(str::trim).collect();
        let mut out = Vec::new();
        for line in a.lines().map(str::trim) {
            match rest.iter().position(|l| *l == line) {
                Some(i) => {
                    rest.remove(i);
                }
                None => out.push(line.trim_end_matches(',').to_string()),
            }
        }
        out
    }
    let mut out = String::new();
    let mut names: Vec<&str> = sqlite
        .tables
        .iter()
        .chain(&postgres.tables)
        .map(|t| t.name.as_str())
        .collect();
    names.sort();
    names.dedup();
    for name in names {
        let find = |d: &SchemaDescription| {
            d.tables
                .iter()
                .find(|t| t.name == name)
                .map(|t| serde_json::to_string_pretty(t).unwrap_or_default())
        };
        match (find(sqlite), find(postgres)) {
            (Some(s), Some(p)) if s != p => {
                out.push_str(&format!(
                    "table {name}:\n  only on sqlite:   {:?}\n  only on postgres: {:?}\n",
                    only_in(&s, &p),
                    only_in(&p, &s)
                ));
            }
            (Some(_), None) => out.push_str(&format!("table {name}: only on sqlite\n")),
            (None, Some(_)) => out.push_str(&format!("table {name}: only on postgres\n")),
            _ => {}
        }
    }
    if sqlite.value_sets != postgres.value_sets {
        out.push_str(&format!(
            "value sets:\n  sqlite:   {:?}\n  postgres: {:?}\n",
            sqlite.value_sets, postgres.value_sets
        ));
    }
    out
}

#[test]
fn both_backends_describe_the_same_schema() {
    let sqlite = migrated(Backend::Sqlite);
    let postgres = migrated(Backend::Postgres);
    let s = nerve::describe_schema(&sqlite.url).expect("sqlite description");
    let p = nerve::describe_schema(&postgres.url).expect("postgres description");
    assert!(
        json(&s) == json(&p),
        "the schemas differ:\n{}",
        differences(&s, &p)
    );
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
    let s = nerve::describe_schema(&sqlite.url).unwrap();
    let p = nerve::describe_schema(&postgres.url).unwrap();
    assert_ne!(json(&s), json(&p));
    let diff = differences(&s, &p);
    assert!(
        diff.contains("table users:") && diff.contains("nickname"),
        "{diff}"
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
    let diff = differences(&nerve::describe_schema(&sqlite.url).unwrap(), &after);
    assert!(diff.contains("SET NULL"), "{diff}");
    assert!(
        diff.contains("deleted_at is null"),
        "the dropped predicate shows: {diff}"
    );
}

#[test]
fn expression_indexes_are_described_alike() {
    let dbs = [migrated(Backend::Sqlite), migrated(Backend::Postgres)];
    for db in &dbs {
        db.execute_raw("CREATE INDEX users_lower_name ON users (lower(full_name), id)")
            .expect("expression index");
    }
    let s = nerve::describe_schema(&dbs[0].url).expect("sqlite description");
    let p = nerve::describe_schema(&dbs[1].url).expect("postgres description");
    assert!(json(&s) == json(&p), "{}", differences(&s, &p));
    let users = s.tables.iter().find(|t| t.name == "users").expect("users");
    let index = users
        .indexes
        .iter()
        .find(|i| i.name == "users_lower_name")
        .expect("index");
    assert_eq!(index.columns, vec!["<expression>", "id"]);
}

#[test]
fn every_probe_of_every_table_fares_alike_on_both_backends() {
    let outcomes = |backend: Backend| {
        let db = migrated(backend);
        let store = nerve::connect(&db.url).unwrap_or_else(|e| panic!("[{backend}] {e}"));
        let schema = nerve::describe_schema(&db.url).expect("description");
        nerve_conformance::rows::round_trip_every_table(&*store, &schema)
            .unwrap_or_else(|e| panic!("[{backend}] {e}"))
    };
    let s = outcomes(Backend::Sqlite);
    let p = outcomes(Backend::Postgres);
    let differing: Vec<String> = s
        .iter()
        .zip(&p)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| {
            format!(
                "{}.{} = {}: sqlite {}, postgres {}",
                a.table, a.column, a.probe, a.result, b.result
            )
        })
        .collect();
    assert_eq!(s.len(), p.len(), "as many probes on both");
    assert!(
        differing.is_empty(),
        "the backends differ:\n{}",
        differing.join("\n")
    );
    // Not trivially alike: most probes are stored, and some are refused on both.
    let stored = s.iter().filter(|o| o.result == "ok").count();
    assert!(stored * 2 > s.len(), "{stored} of {} stored", s.len());
    assert!(s
        .iter()
        .any(|o| o.result.starts_with("Conflict(ForeignKey")));
    eprintln!(
        "{} probes, {stored} stored, the rest refused alike",
        s.len()
    );
}

#[test]
fn the_json_content_query_returns_the_same_rows_on_both_backends() {
    use nerve::model::{NewCachedScan, Page};
    use serde_json::json;
    let docs = [
        json!({"cves": [{"id": "CVE-2024-3094", "score": 10.0}]}),
        json!({"cves": [{"id": "CVE-2024-3094", "score": 10}], "ports": [22, 443]}),
        json!({"cves": "CVE-2024-3094"}),
        json!(["CVE-2024-3094"]),
        json!({"notes": {"cves": [{"id": "CVE-2024-3094"}]}}),
        json!({"cves": [{"id": "CVE-2023-1", "score": 9007199254740993_u64}]}),
        json!({"cves": [], "ünï": "CVE-2024-3094"}),
    ];
    let patterns = [
        json!({"cves": [{"id": "CVE-2024-3094"}]}),
        json!({"cves": [{"score": 10}]}),
        json!({"cves": [{"score": 9007199254740992.0}]}),
        json!("CVE-2024-3094"),
        json!({"ports": [443]}),
        json!({"cves": []}),
        json!({}),
    ];
    let answers = |backend: Backend| {
        let db = migrated(backend);
        let store = nerve::connect(&db.url).expect("open");
        for (i, doc) in docs.iter().enumerate() {
            store
                .attack_surface()
                .cache_scan(&NewCachedScan {
                    domain: format!("d{i}.test"),
                    scanned_at: None,
                    risk_score: None,
                    risk_level: None,
                    total_cves: None,
                    critical_cves: None,
                    vulnerabilities_found: None,
                    open_ports_count: None,
                    scan_results: Some(doc.clone()),
                    user_id: None,
                })
                .expect("cached");
        }
        patterns
            .iter()
            .map(|p| {
                store
                    .attack_surface()
                    .cached_scans_containing(p, Page::first(100))
                    .expect("query")
                    .into_iter()
                    .map(|s| s.domain)
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    };
    let (s, p) = (answers(Backend::Sqlite), answers(Backend::Postgres));
    assert_eq!(s, p);
    assert_eq!(s[0], vec!["d0.test", "d1.test"], "not trivially alike");
    assert!(s[2].is_empty(), "an integer and a double past 2^53 differ");
}

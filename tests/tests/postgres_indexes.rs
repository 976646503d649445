//! PostgreSQL's GIN indexes earn their cost: each serves a query of the contract, with the
//! operator class that query needs. SQLite has no GIN indexes (its content query prefilters
//! with `json_tree`), so this is PostgreSQL's own fact.

use diesel::prelude::*;
use diesel::sql_types::Text;
use nerve::model::Page;
use nerve::{Backend, MigrationPolicy, StoreOptions};
use nerve_conformance::TestDb;
use serde_json::json;

#[derive(QueryableByName, Debug, PartialEq)]
struct GinIndex {
    #[diesel(sql_type = Text)]
    table: String,
    #[diesel(sql_type = Text)]
    index: String,
    #[diesel(sql_type = Text)]
    opclass: String,
}

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = Text)]
    #[diesel(column_name = "QUERY PLAN")]
    line: String,
}

#[test]
fn the_one_gin_index_serves_the_content_query() {
    let db = TestDb::migrated(Backend::Postgres).expect("a PostgreSQL test database");
    let mut conn = PgConnection::establish(&db.url).expect("a direct connection");
    // Every GIN index of the schema, with its operator class.
    let gin: Vec<GinIndex> = diesel::sql_query(
        "SELECT t.relname::text AS table, ic.relname::text AS index, opc.opcname::text AS opclass \
           FROM pg_index i \
           JOIN pg_class ic ON ic.oid = i.indexrelid \
           JOIN pg_class t ON t.oid = i.indrelid \
           JOIN pg_am am ON am.oid = ic.relam \
           JOIN pg_opclass opc ON opc.oid = i.indclass[0] \
          WHERE am.amname = 'gin' AND t.relnamespace = 'public'::regnamespace \
          ORDER BY 2",
    )
    .load(&mut conn)
    .expect("the catalog");
    // Only containment is asked of it, which jsonb_path_ops answers with a smaller index.
    assert_eq!(
        gin,
        [GinIndex {
            table: "cached_asm_scans".into(),
            index: "cached_asm_scans_results_gin".into(),
            opclass: "jsonb_path_ops".into(),
        }]
    );

    let options = StoreOptions {
        migrations: MigrationPolicy::Require,
        password: nerve::PasswordParams::INSECURE_FOR_TESTS,
        ..StoreOptions::default()
    };
    let store = nerve::connect_with(&db.url, &options).expect("open the store");
    let scans: Vec<serde_json::Value> = (0..5_000)
        .map(|i| {
            json!({
                "domain": format!("host{i}.example"),
                "scan_results": {
                    "findings": [{"id": format!("CVE-2024-{i}"), "severity": "high"}],
                    "ports": [22, 443],
                },
                "updated_at": "2026-12-01T10:00:00Z",
                "is_active": true,
            })
        })
        .collect();
    assert_eq!(
        store
            .raw_rows()
            .batch_insert("cached_asm_scans", &scans)
            .expect("the scans"),
        5_000
    );
    // A table in its steady state: statistics read, and the GIN index's pending list (where
    // fresh entries wait) merged, as autovacuum does.
    diesel::sql_query("VACUUM ANALYZE cached_asm_scans")
        .execute(&mut conn)
        .expect("vacuum");
    let pattern = json!({"findings": [{"id": "CVE-2024-77"}]});
    let found = store
        .attack_surface()
        .cached_scans_containing(&pattern, Page::first(10))
        .expect("the content query");
    assert_eq!(
        found.iter().map(|s| s.domain.as_str()).collect::<Vec<_>>(),
        ["host77.example"]
    );
    // A statement of the same shape as the one nerve-diesel's cached_scans_containing sends
    // (live rows with results, after a keyset id, by containment, in id order, a batch at a
    // time), prepared with bound values, is planned on the index. The shape is copied here by
    // hand (the store's SQL is not reachable from a test): change both together.
    diesel::sql_query(
        "PREPARE content (bigint, jsonb, bigint) AS SELECT id FROM cached_asm_scans \
          WHERE deleted_at IS NULL AND scan_results IS NOT NULL AND id > $1 \
            AND scan_results @> $2 ORDER BY id LIMIT $3",
    )
    .execute(&mut conn)
    .expect("prepare");
    let plan: Vec<PlanLine> =
        diesel::sql_query(format!("EXPLAIN EXECUTE content (0, '{pattern}', 500)"))
            .load(&mut conn)
            .expect("the plan");
    let plan: Vec<String> = plan.into_iter().map(|l| l.line).collect();
    assert!(
        plan.iter()
            .any(|l| l.contains("Index Scan on cached_asm_scans_results_gin")),
        "the content query does not read cached_asm_scans_results_gin:\n{}",
        plan.join("\n")
    );
}

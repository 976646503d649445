//! docs/SCHEMA.md documents every table and column of the schema the migrations make.

use nerve::Backend;
use nerve_conformance::TestDb;

#[test]
fn every_table_and_column_is_documented() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/SCHEMA.md"))
        .expect("docs/SCHEMA.md");
    let db = TestDb::empty(Backend::Sqlite).expect("a SQLite database");
    nerve::migrate(&db.url).expect("migrate");
    let schema = nerve::describe_schema(&db.url).expect("describe");
    let mut missing = Vec::new();
    for table in &schema.tables {
        let heading = format!("\n## {}\n", table.name);
        let Some(start) = doc.find(&heading) else {
            missing.push(format!("table {}", table.name));
            continue;
        };
        let section = &doc[start + heading.len()..];
        let section = &section[..section.find("\n## ").unwrap_or(section.len())];
        for column in &table.columns {
            if !section.contains(&format!("| `{}` |", column.name)) {
                missing.push(format!("{}.{}", table.name, column.name));
            }
        }
    }
    for set in &schema.value_sets {
        if !doc.contains(&format!("- `{}`: {}", set.name, set.values.join(", "))) {
            missing.push(format!("value set {}", set.name));
        }
    }
    assert!(
        missing.is_empty(),
        "not documented in docs/SCHEMA.md: {missing:?}"
    );
}

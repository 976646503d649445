//! The schema description of a PostgreSQL database, read from `information_schema` and
//! `pg_catalog` for the `public` schema.

use crate::store::Conn;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text};
use nerve_core::model::schema::{normalize_default, normalize_predicate};
use nerve_core::model::{
    ColumnDescription, ForeignKeyDescription, IndexDescription, SchemaDescription,
    TableDescription, ValueSetDescription,
};
use nerve_core::Result;
use nerve_diesel::Op;

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct ColumnInfo {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    udt_name: String,
    #[diesel(sql_type = Bool)]
    nullable: bool,
    #[diesel(sql_type = Nullable<Text>)]
    dflt: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    max_length: Option<i64>,
}

#[derive(QueryableByName)]
struct Columns {
    #[diesel(sql_type = Array<Text>)]
    cols: Vec<String>,
}

#[derive(QueryableByName)]
struct ForeignKeyInfo {
    #[diesel(sql_type = Array<Text>)]
    cols: Vec<String>,
    #[diesel(sql_type = Text)]
    referenced: String,
    #[diesel(sql_type = Array<Text>)]
    referenced_cols: Vec<String>,
    #[diesel(sql_type = Text)]
    on_delete: String,
}

#[derive(QueryableByName)]
struct IndexInfo {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    uniq: bool,
    #[diesel(sql_type = Nullable<Text>)]
    pred: Option<String>,
    #[diesel(sql_type = Array<Text>)]
    cols: Vec<String>,
}

#[derive(QueryableByName)]
struct EnumInfo {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Array<Text>)]
    vals: Vec<String>,
}

/// The logical type of a column; `enums` are the ENUM types of the schema (other user-defined
/// types keep their own name). Each logical type names one PostgreSQL type whose binary form
/// `nerve copy` writes (`nerve_core::transfer::encode_copy`): `smallint` and single-precision
/// `real` and `json` have other binary forms than `integer`, `double precision` and `jsonb`,
/// and blank-padded `character` reads back other than it was written, so they keep names of
/// their own (`smallint`, `float4`, `json_text`, `character`), which the copy refuses by name
/// rather than mis-sending.
/// NERVE's schema uses none of them.
fn logical_type(c: &ColumnInfo, enums: &[ValueSetDescription]) -> String {
    match c.data_type.as_str() {
        "bigint" => "bigint".into(),
        "integer" => "integer".into(),
        "character varying" | "text" => "text".into(),
        "boolean" => "boolean".into(),
        "timestamp with time zone" => "timestamp".into(),
        "jsonb" => "json".into(),
        // PostgreSQL's `json` keeps the text as given and has another binary form.
        "json" => "json_text".into(),
        "double precision" => "real".into(),
        "real" => "float4".into(),
        "bytea" => "blob".into(),
        "USER-DEFINED" if enums.iter().any(|e| e.name == c.udt_name) => {
            format!("enum:{}", c.udt_name)
        }
        "USER-DEFINED" => c.udt_name.clone(),
        other => other.to_string(),
    }
}

fn on_delete(code: &str) -> String {
    match code {
        "r" => "RESTRICT",
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        _ => "NO ACTION",
    }
    .to_string()
}

/// The description of the database on `conn`.
pub(crate) fn describe(conn: &mut Conn) -> Result<SchemaDescription> {
    let op = Op::new("information_schema", "describe");
    let err = |e| op.error(e);
    let enums: Vec<ValueSetDescription> = diesel::sql_query(
        "SELECT t.typname::text AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS vals \
           FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid \
          WHERE t.typnamespace = current_schema()::regnamespace GROUP BY t.typname",
    )
    .load::<EnumInfo>(conn)
    .map_err(err)?
    .into_iter()
    .map(|e| ValueSetDescription {
        name: e.name,
        values: e.vals,
    })
    .collect();
    let mut tables: Vec<Name> = diesel::sql_query(
        "SELECT table_name::text AS name FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
           AND table_name <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .map_err(err)?;
    // Sorted by bytes in Rust, as on SQLite, not by the database's collation.
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = Vec::new();
    for table in tables {
        let name = table.name;
        let infos: Vec<ColumnInfo> = diesel::sql_query(
            "SELECT column_name::text AS name, data_type::text AS data_type, udt_name::text AS udt_name, \
                    is_nullable = 'YES' AS nullable, column_default::text AS dflt, \
                    character_maximum_length::bigint AS max_length \
               FROM information_schema.columns \
              WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind::<Text, _>(&name)
        .load(conn)
        .map_err(err)?;
        let columns = infos
            .iter()
            .map(|c| {
                let logical_type = logical_type(c, &enums);
                ColumnDescription {
                    name: c.name.clone(),
                    nullable: c.nullable,
                    default: c
                        .dflt
                        .as_deref()
                        .map(|d| normalize_default(d, logical_type == "boolean")),
                    max_length: c.max_length.and_then(|n| u32::try_from(n).ok()),
                    logical_type,
                }
            })
            .collect();
        let qualified = format!("\"{}\"", name.replace('"', "\"\""));
        let primary: Vec<Columns> = diesel::sql_query(
            "SELECT array_agg(a.attname::text ORDER BY k.ord) AS cols \
               FROM pg_index i \
               CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(att, ord) \
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.att \
              WHERE i.indrelid = $1::regclass AND i.indisprimary HAVING count(*) > 0",
        )
        .bind::<Text, _>(&qualified)
        .load(conn)
        .map_err(err)?;
        let mut unique: Vec<Vec<String>> = diesel::sql_query(
            "SELECT array_agg(a.attname::text ORDER BY k.ord) AS cols \
               FROM pg_constraint c \
               CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(att, ord) \
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.att \
              WHERE c.conrelid = $1::regclass AND c.contype = 'u' GROUP BY c.oid",
        )
        .bind::<Text, _>(&qualified)
        .load::<Columns>(conn)
        .map_err(err)?
        .into_iter()
        .map(|c| c.cols)
        .collect();
        unique.sort();
        let mut foreign_keys: Vec<ForeignKeyDescription> = diesel::sql_query(
            "SELECT array_agg(a.attname::text ORDER BY k.ord) AS cols, \
                    rt.relname::text AS referenced, \
                    array_agg(ra.attname::text ORDER BY k.ord) AS referenced_cols, \
                    c.confdeltype::text AS on_delete \
               FROM pg_constraint c \
               CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(att, ratt, ord) \
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.att \
               JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.ratt \
               JOIN pg_class rt ON rt.oid = c.confrelid \
              WHERE c.conrelid = $1::regclass AND c.contype = 'f' \
              GROUP BY c.oid, rt.relname, c.confdeltype",
        )
        .bind::<Text, _>(&qualified)
        .load::<ForeignKeyInfo>(conn)
        .map_err(err)?
        .into_iter()
        .map(|f| ForeignKeyDescription {
            columns: f.cols,
            references: f.referenced,
            referenced_columns: f.referenced_cols,
            on_delete: on_delete(&f.on_delete),
        })
        .collect();
        foreign_keys.sort();
        // B-tree indexes not backing this table's own primary key, unique or exclusion
        // constraint; a column that is an expression is `<expression>`, as on SQLite. Content
        // indexes (GIN on JSONB) have no SQLite counterpart: they are a capability
        // (`json_content_indexes`), not part of the description.
        let mut indexes: Vec<IndexDescription> = diesel::sql_query(
            "SELECT ic.relname::text AS name, i.indisunique AS uniq, \
                    pg_get_expr(i.indpred, i.indrelid) AS pred, \
                    ARRAY(SELECT coalesce(a.attname::text, '<expression>') \
                            FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(att, ord) \
                            LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.att \
                           ORDER BY k.ord) AS cols \
               FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
               JOIN pg_am am ON am.oid = ic.relam \
              WHERE i.indrelid = $1::regclass AND am.amname = 'btree' \
                AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid \
                                  AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x'))",
        )
        .bind::<Text, _>(&qualified)
        .load::<IndexInfo>(conn)
        .map_err(err)?
        .into_iter()
        .map(|i| IndexDescription {
            name: i.name,
            columns: i.cols,
            unique: i.uniq,
            predicate: i.pred.as_deref().map(normalize_predicate),
        })
        .collect();
        indexes.sort_by(|a, b| a.name.cmp(&b.name));
        out.push(TableDescription {
            name,
            columns,
            primary_key: primary
                .into_iter()
                .next()
                .map(|p| p.cols)
                .unwrap_or_default(),
            unique,
            foreign_keys,
            indexes,
        });
    }
    // The value sets a column uses, as on SQLite.
    let mut value_sets: Vec<ValueSetDescription> = enums
        .into_iter()
        .filter(|e| {
            let t = format!("enum:{}", e.name);
            out.iter()
                .any(|table| table.columns.iter().any(|c| c.logical_type == t))
        })
        .collect();
    value_sets.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(SchemaDescription {
        tables: out,
        value_sets,
    })
}

#[derive(QueryableByName)]
struct ConstraintRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Array<Text>)]
    cols: Vec<String>,
}

/// Every primary key, unique key and unique index (kind `p`, `u`) and foreign key (`f`) of the
/// tables in the current schema, by the name PostgreSQL reports in a violation (a unique
/// constraint's name is its index's). Columns in key order; an expression is `<expression>`,
/// as in [`describe`].
pub(crate) fn constraints(
    conn: &mut Conn,
) -> Result<Vec<nerve_diesel::constraints::ConstraintInfo>> {
    use nerve_core::Constraint;
    let rows: Vec<ConstraintRow> = diesel::sql_query(
        "SELECT t.relname::text AS table_name, ic.relname::text AS name, \
                CASE WHEN i.indisprimary THEN 'p' ELSE 'u' END AS kind, \
                ARRAY(SELECT coalesce(a.attname::text, '<expression>') \
                        FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(att, ord) \
                        LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.att \
                       WHERE k.ord <= i.indnkeyatts ORDER BY k.ord) AS cols \
           FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
           JOIN pg_class t ON t.oid = i.indrelid \
          WHERE i.indisunique AND t.relnamespace = current_schema()::regnamespace \
         UNION ALL \
         SELECT t.relname::text, c.conname::text, 'f', \
                ARRAY(SELECT a.attname::text \
                        FROM unnest(c.conkey) WITH ORDINALITY AS k(att, ord) \
                        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.att \
                       ORDER BY k.ord) \
           FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
          WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace",
    )
    .load(conn)
    .map_err(|e| Op::new("pg_constraint", "select").error(e))?;
    Ok(rows
        .into_iter()
        .map(|r| nerve_diesel::constraints::ConstraintInfo {
            table: r.table_name,
            name: Some(r.name),
            kind: match r.kind.as_str() {
                "p" => Constraint::PrimaryKey,
                "u" => Constraint::Unique,
                _ => Constraint::ForeignKey,
            },
            columns: r.cols,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(data_type: &str, udt_name: &str) -> ColumnInfo {
        ColumnInfo {
            name: "c".into(),
            data_type: data_type.into(),
            udt_name: udt_name.into(),
            nullable: true,
            dflt: None,
            max_length: None,
        }
    }

    /// Only a type whose binary form `nerve copy` writes gets a logical type the copy knows;
    /// the others keep their own name, which the copy refuses.
    #[test]
    fn logical_types_name_the_binary_form() {
        let sets = [ValueSetDescription {
            name: "severity".into(),
            values: vec!["low".into()],
        }];
        for (data_type, udt, logical) in [
            ("bigint", "int8", "bigint"),
            ("integer", "int4", "integer"),
            ("smallint", "int2", "smallint"),
            ("double precision", "float8", "real"),
            ("real", "float4", "float4"),
            ("character varying", "varchar", "text"),
            ("text", "text", "text"),
            ("character", "bpchar", "character"),
            ("jsonb", "jsonb", "json"),
            ("json", "json", "json_text"),
            ("USER-DEFINED", "severity", "enum:severity"),
            ("USER-DEFINED", "citext", "citext"),
        ] {
            assert_eq!(
                logical_type(&column(data_type, udt), &sets),
                logical,
                "{data_type}"
            );
        }
    }
}

//! The schema description of a PostgreSQL database, read from `information_schema` and
//! `pg_catalog` for the `public` schema.

use crate::store::Conn;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
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
    #[diesel(sql_type = Text)]
    cols: String,
}

#[derive(QueryableByName)]
struct ForeignKeyInfo {
    #[diesel(sql_type = Text)]
    cols: String,
    #[diesel(sql_type = Text)]
    referenced: String,
    #[diesel(sql_type = Text)]
    referenced_cols: String,
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
    #[diesel(sql_type = Text)]
    cols: String,
}

#[derive(QueryableByName)]
struct EnumInfo {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    vals: String,
}

fn split(cols: &str) -> Vec<String> {
    cols.split(',').map(str::to_string).collect()
}

fn logical_type(c: &ColumnInfo) -> String {
    match c.data_type.as_str() {
        "bigint" => "bigint".into(),
        "integer" | "smallint" => "integer".into(),
        "character varying" | "text" | "character" => "text".into(),
        "boolean" => "boolean".into(),
        "timestamp with time zone" => "timestamp".into(),
        "jsonb" => "json".into(),
        "double precision" | "real" => "real".into(),
        "bytea" => "blob".into(),
        "USER-DEFINED" => format!("enum:{}", c.udt_name),
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
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT table_name::text AS name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
           AND table_name <> '__diesel_schema_migrations' ORDER BY 1",
    )
    .load(conn)
    .map_err(err)?;
    let mut out = Vec::new();
    for table in tables {
        let name = table.name;
        let infos: Vec<ColumnInfo> = diesel::sql_query(
            "SELECT column_name::text AS name, data_type::text AS data_type, udt_name::text AS udt_name, \
                    is_nullable = 'YES' AS nullable, column_default::text AS dflt, \
                    character_maximum_length::bigint AS max_length \
               FROM information_schema.columns \
              WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind::<Text, _>(&name)
        .load(conn)
        .map_err(err)?;
        let columns = infos
            .iter()
            .map(|c| {
                let logical_type = logical_type(c);
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
        let qualified = format!("public.\"{}\"", name.replace('"', "\"\""));
        let primary: Vec<Columns> = diesel::sql_query(
            "SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) AS cols \
               FROM pg_index i \
               CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(att, ord) \
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.att \
              WHERE i.indrelid = $1::regclass AND i.indisprimary HAVING count(*) > 0",
        )
        .bind::<Text, _>(&qualified)
        .load(conn)
        .map_err(err)?;
        let mut unique: Vec<Vec<String>> = diesel::sql_query(
            "SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) AS cols \
               FROM pg_constraint c \
               CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(att, ord) \
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.att \
              WHERE c.conrelid = $1::regclass AND c.contype = 'u' GROUP BY c.oid",
        )
        .bind::<Text, _>(&qualified)
        .load::<Columns>(conn)
        .map_err(err)?
        .into_iter()
        .map(|c| split(&c.cols))
        .collect();
        unique.sort();
        let mut foreign_keys: Vec<ForeignKeyDescription> = diesel::sql_query(
            "SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) AS cols, \
                    rt.relname::text AS referenced, \
                    string_agg(ra.attname::text, ',' ORDER BY k.ord) AS referenced_cols, \
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
            columns: split(&f.cols),
            references: f.referenced,
            referenced_columns: split(&f.referenced_cols),
            on_delete: on_delete(&f.on_delete),
        })
        .collect();
        foreign_keys.sort();
        let indexes = diesel::sql_query(
            "SELECT ic.relname::text AS name, i.indisunique AS uniq, \
                    pg_get_expr(i.indpred, i.indrelid) AS pred, \
                    (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) \
                       FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(att, ord) \
                       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.att) AS cols \
               FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
              WHERE i.indrelid = $1::regclass \
                AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) \
              ORDER BY 1",
        )
        .bind::<Text, _>(&qualified)
        .load::<IndexInfo>(conn)
        .map_err(err)?
        .into_iter()
        .map(|i| IndexDescription {
            name: i.name,
            columns: split(&i.cols),
            unique: i.uniq,
            predicate: i.pred.as_deref().map(normalize_predicate),
        })
        .collect();
        out.push(TableDescription {
            name,
            columns,
            primary_key: primary.first().map(|p| split(&p.cols)).unwrap_or_default(),
            unique,
            foreign_keys,
            indexes,
        });
    }
    let value_sets = diesel::sql_query(
        "SELECT t.typname::text AS name, string_agg(e.enumlabel::text, ',' ORDER BY e.enumsortorder) AS vals \
           FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid \
          WHERE t.typnamespace = 'public'::regnamespace GROUP BY t.typname ORDER BY 1",
    )
    .load::<EnumInfo>(conn)
    .map_err(err)?
    .into_iter()
    .map(|e| ValueSetDescription {
        name: e.name,
        values: split(&e.vals),
    })
    .collect();
    Ok(SchemaDescription {
        tables: out,
        value_sets,
    })
}

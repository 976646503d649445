//! A constraint violation names the constraint the database reported — its table, its
//! columns and, where the backend names it, its name — never a guess from the operation.

use super::company;
use nerve::{Backend, Constraint, Error};
use nerve_conformance::rows::Write;
use nerve_conformance::{assert_err, CaseResult, Ctx};

/// What a probe's conflict should name: (field, name), where `None` for the name means "none"
/// and `Some("")` means "any".
fn expected<'a>(
    ctx: &Ctx,
    probe: &'a nerve_conformance::rows::KeyProbe,
    pk_name: &'a str,
) -> (&'a str, Option<&'a str>) {
    let details = ctx.store.capabilities().foreign_key_details;
    match (probe.kind, probe.index.as_deref(), ctx.backend) {
        (Constraint::ForeignKey, _, _) if !details => ("-", None),
        // A unique index has the same name on both backends.
        (_, Some(index), _) => (&probe.columns, Some(index)),
        (Constraint::PrimaryKey, _, Backend::Postgres) => (&probe.columns, Some(pk_name)),
        (_, _, Backend::Postgres) => (&probe.columns, Some("")),
        // SQLite names neither rowid primary keys nor UNIQUE clauses.
        _ => (&probe.columns, None),
    }
}

pub fn every_key_violation_names_its_key(ctx: &Ctx) -> CaseResult {
    key_violations_name_their_keys(ctx, Write::One)
}

/// The same keys broken by `batch_insert` (on PostgreSQL a COPY): the same errors.
pub fn every_key_violation_in_a_batch_names_its_key(ctx: &Ctx) -> CaseResult {
    key_violations_name_their_keys(ctx, Write::Batch)
}

fn key_violations_name_their_keys(ctx: &Ctx, write: Write) -> CaseResult {
    let schema = nerve::describe_schema(ctx.url())?;
    let probes = nerve_conformance::rows::break_every_key(&*ctx.store, &schema, write)?;
    let mut wrong = Vec::new();
    for p in &probes {
        let pk_name = format!("{}_pkey", p.table);
        let (want_field, want_name) = expected(ctx, p, &pk_name);
        let ok = match &p.result {
            Err(Error::Conflict {
                table,
                field,
                constraint,
                name,
                ..
            }) => {
                *table == p.table
                    && *field == want_field
                    && *constraint == p.kind
                    && match (want_name, name) {
                        (Some(""), Some(_)) | (None, None) => true,
                        (Some(want), Some(got)) => want == *got,
                        _ => false,
                    }
            }
            _ => false,
        };
        if !ok {
            wrong.push(format!(
                "{} {:?} ({}): expected field {want_field:?}, name {want_name:?}; got {:?}",
                p.table, p.kind, p.columns, p.result
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let count = |kind| probes.iter().filter(|p| p.kind == kind).count();
    // Every table but the one RawRows refuses has a primary key; the schema has 20 unique
    // keys (11 UNIQUE clauses, 9 unique indexes) and more than 80 foreign keys.
    assert_eq!(count(Constraint::PrimaryKey), schema.tables.len() - 1);
    assert_eq!(count(Constraint::Unique), 20);
    assert!(
        count(Constraint::ForeignKey) > 80,
        "{}",
        count(Constraint::ForeignKey)
    );
    eprintln!(
        "{} ({write:?}): {} primary keys, {} unique keys, {} foreign keys broken; each named as reported",
        ctx.backend,
        count(Constraint::PrimaryKey),
        count(Constraint::Unique),
        count(Constraint::ForeignKey)
    );
    Ok(())
}

pub fn a_create_behind_loaded_ids_names_the_primary_key(ctx: &Ctx) -> CaseResult {
    // Rows loaded with explicit ids by another program, which did not move the identity.
    ctx.execute_raw(
        "INSERT INTO companies (id, name, created_at, updated_at, is_active) \
         VALUES (1, 'loaded', '2026-01-02 03:04:05', '2026-01-02 03:04:05', TRUE)",
    )?;
    let created = company(&*ctx.store, "Acme", Some("acme.example"));
    match ctx.backend {
        Backend::Postgres => {
            let message = created.as_ref().err().map(ToString::to_string);
            assert_err!(
                created,
                Error::Conflict {
                    table: "companies",
                    field: "id",
                    constraint: Constraint::PrimaryKey,
                    name: Some("companies_pkey"),
                    ..
                }
            );
            let message = message.unwrap_or_default();
            assert!(
                message.starts_with("companies.id: primary key constraint companies_pkey: "),
                "{message}"
            );
        }
        // A SQLite id is a rowid: a new one is past the largest, so none is ever behind.
        Backend::Sqlite => assert_eq!(created?.id, 2),
    }
    Ok(())
}

//! Implements [`CompanyStore`](nerve_core::CompanyStore) for [`Scope`]
//! against the `companies` table of `crate::schema`.

use super::Scope;
use crate::schema::companies;
use crate::schema::rows::CompaniesRow;
use nerve_diesel::diesel::prelude::*;
use nerve_diesel::limits;
use nerve_diesel::nerve_core::model::{Company, CompanyUpdate, Deleted, NewCompany, Page};
use nerve_diesel::nerve_core::validate::{required_text, validate_domain};
use nerve_diesel::nerve_core::{Error, Field, Result};
use nerve_diesel::Op;
use nerve_diesel::WriteTs;

const TABLE: &str = "companies";
const NAME: Field = Field::new(TABLE, "name");
const DOMAIN: Field = Field::new(TABLE, "domain");

#[derive(AsChangeset)]
#[diesel(table_name = companies)]
struct Changes<'a> {
    name: Option<&'a str>,
    domain: Option<Option<&'a str>>,
    updated_at: WriteTs,
}

fn not_found(id: i64) -> Error {
    Error::not_found(TABLE, format!("id={id}"))
}

fn domain_of(d: Option<&str>) -> Result<Option<String>> {
    d.map(|d| validate_domain(DOMAIN, d)).transpose()
}

impl nerve_diesel::nerve_core::CompanyStore for Scope<'_> {
    fn create(&self, new: &NewCompany) -> Result<Company> {
        let name = required_text(NAME, &new.name, limits::companies::name)?;
        let domain = domain_of(new.domain.as_deref())?;
        let now = self.env().now();
        self.write_one(nerve_diesel::op_name!(), TABLE, |conn| {
            let insert = nerve_diesel::diesel::insert_into(companies::table)
                .values((
                    companies::name.eq(name),
                    companies::domain.eq(domain.as_deref()),
                    companies::created_at.eq(WriteTs(now)),
                    companies::updated_at.eq(WriteTs(now)),
                    companies::is_active.eq(true),
                ))
                .returning(companies::all_columns);
            // An INSERT gives its row, as `get_result` would require.
            nerve_diesel::lone_write::returned_row::<_, CompaniesRow, _>(insert, conn)
                .and_then(|row| row.ok_or(nerve_diesel::diesel::result::Error::NotFound))
                .map(Company::from)
                .map_err(|e| Op::new(TABLE, "insert").error(e))
        })
    }

    fn get(&self, id: i64) -> Result<Company> {
        self.read(nerve_diesel::op_name!(), |conn| {
            companies::table
                .filter(companies::id.eq(id))
                .filter(companies::deleted_at.is_null())
                .select(companies::all_columns)
                .first::<CompaniesRow>(conn)
                .optional()
                .map_err(|e| Op::new(TABLE, "select").error(e))?
                .map(Company::from)
                .ok_or_else(|| not_found(id))
        })
    }

    fn find_by_domain(&self, domain: &str) -> Result<Company> {
        let domain = validate_domain(DOMAIN, domain)?;
        self.read(nerve_diesel::op_name!(), |conn| {
            companies::table
                .filter(companies::domain.eq(&domain))
                .filter(companies::deleted_at.is_null())
                .select(companies::all_columns)
                .first::<CompaniesRow>(conn)
                .optional()
                .map_err(|e| Op::new(TABLE, "select").error(e))?
                .map(Company::from)
                .ok_or_else(|| Error::not_found(TABLE, format!("domain={domain}")))
        })
    }

    fn list(&self, page: Page, deleted: Deleted) -> Result<Vec<Company>> {
        let page = page.checked(TABLE)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            let q = companies::table
                .filter(companies::id.gt(page.after_id()))
                .order(companies::id.asc())
                .limit(i64::from(page.limit))
                .select(companies::all_columns);
            nerve_diesel::load_by_deleted!(companies, q, deleted, CompaniesRow, conn)
                .map(|rows| rows.into_iter().map(Company::from).collect())
                .map_err(|e| Op::new(TABLE, "select").error(e))
        })
    }

    fn count(&self, deleted: Deleted) -> Result<u64> {
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            let q = companies::table.count().into_boxed();
            nerve_diesel::filter_deleted!(companies, q, deleted)
                .get_result::<i64>(conn)
                .map(|n| n.max(0) as u64)
                .map_err(|e| Op::new(TABLE, "count").error(e))
        })
    }

    fn update(&self, id: i64, changes: &CompanyUpdate) -> Result<Company> {
        let name = changes
            .name
            .as_deref()
            .map(|n| required_text(NAME, n, limits::companies::name))
            .transpose()?;
        let domain = changes
            .domain
            .as_ref()
            .map(|d| domain_of(d.as_deref()))
            .transpose()?;
        let set = Changes {
            name,
            domain: domain.as_ref().map(|d| d.as_deref()),
            updated_at: WriteTs(self.env().now()),
        };
        self.write_one(nerve_diesel::op_name!(), TABLE, |conn| {
            let update = nerve_diesel::cached::CacheBySql(
                nerve_diesel::diesel::update(
                    companies::table
                        .filter(companies::id.eq(id))
                        .filter(companies::deleted_at.is_null()),
                )
                .set(&set)
                .returning(companies::all_columns),
            );
            nerve_diesel::lone_write::returned_row::<_, CompaniesRow, _>(update, conn)
                .map_err(|e| Op::new(TABLE, "update").error(e))?
                .map(Company::from)
                .ok_or_else(|| not_found(id))
        })
    }

    fn soft_delete(&self, id: i64) -> Result<()> {
        let now = self.env().now();
        self.write_one(nerve_diesel::op_name!(), TABLE, |conn| {
            let n = nerve_diesel::cached::update(
                companies::table
                    .filter(companies::id.eq(id))
                    .filter(companies::deleted_at.is_null()),
            )
            .set(nerve_diesel::set_deleted!(companies, now))
            .execute(conn)
            .map_err(|e| Op::new(TABLE, "soft delete").error(e))?;
            if n == 0 {
                return Err(not_found(id));
            }
            Ok(())
        })
    }

    fn restore(&self, id: i64) -> Result<Company> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), TABLE, |conn| {
            nerve_diesel::cached::update(
                companies::table
                    .filter(companies::id.eq(id))
                    .filter(companies::deleted_at.is_not_null()),
            )
            .set(nerve_diesel::set_restored!(companies, now))
            .execute(conn)
            .map_err(|e| Op::new(TABLE, "restore").error(e))?;
            companies::table
                .filter(companies::id.eq(id))
                .select(companies::all_columns)
                .first::<CompaniesRow>(conn)
                .optional()
                .map_err(|e| Op::new(TABLE, "select").error(e))?
                .map(Company::from)
                .ok_or_else(|| not_found(id))
        })
    }
}

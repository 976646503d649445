//! Implements [`BaitStore`](nerve_core::BaitStore) for [`Scope`] against the `bait_tokens`
//! and `bait_accesses` tables. Security events are written with the helpers of `accounts`.

use super::accounts::{check_event, insert_event, live_company, live_user_of_company};
use super::{Conn, Db, Scope};
use crate::schema::rows::{BaitAccessesRow, BaitTokensRow};
use crate::schema::{bait_accesses, bait_tokens};
use nerve_diesel::diesel::prelude::*;
use nerve_diesel::limits;
use nerve_diesel::nerve_core::model::{
    BaitAccess, BaitToken, Deleted, NewBaitAccess, NewBaitToken, NewSecurityEvent, Page,
    RecordedAccess, SecurityEventType, Severity,
};
use nerve_diesel::nerve_core::validate::{
    json_document, optional_text, required_text, validate_ip_address,
};
use nerve_diesel::nerve_core::{Error, Field, Result};
use nerve_diesel::Op;
use nerve_diesel::WriteTs;

const TOKENS: &str = "bait_tokens";
const ACCESSES: &str = "bait_accesses";

fn not_found(company_id: i64, id: i64) -> Error {
    Error::not_found(TOKENS, format!("company_id={company_id}, id={id}"))
}

/// The token `id` of the live company `company_id`, active or not.
fn token_of(conn: &mut Conn, company_id: i64, id: i64) -> Result<BaitTokensRow> {
    live_company(conn, company_id)?;
    bait_tokens::table
        .filter(bait_tokens::id.eq(id))
        .filter(bait_tokens::company_id.eq(company_id))
        .select(bait_tokens::all_columns)
        .first::<BaitTokensRow>(conn)
        .optional()
        .map_err(|e| Op::new(TOKENS, "select").error(e))?
        .ok_or_else(|| not_found(company_id, id))
}

impl nerve_diesel::nerve_core::BaitStore for Scope<'_> {
    fn create_token(&self, company_id: i64, new: &NewBaitToken) -> Result<BaitToken> {
        let value = required_text(
            Field::new(TOKENS, "token_value"),
            &new.token_value,
            limits::bait_tokens::token_value,
        )?;
        let label = required_text(
            Field::new(TOKENS, "label"),
            &new.label,
            limits::bait_tokens::label,
        )?;
        let description = optional_text(
            Field::new(TOKENS, "description"),
            new.description.as_deref(),
            2000,
        )?;
        if let Some(m) = &new.metadata {
            json_document(Field::new(TOKENS, "metadata"), m)?;
        }
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), TOKENS, |conn| {
            live_company(conn, company_id)?;
            if let Some(user_id) = new.user_id {
                live_user_of_company(conn, company_id, user_id)?;
            }
            nerve_diesel::diesel::insert_into(bait_tokens::table)
                .values((
                    bait_tokens::company_id.eq(company_id),
                    bait_tokens::user_id.eq(new.user_id),
                    bait_tokens::token_type.eq(Db(new.token_type)),
                    bait_tokens::token_value.eq(value),
                    bait_tokens::label.eq(label),
                    bait_tokens::description.eq(description),
                    bait_tokens::access_count.eq(0_i64),
                    bait_tokens::metadata.eq(new.metadata.as_ref()),
                    bait_tokens::created_at.eq(WriteTs(now)),
                    bait_tokens::updated_at.eq(WriteTs(now)),
                    bait_tokens::is_active.eq(true),
                ))
                .returning(bait_tokens::all_columns)
                .get_result::<BaitTokensRow>(conn)
                .map(BaitToken::from)
                .map_err(|e| Op::new(TOKENS, "insert").error(e))
        })
    }

    fn get_token(&self, company_id: i64, id: i64) -> Result<BaitToken> {
        self.read(nerve_diesel::op_name!(), |conn| {
            let row = token_of(conn, company_id, id)?;
            if row.deleted_at.is_some() {
                return Err(not_found(company_id, id));
            }
            Ok(BaitToken::from(row))
        })
    }

    fn list_tokens(&self, company_id: i64, page: Page, deleted: Deleted) -> Result<Vec<BaitToken>> {
        let page = page.checked(TOKENS)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            live_company(conn, company_id)?;
            let q = bait_tokens::table
                .filter(bait_tokens::company_id.eq(company_id))
                .filter(bait_tokens::id.gt(page.after_id()))
                .order(bait_tokens::id.asc())
                .limit(i64::from(page.limit))
                .select(bait_tokens::all_columns);
            nerve_diesel::load_by_deleted!(bait_tokens, q, deleted, BaitTokensRow, conn)
                .map(|rows| rows.into_iter().map(BaitToken::from).collect())
                .map_err(|e| Op::new(TOKENS, "select").error(e))
        })
    }

    fn deactivate(&self, company_id: i64, id: i64) -> Result<()> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), TOKENS, |conn| {
            live_company(conn, company_id)?;
            nerve_diesel::soft_delete_owned!(conn, bait_tokens, company_id, id, now, TOKENS)
        })
    }

    fn reactivate(&self, company_id: i64, id: i64) -> Result<BaitToken> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), TOKENS, |conn| {
            live_company(conn, company_id)?;
            nerve_diesel::cached::update(
                bait_tokens::table
                    .filter(bait_tokens::id.eq(id))
                    .filter(bait_tokens::company_id.eq(company_id))
                    .filter(bait_tokens::deleted_at.is_not_null()),
            )
            .set(nerve_diesel::set_restored!(bait_tokens, now))
            .execute(conn)
            .map_err(|e| Op::new(TOKENS, "reactivate").error(e))?;
            token_of(conn, company_id, id).map(BaitToken::from)
        })
    }

    fn record_access(&self, token_value: &str, access: &NewBaitAccess) -> Result<RecordedAccess> {
        // The value comes from whoever used the token: one no token can have is
        // unknown on every backend alike (PostgreSQL cannot even compare U+0000).
        if token_value.is_empty()
            || token_value.chars().count() > limits::bait_tokens::token_value
            || token_value.contains('\0')
        {
            return Err(Error::not_found(TOKENS, "token_value"));
        }
        let ip = access
            .ip_address
            .as_deref()
            .map(|ip| validate_ip_address(Field::new(ACCESSES, "ip_address"), ip))
            .transpose()?;
        let agent = optional_text(
            Field::new(ACCESSES, "user_agent"),
            access.user_agent.as_deref(),
            limits::bait_accesses::user_agent,
        )?;
        let location = optional_text(
            Field::new(ACCESSES, "location"),
            access.location.as_deref(),
            limits::bait_accesses::location,
        )?;
        if let Some(raw) = &access.raw_request {
            json_document(Field::new(ACCESSES, "raw_request"), raw)?;
        }
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), ACCESSES, |conn| {
            // The counter moves with the access: one row update, inside the
            // transaction, so concurrent accesses are all counted.
            let token: BaitTokensRow = nerve_diesel::cached::CacheBySql(
                nerve_diesel::diesel::update(
                    bait_tokens::table.filter(bait_tokens::token_value.eq(token_value)),
                )
                .set((
                    bait_tokens::access_count.eq(bait_tokens::access_count + 1_i64),
                    bait_tokens::last_accessed_at.eq(WriteTs(now)),
                    bait_tokens::updated_at.eq(WriteTs(now)),
                ))
                .returning(bait_tokens::all_columns),
            )
            .get_result::<BaitTokensRow>(conn)
            .optional()
            .map_err(|e| Op::new(TOKENS, "update").error(e))?
            .ok_or_else(|| Error::not_found(TOKENS, "token_value"))?;
            let active = token.deleted_at.is_none();
            let recorded: BaitAccessesRow = nerve_diesel::diesel::insert_into(bait_accesses::table)
                .values((
                    bait_accesses::token_id.eq(token.id),
                    bait_accesses::company_id.eq(token.company_id),
                    bait_accesses::ip_address.eq(ip.as_deref()),
                    bait_accesses::user_agent.eq(agent),
                    bait_accesses::location.eq(location),
                    bait_accesses::raw_request.eq(access.raw_request.as_ref()),
                    bait_accesses::token_was_active.eq(active),
                    bait_accesses::accessed_at.eq(WriteTs(now)),
                ))
                .returning(bait_accesses::all_columns)
                .get_result::<BaitAccessesRow>(conn)
                .map_err(|e| Op::new(ACCESSES, "insert").error(e))?;
            let mut event = NewSecurityEvent::new(
                SecurityEventType::HoneytokenAccess,
                if active {
                    Severity::Critical
                } else {
                    Severity::High
                },
                format!(
                    "honeytoken '{}' ({}) was used{}",
                    token.label,
                    token.token_type,
                    if active {
                        ""
                    } else {
                        " after it was deactivated"
                    }
                ),
            );
            event.company_id = Some(token.company_id);
            event.ip_address = ip.clone();
            event.user_agent = agent.map(str::to_string);
            event.location = location.map(str::to_string);
            event.metadata = Some(nerve_diesel::serde_json::json!({
                "token_id": token.id,
                "token_type": token.token_type,
                "access_id": recorded.id,
                "token_was_active": active,
            }));
            let ip = check_event(&event)?;
            let event = insert_event(conn, &event, ip.as_deref(), now)?;
            Ok(RecordedAccess {
                access: BaitAccess::from(recorded),
                token: BaitToken::from(token),
                event,
            })
        })
    }

    fn list_accesses(&self, company_id: i64, token_id: i64, page: Page) -> Result<Vec<BaitAccess>> {
        let page = page.checked(ACCESSES)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            token_of(conn, company_id, token_id)?;
            bait_accesses::table
                .filter(bait_accesses::token_id.eq(token_id))
                .filter(bait_accesses::id.lt(page.before_id()))
                .order(bait_accesses::id.desc())
                .limit(i64::from(page.limit))
                .select(bait_accesses::all_columns)
                .load::<BaitAccessesRow>(conn)
                .map(|rows| rows.into_iter().map(BaitAccess::from).collect())
                .map_err(|e| Op::new(ACCESSES, "select").error(e))
        })
    }
}

//! The per-table store macros, one file per domain; each driver expands them against its
//! own schema.

mod accounts;
mod attack_surface;
mod bait;
mod companies;
mod compliance;
mod ghost;
mod osint;
mod roadmap;
mod uploads;
mod users;

/// Every domain store of the contract for a driver: the value-set mappings for backend `$db`
/// and the stores expanded against the `schema` module path given. A driver expands this once
/// after [`define_scope!`](crate::define_scope), so a new domain is added here, not in each
/// driver.
#[macro_export]
macro_rules! all_stores {
    (db = $db:ty, schema = $($schema:ident)::+) => {
        $crate::value_sets!(impls $db, $($schema)::+::sql_types);
        $crate::company_store!(schema = $($schema)::+);
        $crate::user_store!(schema = $($schema)::+);
        $crate::account_stores!(schema = $($schema)::+);
        $crate::attack_surface_store!(schema = $($schema)::+);
        $crate::bait_store!(schema = $($schema)::+);
        $crate::ghost_store!(schema = $($schema)::+);
        $crate::osint_store!(schema = $($schema)::+);
        $crate::upload_store!(schema = $($schema)::+);
        $crate::compliance_store!(schema = $($schema)::+);
        $crate::roadmap_store!(schema = $($schema)::+);

        impl $crate::nerve_core::RawRows for Scope<'_> {
            fn insert(
                &self,
                table: &str,
                row: &$crate::serde_json::Value,
            ) -> $crate::nerve_core::Result<$crate::serde_json::Value> {
                self.write("-", |conn| $($schema)::+::rows::insert_json(conn, table, row))
            }

            fn get(&self, table: &str, id: i64) -> $crate::nerve_core::Result<$crate::serde_json::Value> {
                self.read(|conn| $($schema)::+::rows::get_json(conn, table, id))
            }
        }
    };
}

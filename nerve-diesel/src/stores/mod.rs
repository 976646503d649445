//! The per-table store macros, one file per domain; each driver expands them against its
//! own schema.

mod accounts;
mod companies;
mod users;

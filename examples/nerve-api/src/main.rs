//! `nerve-api`: serves the example NERVE backend of this crate's library.
//!
//! - `DATABASE_URL` (required): the database, of a driver compiled in by Cargo feature;
//!   migrations are applied at start.
//! - `NERVE_API_ADDR`: where to listen (default `127.0.0.1:3000`; port 0 picks a free one).
//!
//! Prints `listening on http://ADDR` once it accepts connections; a failure to start is one
//! line on standard error and exit status 1.

use nerve::async_store::AsyncStore;
use nerve::{MigrationPolicy, StoreOptions};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("nerve-api: error: {reason}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set".to_string())?;
    let addr = std::env::var("NERVE_API_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let options = StoreOptions {
        migrations: MigrationPolicy::Apply,
        ..StoreOptions::default()
    };
    let store = AsyncStore::connect(&url, &options)
        .await
        .map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("{addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening on http://{bound}");
    tokio::select! {
        served = nerve_api::serve(listener, store) => served.map_err(|e| e.to_string()),
        _ = tokio::signal::ctrl_c() => Ok(()),
    }
}

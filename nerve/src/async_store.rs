//! [`AsyncStore`]: the storage contract for async services (Cargo feature `tokio`).
//!
//! The store is synchronous (Diesel and r2d2 are). An `AsyncStore` runs each call on tokio's
//! blocking thread pool, at most as many at once as the store has connections: callers past
//! that wait in the async world, on a semaphore, instead of parking blocking threads on the
//! pool's checkout.
//!
//! ```no_run
//! # async fn example() -> nerve::Result<()> {
//! use nerve::async_store::AsyncStore;
//! use nerve::model::{NewCompany, NewUser, Role};
//! use nerve::{MigrationPolicy, StoreOptions};
//!
//! let options = StoreOptions { migrations: MigrationPolicy::Apply, ..Default::default() };
//! let store = AsyncStore::connect("sqlite://data/nerve.db", &options).await?;
//! // One call: the closure gets the synchronous store, on a blocking thread.
//! let acme = store
//!     .call(|s| s.companies().create(&NewCompany { name: "ACME".into(), domain: None }))
//!     .await?;
//! // Several calls in one transaction: all or nothing, even if this future is dropped.
//! let owner = store
//!     .transaction(move |tx| {
//!         let owner = tx.users().create(acme.id, &NewUser {
//!             email: "ada@acme.example".into(),
//!             password: "correct horse battery".into(),
//!             full_name: None,
//!             role: Role::Owner,
//!         })?;
//!         tx.companies().get(acme.id)?;
//!         Ok(owner)
//!     })
//!     .await?;
//! # let _ = owner;
//! # Ok(())
//! # }
//! ```
//!
//! # Cancellation
//!
//! Dropping a future of [`AsyncStore::call`] or [`AsyncStore::transaction`] never leaves work
//! half done:
//! - dropped while it waits for a permit, nothing of it runs;
//! - dropped once its closure has started, the closure runs to its end on the blocking thread
//!   — a transaction commits or rolls back whole, as it would have — and its result is
//!   discarded. Its permit is held until then, so the bound holds for abandoned work too.

use crate::{Error, Repos, Result, Store, StoreExt, StoreOptions};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// A store for async code: each call runs on tokio's blocking pool, at most
/// [`permits`](Self::permits) at once. Cheap to clone (every clone shares the store and the
/// bound). Must be used inside a tokio runtime.
#[derive(Clone)]
pub struct AsyncStore {
    store: Arc<dyn Store>,
    permits: Arc<Semaphore>,
    size: usize,
}

impl std::fmt::Debug for AsyncStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncStore")
            .field("backend", &self.store.backend())
            .field("permits", &self.size)
            .field("available", &self.permits.available_permits())
            .finish()
    }
}

impl AsyncStore {
    /// Opens the store at `url` (as [`crate::connect_with`], on a blocking thread), bounded
    /// by its pool: `options.max_connections` calls at once (1 for `sqlite::memory:`).
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<AsyncStore> {
        let (url, options) = (url.to_string(), options.clone());
        let size = options.max_connections.max(1) as usize;
        let store = run_blocking(move || crate::connect_with(&url, &options)).await?;
        let size = if store.capabilities().in_memory {
            1
        } else {
            size
        };
        Ok(AsyncStore::new(Arc::from(store), size))
    }

    /// Wraps a store opened otherwise, allowing `permits` calls at once (at least 1); give it
    /// the store's pool size, so that no call waits on a blocking thread for a connection.
    pub fn new(store: Arc<dyn Store>, permits: usize) -> AsyncStore {
        let size = permits.max(1);
        AsyncStore {
            store,
            permits: Arc::new(Semaphore::new(size)),
            size,
        }
    }

    /// Runs `f` with the store on a blocking thread, once a permit is free, and returns what
    /// it returns. Each contract method `f` calls is atomic on its own; use
    /// [`transaction`](Self::transaction) for several as one. A panic in `f` resumes in the
    /// caller. Errors: what `f` returns, or [`Error::Backend`] (operation `spawn_blocking`)
    /// when the runtime shut down before `f` ran.
    ///
    /// The future owns what it needs (it borrows nothing from `self`), so it can be spawned.
    pub fn call<T, F>(&self, f: F) -> impl std::future::Future<Output = Result<T>> + Send + 'static
    where
        F: FnOnce(&dyn Store) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let permits = self.permits.clone();
        let store = self.store.clone();
        async move {
            // Waiting here is cancellation-safe: a dropped future gives up its place in the
            // queue.
            let permit = permits
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            run_blocking(move || {
                // The permit moves into the blocking task: freed when the work ends, even if
                // the caller stopped waiting for it.
                let _permit = permit;
                f(&*store)
            })
            .await
        }
    }

    /// Runs `f` in one transaction (as [`StoreExt::transaction`]): committed when it returns
    /// `Ok`, rolled back when it returns `Err` or panics. Cancellation-safe as the module says.
    pub fn transaction<T, F>(
        &self,
        f: F,
    ) -> impl std::future::Future<Output = Result<T>> + Send + 'static
    where
        F: FnOnce(&dyn Repos) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.call(move |store| store.transaction(f))
    }

    /// The synchronous store, for code already on a blocking thread.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// How many calls may run at once.
    pub fn permits(&self) -> usize {
        self.size
    }

    /// How many more calls could start now (permits not held by running work).
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }
}

/// Runs `f` on tokio's blocking pool; a panic resumes in the caller.
async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(Error::Backend {
            table: "-",
            operation: "spawn_blocking",
            source: Box::new(e),
        }),
    }
}

//! An example NERVE backend: an axum service over [`nerve::async_store::AsyncStore`].
//!
//! The driver is chosen twice, as a service would: at build time by this crate's Cargo
//! features (`sqlite`, the default, and/or `postgres`), at run time by `DATABASE_URL`.
//!
//! | Route | What it does |
//! |---|---|
//! | `POST /login` `{"email", "password"}` | checks the password (recorded, lockout applied) and opens a 12-hour session: `{"token", "expires_at", "user"}` |
//! | `GET /me` (`Authorization: Bearer <token>`) | the session's user |
//! | `GET /osint/profiles?after=<id>&limit=<n>` (bearer) | a keyset page of the company's OSINT profiles: `{"profiles", "next"}` (`next`: the `after` of the following page, or `null`) |
//! | `GET /t/{token}` | a BAIT URL honeytoken: records the access and its security event in one transaction and answers with an ordinary page, the same for any value |
//! | `GET /health` | the store's health report; 503 when unhealthy |
//!
//! Errors are `{"error": {"kind", "message"}}` with the status the error's kind calls for
//! ([`status_of`]).

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use nerve::async_store::AsyncStore;
use nerve::model::{
    Deleted, LoginRequest, NewBaitAccess, NewSession, Page, ProfileSearch, Session,
};
use nerve::Error;
use serde::Deserialize;
use std::net::SocketAddr;

/// How long a session from `POST /login` lasts.
pub const SESSION_HOURS: i64 = 12;

/// The most profiles one page returns (and the default).
pub const PAGE_LIMIT: u32 = 100;

/// The page `GET /t/{token}` answers with, whether the token exists or not: nothing tells
/// whoever follows a planted link that it was a trap.
pub const ORDINARY_PAGE: &str = "<!doctype html><html><head><title>Document</title></head>\
<body><p>This document has moved.</p></body></html>";

/// The service's routes over `store`. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()`: logins and BAIT accesses record the
/// client's address.
pub fn app(store: AsyncStore) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/me", get(me))
        .route("/osint/profiles", get(profiles))
        .route("/t/{token}", get(honeytoken))
        .route("/health", get(health))
        .with_state(store)
}

/// Serves [`app`] on `listener` until the future is dropped.
pub async fn serve(listener: tokio::net::TcpListener, store: AsyncStore) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(store).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}

/// A store error as an HTTP answer.
pub struct ApiError(Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

/// The status for an error of the store: 400 validation, 401 denied, 404 not found, 409
/// conflict, 503 when the database cannot be reached, 500 otherwise.
pub fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::Validation { .. } => StatusCode::BAD_REQUEST,
        Error::Denied { .. } => StatusCode::UNAUTHORIZED,
        Error::NotFound { .. } => StatusCode::NOT_FOUND,
        Error::Conflict { .. } => StatusCode::CONFLICT,
        Error::Connect { .. } | Error::Connection { .. } => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    /// The error's kind and message; a server-side failure (500, 503) gives its kind only,
    /// not the driver's words.
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        let message = if status.is_server_error() {
            "the service could not complete the request".to_string()
        } else {
            self.0.to_string()
        };
        let body = serde_json::json!({"error": {"kind": self.0.kind(), "message": message}});
        (status, Json(body)).into_response()
    }
}

fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The session of the request's bearer token: [`Error::Denied`] when there is none, and what
/// [`nerve::SessionStore::validate`] says of the token otherwise.
async fn session(store: &AsyncStore, headers: &HeaderMap) -> Result<Session, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string)
        .ok_or(Error::Denied {
            reason: nerve::Denial::UnknownToken,
        })?;
    Ok(store.call(move |s| s.sessions().validate(&token)).await?)
}

#[derive(Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

async fn login(
    State(store): State<AsyncStore>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(credentials): Json<Credentials>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user_agent = user_agent(&headers);
    let issued = store
        .call(move |s| {
            let user = s.auth().login(&LoginRequest {
                email: credentials.email,
                password: credentials.password,
                ip_address: Some(client.ip().to_string()),
                user_agent: user_agent.clone(),
            })?;
            let issued = s.sessions().create(
                user.company_id,
                user.id,
                &NewSession {
                    ttl: chrono::Duration::hours(SESSION_HOURS),
                    ip_address: Some(client.ip().to_string()),
                    user_agent,
                },
            )?;
            Ok((user, issued))
        })
        .await?;
    let (user, issued) = issued;
    Ok(Json(serde_json::json!({
        "token": issued.token.expose(),
        "expires_at": issued.session.expires_at,
        "user": user,
    })))
}

async fn me(
    State(store): State<AsyncStore>,
    headers: HeaderMap,
) -> Result<Json<nerve::model::User>, ApiError> {
    let session = session(&store, &headers).await?;
    let user = store
        .call(move |s| s.users().get(session.company_id, session.user_id))
        .await?;
    Ok(Json(user))
}

#[derive(Deserialize)]
struct PageQuery {
    after: Option<i64>,
    limit: Option<u32>,
}

async fn profiles(
    State(store): State<AsyncStore>,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let session = session(&store, &headers).await?;
    let limit = query.limit.unwrap_or(PAGE_LIMIT);
    let page = match query.after {
        Some(after) => Page::after(after, limit),
        None => Page::first(limit),
    };
    let profiles = store
        .call(move |s| {
            s.osint().search_profiles(
                session.company_id,
                &ProfileSearch::default(),
                page,
                Deleted::Exclude,
            )
        })
        .await?;
    // A full page may have a successor; a shorter one is the last.
    let next = (profiles.len() == limit as usize)
        .then(|| profiles.last().map(|p| p.id))
        .flatten();
    Ok(Json(
        serde_json::json!({ "profiles": profiles, "next": next }),
    ))
}

async fn honeytoken(
    State(store): State<AsyncStore>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // The request as received, but its credentials: they are never stored.
    let request: serde_json::Map<String, serde_json::Value> = headers
        .iter()
        .filter(|(name, _)| {
            ![
                header::AUTHORIZATION,
                header::COOKIE,
                header::PROXY_AUTHORIZATION,
            ]
            .contains(name)
        })
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.into())))
        .collect();
    let access = NewBaitAccess {
        ip_address: Some(client.ip().to_string()),
        user_agent: user_agent(&headers),
        location: None,
        raw_request: Some(serde_json::json!({ "method": "GET", "headers": request })),
    };
    match store
        .call(move |s| s.bait().record_access(&token, &access))
        .await
    {
        // Unknown or not: the same ordinary page.
        Ok(_) | Err(Error::NotFound { .. }) => Ok(Html(ORDINARY_PAGE).into_response()),
        Err(e) => Err(e.into()),
    }
}

async fn health(State(store): State<AsyncStore>) -> Result<Response, ApiError> {
    let report = store.call(|s| s.admin().health()).await?;
    let status = if report.healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    Ok((status, Json(report)).into_response())
}

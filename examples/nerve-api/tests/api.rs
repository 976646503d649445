//! The example service as a client meets it: the `nerve-api` binary started on 127.0.0.1
//! over a test database of each backend, spoken to over HTTP with reqwest.

use nerve::model::{BaitTokenType, NewBaitToken, NewCompany, NewProfile, NewUser, Page, Role};
use nerve::{Backend, MigrationPolicy, PasswordParams, Store, StoreOptions};
use nerve_conformance::TestDb;
use reqwest::StatusCode;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const PASSWORD: &str = "correct horse battery staple";
const TOKEN: &str = "https://docs.acme.example/q3-salaries";

/// The service process, killed when dropped.
struct Service {
    child: Child,
    base: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary on a free port of 127.0.0.1 and returns once it listens (it prints its
/// address then).
fn start(database_url: &str) -> Service {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nerve-api"))
        .env("DATABASE_URL", database_url)
        .env("NERVE_API_ADDR", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start nerve-api");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read its first line");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("nerve-api printed {line:?}"))
        .to_string();
    Service { child, base }
}

/// A company with an owner, three OSINT profiles and a URL honeytoken.
fn seed(store: &dyn Store) -> (i64, i64) {
    let acme = store
        .companies()
        .create(&NewCompany {
            name: "ACME".into(),
            domain: Some("acme.example".into()),
        })
        .expect("company");
    let owner = store
        .users()
        .create(
            acme.id,
            &NewUser {
                email: "ada@acme.example".into(),
                password: PASSWORD.into(),
                full_name: Some("Ada".into()),
                role: Role::Owner,
            },
        )
        .expect("owner");
    for name in ["Alice Example", "Bob Example", "Carol Example"] {
        store
            .osint()
            .create_profile(
                acme.id,
                &NewProfile {
                    user_id: Some(owner.id),
                    full_name: name.into(),
                    email: None,
                    domain: None,
                    job_title: None,
                    location: None,
                    notes: None,
                    risk_score: 10,
                    metadata: None,
                },
            )
            .expect("profile");
    }
    let token = store
        .bait()
        .create_token(
            acme.id,
            &NewBaitToken {
                user_id: Some(owner.id),
                token_type: BaitTokenType::Url,
                token_value: TOKEN.into(),
                label: "Q3 salaries".into(),
                description: None,
                metadata: None,
            },
        )
        .expect("token");
    (acme.id, token.id)
}

fn serves_nerve_over_http(backend: Backend) {
    let db = TestDb::migrated(backend).expect("a test database");
    let store = nerve::connect_with(
        &db.url,
        &StoreOptions {
            migrations: MigrationPolicy::Require,
            password: PasswordParams::INSECURE_FOR_TESTS,
            ..StoreOptions::default()
        },
    )
    .expect("open");
    let (company, token_id) = seed(&*store);
    let service = start(&db.url);
    let url = |path: &str| format!("{}{path}", service.base);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let health = http.get(url("/health")).send().await.expect("GET /health");
        assert_eq!(health.status(), StatusCode::OK, "[{backend}]");
        let health: serde_json::Value = health.json().await.expect("JSON");
        assert_eq!(health["healthy"], true);
        assert_eq!(health["metrics"]["backend"], backend.name());

        // A wrong password: 401, as JSON.
        let denied = http
            .post(url("/login"))
            .json(&serde_json::json!({"email": "ada@acme.example", "password": "wrong"}))
            .send()
            .await
            .expect("POST /login");
        assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
        let denied: serde_json::Value = denied.json().await.expect("JSON");
        assert_eq!(denied["error"]["kind"], "denied", "{denied}");

        let login: serde_json::Value = http
            .post(url("/login"))
            .json(&serde_json::json!({"email": "Ada@ACME.example", "password": PASSWORD}))
            .send()
            .await
            .expect("POST /login")
            .error_for_status()
            .expect("logged in")
            .json()
            .await
            .expect("JSON");
        let token = login["token"].as_str().expect("a token").to_string();
        assert_eq!(token.len(), 43, "{login}");
        assert!(login["user"].get("password_hash").is_none(), "{login}");

        let me = http
            .get(url("/me"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("GET /me");
        assert_eq!(me.status(), StatusCode::OK);
        let me: serde_json::Value = me.json().await.expect("JSON");
        assert_eq!(me["email"], "ada@acme.example");
        assert_eq!(me["company_id"], company);
        for bearer in [None, Some("not-a-token")] {
            let mut request = http.get(url("/me"));
            if let Some(bearer) = bearer {
                request = request.bearer_auth(bearer);
            }
            let refused = request.send().await.expect("GET /me");
            assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{bearer:?}");
        }

        // Keyset pages of two: then the rest, then no successor.
        let page = |after: Option<i64>| {
            let mut request = http
                .get(url("/osint/profiles"))
                .bearer_auth(&token)
                .query(&[("limit", "2")]);
            if let Some(after) = after {
                request = request.query(&[("after", after.to_string())]);
            }
            async move {
                let page: serde_json::Value = request
                    .send()
                    .await
                    .expect("GET /osint/profiles")
                    .error_for_status()
                    .expect("a page")
                    .json()
                    .await
                    .expect("JSON");
                let names: Vec<String> = page["profiles"]
                    .as_array()
                    .expect("profiles")
                    .iter()
                    .map(|p| p["full_name"].as_str().unwrap_or_default().to_string())
                    .collect();
                (names, page["next"].as_i64())
            }
        };
        let (first, next) = page(None).await;
        assert_eq!(first, ["Alice Example", "Bob Example"]);
        let (rest, last) = page(next).await;
        assert_eq!((rest, last), (vec!["Carol Example".to_string()], None));
        let too_many = http
            .get(url("/osint/profiles"))
            .bearer_auth(&token)
            .query(&[("limit", "5000")])
            .send()
            .await
            .expect("GET /osint/profiles");
        assert_eq!(too_many.status(), StatusCode::BAD_REQUEST);

        // The honeytoken: an ordinary page, the access and its event recorded; an unknown
        // value gets the same page and records nothing.
        let trap = format!("/t/{}", urlencode(TOKEN));
        let hit = http
            .get(url(&trap))
            .header("User-Agent", "curl/8.0")
            .header("Cookie", "session=s3cr3t-cookie")
            .bearer_auth("s3cr3t-bearer")
            .send()
            .await
            .expect("GET /t/...");
        assert_eq!(hit.status(), StatusCode::OK);
        let page_seen = hit.text().await.expect("the page");
        assert_eq!(page_seen, nerve_api::ORDINARY_PAGE);
        let miss = http
            .get(url("/t/nothing-planted"))
            .send()
            .await
            .expect("GET");
        assert_eq!(miss.status(), StatusCode::OK);
        assert_eq!(miss.text().await.expect("the page"), page_seen);
    });
    let token = store
        .bait()
        .get_token(company, token_id)
        .expect("the token");
    assert_eq!(token.access_count, 1, "[{backend}]");
    let accesses = store
        .bait()
        .list_accesses(company, token_id, Page::first(10))
        .expect("accesses");
    assert_eq!(accesses.len(), 1);
    assert_eq!(accesses[0].ip_address.as_deref(), Some("127.0.0.1"));
    assert_eq!(accesses[0].user_agent.as_deref(), Some("curl/8.0"));
    // The request is kept, its credentials are not.
    let raw = accesses[0]
        .raw_request
        .as_ref()
        .expect("the request")
        .to_string();
    assert!(raw.contains("curl/8.0"), "{raw}");
    assert!(!raw.contains("s3cr3t"), "credentials stored: {raw}");
    let attempts = store
        .auth()
        .attempts("ada@acme.example", Page::first(10))
        .expect("attempts");
    assert_eq!(attempts.len(), 2, "both logins recorded: {attempts:?}");
}

/// Percent-encodes everything but unreserved characters, for a path segment.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn serves_nerve_over_http_on_sqlite() {
    serves_nerve_over_http(Backend::Sqlite);
}

#[test]
fn serves_nerve_over_http_on_postgres() {
    serves_nerve_over_http(Backend::Postgres);
}

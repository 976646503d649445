//! Where the PostgreSQL tests find their server, pooler and read replica.
//!
//! In order:
//! 1. `NERVE_TEST_PG_URL`: an admin URL of a running server (such as
//!    `postgres://postgres@127.0.0.1:5432/postgres`). `NERVE_TEST_PG_POOLER_URL` and
//!    `NERVE_TEST_PG_REPLICA_URL` then name its pooler and its streaming replica.
//! 2. Otherwise, with `NERVE_TEST_PG_IMAGE` naming the image `scripts/pg-image.sh` built: a
//!    container of that image, started once per
//!    test process by the `testcontainers` crate, published on 127.0.0.1 only and reached
//!    through that port. Its pgbouncer (port 6432 in the container) is the pooler when
//!    `NERVE_TEST_PG_POOLER=1`; the replica is a second container of the same image that
//!    streams from the first over a private Docker network, started when a test first asks.
//! 3. Otherwise every PostgreSQL test fails, saying how to provide a server: none passes
//!    silently.
//!
//! Containers carry the label `nerve.test.run=<NERVE_TEST_RUN>` and
//! `nerve.test.owner=<NERVE_TEST_OWNER>`; `scripts/test.sh` sets both and removes the run's
//! containers and network when it exits, whatever the outcome, and at its start removes those of
//! runs whose owner process is gone. (A handle kept for a whole test process is never dropped,
//! so the script, not the handle, is what removes them.)

use std::sync::OnceLock;

/// How to provide a server, for failure messages.
pub const HOW: &str = "run scripts/test.sh (it builds the test image and runs the tests through \
    testcontainers where a Docker engine answers, else provides a host server), or set \
    NERVE_TEST_PG_URL to an admin URL such as postgres://postgres@127.0.0.1:5432/postgres, or \
    NERVE_TEST_PG_IMAGE to an image built by scripts/pg-image.sh";

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Which way this process found its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// `NERVE_TEST_PG_URL`.
    Given,
    /// A container of `NERVE_TEST_PG_IMAGE`, started by testcontainers.
    Container,
}

/// The provider this process uses (without starting anything).
pub fn provider() -> Option<Provider> {
    if env("NERVE_TEST_PG_URL").is_some() {
        Some(Provider::Given)
    } else if env("NERVE_TEST_PG_IMAGE").is_some() {
        Some(Provider::Container)
    } else {
        None
    }
}

/// The admin URL of the test server (starting its container on first use).
pub fn admin_url() -> Result<&'static str, String> {
    static URL: OnceLock<Result<String, String>> = OnceLock::new();
    URL.get_or_init(|| match provider() {
        Some(Provider::Given) => Ok(env("NERVE_TEST_PG_URL").unwrap_or_default()),
        Some(Provider::Container) => container::primary().map(|c| c.url(c.postgres_port)),
        None => Err(format!("no PostgreSQL server for the tests: {HOW}")),
    })
    .as_deref()
    .map_err(|e| e.clone())
}

/// The URL of a connection pooler in front of the test server (pgbouncer in transaction mode,
/// with `statement_cache=off`), when the run asks for one: `NERVE_TEST_PG_POOLER_URL`, or the
/// container's own pgbouncer with `NERVE_TEST_PG_POOLER=1`. When set, every case's store
/// connects through it, while databases are made and migrated directly.
pub fn pooler_url() -> Result<Option<String>, String> {
    if let Some(url) = env("NERVE_TEST_PG_POOLER_URL") {
        return Ok(Some(url));
    }
    if env("NERVE_TEST_PG_POOLER").as_deref() != Some("1") {
        return Ok(None);
    }
    match provider() {
        Some(Provider::Container) => {
            let primary = container::primary()?;
            Ok(Some(format!(
                "{}?statement_cache=off",
                primary.url(primary.pooler_port)
            )))
        }
        _ => Err(
            "NERVE_TEST_PG_POOLER=1 needs the container server (NERVE_TEST_PG_IMAGE); \
                  with NERVE_TEST_PG_URL name the pooler in NERVE_TEST_PG_POOLER_URL"
                .into(),
        ),
    }
}

/// The admin URL of a streaming read replica of the test server: `NERVE_TEST_PG_REPLICA_URL`,
/// or a replica container following the server's container (started on first use).
pub fn replica_admin_url() -> Result<&'static str, String> {
    static URL: OnceLock<Result<String, String>> = OnceLock::new();
    URL.get_or_init(|| {
        if let Some(url) = env("NERVE_TEST_PG_REPLICA_URL") {
            return Ok(url);
        }
        match provider() {
            Some(Provider::Container) => container::replica(),
            Some(Provider::Given) => Err(
                "NERVE_TEST_PG_REPLICA_URL must name a streaming replica of NERVE_TEST_PG_URL's \
                 server (scripts/test.sh makes one with pg_basebackup -R and starts it)"
                    .into(),
            ),
            None => Err(format!("no PostgreSQL server for the tests: {HOW}")),
        }
    })
    .as_deref()
    .map_err(|e| e.clone())
}

mod container {
    use super::env;
    use std::collections::HashMap;
    use std::sync::OnceLock;
    use std::time::Duration;
    use testcontainers::bollard::models::{HostConfig, PortBinding};
    use testcontainers::core::{IntoContainerPort, Mount, WaitFor};
    use testcontainers::runners::SyncRunner;
    use testcontainers::{Container, GenericImage, ImageExt};

    /// The server's port inside the container.
    const POSTGRES: u16 = 5432;
    /// pgbouncer's port inside the container.
    const PGBOUNCER: u16 = 6432;
    /// Printed by the server when it accepts connections ("... read-only connections" on a
    /// replica); with our entrypoint, once per start.
    const READY: &str = "database system is ready to accept";

    /// A started container and its ports published on 127.0.0.1.
    pub(super) struct Started {
        /// Kept for the whole process (removed by scripts/test.sh, see the module docs).
        _container: Container<GenericImage>,
        /// Its name, which other containers of the run's network reach it by.
        name: String,
        pub(super) postgres_port: u16,
        pub(super) pooler_port: u16,
    }

    impl Started {
        /// The admin URL through a published port.
        pub(super) fn url(&self, port: u16) -> String {
            format!("postgres://postgres@127.0.0.1:{port}/postgres")
        }
    }

    fn run() -> String {
        env("NERVE_TEST_RUN").unwrap_or_else(|| format!("manual-{}", std::process::id()))
    }

    /// The run's private network, which a replica reaches its primary on.
    fn network() -> String {
        format!("nerve-test-{}", run())
    }

    /// The image from `NERVE_TEST_PG_IMAGE`, as `name:tag`.
    fn image() -> Result<GenericImage, String> {
        let image = env("NERVE_TEST_PG_IMAGE").unwrap_or_default();
        let (name, tag) = image.rsplit_once(':').ok_or_else(|| {
            format!("NERVE_TEST_PG_IMAGE must be NAME:TAG (scripts/pg-image.sh prints it), not {image:?}")
        })?;
        Ok(GenericImage::new(name, tag)
            .with_wait_for(WaitFor::message_on_stderr(READY))
            .with_exposed_port(POSTGRES.tcp()))
    }

    /// Publishes `ports` on 127.0.0.1 only, each on a port the engine picks (testcontainers
    /// publishes every exposed port on all addresses by default).
    fn loopback_only(ports: &'static [u16]) -> impl Fn(&mut HostConfig) + Send + Sync + 'static {
        move |host: &mut HostConfig| {
            host.publish_all_ports = Some(false);
            host.port_bindings = Some(
                ports
                    .iter()
                    .map(|p| {
                        let binding = PortBinding {
                            host_ip: Some("127.0.0.1".into()),
                            host_port: None,
                        };
                        (format!("{p}/tcp"), Some(vec![binding]))
                    })
                    .collect::<HashMap<_, _>>(),
            );
        }
    }

    /// Where a test container's tmpfs is mounted (unless `NERVE_TEST_PG_MEMORY=0`).
    const TMPFS: &str = "/var/lib/postgresql/tmpfs";

    fn start(
        role: &str,
        ports: &'static [u16],
        extra_env: &[(&str, String)],
    ) -> Result<Started, String> {
        let started = std::time::Instant::now();
        let name = format!("nerve-pg-{}-{}-{role}", run(), std::process::id());
        let mut request = image()?
            .with_exposed_port(PGBOUNCER.tcp())
            .with_container_name(&name)
            .with_network(network())
            .with_label("nerve.test.run", run())
            .with_label(
                "nerve.test.owner",
                env("NERVE_TEST_OWNER").unwrap_or_default(),
            )
            .with_startup_timeout(Duration::from_secs(120))
            .with_host_config_modifier(loopback_only(ports))
            // A throwaway server: no fsync, for speed. (Commits stay synchronous: a replica's
            // catch-up is measured against the primary's written WAL position.)
            .with_cmd(["-c", "fsync=off", "-c", "full_page_writes=off"]);
        // The cluster in a tmpfs (`NERVE_TEST_PG_MEMORY=0` keeps it on the container's file
        // system). That file system may be fuse-overlayfs (an engine without kernel overlay),
        // whose daemon then takes about half the CPU of a conformance run; in memory the
        // PostgreSQL cases ran 2.8x faster. The tmpfs belongs to root, so the cluster is a
        // directory the server makes inside it; it is gone with the container.
        if env("NERVE_TEST_PG_MEMORY").as_deref() != Some("0") {
            request = request
                .with_mount(Mount::tmpfs_mount(TMPFS).with_mode(0o1777))
                .with_env_var("PGDATA", format!("{TMPFS}/data"));
        }
        for (key, value) in extra_env {
            request = request.with_env_var(*key, value.clone());
        }
        let container = request.start().map_err(|e| {
            format!(
                "could not start a PostgreSQL container {name} of {:?}: {e}; {}",
                env("NERVE_TEST_PG_IMAGE").unwrap_or_default(),
                super::HOW
            )
        })?;
        let port = |p: u16| {
            container
                .get_host_port_ipv4(p)
                .map_err(|e| format!("container {name}: port {p} not published: {e}"))
        };
        let postgres_port = port(POSTGRES)?;
        let pooler_port = if ports.contains(&PGBOUNCER) {
            port(PGBOUNCER)?
        } else {
            0
        };
        record_start(&name, started.elapsed());
        Ok(Started {
            _container: container,
            name,
            postgres_port,
            pooler_port,
        })
    }

    /// Appends `name seconds` to the file `NERVE_TEST_CONTAINER_LOG` names (scripts/test.sh
    /// sums it to report what starting containers cost the run).
    fn record_start(name: &str, took: Duration) {
        use std::io::Write;
        if let Some(path) = env("NERVE_TEST_CONTAINER_LOG") {
            if let Ok(mut file) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                let _ = writeln!(file, "{name} {:.3}", took.as_secs_f64());
            }
        }
    }

    /// The server of this test process (with its pgbouncer), started on first use.
    pub(super) fn primary() -> Result<&'static Started, String> {
        static PRIMARY: OnceLock<Result<Started, String>> = OnceLock::new();
        PRIMARY
            .get_or_init(|| {
                start(
                    "primary",
                    &[POSTGRES, PGBOUNCER],
                    &[("NERVE_PGBOUNCER_PORT", PGBOUNCER.to_string())],
                )
            })
            .as_ref()
            .map_err(|e| e.clone())
    }

    /// A streaming replica of [`primary`], started on first use; its admin URL.
    pub(super) fn replica() -> Result<String, String> {
        static REPLICA: OnceLock<Result<Started, String>> = OnceLock::new();
        let replica = REPLICA
            .get_or_init(|| {
                let primary = primary()?;
                start(
                    "replica",
                    &[POSTGRES],
                    &[("NERVE_PG_PRIMARY", primary.name.clone())],
                )
            })
            .as_ref()
            .map_err(|e| e.clone())?;
        Ok(replica.url(replica.postgres_port))
    }
}

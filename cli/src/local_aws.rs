//! The local AWS stand-ins: DynamoDB Local (the AWS jar) and moto's server (SQS,
//! EventBridge), on loopback.
//!
//! When `AWS_ENDPOINT_URL_DYNAMODB` and `AWS_ENDPOINT_URL` are both set (for example
//! from `nba-props local-aws`), those servers are used. Otherwise the servers are
//! installed on first use by `infra/local/install-local-aws.sh` and started here on
//! free ports; a watchdog ends them when this process ends, however it ends.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

use crate::template::LOCAL_REGION;

/// The repository root (where `infra/` and `events/` are).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the CLI crate sits one level below the repository root")
        .to_path_buf()
}

/// Endpoints of a running local stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// DynamoDB Local.
    pub dynamodb: String,
    /// moto (SQS, EventBridge).
    pub moto: String,
}

impl Endpoints {
    /// The endpoints named by the SDK's standard variables, when both are set.
    pub fn from_env() -> Option<Self> {
        let dynamodb = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
            .ok()
            .filter(|v| !v.is_empty())?;
        let moto = std::env::var("AWS_ENDPOINT_URL")
            .ok()
            .filter(|v| !v.is_empty())?;
        Some(Self { dynamodb, moto })
    }

    /// Environment a function process needs to reach this stack with the standard
    /// variables only (dummy credentials; nothing here is a secret).
    pub fn function_env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL_DYNAMODB", self.dynamodb.as_str()),
            ("AWS_ENDPOINT_URL", self.moto.as_str()),
            ("AWS_REGION", LOCAL_REGION),
            ("AWS_ACCESS_KEY_ID", "local"),
            ("AWS_SECRET_ACCESS_KEY", "local"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    async fn base_config(endpoint: &str) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(LOCAL_REGION))
            .credentials_provider(Credentials::new(
                "local",
                "local",
                None,
                None,
                "local-stack",
            ))
            .endpoint_url(endpoint)
            .retry_config(
                aws_config::retry::RetryConfig::standard()
                    .with_max_attempts(nba_props::adapters::sdk_config::SDK_MAX_ATTEMPTS),
            )
            .load()
            .await
    }

    /// SDK configuration for DynamoDB Local.
    pub async fn dynamodb_config(&self) -> SdkConfig {
        Self::base_config(&self.dynamodb).await
    }

    /// SDK configuration for moto.
    pub async fn moto_config(&self) -> SdkConfig {
        Self::base_config(&self.moto).await
    }
}

/// A running local stack; servers this value started stop when it is dropped.
#[derive(Debug)]
pub struct LocalAws {
    /// Where the servers answer.
    pub endpoints: Endpoints,
    servers: Vec<Child>,
}

impl LocalAws {
    /// Uses the servers named in the environment, or installs and starts our own.
    pub async fn start() -> Result<Self> {
        if let Some(endpoints) = Endpoints::from_env() {
            let local = Self {
                endpoints,
                servers: Vec::new(),
            };
            local.wait_ready(Duration::from_secs(30)).await?;
            return Ok(local);
        }
        let home = install()?;
        let dynamodb_port = free_port()?;
        let moto_port = free_port()?;
        let jar_dir = home.join("dynamodb-local");
        let dynamodb = supervised(
            Command::new("java")
                .current_dir(&jar_dir)
                .args([
                    "-Djava.library.path=./DynamoDBLocal_lib",
                    "-jar",
                    "DynamoDBLocal.jar",
                ])
                // -sharedDb: one database for every access key and region.
                .args([
                    "-inMemory",
                    "-sharedDb",
                    "-port",
                    &dynamodb_port.to_string(),
                ]),
            &home.join("dynamodb-local.log"),
        )?;
        let moto = supervised(
            Command::new(home.join("moto/bin/moto_server")).args([
                "-H",
                "127.0.0.1",
                "-p",
                &moto_port.to_string(),
            ]),
            &home.join("moto.log"),
        )?;
        let local = Self {
            endpoints: Endpoints {
                dynamodb: format!("http://127.0.0.1:{dynamodb_port}"),
                moto: format!("http://127.0.0.1:{moto_port}"),
            },
            servers: vec![dynamodb, moto],
        };
        local.wait_ready(Duration::from_secs(60)).await?;
        Ok(local)
    }

    async fn wait_ready(&self, limit: Duration) -> Result<()> {
        let deadline = Instant::now() + limit;
        let ddb = aws_sdk_dynamodb::Client::new(&self.endpoints.dynamodb_config().await);
        let sqs = aws_sdk_sqs::Client::new(&self.endpoints.moto_config().await);
        loop {
            let ddb_ok = ddb.list_tables().limit(1).send().await.is_ok();
            let sqs_ok = sqs.list_queues().send().await.is_ok();
            if ddb_ok && sqs_ok {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "local AWS did not answer within {limit:?} (DynamoDB Local {}: {}, moto {}: {}); see the logs in {}",
                    self.endpoints.dynamodb,
                    if ddb_ok { "up" } else { "down" },
                    self.endpoints.moto,
                    if sqs_ok { "up" } else { "down" },
                    install_home().display()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for LocalAws {
    fn drop(&mut self) {
        for server in &mut self.servers {
            // The watchdog shell stops its server when it is told to stop.
            let _ = Command::new("kill")
                .args(["-TERM", &server.id().to_string()])
                .status();
            let _ = server.wait();
        }
    }
}

/// Where the local tools are installed.
pub fn install_home() -> PathBuf {
    if let Ok(home) = std::env::var("NBA_LOCAL_AWS_HOME") {
        return PathBuf::from(home);
    }
    let cache = std::env::var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/tmp".into())).join(".cache")
        });
    cache.join("nba-props-serverless")
}

/// Installs the local tools (once; the script is idempotent and locked) and returns
/// their folder.
pub fn install() -> Result<PathBuf> {
    let home = install_home();
    if home.join("dynamodb-local/DynamoDBLocal.jar").exists()
        && home.join("moto/bin/moto_server").exists()
        && home.join("cargo-lambda/bin/cargo-lambda").exists()
    {
        return Ok(home);
    }
    let script = repo_root().join("infra/local/install-local-aws.sh");
    let status = Command::new("bash")
        .arg(&script)
        .env("NBA_LOCAL_AWS_HOME", &home)
        .stdout(Stdio::null())
        .status()
        .with_context(|| format!("running {}", script.display()))?;
    if !status.success() {
        bail!(
            "{} failed ({status}); it needs npm, java and python3",
            script.display()
        );
    }
    Ok(home)
}

/// The installed `cargo-lambda` executable.
pub fn cargo_lambda() -> Result<PathBuf> {
    Ok(install()?.join("cargo-lambda/bin/cargo-lambda"))
}

/// A port nothing listens on now.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts `command` under a small shell that stops it when this process goes away
/// (even on SIGKILL, when no destructor runs) or when the shell gets SIGTERM.
pub fn supervised(command: &mut Command, log: &Path) -> Result<Child> {
    let program = command.get_program().to_owned();
    let args: Vec<_> = command.get_args().map(|a| a.to_owned()).collect();
    let log_file =
        std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg(
            r#"parent=$1; shift
"$@" & child=$!
trap 'kill $child 2>/dev/null; exit 0' TERM INT
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 0.5; done
kill $child 2>/dev/null; wait $child"#,
        )
        .arg("supervisor")
        .arg(std::process::id().to_string())
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(log_file.try_clone()?)
        .stderr(log_file);
    if let Some(dir) = command.get_current_dir() {
        shell.current_dir(dir);
    }
    for (k, v) in command.get_envs() {
        match v {
            Some(v) => shell.env(k, v),
            None => shell.env_remove(k),
        };
    }
    shell
        .spawn()
        .with_context(|| format!("starting {:?}", command.get_program()))
}

//! Runs a built function binary behind the Lambda runtime API emulator of
//! `cargo lambda watch --only-lambda-apis` and invokes it with `cargo lambda invoke`,
//! as Lambda would: the binary polls `/runtime/invocation/next`, handles the event and
//! posts its response.

use std::collections::BTreeMap;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::local_aws::{cargo_lambda, install_home, repo_root, supervised};

/// A function binary running behind the runtime API emulator.
#[derive(Debug)]
pub struct EmulatedFunction {
    port: u16,
    emulator: Child,
    function: Child,
}

impl EmulatedFunction {
    /// Starts the emulator on a free port and `binary` with `env` (plus the runtime
    /// variables the emulator asks for).
    pub fn start(binary: &Path, env: &BTreeMap<String, String>) -> Result<Self> {
        let port = crate::local_aws::free_port()?;
        let name = binary
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("function")
            .to_string();
        let emulator = supervised(
            Command::new(cargo_lambda()?)
                .current_dir(repo_root())
                .args([
                    "lambda",
                    "watch",
                    "--only-lambda-apis",
                    "--invoke-address",
                    "127.0.0.1",
                ])
                .args(["--invoke-port", &port.to_string()]),
            &install_home().join(format!("runtime-api-{name}-{port}.log")),
        )?;
        wait_for_port(port, Duration::from_secs(30))?;
        let mut command = Command::new(binary);
        command
            .env_clear()
            .envs(env)
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{port}/.rt"),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", "_")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON");
        let function = supervised(
            &mut command,
            &install_home().join(format!("function-{name}-{port}.log")),
        )?;
        Ok(Self {
            port,
            emulator,
            function,
        })
    }

    /// Invokes the function with the JSON event in `event_file`; returns its response.
    pub fn invoke(&self, event_file: &Path) -> Result<serde_json::Value> {
        let out = Command::new(cargo_lambda()?)
            .current_dir(repo_root())
            .args(["lambda", "invoke", "_", "--invoke-address", "127.0.0.1"])
            .args([
                "--invoke-port",
                &self.port.to_string(),
                "--output-format",
                "json",
                "--data-file",
            ])
            .arg(event_file)
            .output()
            .context("running cargo lambda invoke")?;
        if !out.status.success() {
            bail!(
                "cargo lambda invoke failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        serde_json::from_slice(&out.stdout).with_context(|| {
            format!(
                "invoke output is not JSON: {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }
}

impl Drop for EmulatedFunction {
    fn drop(&mut self) {
        for child in [&mut self.function, &mut self.emulator] {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }
}

fn wait_for_port(port: u16, limit: Duration) -> Result<()> {
    let deadline = Instant::now() + limit;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("nothing listens on port {port} after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

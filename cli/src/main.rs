//! `nba-props`: run the pipeline locally, print configuration, cut fixtures.

use std::path::PathBuf;

use anyhow::{Result, bail};
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use nba_props::config::{CheckerConfig, ProcessorConfig, WriterConfig};
use nba_props_cli::dataset::{self, Dataset};
use nba_props_cli::local_aws::LocalAws;
use nba_props_cli::provision::{LocalStack, unique_stack_name};

/// nba-props-serverless, locally: no AWS account needed.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Bring up DynamoDB Local and moto, provision infra/template.yaml, and push real
    /// games through the pipeline (the main job).
    Replay {
        /// Read the full files from this `shared/data/nba` folder instead of the fixtures.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Only these game dates (default: every date with prop lines).
        #[arg(long = "date")]
        dates: Vec<NaiveDate>,
        /// Skip part two (a late box score through the processor, healed by the 06:00
        /// completeness check).
        #[arg(long)]
        no_late_data: bool,
    },
    /// Start the local servers, print the variables that point the SDK at them, and
    /// keep them running until Ctrl-C.
    LocalAws,
    /// Print the configuration each function would run with, from the environment
    /// (fails if any function's configuration is missing or invalid).
    Config,
    /// Dead-letter queues.
    #[command(subcommand)]
    Dlq(DlqCommand),
    /// Cut the committed fixtures from the full data.
    Fixtures {
        /// The `shared/data/nba` folder.
        #[arg(long, default_value = "../shared/data/nba")]
        data: PathBuf,
        /// Output folder.
        #[arg(long, default_value = "tests/fixtures/nba-2025-26")]
        out: PathBuf,
        /// First game date kept.
        #[arg(long, default_value = "2025-10-21")]
        from: NaiveDate,
        /// Last game date kept.
        #[arg(long, default_value = "2025-11-05")]
        to: NaiveDate,
        /// First date whose main prop lines are kept.
        #[arg(long, default_value = "2025-11-01")]
        lines_from: NaiveDate,
    },
}

#[derive(Subcommand)]
enum DlqCommand {
    /// Send every message of a dead-letter queue back to its source queue (receive,
    /// send, then delete: a redrive that stops half way loses nothing). Uses the
    /// standard AWS configuration (profile, region, `AWS_ENDPOINT_URL` for a local
    /// stack).
    Redrive {
        /// URL of the dead-letter queue.
        #[arg(long)]
        from: String,
        /// URL of the queue to send the messages back to.
        #[arg(long)]
        to: String,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber_init();
    match Cli::parse().command {
        Command::Replay {
            data,
            dates,
            no_late_data,
        } => {
            let data = match data {
                Some(dir) if !dir.join("season-2025-26").exists() => {
                    bail!(
                        "{} does not hold the shared NBA data (season-2025-26/ is missing)",
                        dir.display()
                    )
                }
                Some(dir) => Dataset::full_2025_26(&dir)?,
                None => Dataset::fixtures()?,
            };
            let local = LocalAws::start().await?;
            println!(
                "local AWS: DynamoDB Local {}, moto {}",
                local.endpoints.dynamodb, local.endpoints.moto
            );
            let stack =
                LocalStack::provision(&local.endpoints, &unique_stack_name("replay")).await?;
            println!("provisioned stack {} from infra/template.yaml", stack.name);
            println!("\n== part 1: the prediction writer on real slates ==");
            nba_props_cli::replay::run(&stack, &data, &dates, &mut std::io::stdout()).await?;
            if !no_late_data {
                println!("\n== part 2: a late box score, healed by the morning check ==");
                nba_props_cli::late_data::run(&stack, &mut std::io::stdout()).await?;
            }
        }
        Command::LocalAws => {
            let local = LocalAws::start().await?;
            for (k, v) in local.endpoints.function_env() {
                println!("export {k}={v}");
            }
            eprintln!("local AWS is up; Ctrl-C stops it");
            tokio::signal::ctrl_c().await?;
        }
        Command::Config => {
            let configs = [
                (
                    "prediction-writer",
                    WriterConfig::from_env().map(|c| c.to_string()),
                ),
                (
                    "processor",
                    ProcessorConfig::from_env().map(|c| c.to_string()),
                ),
                (
                    "completeness-checker",
                    CheckerConfig::from_env().map(|c| c.to_string()),
                ),
            ];
            let mut failed = Vec::new();
            for (function, config) in configs {
                match config {
                    Ok(text) => println!("{function}:\n{text}\n"),
                    Err(e) => {
                        println!("{function}: {e}\n");
                        failed.push(function);
                    }
                }
            }
            if !failed.is_empty() {
                bail!("not configured: {}", failed.join(", "));
            }
        }
        Command::Dlq(DlqCommand::Redrive { from, to, json }) => {
            let sdk = aws_config::load_from_env().await;
            let report =
                nba_props_cli::dlq::redrive(&aws_sdk_sqs::Client::new(&sdk), &from, &to).await?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!("moved {} message(s) from {from} to {to}", report.moved);
            }
        }
        Command::Fixtures {
            data,
            out,
            from,
            to,
            lines_from,
        } => {
            if !data.exists() {
                bail!(
                    "{} not found: the fixtures are cut from the shared NBA data",
                    data.display()
                );
            }
            dataset::write_fixtures(&data, &out, from, to, lines_from)?;
            println!("wrote fixtures to {}", out.display());
        }
    }
    Ok(())
}

fn tracing_subscriber_init() {
    // Handler logs (one line per failed record) go to stderr, the report to stdout.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .try_init();
}

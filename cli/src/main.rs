//! `nba-props`: run the pipeline locally, operate a stack (deployed or local), print
//! configuration, cut fixtures.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use nba_props_cli::dataset::{self, Dataset};
use nba_props_cli::local_aws::LocalAws;
use nba_props_cli::operator;
use nba_props_cli::provision::{LocalStack, unique_stack_name};
use nba_props_cli::replay::ReplayOptions;

/// nba-props-serverless, locally: no AWS account needed.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Bring up DynamoDB Local and moto, provision infra/template.yaml, and run real
    /// game days through the production functions, day by day (the main job).
    Replay {
        /// Read the full files from this `shared/data/nba` folder instead of the
        /// committed fixtures.
        #[arg(long)]
        data: Option<PathBuf>,
        /// First game date (default: the data's first).
        #[arg(long)]
        from: Option<NaiveDate>,
        /// Last game date (default: the data's last).
        #[arg(long)]
        to: Option<NaiveDate>,
        /// Run a season without prop lines from `--data` instead (`2024-25`: its team
        /// and player game logs), at scale, without a late box score.
        #[arg(long, requires = "data")]
        season: Option<String>,
        /// Do not hold back a box score (by default one game's arrives days late).
        #[arg(long)]
        no_late_data: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Write the predictions to this CSV file.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write the composite features the processors stored for the predictions to
        /// this gzipped JSON file (how the writer's test fixture is made).
        #[arg(long, value_name = "FILE.json.gz")]
        features_out: Option<PathBuf>,
        /// Handler logs to the terminal (default: to a file whose path is printed).
        #[arg(short, long)]
        verbose: bool,
    },
    /// How many sportsbook rows the ingest's name matching finds a player for, over every
    /// props file, and the names it does not.
    PropNames {
        /// The `shared/data/nba` folder (default: the committed fixtures).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Start the local servers, print the variables that point the SDK at them, and
    /// keep them running until Ctrl-C.
    LocalAws,
    /// Serve the data's box scores as NBA stats `boxscoretraditionalv3` JSON on
    /// 127.0.0.1 until Ctrl-C: the stand-in source the backfill fetches from locally
    /// (`BOX_SCORE_SOURCE_URL=http://127.0.0.1:PORT`).
    BoxScoreSource {
        /// The `shared/data/nba` folder (default: the committed fixtures).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Port (0: any free one, printed).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// How every game is answered.
        #[arg(long, value_enum, default_value = "final")]
        answer: nba_props_cli::box_score_source::Answer,
    },
    /// Each function's configuration in a stack: its environment (from Lambda for a
    /// deployed stack), what it runs with, and where it differs from the template's
    /// defaults. Without a stack: what each would run with in this process's environment.
    Config(operator::ConfigArgs),
    /// Run the completeness check: invoke the deployed checker, or run it on a local
    /// stack, and print its report.
    Check(operator::CheckArgs),
    /// Every dead-letter queue's messages with their reason and receive count (not
    /// consumed); `redrive` sends one queue's messages back to their source queue.
    Dlq(operator::DlqArgs),
    /// Predictions of a date by market, with and without a line; one player's
    /// (`--player`); or the one-item-per-key check (`--duplicates`, exit 1 if broken).
    Predictions(operator::PredictionsArgs),
    /// Circuit breakers open now, newest first; `show KEY`; `reset KEY`.
    Breakers(operator::BreakersArgs),
    /// Judge the models against the sportsbook line on dates no fit has seen, through
    /// the processors' own feature code.
    Backtest {
        /// The `shared/data/nba` folder (default: `../shared/data/nba` when it is there,
        /// else the committed fixtures, as the report says).
        #[arg(long)]
        data: Option<PathBuf>,
        /// First date judged: fitting may use the dates before it, never it or later.
        #[arg(long, default_value = "2025-11-01")]
        evaluate_from: NaiveDate,
        /// Also draw calibration and hit rate by edge into this SVG file.
        #[arg(long, value_name = "FILE.svg")]
        plot: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Fit `line-shrinkage-v2` on every date of the data (2024-25 and 2025-26) and
    /// write its coefficients (the committed `shared/src/domain/model_v2.json`).
    FitModel {
        /// The `shared/data/nba` folder.
        #[arg(long, default_value = "../shared/data/nba")]
        data: PathBuf,
        /// Where to write the coefficients.
        #[arg(long, default_value = "shared/src/domain/model_v2.json")]
        out: PathBuf,
    },
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

/// The 2025-26 data of a `shared/data/nba` folder, or the committed fixtures.
fn dataset_2025_26(data: Option<PathBuf>) -> Result<Dataset> {
    match data {
        Some(dir) if !dir.join("season-2025-26").exists() => bail!(
            "{} does not hold the shared NBA data (season-2025-26/ is missing)",
            dir.display()
        ),
        Some(dir) => Dataset::full_2025_26(&dir),
        None => Dataset::fixtures(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // One clear line and a non-zero exit for any error, never a panic's backtrace.
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("nba-props: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    if !matches!(cli.command, Command::Replay { .. }) {
        tracing_subscriber_init();
    }
    match cli.command {
        Command::Replay {
            data,
            from,
            to,
            season,
            no_late_data,
            json,
            out,
            features_out,
            verbose,
        } => {
            let log = init_logs(verbose)?;
            let data = match (data, &season) {
                (Some(dir), Some(season)) => {
                    let folder = dir.join(format!("season-{season}"));
                    if !folder.join("team_game_logs.csv").exists() {
                        bail!(
                            "{} has no team_game_logs.csv: --season needs a season with both teams' rows (2024-25)",
                            folder.display()
                        );
                    }
                    Dataset::season_without_lines(&folder)?
                }
                (Some(dir), None) if !dir.join("season-2025-26").exists() => {
                    bail!(
                        "{} does not hold the shared NBA data (season-2025-26/ is missing)",
                        dir.display()
                    )
                }
                (Some(dir), None) => Dataset::full_2025_26(&dir)?,
                (None, _) => Dataset::fixtures()?,
            };
            let local = LocalAws::start().await?;
            let stack =
                LocalStack::provision(&local.endpoints, &unique_stack_name("replay")).await?;
            if !json {
                println!(
                    "local AWS: DynamoDB Local {}, moto {}; stack {} provisioned from infra/template.yaml",
                    local.endpoints.dynamodb, local.endpoints.moto, stack.name
                );
            }
            let options = ReplayOptions {
                from,
                to,
                late_box_score: !no_late_data && season.is_none(),
                keep_features: features_out.is_some(),
                progress: !json && !verbose,
            };
            let report = nba_props_cli::replay::run(&stack, &data, &options).await?;
            if let Some(path) = &out {
                report.write_csv(std::fs::File::create(path)?)?;
            }
            if let Some(path) = &features_out {
                nba_props_cli::dataset::write_composite_features(path, &report.features)?;
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                report.write_text(&mut std::io::stdout())?;
                if let Some(path) = &out {
                    println!("predictions written to {}", path.display());
                }
                if let Some(log) = log {
                    println!("handler logs: {}", log.display());
                }
            }
        }
        Command::PropNames { data, json } => {
            let data = dataset_2025_26(data)?;
            let report = nba_props_cli::prop_names::measure(&data)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                let share = |n: usize| 100.0 * n as f64 / report.rows.max(1) as f64;
                println!("data: {}", data.source.display());
                println!(
                    "{} rows of points/rebounds/assists in scheduled games; matched to a player of either team: {} ({:.1}%); by the fold alone: {} ({:.1}%)",
                    report.rows,
                    report.matched,
                    share(report.matched),
                    report.matched_by_fold,
                    share(report.matched_by_fold)
                );
                println!(
                    "{} names unmatched, {} of them ({} rows) absent from the season's game logs \
                     (the others had not played for the team in the 30 days before); most rows first:",
                    report.unmatched.len(),
                    report.unmatched_absent_from_logs,
                    report.rows_absent_from_logs
                );
                for (name, rows) in report.unmatched.iter().take(25) {
                    println!("  {rows:>5}  {name}");
                }
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
        Command::BoxScoreSource { data, port, answer } => {
            let data = dataset_2025_26(data)?;
            let days = data.days()?;
            let games: usize = days.iter().map(|d| d.box_scores.len()).sum();
            let source = nba_props_cli::box_score_source::StandInSource::start(
                days.into_iter().flat_map(|d| d.box_scores),
                port,
                answer,
            )
            .await?;
            println!("BOX_SCORE_SOURCE_URL={}", source.url());
            eprintln!(
                "serving {games} box scores of {} at {}/boxscoretraditionalv3?GameID=...; Ctrl-C stops it",
                data.source.display(),
                source.url()
            );
            source.run_until_ctrl_c().await?;
        }
        Command::Config(args) => return operator::config(args).await,
        Command::Check(args) => return operator::check(args).await,
        Command::Dlq(args) => return operator::dlq(args).await,
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
        Command::Backtest {
            data,
            evaluate_from,
            plot,
            json,
        } => {
            let dir = match data {
                Some(dir) => Some(dir),
                None => {
                    let found = dataset::shared_data_dir();
                    if found.is_none() {
                        eprintln!(
                            "../shared/data/nba is not beside the repository: backtesting on the committed fixtures, without 2024-25"
                        );
                    }
                    found
                }
            };
            let judged = dataset_2025_26(dir.clone())?;
            let earlier = match &dir {
                Some(d) => Some(Dataset::season_without_lines(&d.join("season-2024-25"))?),
                None => None,
            };
            let report =
                nba_props_cli::backtest::run_backtest(&judged, earlier.as_ref(), evaluate_from)
                    .await?;
            if let Some(path) = &plot {
                nba_props_cli::backtest_plot::write_svg(&report, path)?;
                eprintln!("plot written to {}", path.display());
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                report.write_text(&mut std::io::stdout().lock())?;
            }
        }
        Command::FitModel { data, out } => {
            let judged = dataset_2025_26(Some(data.clone()))?;
            let earlier = Dataset::season_without_lines(&data.join("season-2024-25"))?;
            let mut rows = nba_props_cli::backtest::feature_rows(&earlier).await?.0;
            rows.extend(nba_props_cli::backtest::feature_rows(&judged).await?.0);
            let coefficients = nba_props_cli::model_fit::fit(
                &rows,
                "cargo run -q -p nba-props-cli -- fit-model --data ../shared/data/nba",
            )?;
            std::fs::write(&out, serde_json::to_string_pretty(&coefficients)? + "\n")?;
            for (market, c) in &coefficients.markets {
                println!(
                    "{market}: toward_form {:.3} on {} rows with a line, form on {} rows, spread {:.2} with a line",
                    c.toward_form, c.line_rows, c.form_rows, c.sigma_with_line
                );
            }
            println!("written to {}", out.display());
        }
        Command::Predictions(args) => return operator::predictions(args).await,
        Command::Breakers(args) => return operator::breakers(args).await,
    }
    Ok(ExitCode::SUCCESS)
}

fn tracing_subscriber_init() {
    // Handler logs (one line per failed record) go to stderr, the report to stdout.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,aws_config=error".into()),
        )
        .try_init();
}

/// The replay's handler logs: to the terminal with `-v`, else to a file (returned) so
/// that they never interleave with the progress bar and the report.
fn init_logs(verbose: bool) -> Result<Option<PathBuf>> {
    let filter =
        || tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    if verbose {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(filter())
            .init();
        return Ok(None);
    }
    let path = std::env::temp_dir().join(format!("nba-props-replay-{}.log", std::process::id()));
    let file = std::fs::File::create(&path)?;
    tracing_subscriber::fmt()
        .json()
        .with_writer(std::sync::Mutex::new(file))
        .with_env_filter(filter())
        .init();
    Ok(Some(path))
}

//! Configuration from environment variables, read and validated once per cold start.
//!
//! Resource names come only from the variables `infra/template.yaml` sets; endpoints
//! are the SDK's own business (`AWS_ENDPOINT_URL*`), so nothing here names a host.

use std::fmt;

use crate::model::MODEL_VERSIONS;

pub use crate::model::breaker::{BreakerSettings, DEFAULT_LOCKOUT_HOURS, DEFAULT_MAX_ATTEMPTS};

/// Names of the environment variables every function may read.
pub mod vars {
    /// Hours an entity stays locked out after its breaker trips.
    pub const LOCKOUT_HOURS: &str = "CIRCUIT_BREAKER_ENTITY_LOCKOUT_HOURS";
    /// Failures before a breaker trips.
    pub const MAX_ATTEMPTS: &str = "CIRCUIT_BREAKER_MAX_ATTEMPTS";
    /// Table holding one current prediction per (player_lookup, game_date, market).
    pub const PREDICTIONS_TABLE: &str = "PREDICTIONS_TABLE";
    /// Table holding per-entity features written by the processors.
    pub const FEATURES_TABLE: &str = "FEATURES_TABLE";
    /// Label stored with every prediction.
    pub const MODEL_VERSION: &str = "MODEL_VERSION";
    /// CloudWatch namespace of the EMF metrics.
    pub const METRICS_NAMESPACE: &str = "METRICS_NAMESPACE";
    /// Table of schedules, box scores, rosters.
    pub const GAME_DATA_TABLE: &str = "GAME_DATA_TABLE";
    /// Table of circuit breakers.
    pub const BREAKERS_TABLE: &str = "BREAKERS_TABLE";
    /// URL of the processor queue (work items are sent there).
    pub const PROCESSOR_QUEUE_URL: &str = "PROCESSOR_QUEUE_URL";
    /// URL of the prediction queue.
    pub const PREDICTION_QUEUE_URL: &str = "PREDICTION_QUEUE_URL";
    /// Name of the pipeline's event bus.
    pub const EVENT_BUS_NAME: &str = "EVENT_BUS_NAME";
    /// How many DynamoDB writes one invocation keeps in flight.
    pub const WRITE_CONCURRENCY: &str = "PREDICTION_WRITE_CONCURRENCY";
    /// How far ahead of the writer's clock a request's `generated_at` may be, in seconds.
    pub const MAX_FUTURE_SKEW_SECONDS: &str = "PREDICTION_MAX_FUTURE_SKEW_SECONDS";
    /// Bookmakers in the order their lines are preferred (comma-separated keys).
    pub const BOOK_PRIORITY: &str = "PROP_LINE_BOOK_PRIORITY";
    /// Days before yesterday whose missing games the morning check reports and
    /// backfills when its input does not say.
    pub const LOOKBACK_DAYS: &str = "COMPLETENESS_LOOKBACK_DAYS";
    /// Base URL of the box-score source (`.../boxscoretraditionalv3` is appended).
    pub const BOX_SCORE_SOURCE_URL: &str = "BOX_SCORE_SOURCE_URL";
    /// Seconds one HTTP request to the source may take.
    pub const BOX_SCORE_SOURCE_TIMEOUT_SECONDS: &str = "BOX_SCORE_SOURCE_TIMEOUT_SECONDS";
    /// Minutes between two fetches of one game.
    pub const BACKFILL_COOLDOWN_MINUTES: &str = "BACKFILL_COOLDOWN_MINUTES";
    /// Fetches of one game before it is given up.
    pub const BACKFILL_MAX_ATTEMPTS: &str = "BACKFILL_MAX_ATTEMPTS";
}

/// The most failures a breaker may wait for: one below the processor queue's
/// `maxReceiveCount` (5), so an entity's breaker trips (and records its work) before
/// the queue could dead-letter the message, with one receive to spare for a storage
/// error, which is retried without being counted. `infra/template.yaml` bounds its
/// `CircuitBreakerMaxAttempts` parameter the same way.
pub const MAX_ATTEMPTS_LIMIT: u32 = 4;
/// Default model: the line-shrinkage model, which recommends only what beats the
/// posted odds' break-even (`nba-props backtest` compares it with `baseline-v1`).
pub const DEFAULT_MODEL_VERSION: &str = "line-shrinkage-v2";
/// Default metrics namespace.
pub const DEFAULT_METRICS_NAMESPACE: &str = "NbaProps";
/// Default number of DynamoDB writes in flight per invocation.
pub const DEFAULT_WRITE_CONCURRENCY: usize = 16;
/// Default days the morning check looks back: a game missing for a week is still
/// reported and backfilled each morning.
pub const DEFAULT_LOOKBACK_DAYS: u32 = 7;
/// The most days one check may look back.
pub const MAX_LOOKBACK_DAYS: u32 = 30;
/// Default skew allowed for a request's `generated_at` (five minutes).
pub const DEFAULT_MAX_FUTURE_SKEW_SECONDS: u32 = 300;

/// Bookmakers whose lines are preferred by default, first preferred; the others
/// follow by name.
pub const DEFAULT_BOOK_PRIORITY: [&str; 3] = ["draftkings", "fanduel", "betmgm"];

/// A configuration value that is missing or cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is not set (or is empty).
    #[error("environment variable {name} is required but not set")]
    Missing {
        /// Variable name.
        name: &'static str,
    },
    /// A variable is set to something unusable.
    #[error("environment variable {name}={value:?} is invalid: {reason}")]
    Invalid {
        /// Variable name.
        name: &'static str,
        /// The raw value.
        value: String,
        /// Why it was refused.
        reason: String,
    },
}

/// Where configuration values are read from: the process environment in production,
/// a map in tests.
pub trait Source {
    /// The value of `name`, if set.
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Source for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<const N: usize> Source for [(&str, &str); N] {
    fn get(&self, name: &str) -> Option<String> {
        self.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_string())
    }
}

impl Source for std::collections::BTreeMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        std::collections::BTreeMap::get(self, name).cloned()
    }
}

fn optional(src: &impl Source, name: &'static str) -> Option<String> {
    src.get(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn required(src: &impl Source, name: &'static str) -> Result<String, ConfigError> {
    optional(src, name).ok_or(ConfigError::Missing { name })
}

fn bounded_u32(
    src: &impl Source,
    name: &'static str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, ConfigError> {
    let Some(raw) = optional(src, name) else {
        return Ok(default);
    };
    let invalid = |reason: String| ConfigError::Invalid {
        name,
        value: raw.clone(),
        reason,
    };
    let value: u32 = raw
        .parse()
        .map_err(|_| invalid("expected a whole number".into()))?;
    if !range.contains(&value) {
        return Err(invalid(format!(
            "must be between {} and {}",
            range.start(),
            range.end()
        )));
    }
    Ok(value)
}

/// A comma-separated list of bookmaker keys (lowercase letters, digits, `_`), each
/// once; the default when unset.
fn book_priority(src: &impl Source) -> Result<Vec<String>, ConfigError> {
    let Some(raw) = optional(src, vars::BOOK_PRIORITY) else {
        return Ok(DEFAULT_BOOK_PRIORITY.map(String::from).to_vec());
    };
    let invalid = |reason: String| ConfigError::Invalid {
        name: vars::BOOK_PRIORITY,
        value: raw.clone(),
        reason,
    };
    let mut books: Vec<String> = Vec::new();
    for book in raw.split(',').map(str::trim) {
        let is_key = !book.is_empty()
            && book.len() <= 32
            && book
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !is_key {
            return Err(invalid(format!(
                "{book:?} is not a bookmaker key (lowercase letters, digits, _)"
            )));
        }
        if books.iter().any(|b| b == book) {
            return Err(invalid(format!("{book} is listed twice")));
        }
        books.push(book.to_string());
    }
    Ok(books)
}

impl BreakerSettings {
    /// Reads and validates the breaker settings; a malformed value is an error, never a
    /// silent default.
    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        Ok(Self {
            // A year is the most any lockout could sensibly need.
            lockout_hours: bounded_u32(src, vars::LOCKOUT_HOURS, DEFAULT_LOCKOUT_HOURS, 1..=8760)?,
            max_attempts: bounded_u32(
                src,
                vars::MAX_ATTEMPTS,
                DEFAULT_MAX_ATTEMPTS,
                1..=MAX_ATTEMPTS_LIMIT,
            )?,
        })
    }
}

/// Everything the prediction writer needs, validated at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriterConfig {
    /// Predictions table name.
    pub predictions_table: String,
    /// Features table name.
    pub features_table: String,
    /// Model label stored with each prediction.
    pub model_version: String,
    /// CloudWatch namespace for EMF metrics.
    pub metrics_namespace: String,
    /// DynamoDB writes kept in flight per invocation.
    pub write_concurrency: usize,
    /// How far ahead of now a request's `generated_at` may be.
    pub max_future_skew: chrono::Duration,
    /// Breaker settings (validated here too, so a bad deployment fails at once).
    pub breaker: BreakerSettings,
}

impl WriterConfig {
    /// Reads the writer's configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&ProcessEnv)
    }

    /// Reads the writer's configuration from `src`.
    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        Ok(Self {
            predictions_table: required(src, vars::PREDICTIONS_TABLE)?,
            features_table: required(src, vars::FEATURES_TABLE)?,
            model_version: model_version(src)?,
            metrics_namespace: optional(src, vars::METRICS_NAMESPACE)
                .unwrap_or_else(|| DEFAULT_METRICS_NAMESPACE.into()),
            write_concurrency: bounded_u32(
                src,
                vars::WRITE_CONCURRENCY,
                DEFAULT_WRITE_CONCURRENCY as u32,
                1..=256,
            )? as usize,
            // A day is far beyond any clock drift; more would defeat the check.
            max_future_skew: chrono::Duration::seconds(i64::from(bounded_u32(
                src,
                vars::MAX_FUTURE_SKEW_SECONDS,
                DEFAULT_MAX_FUTURE_SKEW_SECONDS,
                0..=86_400,
            )?)),
            breaker: BreakerSettings::from_source(src)?,
        })
    }
}

/// Everything the processor needs, validated at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessorConfig {
    /// Game data table.
    pub game_data_table: String,
    /// Features table.
    pub features_table: String,
    /// Breakers table.
    pub breakers_table: String,
    /// Processor queue URL.
    pub processor_queue_url: String,
    /// Prediction queue URL.
    pub prediction_queue_url: String,
    /// Event bus name.
    pub event_bus_name: String,
    /// EMF namespace.
    pub metrics_namespace: String,
    /// Breaker settings.
    pub breaker: BreakerSettings,
    /// Bookmakers whose prop lines are preferred, first preferred.
    pub book_priority: Vec<String>,
}

impl ProcessorConfig {
    /// Reads the processor's configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&ProcessEnv)
    }

    /// Reads the processor's configuration from `src`.
    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        Ok(Self {
            game_data_table: required(src, vars::GAME_DATA_TABLE)?,
            features_table: required(src, vars::FEATURES_TABLE)?,
            breakers_table: required(src, vars::BREAKERS_TABLE)?,
            processor_queue_url: required(src, vars::PROCESSOR_QUEUE_URL)?,
            prediction_queue_url: required(src, vars::PREDICTION_QUEUE_URL)?,
            event_bus_name: required(src, vars::EVENT_BUS_NAME)?,
            metrics_namespace: optional(src, vars::METRICS_NAMESPACE)
                .unwrap_or_else(|| DEFAULT_METRICS_NAMESPACE.into()),
            breaker: BreakerSettings::from_source(src)?,
            book_priority: book_priority(src)?,
        })
    }
}

/// `MODEL_VERSION`: one of the models the writer can run.
fn model_version(src: &impl Source) -> Result<String, ConfigError> {
    let version =
        optional(src, vars::MODEL_VERSION).unwrap_or_else(|| DEFAULT_MODEL_VERSION.into());
    if MODEL_VERSIONS.contains(&version.as_str()) {
        Ok(version)
    } else {
        Err(ConfigError::Invalid {
            name: vars::MODEL_VERSION,
            value: version,
            reason: format!("must be one of {}", MODEL_VERSIONS.join(", ")),
        })
    }
}

/// Everything the completeness checker needs, validated at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckerConfig {
    /// Game data table (schedules and box-score completeness).
    pub game_data_table: String,
    /// Breakers table.
    pub breakers_table: String,
    /// Predictions table (the report counts a date's predictions with and without a line).
    pub predictions_table: String,
    /// Processor queue URL (reset breakers' work is enqueued there).
    pub processor_queue_url: String,
    /// Event bus name (backfill requests and the report).
    pub event_bus_name: String,
    /// EMF namespace.
    pub metrics_namespace: String,
    /// Days looked back when the input does not say (`COMPLETENESS_LOOKBACK_DAYS`).
    pub lookback_days: u32,
}

impl CheckerConfig {
    /// Reads the checker's configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&ProcessEnv)
    }

    /// Reads the checker's configuration from `src`.
    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        Ok(Self {
            game_data_table: required(src, vars::GAME_DATA_TABLE)?,
            breakers_table: required(src, vars::BREAKERS_TABLE)?,
            predictions_table: required(src, vars::PREDICTIONS_TABLE)?,
            processor_queue_url: required(src, vars::PROCESSOR_QUEUE_URL)?,
            event_bus_name: required(src, vars::EVENT_BUS_NAME)?,
            metrics_namespace: optional(src, vars::METRICS_NAMESPACE)
                .unwrap_or_else(|| DEFAULT_METRICS_NAMESPACE.into()),
            lookback_days: bounded_u32(
                src,
                vars::LOOKBACK_DAYS,
                DEFAULT_LOOKBACK_DAYS,
                0..=MAX_LOOKBACK_DAYS,
            )?,
        })
    }
}

/// Default seconds per request to the box-score source.
pub const DEFAULT_SOURCE_TIMEOUT_SECONDS: u32 = 10;
/// Default minutes between two fetches of one game.
pub const DEFAULT_BACKFILL_COOLDOWN_MINUTES: u32 = 120;
/// Default fetches of one game before it is given up.
pub const DEFAULT_BACKFILL_MAX_ATTEMPTS: u32 = 5;

/// Everything the backfill needs, validated at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillConfig {
    /// Game data table (the backfill ledger lives there).
    pub game_data_table: String,
    /// Event bus name (box scores are published there).
    pub event_bus_name: String,
    /// Base URL of the box-score source; `https` unless it is a local stand-in.
    pub box_score_source_url: String,
    /// Seconds per request to the source.
    pub source_timeout_seconds: u32,
    /// Minutes between two fetches of one game.
    pub cooldown_minutes: u32,
    /// Fetches of one game before it is given up.
    pub max_attempts: u32,
    /// EMF namespace.
    pub metrics_namespace: String,
}

impl BackfillConfig {
    /// Reads the backfill's configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&ProcessEnv)
    }

    /// Reads the backfill's configuration from `src`.
    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        let url = required(src, vars::BOX_SCORE_SOURCE_URL)?;
        // Box scores are public, but a plain-HTTP source could be tampered with on the
        // way; only a stand-in on this machine may use it.
        let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| url.starts_with(p));
        if !url.starts_with("https://") && !local {
            return Err(ConfigError::Invalid {
                name: vars::BOX_SCORE_SOURCE_URL,
                value: url,
                reason: "must be an https:// URL (plain http only for a local stand-in)".into(),
            });
        }
        Ok(Self {
            game_data_table: required(src, vars::GAME_DATA_TABLE)?,
            event_bus_name: required(src, vars::EVENT_BUS_NAME)?,
            box_score_source_url: url,
            source_timeout_seconds: bounded_u32(
                src,
                vars::BOX_SCORE_SOURCE_TIMEOUT_SECONDS,
                DEFAULT_SOURCE_TIMEOUT_SECONDS,
                1..=60,
            )?,
            cooldown_minutes: bounded_u32(
                src,
                vars::BACKFILL_COOLDOWN_MINUTES,
                DEFAULT_BACKFILL_COOLDOWN_MINUTES,
                1..=10_080,
            )?,
            max_attempts: bounded_u32(
                src,
                vars::BACKFILL_MAX_ATTEMPTS,
                DEFAULT_BACKFILL_MAX_ATTEMPTS,
                1..=100,
            )?,
            metrics_namespace: optional(src, vars::METRICS_NAMESPACE)
                .unwrap_or_else(|| DEFAULT_METRICS_NAMESPACE.into()),
        })
    }
}

impl fmt::Display for BackfillConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_vars(
            f,
            &[
                (vars::GAME_DATA_TABLE, &self.game_data_table),
                (vars::EVENT_BUS_NAME, &self.event_bus_name),
                (vars::BOX_SCORE_SOURCE_URL, &self.box_score_source_url),
                (
                    vars::BOX_SCORE_SOURCE_TIMEOUT_SECONDS,
                    &self.source_timeout_seconds,
                ),
                (vars::BACKFILL_COOLDOWN_MINUTES, &self.cooldown_minutes),
                (vars::BACKFILL_MAX_ATTEMPTS, &self.max_attempts),
                (vars::METRICS_NAMESPACE, &self.metrics_namespace),
            ],
        )
    }
}

/// Writes `NAME=value` lines, the form `nba-props config` prints.
fn write_vars(f: &mut fmt::Formatter<'_>, vars: &[(&str, &dyn fmt::Display)]) -> fmt::Result {
    for (i, (name, value)) in vars.iter().enumerate() {
        if i > 0 {
            writeln!(f)?;
        }
        write!(f, "{name}={value}")?;
    }
    Ok(())
}

impl fmt::Display for WriterConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_vars(
            f,
            &[
                (vars::PREDICTIONS_TABLE, &self.predictions_table),
                (vars::FEATURES_TABLE, &self.features_table),
                (vars::MODEL_VERSION, &self.model_version),
                (vars::METRICS_NAMESPACE, &self.metrics_namespace),
                (vars::WRITE_CONCURRENCY, &self.write_concurrency),
                (
                    vars::MAX_FUTURE_SKEW_SECONDS,
                    &self.max_future_skew.num_seconds(),
                ),
                (vars::LOCKOUT_HOURS, &self.breaker.lockout_hours),
                (vars::MAX_ATTEMPTS, &self.breaker.max_attempts),
            ],
        )
    }
}

impl fmt::Display for ProcessorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_vars(
            f,
            &[
                (vars::GAME_DATA_TABLE, &self.game_data_table),
                (vars::FEATURES_TABLE, &self.features_table),
                (vars::BREAKERS_TABLE, &self.breakers_table),
                (vars::PROCESSOR_QUEUE_URL, &self.processor_queue_url),
                (vars::PREDICTION_QUEUE_URL, &self.prediction_queue_url),
                (vars::EVENT_BUS_NAME, &self.event_bus_name),
                (vars::METRICS_NAMESPACE, &self.metrics_namespace),
                (vars::LOCKOUT_HOURS, &self.breaker.lockout_hours),
                (vars::MAX_ATTEMPTS, &self.breaker.max_attempts),
            ],
        )
    }
}

impl fmt::Display for CheckerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_vars(
            f,
            &[
                (vars::GAME_DATA_TABLE, &self.game_data_table),
                (vars::BREAKERS_TABLE, &self.breakers_table),
                (vars::PREDICTIONS_TABLE, &self.predictions_table),
                (vars::PROCESSOR_QUEUE_URL, &self.processor_queue_url),
                (vars::EVENT_BUS_NAME, &self.event_bus_name),
                (vars::METRICS_NAMESPACE, &self.metrics_namespace),
                (vars::LOOKBACK_DAYS, &self.lookback_days),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLES: [(&str, &str); 2] = [("PREDICTIONS_TABLE", "p"), ("FEATURES_TABLE", "f")];

    #[test]
    fn defaults_apply_when_unset() {
        let cfg = WriterConfig::from_source(&TABLES).unwrap();
        assert_eq!(cfg.breaker.lockout_hours, 24);
        assert_eq!(cfg.breaker.max_attempts, 3);
        assert_eq!(cfg.model_version, "line-shrinkage-v2");
    }

    #[test]
    fn only_a_model_the_writer_can_run_is_accepted() {
        let with = |m: &'static str| {
            WriterConfig::from_source(&[
                ("PREDICTIONS_TABLE", "p"),
                ("FEATURES_TABLE", "f"),
                ("MODEL_VERSION", m),
            ])
        };
        assert_eq!(with("baseline-v1").unwrap().model_version, "baseline-v1");
        let e = with("baseline-v2").unwrap_err().to_string();
        assert!(
            e.contains("MODEL_VERSION") && e.contains("line-shrinkage-v2"),
            "{e}"
        );
    }

    #[test]
    fn the_backfill_source_must_be_https_unless_local() {
        let with = |url: &'static str| {
            BackfillConfig::from_source(&[
                ("GAME_DATA_TABLE", "g"),
                ("EVENT_BUS_NAME", "b"),
                ("BOX_SCORE_SOURCE_URL", url),
            ])
        };
        let cfg = with("https://stats.nba.com/stats").unwrap();
        assert_eq!((cfg.cooldown_minutes, cfg.max_attempts), (120, 5));
        assert!(with("http://127.0.0.1:8080").is_ok());
        let e = with("http://stats.nba.com/stats").unwrap_err().to_string();
        assert!(e.contains("BOX_SCORE_SOURCE_URL"), "{e}");
    }

    #[test]
    fn lockout_is_read_from_the_environment() {
        let src = [("CIRCUIT_BREAKER_ENTITY_LOCKOUT_HOURS", "2")];
        assert_eq!(BreakerSettings::from_source(&src).unwrap().lockout_hours, 2);
        assert_eq!(
            BreakerSettings::from_source(&src).unwrap().lockout(),
            chrono::Duration::hours(2)
        );
    }

    #[test]
    fn non_numeric_lockout_is_refused_not_defaulted() {
        let src = [("CIRCUIT_BREAKER_ENTITY_LOCKOUT_HOURS", "one day")];
        let err = BreakerSettings::from_source(&src).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { name, .. } if name == vars::LOCKOUT_HOURS));
        assert!(err.to_string().contains("one day"), "{err}");
    }

    #[test]
    fn zero_or_huge_attempts_are_refused() {
        for bad in ["0", "5", "101", "-1", "2.5"] {
            let src = [("CIRCUIT_BREAKER_MAX_ATTEMPTS", bad)];
            assert!(
                BreakerSettings::from_source(&src).is_err(),
                "{bad} accepted"
            );
        }
    }

    #[test]
    fn missing_table_is_a_clear_error() {
        let src = [("FEATURES_TABLE", "f")];
        assert_eq!(
            WriterConfig::from_source(&src).unwrap_err(),
            ConfigError::Missing {
                name: "PREDICTIONS_TABLE"
            }
        );
    }

    #[test]
    fn book_priority_defaults_and_refuses_bad_keys() {
        assert_eq!(book_priority(&TABLES).unwrap(), DEFAULT_BOOK_PRIORITY);
        let src = [("PROP_LINE_BOOK_PRIORITY", " fanduel, bovada ")];
        assert_eq!(book_priority(&src).unwrap(), ["fanduel", "bovada"]);
        for bad in ["FanDuel", "fanduel,,betmgm", "fanduel,fanduel"] {
            let src = [("PROP_LINE_BOOK_PRIORITY", bad)];
            assert!(book_priority(&src).is_err(), "{bad} accepted");
        }
    }
}

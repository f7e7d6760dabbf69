//! The daily completeness check: makes late data heal the pipeline by itself.
//!
//! At 06:00 New York time it compares each checked date's schedule with the box scores
//! stored, resets the circuit breakers of entities whose missing data has since arrived
//! (and enqueues their recorded work again), asks for backfill of the games still
//! missing, and reports all of it: as its result, as one log line, as an event on the
//! bus and as a short morning summary.
//!
//! Which games: those played (not postponed or cancelled) on `game_date` and the
//! `lookback_days` before it (default 7, `COMPLETENESS_LOOKBACK_DAYS`), so a game
//! missing for days is reported and backfilled every morning until it arrives. A date
//! with no stored schedule is reported as such, not as a day without games.
//!
//! Which breakers: every one still on the tripped index and inside its TTL horizon,
//! whatever its analysis date (the processor resets most of them minutes after the
//! box score arrives; this is the safety net). A breaker is reset only when its work's
//! inputs are all stored now (`domain::breaker_reset`, the one reset path).
//!
//! `handlers::completeness_checker` is the Lambda entry point: it logs the report as
//! one line and emits its metrics.

use std::fmt::Write as _;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::America::New_York;
use serde::{Deserialize, Serialize};

pub use crate::config::{DEFAULT_LOOKBACK_DAYS, MAX_LOOKBACK_DAYS};
use crate::domain::breaker_reset::{BreakerReset, ResetDone};
use crate::metrics::Metrics;
use crate::model::time::parse_game_date;
use crate::model::{MarketLineCount, ScheduleStatus, TrippedBreaker, canonical_timestamp};
use crate::ports::{
    BackfillLedger, BreakerResets, EventPublisher, GameDataStore, MessageSender, PredictionCounts,
    StoreError,
};

/// Detail-type of the event asking a scraper to fetch a missing box score again.
pub const BACKFILL_REQUESTED: &str = "Backfill Requested";
/// Detail-type of the event carrying the report.
pub const COMPLETENESS_REPORT: &str = "Completeness Report";

/// Input the checker refuses, before anything is read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// Not a JSON object of the known fields with the right types.
    #[error("invalid completeness check input at {path}: {reason}")]
    Malformed {
        /// Where in the input.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A field with the right type but an unusable value.
    #[error("invalid completeness check input: {field} {reason}")]
    Invalid {
        /// Field name.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// The input as sent by the schedule or by hand; every field is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    game_date: Option<String>,
    lookback_days: Option<i64>,
    auto_reset_circuit_breakers: Option<bool>,
    request_backfill: Option<bool>,
    dry_run: Option<bool>,
    /// EventBridge Scheduler's `<aws.scheduler.scheduled-time>`: the run counts as
    /// happening then, so a retried or late delivery still checks the right date.
    scheduled_time: Option<String>,
}

/// A validated check request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRequest {
    /// The latest date checked.
    pub game_date: NaiveDate,
    /// Days before `game_date` also checked.
    pub lookback_days: u32,
    /// Reset breakers whose data has arrived.
    pub auto_reset_circuit_breakers: bool,
    /// Publish a backfill request per missing game.
    pub request_backfill: bool,
    /// Report what would happen; write, send and publish nothing.
    pub dry_run: bool,
    /// When the run counts as happening (the scheduled time, else the clock).
    pub run_at: DateTime<Utc>,
}

/// Yesterday in New York at `at`: the date whose games the 06:00 check looks at, right
/// across daylight-saving changes (the date is taken in New York, not in UTC).
pub fn default_game_date(at: DateTime<Utc>) -> NaiveDate {
    let today = at.with_timezone(&New_York).date_naive();
    today
        .pred_opt()
        .expect("dates near the present have a predecessor")
}

/// 06:00 in New York on `date`: when the deployed schedule runs the check.
pub fn six_am_new_york(date: NaiveDate) -> DateTime<Utc> {
    New_York
        .from_local_datetime(&date.and_hms_opt(6, 0, 0).expect("valid time"))
        .single()
        .expect("06:00 exists on every date in New York")
        .with_timezone(&Utc)
}

/// The input EventBridge Scheduler sends on the morning of `date`
/// (`{"scheduled_time": "<aws.scheduler.scheduled-time>"}` in the template): what the
/// replay and the tests drive the check with, so the deployed defaults are tested.
pub fn scheduler_input(date: NaiveDate) -> serde_json::Value {
    serde_json::json!({"scheduled_time": canonical_timestamp(six_am_new_york(date))})
}

impl CheckRequest {
    /// Validates the input (a JSON object, `null` or `{}` for all defaults) at `now`;
    /// `default_lookback_days` applies when the input does not say.
    pub fn from_input(
        input: &serde_json::Value,
        now: DateTime<Utc>,
        default_lookback_days: u32,
    ) -> Result<Self, InputError> {
        let raw: RawInput = if input.is_null() {
            RawInput::default()
        } else if !input.is_object() {
            return Err(InputError::Malformed {
                path: ".".into(),
                reason: format!("expected a JSON object of optional fields, got {input}"),
            });
        } else {
            serde_path_to_error::deserialize(input).map_err(|e| InputError::Malformed {
                path: e.path().to_string(),
                reason: e.inner().to_string(),
            })?
        };
        let run_at = match raw.scheduled_time {
            None => now,
            Some(t) => DateTime::parse_from_rfc3339(&t)
                .map_err(|e| InputError::Invalid {
                    field: "scheduled_time",
                    reason: format!("{t:?} is not an RFC 3339 time: {e}"),
                })?
                .with_timezone(&Utc),
        };
        let today = run_at.with_timezone(&New_York).date_naive();
        let game_date = match raw.game_date {
            None => default_game_date(run_at),
            Some(d) => parse_game_date(&d).ok_or_else(|| InputError::Invalid {
                field: "game_date",
                reason: format!("{d:?} is not a date (expected YYYY-MM-DD)"),
            })?,
        };
        if game_date > today {
            return Err(InputError::Invalid {
                field: "game_date",
                reason: format!(
                    "{game_date} is after today ({today} in New York): its games cannot have box scores yet"
                ),
            });
        }
        let lookback_days = match raw.lookback_days {
            None => default_lookback_days.min(MAX_LOOKBACK_DAYS),
            Some(n) if (0..=i64::from(MAX_LOOKBACK_DAYS)).contains(&n) => n as u32,
            Some(n) => {
                return Err(InputError::Invalid {
                    field: "lookback_days",
                    reason: format!("must be between 0 and {MAX_LOOKBACK_DAYS}, got {n}"),
                });
            }
        };
        Ok(Self {
            game_date,
            lookback_days,
            auto_reset_circuit_breakers: raw.auto_reset_circuit_breakers.unwrap_or(true),
            request_backfill: raw.request_backfill.unwrap_or(true),
            dry_run: raw.dry_run.unwrap_or(false),
            run_at,
        })
    }

    /// The dates whose games are checked, oldest first.
    pub fn checked_dates(&self) -> Vec<NaiveDate> {
        (0..=i64::from(self.lookback_days))
            .rev()
            .map(|back| self.game_date - Duration::days(back))
            .collect()
    }
}

/// A scheduled game without a complete box score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingGame {
    /// NBA game id.
    pub game_id: String,
    /// Game date.
    pub game_date: NaiveDate,
    /// Home team.
    pub home: String,
    /// Away team.
    pub away: String,
}

/// A game on the schedule that is not played on its date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnplayedGame {
    /// NBA game id.
    pub game_id: String,
    /// Home team.
    pub home: String,
    /// Away team.
    pub away: String,
    /// `postponed` or `cancelled`.
    pub status: ScheduleStatus,
}

/// The breakers of one processor still tripped after the check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrippedByProcessor {
    /// Processor name.
    pub processor: String,
    /// Breakers still tripped.
    pub tripped: u32,
    /// The oldest of them by analysis date (`processor/entity/date`).
    pub oldest: String,
    /// Why the oldest still waits.
    pub oldest_reason: String,
}

/// Groups still-tripped breakers by processor, the oldest analysis date first within
/// each, processors by name.
fn by_processor(still: &[(TrippedBreaker, String)]) -> Vec<TrippedByProcessor> {
    let mut groups: std::collections::BTreeMap<String, Vec<&(TrippedBreaker, String)>> =
        Default::default();
    for b in still {
        groups
            .entry(b.0.key.processor_name.to_string())
            .or_default()
            .push(b);
    }
    groups
        .into_iter()
        .map(|(processor, mut breakers)| {
            breakers.sort_by(|a, b| {
                (a.0.key.analysis_date, &a.0.key.entity_id)
                    .cmp(&(b.0.key.analysis_date, &b.0.key.entity_id))
            });
            let (oldest, reason) = breakers[0];
            TrippedByProcessor {
                processor,
                tripped: breakers.len() as u32,
                oldest: oldest.key.to_string(),
                oldest_reason: reason.clone(),
            }
        })
        .collect()
}

/// One checked date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateCompleteness {
    /// The date.
    pub game_date: NaiveDate,
    /// Whether a schedule is stored for it (an off day stores an empty one). Without
    /// one, no game can be expected: the schedule ingest is what is missing.
    pub schedule_stored: bool,
    /// Games played on the date (postponed and cancelled ones are not expected).
    pub games_expected: u32,
    /// Of those, games whose box score is stored.
    pub games_complete: u32,
    /// The others.
    pub missing_games: Vec<MissingGame>,
    /// Postponed and cancelled games: no box score expected.
    pub not_played: Vec<UnplayedGame>,
}

/// The result of one check. Totals cover every checked date (just `game_date` unless
/// `lookback_days` was given); `dates` has the detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletenessReport {
    /// The latest date checked.
    pub game_date: NaiveDate,
    /// Games on the schedule.
    pub games_expected: u32,
    /// Games with a complete box score.
    pub games_complete: u32,
    /// Ids of the games without one.
    pub missing_games: Vec<String>,
    /// Breakers this run cleared (in a dry run: would have cleared).
    pub circuit_breakers_reset: u32,
    /// Backfill requests published (in a dry run: would have published).
    pub backfill_requested: u32,
    /// Missing games the backfill gave up on (its attempts are used up): not requested
    /// again; a person has to look.
    pub backfill_given_up: Vec<String>,
    /// Tripped breakers whose entity now has its data (reset unless turned off).
    pub breakers_ready: u32,
    /// Tripped breakers whose entity still lacks data; they stay tripped.
    pub breakers_still_tripped: u32,
    /// The breakers still tripped, by processor, each with its oldest (by analysis
    /// date) and why it still waits.
    #[serde(default)]
    pub still_tripped_by_processor: Vec<TrippedByProcessor>,
    /// Checked dates with no stored schedule (the schedule ingest did not happen).
    pub dates_without_schedule: Vec<NaiveDate>,
    /// Missing games played before `game_date`: late by more than a day.
    pub games_missing_over_a_day: u32,
    /// Work items enqueued again for reset breakers.
    pub work_reenqueued: u32,
    /// Whether resets were asked for.
    pub auto_reset_circuit_breakers: bool,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// When the run counts as happening.
    pub checked_at: String,
    /// Per checked date, oldest first.
    pub dates: Vec<DateCompleteness>,
    /// The current predictions of `game_date` (yesterday's games, on the schedule's
    /// run) by market, with a sportsbook line and without.
    #[serde(default)]
    pub predictions: Vec<MarketLineCount>,
}

impl CompletenessReport {
    /// The short morning summary an email or chat subscriber can deliver as is.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let first = self.dates.first().map_or(self.game_date, |d| d.game_date);
        let span = if first == self.game_date {
            self.game_date.to_string()
        } else {
            format!("{first} to {}", self.game_date)
        };
        let _ = writeln!(s, "NBA props completeness check for {span}");
        if self.dry_run {
            let _ = writeln!(
                s,
                "DRY RUN: nothing was written; the counts say what a real run would do."
            );
        }
        if !self.dates_without_schedule.is_empty() {
            let dates: Vec<String> = self
                .dates_without_schedule
                .iter()
                .map(NaiveDate::to_string)
                .collect();
            let _ = writeln!(s, "No schedule stored for: {}.", dates.join(", "));
        }
        if self.games_expected == 0 {
            let _ = writeln!(s, "No games played on the stored schedules.");
        } else {
            let _ = writeln!(
                s,
                "Box scores: {} of {} games complete.",
                self.games_complete, self.games_expected
            );
        }
        if !self.missing_games.is_empty() {
            let _ = writeln!(s, "Missing box scores by date:");
            for d in self.dates.iter().filter(|d| !d.missing_games.is_empty()) {
                let _ = writeln!(
                    s,
                    "  {}: {} of {} game(s)",
                    d.game_date,
                    d.missing_games.len(),
                    d.games_expected
                );
                for g in &d.missing_games {
                    let _ = writeln!(s, "    {} {} @ {}", g.game_id, g.away, g.home);
                }
            }
        }
        for d in &self.dates {
            for g in &d.not_played {
                let _ = writeln!(
                    s,
                    "Not played ({}): {} {} @ {} ({})",
                    g.status.as_str(),
                    g.game_id,
                    g.away,
                    g.home,
                    d.game_date
                );
            }
        }
        if !self.missing_games.is_empty() {
            let _ = writeln!(
                s,
                "Backfill requested: {} game(s).",
                self.backfill_requested
            );
        }
        if !self.backfill_given_up.is_empty() {
            let _ = writeln!(
                s,
                "Backfill given up (attempts used up, needs a person): {}.",
                self.backfill_given_up.join(", ")
            );
        }
        let _ = write!(
            s,
            "Circuit breakers: {} reset ({} work item(s) re-enqueued), {} still tripped",
            self.circuit_breakers_reset, self.work_reenqueued, self.breakers_still_tripped
        );
        if !self.auto_reset_circuit_breakers && self.breakers_ready > 0 {
            let _ = write!(
                s,
                "; {} have their data now but auto-reset is off",
                self.breakers_ready
            );
        }
        s.push('.');
        for p in &self.still_tripped_by_processor {
            let _ = write!(
                s,
                "\n  {}: {} tripped, oldest {} ({})",
                p.processor, p.tripped, p.oldest, p.oldest_reason
            );
        }
        if !self.predictions.is_empty() {
            let total: u32 = self
                .predictions
                .iter()
                .map(|m| m.with_line + m.without_line)
                .sum();
            let _ = write!(
                s,
                "\nPredictions for {}: {total} (with a sportsbook line / without):",
                self.game_date
            );
            for m in &self.predictions {
                let _ = write!(s, "\n  {}: {} / {}", m.market, m.with_line, m.without_line);
            }
        }
        s
    }

    /// The report as EMF counters. A dry run changed nothing, so it counts no resets
    /// and no backfill requests: dashboards and alarms count only real work.
    pub fn metrics(&self, namespace: &str) -> Metrics {
        let mut m = Metrics::new(namespace, "completeness-checker");
        m.count("GamesExpected", u64::from(self.games_expected));
        m.count(
            "GamesMissing",
            u64::from(self.games_expected - self.games_complete),
        );
        m.count(
            "BreakersStillTripped",
            u64::from(self.breakers_still_tripped),
        );
        m.count(
            "GamesMissingOverADay",
            u64::from(self.games_missing_over_a_day),
        );
        m.count(
            "DatesWithoutSchedule",
            self.dates_without_schedule.len() as u64,
        );
        m.count("BackfillGivenUpGames", self.backfill_given_up.len() as u64);
        if !self.dry_run {
            m.count(
                "CircuitBreakersReset",
                u64::from(self.circuit_breakers_reset),
            );
            m.count("BackfillRequested", u64::from(self.backfill_requested));
        }
        m
    }
}

/// Why a check failed.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// Refused input; nothing was read or written.
    #[error(transparent)]
    Input(#[from] InputError),
    /// Storage, queue or bus failed; the check can be run again (resets are
    /// conditional and re-enqueued work is idempotent).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The checker's ports.
#[derive(Debug, Clone)]
pub struct CompletenessChecker<G, B, Q, E, P> {
    /// Schedules and box scores.
    pub games: G,
    /// Breakers.
    pub breakers: B,
    /// The processor queue, for re-enqueued work.
    pub queues: Q,
    /// The bus, for backfill requests and the report.
    pub events: E,
    /// The predictions table, read for the report's counts.
    pub predictions: P,
    /// EMF namespace.
    pub metrics_namespace: String,
    /// Days looked back when the input does not say.
    pub lookback_days: u32,
}

impl<G, B, Q, E, P> CompletenessChecker<G, B, Q, E, P>
where
    G: GameDataStore + BackfillLedger,
    B: BreakerResets,
    Q: MessageSender,
    E: EventPublisher,
    P: PredictionCounts,
{
    /// The EMF namespace of this checker's metrics.
    pub fn metrics_namespace(&self) -> &str {
        &self.metrics_namespace
    }

    /// Validates the input at `now` (logging a refusal) and runs the check.
    pub async fn check_input(
        &self,
        input: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<CompletenessReport, CheckError> {
        let request =
            CheckRequest::from_input(input, now, self.lookback_days).inspect_err(|e| {
                tracing::error!(input = %input, error = %e, "completeness check refused its input");
            })?;
        Ok(self.check(&request).await?)
    }

    /// Runs a validated check.
    pub async fn check(&self, request: &CheckRequest) -> Result<CompletenessReport, StoreError> {
        let writes = !request.dry_run;

        let mut dates = Vec::new();
        for date in request.checked_dates() {
            let day = self.games.schedule_on(date).await?;
            let (played, unplayed): (Vec<_>, Vec<_>) =
                day.games.into_iter().partition(|g| g.status.is_played());
            dates.push(DateCompleteness {
                game_date: date,
                schedule_stored: day.stored,
                games_expected: played.len() as u32,
                games_complete: played.iter().filter(|g| g.complete).count() as u32,
                missing_games: played
                    .into_iter()
                    .filter(|g| !g.complete)
                    .map(|g| MissingGame {
                        game_id: g.game_id,
                        game_date: g.game_date,
                        home: g.home,
                        away: g.away,
                    })
                    .collect(),
                not_played: unplayed
                    .into_iter()
                    .map(|g| UnplayedGame {
                        game_id: g.game_id,
                        home: g.home,
                        away: g.away,
                        status: g.status,
                    })
                    .collect(),
            });
        }
        let missing: Vec<&MissingGame> = dates.iter().flat_map(|d| &d.missing_games).collect();

        let resets = self.resets();
        let judged = resets
            .judge(self.tripped_in_horizon(request.run_at).await?)
            .await?;
        let ready_to_reset = judged.ready_to_reset();
        let mut done = ResetDone::default();
        if request.auto_reset_circuit_breakers {
            if writes {
                done = resets.reset(&judged.ready, request.run_at).await?;
            } else {
                done = ResetDone {
                    reset: ready_to_reset,
                    reenqueued: judged.work_to_reenqueue(),
                };
            }
        }

        // Games the backfill gave up on are reported, not requested again.
        let missing_ids: Vec<String> = missing.iter().map(|g| g.game_id.clone()).collect();
        let given_up = if missing_ids.is_empty() {
            Default::default()
        } else {
            self.games.given_up(&missing_ids).await?
        };
        let to_backfill: Vec<&&MissingGame> = missing
            .iter()
            .filter(|g| !given_up.contains(&g.game_id))
            .collect();
        let mut backfill = 0u32;
        if request.request_backfill && !to_backfill.is_empty() {
            if writes {
                let details: Vec<serde_json::Value> = to_backfill
                    .iter()
                    .map(|g| {
                        serde_json::json!({
                            "game_id": g.game_id,
                            "game_date": g.game_date,
                            "home": g.home,
                            "away": g.away,
                            "reason": "no box score at the completeness check",
                            "requested_at": canonical_timestamp(request.run_at),
                        })
                    })
                    .collect();
                self.events
                    .publish_all(BACKFILL_REQUESTED, &details)
                    .await?;
            }
            backfill = to_backfill.len() as u32;
        }
        let mut backfill_given_up: Vec<String> = given_up.into_iter().collect();
        backfill_given_up.sort();
        let predictions = self.predictions.line_counts(request.game_date).await?;

        let report = CompletenessReport {
            game_date: request.game_date,
            games_expected: dates.iter().map(|d| d.games_expected).sum(),
            games_complete: dates.iter().map(|d| d.games_complete).sum(),
            missing_games: missing.iter().map(|g| g.game_id.clone()).collect(),
            circuit_breakers_reset: done.reset,
            backfill_requested: backfill,
            backfill_given_up,
            breakers_ready: ready_to_reset,
            breakers_still_tripped: judged.still_tripped.len() as u32,
            still_tripped_by_processor: by_processor(&judged.still_tripped),
            dates_without_schedule: dates
                .iter()
                .filter(|d| !d.schedule_stored)
                .map(|d| d.game_date)
                .collect(),
            games_missing_over_a_day: missing
                .iter()
                .filter(|g| g.game_date < request.game_date)
                .count() as u32,
            work_reenqueued: done.reenqueued,
            auto_reset_circuit_breakers: request.auto_reset_circuit_breakers,
            dry_run: request.dry_run,
            checked_at: canonical_timestamp(request.run_at),
            dates,
            predictions,
        };
        if writes {
            let mut detail = serde_json::to_value(&report).expect("reports serialise");
            detail["summary"] = serde_json::Value::String(report.summary());
            self.events.publish(COMPLETENESS_REPORT, &detail).await?;
        }
        Ok(report)
    }

    /// Every breaker on the tripped index that DynamoDB's TTL may not have deleted yet
    /// at `at` (TTL deletion is eventual: an expired item can still be read for days,
    /// and is past its horizon).
    async fn tripped_in_horizon(
        &self,
        at: DateTime<Utc>,
    ) -> Result<Vec<TrippedBreaker>, StoreError> {
        Ok(self
            .breakers
            .tripped_all()
            .await?
            .into_iter()
            .filter(|b| b.expires_at.is_none_or(|e| e > at))
            .collect())
    }
}

/// The reset path alone needs no bus, no backfill ledger and no predictions.
impl<G, B, Q, E, P> CompletenessChecker<G, B, Q, E, P>
where
    G: GameDataStore,
    B: BreakerResets,
    Q: MessageSender,
{
    fn resets(&self) -> BreakerReset<'_, G, B, Q> {
        BreakerReset {
            games: &self.games,
            breakers: &self.breakers,
            queues: &self.queues,
        }
    }

    /// Clears each breaker (conditionally), enqueues the work of those cleared, then
    /// forgets that work. Returns (breakers reset, work items enqueued). The check, the
    /// processor and the operators' `nba-props breakers reset` all reset through
    /// `domain::breaker_reset`.
    pub async fn reset_breakers(
        &self,
        ready: &[TrippedBreaker],
        now: DateTime<Utc>,
    ) -> Result<(u32, u32), StoreError> {
        let done = self.resets().reset(ready, now).await?;
        Ok((done.reset, done.reenqueued))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_default_date_is_yesterday_in_new_york_across_dst_changes() {
        let cases = [
            // 06:00 EDT on 2025-03-09 (clocks sprang forward at 02:00) is 10:00 UTC.
            ("2025-03-09T10:00:00Z", "2025-03-08"),
            // 06:00 EST on 2025-11-02 (clocks fell back at 02:00 EDT) is 11:00 UTC.
            ("2025-11-02T11:00:00Z", "2025-11-01"),
            // Ordinary days: 06:00 EST = 11:00 UTC, 06:00 EDT = 10:00 UTC.
            ("2025-01-15T11:00:00Z", "2025-01-14"),
            ("2025-07-15T10:00:00Z", "2025-07-14"),
            // Late evening in New York is already the next day in UTC: still New York's
            // yesterday, not UTC's.
            ("2025-11-05T03:30:00Z", "2025-11-03"),
            // Around midnight on the DST days themselves (EST, then EDT).
            ("2025-03-09T04:30:00Z", "2025-03-07"),
            ("2025-03-09T05:30:00Z", "2025-03-08"),
            ("2025-11-02T03:30:00Z", "2025-10-31"),
            ("2025-11-02T05:30:00Z", "2025-11-01"),
        ];
        for (run_at, expected) in cases {
            assert_eq!(default_game_date(at(run_at)), date(expected), "{run_at}");
        }
    }

    #[test]
    fn an_empty_or_null_input_takes_every_default() {
        let now = at("2025-11-05T11:00:00Z");
        for input in [json!({}), serde_json::Value::Null] {
            let r = CheckRequest::from_input(&input, now, DEFAULT_LOOKBACK_DAYS).unwrap();
            assert_eq!(r.game_date, date("2025-11-04"));
            assert_eq!(r.lookback_days, 7);
            assert!(r.auto_reset_circuit_breakers && r.request_backfill && !r.dry_run);
            let dates = r.checked_dates();
            assert_eq!(dates.len(), 8);
            assert_eq!(dates.first(), Some(&date("2025-10-28")));
            assert_eq!(dates.last(), Some(&date("2025-11-04")));
        }
        // The function's configured default applies when the input does not say.
        let r = CheckRequest::from_input(&json!({}), now, 0).unwrap();
        assert_eq!(r.checked_dates(), vec![date("2025-11-04")]);
    }

    #[test]
    fn the_scheduled_time_decides_the_date_not_the_delivery_time() {
        // Scheduled at 06:00 EST on 2025-03-09, delivered a day late by retries.
        let r = CheckRequest::from_input(
            &json!({"scheduled_time": "2025-03-09T11:00:00Z"}),
            at("2025-03-10T12:00:00Z"),
            DEFAULT_LOOKBACK_DAYS,
        )
        .unwrap();
        assert_eq!(r.game_date, date("2025-03-08"));
    }

    #[test]
    fn every_field_is_read() {
        let r = CheckRequest::from_input(
            &json!({"game_date": "2025-11-04", "lookback_days": 2,
                    "auto_reset_circuit_breakers": false, "request_backfill": false,
                    "dry_run": true}),
            at("2025-11-06T11:00:00Z"),
            DEFAULT_LOOKBACK_DAYS,
        )
        .unwrap();
        assert_eq!(
            r.checked_dates(),
            vec![date("2025-11-02"), date("2025-11-03"), date("2025-11-04")]
        );
        assert!(!r.auto_reset_circuit_breakers && !r.request_backfill && r.dry_run);
    }

    #[test]
    fn bad_input_is_refused_with_the_field_named() {
        let now = at("2025-11-06T11:00:00Z");
        let cases = [
            (json!({"game_date": "2025-02-30"}), "game_date"),
            (json!({"game_date": "11/04/2025"}), "game_date"),
            (json!({"game_date": "2025-11-4"}), "game_date"),
            (json!({"game_date": "2025-11-07"}), "after today"),
            (json!({"lookback_days": -1}), "lookback_days"),
            (json!({"lookback_days": 31}), "lookback_days"),
            (json!({"lookback_days": "3"}), "lookback_days"),
            (json!({"dry_run": "yes"}), "dry_run"),
            (
                json!({"auto_reset_circuit_breakers": 0}),
                "auto_reset_circuit_breakers",
            ),
            (
                json!({"auto_reset_circuit_breaker": false}),
                "unknown field",
            ),
            (json!({"scheduled_time": "yesterday"}), "scheduled_time"),
            (json!([1, 2]), "expected a JSON object"),
            (json!("2025-11-04"), "expected a JSON object"),
        ];
        for (input, needle) in cases {
            let err = CheckRequest::from_input(&input, now, DEFAULT_LOOKBACK_DAYS)
                .expect_err(&input.to_string())
                .to_string();
            assert!(err.contains(needle), "{input}: {err}");
        }
    }

    fn report(dry_run: bool) -> CompletenessReport {
        CompletenessReport {
            game_date: date("2024-11-06"),
            games_expected: 12,
            games_complete: 11,
            missing_games: vec!["0022400180".into()],
            circuit_breakers_reset: 14,
            backfill_requested: 1,
            backfill_given_up: vec![],
            breakers_ready: 14,
            breakers_still_tripped: 2,
            still_tripped_by_processor: vec![TrippedByProcessor {
                processor: "player_daily_cache".into(),
                tripped: 2,
                oldest: "player_daily_cache/player#jalenbrunson/2024-11-07".into(),
                oldest_reason: "NYK's game 0022400180 on 2024-11-06 has no box score yet".into(),
            }],
            dates_without_schedule: vec![date("2024-11-05")],
            games_missing_over_a_day: 0,
            work_reenqueued: 14,
            auto_reset_circuit_breakers: true,
            dry_run,
            checked_at: "2024-11-07T11:00:00.000000Z".into(),
            dates: vec![
                DateCompleteness {
                    game_date: date("2024-11-05"),
                    schedule_stored: false,
                    games_expected: 0,
                    games_complete: 0,
                    missing_games: vec![],
                    not_played: vec![],
                },
                DateCompleteness {
                    game_date: date("2024-11-06"),
                    schedule_stored: true,
                    games_expected: 12,
                    games_complete: 11,
                    missing_games: vec![MissingGame {
                        game_id: "0022400180".into(),
                        game_date: date("2024-11-06"),
                        home: "BOS".into(),
                        away: "NYK".into(),
                    }],
                    not_played: vec![UnplayedGame {
                        game_id: "0022400181".into(),
                        home: "MIA".into(),
                        away: "ORL".into(),
                        status: ScheduleStatus::Postponed,
                    }],
                },
            ],
            predictions: vec![
                MarketLineCount {
                    market: crate::model::Market::Points,
                    with_line: 150,
                    without_line: 40,
                },
                MarketLineCount {
                    market: crate::model::Market::Rebounds,
                    with_line: 0,
                    without_line: 190,
                },
            ],
        }
    }

    #[test]
    fn the_summary_says_what_is_missing_and_what_was_done() {
        let s = report(false).summary();
        assert!(s.contains("for 2024-11-05 to 2024-11-06"), "{s}");
        assert!(s.contains("11 of 12 games complete"), "{s}");
        // Missing games sit under their date, the date with its count.
        assert!(
            s.contains(
                "Missing box scores by date:\n  2024-11-06: 1 of 12 game(s)\n    0022400180 NYK @ BOS\n"
            ),
            "{s}"
        );
        assert!(
            s.contains("Not played (postponed): 0022400181 ORL @ MIA (2024-11-06)"),
            "{s}"
        );
        assert!(
            s.contains(
                "Predictions for 2024-11-06: 380 (with a sportsbook line / without):\n  points: 150 / 40\n  rebounds: 0 / 190"
            ),
            "{s}"
        );
        assert!(
            s.contains("player_daily_cache: 2 tripped, oldest player_daily_cache/player#jalenbrunson/2024-11-07"),
            "{s}"
        );
        assert!(s.contains("No schedule stored for: 2024-11-05."), "{s}");
        assert!(s.contains("Backfill requested: 1"), "{s}");
        assert!(
            s.contains("14 reset (14 work item(s) re-enqueued), 2 still tripped"),
            "{s}"
        );
        assert!(!s.contains("DRY RUN"), "{s}");
        assert!(report(true).summary().contains("DRY RUN"));
    }

    #[test]
    fn still_tripped_breakers_are_grouped_by_processor_with_their_oldest() {
        use crate::model::{BreakerKey, ProcessorName};
        let tripped = |processor, entity: &str, day: &str| {
            (
                TrippedBreaker {
                    key: BreakerKey {
                        processor_name: processor,
                        entity_id: entity.into(),
                        analysis_date: date(day),
                    },
                    state: Default::default(),
                    trip_count: 1,
                    pending_work: vec![],
                    expires_at: None,
                },
                format!("{entity} waits"),
            )
        };
        let groups = by_processor(&[
            tripped(ProcessorName::PlayerDailyCache, "player#b", "2024-11-08"),
            tripped(
                ProcessorName::TeamDefenseZoneAnalysis,
                "team#NYK",
                "2024-11-09",
            ),
            tripped(ProcessorName::PlayerDailyCache, "player#a", "2024-11-07"),
        ]);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].processor, "player_daily_cache");
        assert_eq!(groups[0].tripped, 2);
        assert_eq!(groups[0].oldest, "player_daily_cache/player#a/2024-11-07");
        assert_eq!(groups[0].oldest_reason, "player#a waits");
        assert_eq!(groups[1].tripped, 1);
    }

    #[test]
    fn a_dry_run_counts_no_resets_or_backfills_in_its_metrics() {
        let real = report(false).metrics("NbaProps").to_emf(0);
        assert_eq!(real["CircuitBreakersReset"], 14);
        assert_eq!(real["BackfillRequested"], 1);
        let dry = report(true).metrics("NbaProps").to_emf(0);
        assert!(dry.get("CircuitBreakersReset").is_none(), "{dry}");
        assert!(dry.get("BackfillRequested").is_none(), "{dry}");
        assert_eq!(dry["GamesMissing"], 1);
    }

    #[test]
    fn the_report_serialises_with_the_contract_fields() {
        let v = serde_json::to_value(report(false)).unwrap();
        for field in [
            "game_date",
            "games_expected",
            "games_complete",
            "missing_games",
            "circuit_breakers_reset",
            "backfill_requested",
        ] {
            assert!(v.get(field).is_some(), "{field} missing from {v}");
        }
        assert_eq!(v["game_date"], "2024-11-06");
        assert_eq!(v["missing_games"], json!(["0022400180"]));
    }
}

//! `nba-props breakers`: the circuit breakers open now, one breaker with its recorded
//! work, and a reset through the completeness checker's own conditional reset.

use anyhow::{Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use nba_props::adapters::dynamodb::BreakerTable;
use nba_props::domain::completeness::CompletenessChecker;
use nba_props::model::TrippedBreaker;
use nba_props::model::ids::BreakerKey;
use nba_props::ports::{BreakerResets, BreakerStore, EventPublisher, GameDataStore, MessageSender};
use serde::Serialize;

/// Which open breakers to list.
#[derive(Debug, Clone, Default)]
pub struct BreakerFilter {
    /// Only this processor (`player_daily_cache`, ...).
    pub processor: Option<String>,
    /// Only this analysis date.
    pub analysis_date: Option<NaiveDate>,
    /// Only this entity (`player#lebronjames`, `team#BOS`, or the bare lookup or team).
    pub entity: Option<String>,
}

impl BreakerFilter {
    fn keeps(&self, b: &TrippedBreaker) -> bool {
        let entity_matches = |e: &str| {
            b.key.entity_id == e
                || nba_props::model::ids::split_entity_id(&b.key.entity_id)
                    .is_some_and(|(_, id)| id == e)
        };
        self.processor
            .as_deref()
            .is_none_or(|p| b.key.processor_name.to_string() == p)
            && self.analysis_date.is_none_or(|d| b.key.analysis_date == d)
            && self.entity.as_deref().is_none_or(entity_matches)
    }
}

/// One breaker, as an operator reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakerRow {
    /// `processor/entity/date`: what `breakers show` and `breakers reset` take.
    pub key: String,
    /// Processor.
    pub processor: String,
    /// Entity.
    pub entity_id: String,
    /// Analysis date.
    pub analysis_date: NaiveDate,
    /// Open now (tripped, and the lockout has not ended).
    pub open: bool,
    /// End of the lockout.
    pub until: Option<DateTime<Utc>>,
    /// Failures counted.
    pub attempts: u32,
    /// Times it has tripped.
    pub trips: u32,
    /// The last failure's reason.
    pub last_error: Option<String>,
    /// Work recorded while it was open (message bodies), enqueued again on reset.
    pub pending_work: Vec<String>,
}

impl BreakerRow {
    fn of(b: &TrippedBreaker, now: DateTime<Utc>) -> Self {
        Self {
            key: b.key.to_string(),
            processor: b.key.processor_name.to_string(),
            entity_id: b.key.entity_id.clone(),
            analysis_date: b.key.analysis_date,
            open: b.state.is_open(now),
            until: b.state.circuit_breaker_until,
            attempts: b.state.attempt_count,
            trips: b.trip_count,
            last_error: b.state.last_error.clone(),
            pending_work: b.pending_work.clone(),
        }
    }
}

/// The breakers open at `now` that pass the filter, newest lockout first.
pub async fn open_breakers(
    table: &BreakerTable,
    filter: &BreakerFilter,
    now: DateTime<Utc>,
) -> Result<Vec<BreakerRow>> {
    let tripped = match filter.analysis_date {
        Some(date) => table.tripped_on(date).await?,
        None => table.tripped_all().await?,
    };
    let mut rows: Vec<BreakerRow> = tripped
        .iter()
        .filter(|b| b.state.is_open(now) && filter.keeps(b))
        .map(|b| BreakerRow::of(b, now))
        .collect();
    rows.sort_by(|a, b| b.until.cmp(&a.until).then_with(|| a.key.cmp(&b.key)));
    Ok(rows)
}

/// One breaker, open or not: with its recorded work when tripped, else its counted
/// failures.
pub async fn show(
    table: &BreakerTable,
    key: &BreakerKey,
    now: DateTime<Utc>,
) -> Result<BreakerRow> {
    if let Some(b) = table.tripped(key).await? {
        return Ok(BreakerRow::of(&b, now));
    }
    match BreakerStore::get_many(table, std::slice::from_ref(key))
        .await?
        .remove(key)
    {
        Some(state) => Ok(BreakerRow::of(
            &TrippedBreaker {
                key: key.clone(),
                state,
                trip_count: 0,
                pending_work: Vec::new(),
                expires_at: None,
            },
            now,
        )),
        None => bail!("no breaker {key}"),
    }
}

/// What `breakers reset` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResetReport {
    /// The breaker.
    pub key: String,
    /// Whether this reset cleared it (false: it was not tripped, or it changed
    /// meanwhile, or it had been cleared already and only its work was enqueued).
    pub reset: bool,
    /// Work items enqueued again on the processor queue.
    pub work_enqueued: u32,
}

/// Resets one breaker the way the morning check does: a conditional clear, then its
/// recorded work enqueued again, then that work forgotten.
pub async fn reset<G, Q, E, P>(
    checker: &CompletenessChecker<G, BreakerTable, Q, E, P>,
    key: &BreakerKey,
    now: DateTime<Utc>,
) -> Result<ResetReport>
where
    G: GameDataStore,
    Q: MessageSender,
    E: EventPublisher,
{
    // Only a breaker on the tripped index: tripped, or cleared with its work not yet
    // enqueued (which the reset finishes).
    let (reset, work_enqueued) = match checker.breakers.tripped(key).await? {
        Some(b) => checker.reset_breakers(&[b], now).await?,
        None => (0, 0),
    };
    Ok(ResetReport {
        key: key.to_string(),
        reset: reset > 0,
        work_enqueued,
    })
}

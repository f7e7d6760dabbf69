//! The `completeness-checker` function: the scheduler's (or a manual) JSON input in,
//! the report out (`domain::completeness` does the work).

use chrono::Utc;

use crate::domain::completeness::{CheckError, CompletenessChecker, CompletenessReport};
use crate::ports::{
    BackfillLedger, BreakerResets, EventPublisher, GameDataStore, MessageSender, PredictionCounts,
};

/// The Lambda entry point: validates the input, runs the check, logs the report as one
/// structured line, emits EMF and returns the report as JSON.
pub async fn handle_event<G, B, Q, E, P>(
    checker: &CompletenessChecker<G, B, Q, E, P>,
    input: serde_json::Value,
) -> Result<CompletenessReport, CheckError>
where
    G: GameDataStore + BackfillLedger,
    B: BreakerResets,
    Q: MessageSender,
    E: EventPublisher,
    P: PredictionCounts,
{
    let report = checker.check_input(&input, Utc::now()).await?;
    tracing::info!(
        game_date = %report.game_date,
        games_expected = report.games_expected,
        games_complete = report.games_complete,
        missing_games = ?report.missing_games,
        circuit_breakers_reset = report.circuit_breakers_reset,
        backfill_requested = report.backfill_requested,
        breakers_still_tripped = report.breakers_still_tripped,
        work_reenqueued = report.work_reenqueued,
        dry_run = report.dry_run,
        "completeness report"
    );
    report.metrics(checker.metrics_namespace()).emit();
    Ok(report)
}

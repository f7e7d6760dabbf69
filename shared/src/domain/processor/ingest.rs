//! Ingest: schedules, box scores and shot charts stored as game data. The first
//! schedule of a date also fans out that date's work.

use chrono::{DateTime, Utc};

use super::{Processor, ProcessorTally, RecordResult};
use crate::domain::breaker_reset::BreakerReset;
use crate::model::{BoxScore, Schedule, ShotChart};
use crate::ports::{
    BoxScoreOutcome, BoxScoreRejected, BreakerResets, GameDataStore, MessageSender, StoreError,
};

impl<G, B, F, Q, E> Processor<G, B, F, Q, E>
where
    G: GameDataStore,
    B: BreakerResets,
    Q: MessageSender,
{
    /// Stores a schedule (replacing the date's stored one) and fans out its date's
    /// work, unless that was done whole before; then only the work of its played games
    /// whose work never went out whole (added, or no longer postponed) is sent. Each is
    /// marked sent only after every send succeeded: a delivery that fails or stops half
    /// way leaves it unmarked, and the redelivery sends it again (work items are
    /// idempotent). A redelivery never finds work marked sent that was not.
    pub(super) async fn ingest_schedule(&self, schedule: &Schedule) -> RecordResult {
        let err = |e: StoreError| e.to_string();
        let unsent = self.games.put_schedule(schedule).await.map_err(err)?;
        let mut tally = ProcessorTally {
            schedules: 1,
            ..Default::default()
        };
        let date = schedule.game_date;
        if !self.games.fan_out_done(date).await.map_err(err)? {
            tally.work_enqueued = self.fan_out(schedule).await.map_err(err)? as u64;
            self.games
                .mark_fanned_out(date, &unsent)
                .await
                .map_err(err)?;
            self.games.mark_fan_out_done(date).await.map_err(err)?;
        } else if !unsent.is_empty() {
            let added = Schedule {
                game_date: date,
                games: schedule
                    .games
                    .iter()
                    .filter(|g| unsent.contains(&g.game_id))
                    .cloned()
                    .collect(),
            };
            tally.work_enqueued = self.fan_out(&added).await.map_err(err)? as u64;
            self.games
                .mark_fanned_out(date, &unsent)
                .await
                .map_err(err)?;
        }
        Ok(tally.into())
    }

    /// Stores a box score unless the same or a newer version is stored, then resets
    /// the breakers that were waiting for it, so their entities process again within
    /// minutes instead of the next morning. A redelivery of the same version resets
    /// again (a reset that failed half way is finished by it; one that succeeded finds
    /// nothing left to do).
    pub(super) async fn ingest_box_score(
        &self,
        box_score: &BoxScore,
        now: DateTime<Utc>,
    ) -> RecordResult {
        let mut tally = ProcessorTally::default();
        match self.games.put_box_score(box_score).await {
            Ok(BoxScoreOutcome::Stored) => tally.box_scores_stored = 1,
            Ok(BoxScoreOutcome::Duplicate) => tally.box_scores_ignored = 1,
            Ok(BoxScoreOutcome::Stale) => {
                tally.box_scores_ignored = 1;
                return Ok(tally.into());
            }
            Err(BoxScoreRejected::Store(e)) => return Err(e.to_string()),
            Err(rejected) => return Err(format!("box score refused: {rejected}")),
        }
        let resets = BreakerReset {
            games: &self.games,
            breakers: &self.breakers,
            queues: &self.queues,
        };
        let done = resets
            .after_box_score(&box_score.game_id, box_score.game_date, now)
            .await
            .map_err(|e| format!("resetting the breakers of game {}: {e}", box_score.game_id))?;
        if done.reset > 0 {
            tracing::info!(
                game_id = %box_score.game_id,
                breakers_reset = done.reset,
                work_reenqueued = done.reenqueued,
                "box score stored: the breakers waiting for it are reset"
            );
        }
        tally.breakers_reset = u64::from(done.reset);
        tally.work_enqueued = u64::from(done.reenqueued);
        Ok(tally.into())
    }

    /// Stores a shot chart of a scheduled game.
    pub(super) async fn ingest_shot_chart(&self, chart: &ShotChart) -> RecordResult {
        match self.games.put_shot_chart(chart).await {
            Ok(()) => Ok(ProcessorTally {
                shot_charts_stored: 1,
                ..Default::default()
            }
            .into()),
            Err(BoxScoreRejected::Store(e)) => Err(e.to_string()),
            Err(rejected) => Err(format!("shot chart refused: {rejected}")),
        }
    }
}

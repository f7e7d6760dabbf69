//! Ingest: schedules, box scores and shot charts stored as game data. The first
//! schedule of a date also fans out that date's work.

use super::{Processor, ProcessorTally, RecordResult};
use crate::model::{BoxScore, Schedule, ShotChart};
use crate::ports::{BoxScoreOutcome, BoxScoreRejected, GameDataStore, MessageSender};

impl<G, B, F, Q, E> Processor<G, B, F, Q, E>
where
    G: GameDataStore,
    Q: MessageSender,
{
    /// Stores a schedule and fans out its date's work, unless that was done whole
    /// before. The fan-out is marked done only after every send succeeded: a delivery
    /// that fails or stops half way leaves it unmarked, and the redelivery sends it all
    /// again (work items are idempotent). A redelivery never finds it marked with work
    /// unsent.
    pub(super) async fn ingest_schedule(&self, schedule: &Schedule) -> RecordResult {
        self.games
            .put_schedule(schedule)
            .await
            .map_err(|e| e.to_string())?;
        let mut tally = ProcessorTally {
            schedules: 1,
            ..Default::default()
        };
        let date = schedule.game_date;
        if !self
            .games
            .fan_out_done(date)
            .await
            .map_err(|e| e.to_string())?
        {
            let work = self.fan_out(schedule).await.map_err(|e| e.to_string())?;
            self.games
                .mark_fan_out_done(date)
                .await
                .map_err(|e| e.to_string())?;
            tally.work_enqueued = work as u64;
        }
        Ok(tally.into())
    }

    /// Stores a box score unless the same or a newer version is stored.
    pub(super) async fn ingest_box_score(&self, box_score: &BoxScore) -> RecordResult {
        match self.games.put_box_score(box_score).await {
            Ok(BoxScoreOutcome::Stored) => Ok(ProcessorTally {
                box_scores_stored: 1,
                ..Default::default()
            }
            .into()),
            Ok(BoxScoreOutcome::Stale | BoxScoreOutcome::Duplicate) => Ok(ProcessorTally {
                box_scores_ignored: 1,
                ..Default::default()
            }
            .into()),
            Err(BoxScoreRejected::Store(e)) => Err(e.to_string()),
            Err(rejected) => Err(format!("box score refused: {rejected}")),
        }
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

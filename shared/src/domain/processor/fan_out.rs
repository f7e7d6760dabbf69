//! Fan-out: the per-entity work of a newly scheduled date, sent to the processor queue.

use std::collections::BTreeSet;

use chrono::Duration;
use futures::{StreamExt, TryStreamExt, stream};

use super::Processor;
use crate::domain::processors::ROSTER_DAYS;
use crate::model::ids::{player_entity_id, team_entity_id};
use crate::model::{ProcessorName, RosterEntry, RosterSource, Schedule, WorkItem};

/// Roster reads in flight at once.
const ROSTER_CONCURRENCY: usize = 8;
use crate::ports::{Destination, GameDataStore, MessageSender, StoreError};

impl<G, B, F, Q, E> Processor<G, B, F, Q, E>
where
    G: GameDataStore,
    Q: MessageSender,
{
    /// Enqueues the per-entity work of a scheduled date.
    pub(super) async fn fan_out(&self, schedule: &Schedule) -> Result<usize, StoreError> {
        let date = schedule.game_date;
        // Postponed and cancelled games have no work: nothing is computed for them.
        let teams: Vec<&String> = schedule
            .games
            .iter()
            .filter(|g| g.status.is_played())
            .flat_map(|g| [&g.home, &g.away])
            .collect();
        // Rosters are read a few at a time: a slate's thirty reads one after another
        // would take a good part of the function's timeout.
        let rosters: Vec<Vec<RosterEntry>> = stream::iter(&teams)
            .map(|team| self.games.roster(team, date - Duration::days(ROSTER_DAYS)))
            .buffered(ROSTER_CONCURRENCY)
            .try_collect()
            .await?;
        let mut work = BTreeSet::new();
        for (team, roster) in teams.into_iter().zip(rosters) {
            for processor in [
                ProcessorName::TeamDefenseZoneAnalysis,
                ProcessorName::UpcomingTeamGameContext,
            ] {
                work.insert(WorkItem {
                    processor,
                    entity_id: team_entity_id(team),
                    analysis_date: date,
                });
            }
            for entry in roster {
                // A player known only from shot charts has no lines to average.
                let processors: &[ProcessorName] = match entry.source {
                    RosterSource::Lines => &[
                        ProcessorName::PlayerDailyCache,
                        ProcessorName::PlayerShotZoneAnalysis,
                    ],
                    RosterSource::Shots => &[ProcessorName::PlayerShotZoneAnalysis],
                };
                for processor in processors {
                    work.insert(WorkItem {
                        processor: *processor,
                        entity_id: player_entity_id(&entry.player_lookup),
                        analysis_date: date,
                    });
                }
            }
        }
        // Team work first (it is what players' composite factors read); the queue
        // adapter sends batches in parallel, so this is a preference, not an order.
        let mut ordered: Vec<&WorkItem> = work.iter().collect();
        ordered.sort_by_key(|w| w.processor.is_player_processor());
        let bodies: Vec<String> = ordered.iter().map(|w| w.to_body()).collect();
        self.queues
            .send_all(Destination::ProcessorQueue, &bodies)
            .await?;
        tracing::info!(analysis_date = %date, work_items = bodies.len(), "fan-out enqueued");
        Ok(bodies.len())
    }
}

//! Prop-lines ingest: a game's snapshot matched to its players, one line chosen per
//! player and market and stored, and the predictions of players whose line moved
//! re-priced.
//!
//! Re-pricing needs the player's features: a request for a player without them would
//! fail until the queue gave it up. The lines are stored before the features are
//! looked up, and the composite stores features before it sends its own request, so
//! whichever comes second sees the other: a line and features that arrive together
//! are always priced together.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt, stream};

use super::{Done, Processor, ProcessorTally, RecordResult};
use crate::domain::prediction_request::PredictionRequest;
use crate::domain::processors::ROSTER_DAYS;
use crate::domain::prop_lines::{PlayerNames, choose_lines};
use crate::model::ids::player_entity_id;
use crate::model::{ProcessorName, PropLineSnapshot};
use crate::ports::{
    Destination, FeatureSource, GameDataStore, LineOutcome, PropLineStore, StoreError,
};

/// Line writes in flight at once.
const LINE_WRITE_CONCURRENCY: usize = 16;

impl<G, B, F, Q, E> Processor<G, B, F, Q, E>
where
    G: GameDataStore,
    F: FeatureSource + PropLineStore,
{
    /// Stores a game's prop lines and asks for the re-pricing of the players whose
    /// line is new or moved.
    pub(super) async fn ingest_prop_lines(
        &self,
        snapshot: &PropLineSnapshot,
        now: DateTime<Utc>,
    ) -> RecordResult {
        let err = |e: StoreError| e.to_string();
        // The game must be the scheduled one, as for a box score.
        let day = self
            .games
            .schedule_on(snapshot.game_date)
            .await
            .map_err(err)?;
        let Some(game) = day.games.iter().find(|g| g.game_id == snapshot.game_id) else {
            return Err(format!(
                "prop lines refused: game {} is not on the schedule of {}",
                snapshot.game_id, snapshot.game_date
            ));
        };
        if (game.home.as_str(), game.away.as_str())
            != (snapshot.home.as_str(), snapshot.away.as_str())
        {
            return Err(format!(
                "prop lines refused: game {} is scheduled as {} @ {}, the lines say {} @ {}",
                game.game_id, game.away, game.home, snapshot.away, snapshot.home
            ));
        }

        let since = snapshot.game_date - chrono::Duration::days(ROSTER_DAYS);
        let mut players = Vec::new();
        for team in [&snapshot.home, &snapshot.away] {
            let roster = self.games.roster(team, since).await.map_err(err)?;
            players.extend(roster.into_iter().map(|r| r.player_lookup));
        }
        let chosen = choose_lines(snapshot, &PlayerNames::new(&players), &self.book_priority);
        for (name, rows) in &chosen.unmatched {
            tracing::warn!(
                sportsbook_name = %name,
                rows,
                game_id = %snapshot.game_id,
                game_date = %snapshot.game_date,
                "prop line name matches no player of either team; its lines are not used"
            );
        }

        let outcomes: Vec<(String, LineOutcome)> = stream::iter(&chosen.lines)
            .map(|line| async move {
                let outcome = self.features.put_line_if_newer(line).await?;
                Ok::<_, StoreError>((line.player_lookup.clone(), outcome))
            })
            .buffer_unordered(LINE_WRITE_CONCURRENCY)
            .try_collect()
            .await
            .map_err(err)?;
        // The players whose line is new or moved, each once.
        let stored: Vec<String> = outcomes
            .into_iter()
            .filter_map(|(player, o)| (o == LineOutcome::Stored).then_some(player))
            .collect();
        let moved: BTreeSet<&str> = stored.iter().map(String::as_str).collect();

        let mut done = Done::from(ProcessorTally {
            prop_snapshots: 1,
            prop_lines_stored: stored.len() as u64,
            prop_lines_unchanged: (chosen.lines.len() - stored.len()) as u64,
            prop_rows_unmatched: chosen.unmatched.values().sum::<usize>() as u64,
            ..Default::default()
        });
        if moved.is_empty() {
            return Ok(done);
        }
        let entity_ids: Vec<String> = moved.iter().map(|p| player_entity_id(p)).collect();
        let priced = self
            .features
            .stored_outputs(
                &entity_ids,
                ProcessorName::PlayerCompositeFactors,
                snapshot.game_date,
            )
            .await
            .map_err(err)?;
        for (player_lookup, entity_id) in moved.iter().zip(&entity_ids) {
            if !priced.contains(entity_id) {
                continue;
            }
            let request = PredictionRequest {
                player_lookup: player_lookup.to_string(),
                game_date: snapshot.game_date,
                generated_at: now,
            };
            done.follow_ups
                .push((Destination::PredictionQueue, request.to_body()));
        }
        Ok(done)
    }
}

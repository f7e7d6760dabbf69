//! `player_composite_factors`: the player's form, his team's game and the opponent's
//! defence combined into the features the prediction writer reads.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::{
    PlayerDailyCache, ProcessorError, TeamDefense, TeamGameContext, player_daily_cache,
    team_defense_zone_analysis, upcoming_team_game_context,
};
use crate::model::ids::{player_entity_id, team_entity_id};
use crate::model::{PlayerGameFeatures, ProcessorName, canonical_timestamp};
use crate::ports::{FeatureSource, GameDataStore};

/// Reads a processor's stored output, or computes it when it is not stored yet (the
/// processors of a date run in any order).
async fn stored_or<T, Fut>(
    features: &impl FeatureSource,
    entity_id: String,
    processor: ProcessorName,
    date: NaiveDate,
    compute: impl FnOnce() -> Fut,
) -> Result<T, ProcessorError>
where
    T: for<'de> Deserialize<'de>,
    Fut: Future<Output = Result<T, ProcessorError>>,
{
    if let Some(value) = features
        .get_output(&entity_id, processor, date)
        .await?
        .and_then(|stored| serde_json::from_value(stored).ok())
    {
        return Ok(value);
    }
    compute().await
}

/// Computes `player_composite_factors`: the player's form, his team's game context and
/// the opponent's defence (as their processors stored them, or computed now), combined
/// into the features the prediction writer reads, stamped with `now` (the features
/// table keeps the stored stamp when a recompute gives the same features).
pub async fn player_composite_factors(
    store: &impl GameDataStore,
    features: &impl FeatureSource,
    player_lookup: &str,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<PlayerGameFeatures, ProcessorError> {
    let form: PlayerDailyCache = stored_or(
        features,
        player_entity_id(player_lookup),
        ProcessorName::PlayerDailyCache,
        date,
        || player_daily_cache(store, player_lookup, date),
    )
    .await?;
    let context: TeamGameContext = stored_or(
        features,
        team_entity_id(&form.team),
        ProcessorName::UpcomingTeamGameContext,
        date,
        || upcoming_team_game_context(store, &form.team, date),
    )
    .await?;
    let defense: TeamDefense = stored_or(
        features,
        team_entity_id(&context.opponent),
        ProcessorName::TeamDefenseZoneAnalysis,
        date,
        || team_defense_zone_analysis(store, &context.opponent, date),
    )
    .await?;
    Ok(PlayerGameFeatures {
        player_lookup: player_lookup.to_string(),
        player_name: form.player_name,
        game_date: date,
        team: form.team,
        opponent: context.opponent,
        home: context.home,
        games_used: form.games_used,
        minutes_avg: form.minutes_avg,
        points_avg: form.points_avg,
        rebounds_avg: form.rebounds_avg,
        assists_avg: form.assists_avg,
        rest_days: Some(form.rest_days),
        back_to_back: form.rest_days == 1,
        opponent_points_factor: defense.points_factor,
        opponent_rebounds_factor: defense.rebounds_factor,
        opponent_assists_factor: defense.assists_factor,
        opponent_pace: defense.pace,
        computed_at: canonical_timestamp(now),
    })
}

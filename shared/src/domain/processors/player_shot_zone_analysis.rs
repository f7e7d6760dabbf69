//! `player_shot_zone_analysis`: where a player shoots from and how well, by court zone.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{ProcessorError, WINDOW, recent_team_games};
use crate::model::round;
use crate::ports::GameDataStore;

/// One court zone of a player's recent shots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZoneSummary {
    /// Attempts.
    pub fga: u32,
    /// Makes.
    pub fgm: u32,
    /// Share of the player's attempts.
    pub share: f64,
    /// Field-goal percentage in the zone.
    pub fg_pct: f64,
}

/// `player_shot_zone_analysis`: where a player shoots from and how well.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayerShotZones {
    /// Player lookup key.
    pub player_lookup: String,
    /// Analysis date.
    pub analysis_date: NaiveDate,
    /// False when there are no shot charts (only 2023-24 has them here).
    pub shot_data: bool,
    /// Shot charts summed (at most [`WINDOW`]).
    pub games_used: u32,
    /// By zone name.
    pub zones: BTreeMap<String, ZoneSummary>,
}

/// Computes `player_shot_zone_analysis` over the player's last [`WINDOW`] shot charts;
/// reports "no shot data" (not a failure) when there are none, as for seasons whose
/// feed has no shot locations.
pub async fn player_shot_zone_analysis(
    store: &impl GameDataStore,
    player_lookup: &str,
    date: NaiveDate,
) -> Result<PlayerShotZones, ProcessorError> {
    let games = store
        .player_shots_before(player_lookup, date, WINDOW)
        .await?;
    if let Some(latest) = games.first() {
        recent_team_games(store, &latest.team, date).await?;
    }
    let mut totals: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for game in &games {
        for (zone, shots) in &game.zones {
            let t = totals.entry(zone.clone()).or_default();
            t.0 += shots.fga;
            t.1 += shots.fgm;
        }
    }
    let all: u32 = totals.values().map(|(fga, _)| fga).sum();
    let zones = totals
        .into_iter()
        .map(|(zone, (fga, fgm))| {
            let summary = ZoneSummary {
                fga,
                fgm,
                share: if all > 0 {
                    round(f64::from(fga) / f64::from(all), 3)
                } else {
                    0.0
                },
                fg_pct: if fga > 0 {
                    round(f64::from(fgm) / f64::from(fga), 3)
                } else {
                    0.0
                },
            };
            (zone, summary)
        })
        .collect();
    Ok(PlayerShotZones {
        player_lookup: player_lookup.to_string(),
        analysis_date: date,
        shot_data: all > 0,
        games_used: games.len() as u32,
        zones,
    })
}

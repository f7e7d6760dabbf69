//! `team_defense_zone_analysis`: what a team allows, against the league.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{LEAGUE_DAYS, ProcessorError, mean, recent_team_games};
use crate::model::{TeamTotals, round};
use crate::ports::GameDataStore;

/// `team_defense_zone_analysis`: what a team allows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamDefense {
    /// Team abbreviation.
    pub team: String,
    /// Analysis date.
    pub analysis_date: NaiveDate,
    /// Games averaged (at most [`WINDOW`]).
    pub games_used: u32,
    /// Opponent points per game.
    pub points_allowed_avg: f64,
    /// Opponent rebounds per game.
    pub rebounds_allowed_avg: f64,
    /// Opponent assists per game.
    pub assists_allowed_avg: f64,
    /// Opponent field-goal percentage.
    pub opponent_fg_pct: f64,
    /// Share of opponent attempts that were threes.
    pub opponent_three_rate: f64,
    /// Possessions per game, both teams averaged (FGA - OREB + TOV + 0.44 FTA).
    pub pace: f64,
    /// Points allowed relative to the league's average per team-game (1.0 = average).
    pub points_factor: f64,
    /// Rebounds allowed relative to the league.
    pub rebounds_factor: f64,
    /// Assists allowed relative to the league.
    pub assists_factor: f64,
}

fn possessions(t: &TeamTotals) -> f64 {
    f64::from(t.fga) - f64::from(t.oreb) + f64::from(t.tov) + 0.44 * f64::from(t.fta)
}

/// Computes `team_defense_zone_analysis` over the team's last [`WINDOW`] games, with
/// factors against the league's last [`LEAGUE_DAYS`] days.
pub async fn team_defense_zone_analysis(
    store: &impl GameDataStore,
    team: &str,
    date: NaiveDate,
) -> Result<TeamDefense, ProcessorError> {
    let games = recent_team_games(store, team, date).await?;
    let pairs: Vec<(&TeamTotals, &TeamTotals)> = games
        .iter()
        .filter_map(|g| Some((g.totals.as_ref()?, g.opponent_totals.as_ref()?)))
        .collect();
    let allowed = |f: fn(&TeamTotals) -> u32| mean(pairs.iter().map(|(_, opp)| f64::from(f(opp))));
    let (points, rebounds, assists) = (allowed(|t| t.pts), allowed(|t| t.reb), allowed(|t| t.ast));
    let opp_fga: u32 = pairs.iter().map(|(_, o)| o.fga).sum();
    let league = store
        .league_games(date - Duration::days(LEAGUE_DAYS), date)
        .await?;
    let league_avg = |f: fn(&TeamTotals) -> u32| {
        mean(
            league
                .iter()
                .filter_map(|g| g.totals.as_ref())
                .map(|t| f64::from(f(t))),
        )
    };
    let factor = |allowed: f64, league: f64| {
        if pairs.is_empty() || league <= 0.0 {
            1.0
        } else {
            round(allowed / league, 3)
        }
    };
    Ok(TeamDefense {
        team: team.to_string(),
        analysis_date: date,
        games_used: pairs.len() as u32,
        points_allowed_avg: round(points, 2),
        rebounds_allowed_avg: round(rebounds, 2),
        assists_allowed_avg: round(assists, 2),
        opponent_fg_pct: if opp_fga > 0 {
            round(
                f64::from(pairs.iter().map(|(_, o)| o.fgm).sum::<u32>()) / f64::from(opp_fga),
                3,
            )
        } else {
            0.0
        },
        opponent_three_rate: if opp_fga > 0 {
            round(
                f64::from(pairs.iter().map(|(_, o)| o.fg3a).sum::<u32>()) / f64::from(opp_fga),
                3,
            )
        } else {
            0.0
        },
        pace: round(
            mean(
                pairs
                    .iter()
                    .map(|(t, o)| (possessions(t) + possessions(o)) / 2.0),
            ),
            1,
        ),
        points_factor: factor(points, league_avg(|t| t.pts)),
        rebounds_factor: factor(rebounds, league_avg(|t| t.reb)),
        assists_factor: factor(assists, league_avg(|t| t.ast)),
    })
}

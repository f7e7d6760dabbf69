//! Player features for one game: what the prediction writer reads.
//!
//! In production the `player_composite_factors` processor writes these; the computation
//! from game logs lives here so tests, the local replay and the processor share it.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::nba_data::PlayerGameLine;
use crate::prediction::Market;

/// Games of recent form averaged.
pub const FORM_WINDOW: usize = 10;

/// Name of the processor whose output the writer reads.
pub const COMPOSITE_FACTORS: &str = "player_composite_factors";

/// A player's features for one game date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayerGameFeatures {
    /// Player lookup key.
    pub player_lookup: String,
    /// Display name.
    pub player_name: String,
    /// The game date these features are for (the analysis date).
    pub game_date: NaiveDate,
    /// Player's team.
    pub team: String,
    /// Opponent.
    pub opponent: String,
    /// Whether the team is at home.
    pub home: bool,
    /// Games in the form window (at most [`FORM_WINDOW`]).
    pub games_used: u32,
    /// Average minutes over the window.
    pub minutes_avg: f64,
    /// Average points over the window.
    pub points_avg: f64,
    /// Average rebounds over the window.
    pub rebounds_avg: f64,
    /// Average assists over the window.
    pub assists_avg: f64,
    /// Days since the player's previous game.
    pub rest_days: Option<u32>,
    /// Second night of a back-to-back.
    pub back_to_back: bool,
    /// Points the opponent allows per game relative to the league (1.0 = average).
    pub opponent_points_factor: f64,
    /// Rebounds the opponent allows relative to the league.
    pub opponent_rebounds_factor: f64,
    /// Assists the opponent allows relative to the league.
    pub opponent_assists_factor: f64,
}

impl PlayerGameFeatures {
    /// A plausible feature set for unit tests.
    pub fn example() -> Self {
        Self {
            player_lookup: "lebronjames".into(),
            player_name: "LeBron James".into(),
            game_date: NaiveDate::from_ymd_opt(2025, 11, 5).expect("valid date"),
            team: "LAL".into(),
            opponent: "SAS".into(),
            home: false,
            games_used: 10,
            minutes_avg: 34.0,
            points_avg: 24.0,
            rebounds_avg: 7.5,
            assists_avg: 8.0,
            rest_days: Some(2),
            back_to_back: false,
            opponent_points_factor: 1.0,
            opponent_rebounds_factor: 1.0,
            opponent_assists_factor: 1.0,
        }
    }

    /// Features table partition key of a player.
    pub fn entity_id(player_lookup: &str) -> String {
        format!("player#{player_lookup}")
    }

    /// Features table sort key for this processor's output on a date.
    pub fn feature_key(game_date: NaiveDate) -> String {
        format!("{COMPOSITE_FACTORS}#{game_date}")
    }
}

/// The (player, game date) a feature lookup is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeatureKey {
    /// Player lookup key.
    pub player_lookup: String,
    /// Game date.
    pub game_date: NaiveDate,
}

/// Reads player features.
pub trait FeatureStore: Send + Sync {
    /// Fetches the features of many players at once; keys without features are absent
    /// from the map.
    fn get_many(
        &self,
        keys: &[FeatureKey],
    ) -> impl std::future::Future<
        Output = Result<HashMap<FeatureKey, PlayerGameFeatures>, crate::StoreError>,
    > + Send;
}

/// Stores processor outputs.
pub trait FeatureSink: Send + Sync {
    /// Stores one processor's output for an entity and analysis date (overwrites: a
    /// recomputation of the same inputs gives the same output).
    fn put_output(
        &self,
        entity_id: &str,
        processor: crate::breaker::ProcessorName,
        analysis_date: NaiveDate,
        output: &serde_json::Value,
    ) -> impl std::future::Future<Output = Result<(), crate::StoreError>> + Send;
}

/// Reads stored processor outputs.
pub trait FeatureSource: Send + Sync {
    /// One processor's output for an entity and analysis date, if stored.
    fn get_output(
        &self,
        entity_id: &str,
        processor: crate::breaker::ProcessorName,
        analysis_date: NaiveDate,
    ) -> impl std::future::Future<Output = Result<Option<serde_json::Value>, crate::StoreError>> + Send;
}

/// Per-team totals allowed, summed from the opposing players' lines of each game.
#[derive(Default)]
struct Allowed {
    games: u32,
    totals: [f64; 3],
}

impl Allowed {
    fn add(&mut self, totals: &[f64; 3]) {
        self.games += 1;
        for (sum, x) in self.totals.iter_mut().zip(totals) {
            *sum += x;
        }
    }
}

/// Computes every player's features for every game in `lines`, using only games
/// strictly before each game date. Players with no earlier game are skipped: there is
/// no form to predict from.
///
/// Opponent factors compare what a team's opponents produced against it with the
/// league-wide average per team-game, both summed from the player lines; the files hold
/// about 90% of each box score, and the ratio cancels that out.
pub fn compute_game_features(lines: &[PlayerGameLine]) -> Vec<PlayerGameFeatures> {
    let mut by_player: BTreeMap<String, Vec<&PlayerGameLine>> = BTreeMap::new();
    for line in lines {
        by_player
            .entry(line.player_lookup())
            .or_default()
            .push(line);
    }
    for games in by_player.values_mut() {
        games.sort_by_key(|l| l.date);
    }

    // (date, defending team) -> what its opponents produced that day.
    let mut allowed_by_game: BTreeMap<(NaiveDate, &str), [f64; 3]> = BTreeMap::new();
    for line in lines {
        let slot = allowed_by_game
            .entry((line.date, line.opponent.as_str()))
            .or_default();
        for (i, market) in Market::ALL.into_iter().enumerate() {
            slot[i] += line.stat(market);
        }
    }

    let mut out = Vec::new();
    for (lookup, games) in &by_player {
        for (i, game) in games.iter().enumerate() {
            if i == 0 {
                continue;
            }
            let window = &games[i.saturating_sub(FORM_WINDOW)..i];
            let n = window.len() as f64;
            let avg =
                |f: &dyn Fn(&PlayerGameLine) -> f64| window.iter().map(|l| f(l)).sum::<f64>() / n;
            let rest_days = (game.date - games[i - 1].date).num_days();
            let factors = opponent_factors(&allowed_by_game, game.date, &game.opponent);
            out.push(PlayerGameFeatures {
                player_lookup: lookup.clone(),
                player_name: game.player.clone(),
                game_date: game.date,
                team: game.team().to_string(),
                opponent: game.opponent.clone(),
                home: game.is_home(),
                games_used: window.len() as u32,
                minutes_avg: round2(avg(&|l| l.minutes)),
                points_avg: round2(avg(&|l| l.stat(Market::Points))),
                rebounds_avg: round2(avg(&|l| l.stat(Market::Rebounds))),
                assists_avg: round2(avg(&|l| l.stat(Market::Assists))),
                rest_days: u32::try_from(rest_days).ok(),
                back_to_back: rest_days == 1,
                opponent_points_factor: factors[0],
                opponent_rebounds_factor: factors[1],
                opponent_assists_factor: factors[2],
            });
        }
    }
    out
}

fn opponent_factors(
    allowed_by_game: &BTreeMap<(NaiveDate, &str), [f64; 3]>,
    before: NaiveDate,
    opponent: &str,
) -> [f64; 3] {
    let mut league = Allowed::default();
    let mut team = Allowed::default();
    for ((date, defender), totals) in allowed_by_game.range(..(before, "")) {
        debug_assert!(*date < before);
        league.add(totals);
        if *defender == opponent {
            team.add(totals);
        }
    }
    let mut factors = [1.0; 3];
    if team.games > 0 && league.games > 0 {
        for ((factor, team_total), league_total) in
            factors.iter_mut().zip(team.totals).zip(league.totals)
        {
            let league_avg = league_total / f64::from(league.games);
            if league_avg > 0.0 {
                *factor = round3((team_total / f64::from(team.games)) / league_avg);
            }
        }
    }
    factors
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(
        player: &str,
        date: &str,
        team: &str,
        opp: &str,
        pts: u32,
        reb: u32,
        ast: u32,
    ) -> PlayerGameLine {
        PlayerGameLine {
            player: player.into(),
            player_id: 1,
            date: date.parse().unwrap(),
            matchup: format!("{team} vs. {opp}"),
            minutes: 30.0,
            fgm: 0,
            fga: 0,
            threes_made: 0,
            threes_attempted: 0,
            ftm: 0,
            fta: 0,
            reb,
            ast,
            tov: 0,
            pts,
            opponent: opp.into(),
            home_away: "HOME".into(),
            player_normalized: player.into(),
        }
    }

    #[test]
    fn form_uses_only_earlier_games_and_flags_back_to_backs() {
        let lines = vec![
            line("A B", "2025-11-01", "AAA", "BBB", 10, 4, 2),
            line("A B", "2025-11-03", "AAA", "CCC", 20, 6, 4),
            line("A B", "2025-11-04", "AAA", "BBB", 99, 99, 99),
        ];
        let f = compute_game_features(&lines);
        assert_eq!(f.len(), 2, "the first game has no form");
        let last = f
            .iter()
            .find(|f| f.game_date.to_string() == "2025-11-04")
            .unwrap();
        assert_eq!(last.points_avg, 15.0);
        assert_eq!(last.rebounds_avg, 5.0);
        assert_eq!(last.games_used, 2);
        assert!(last.back_to_back);
        assert_eq!(last.rest_days, Some(1));
    }

    #[test]
    fn opponent_factor_compares_allowed_with_league_average() {
        // BBB allowed 30 points on 11-01; CCC allowed 10 on 11-02: league average 20.
        let lines = vec![
            line("X", "2025-11-01", "AAA", "BBB", 30, 0, 0),
            line("Y", "2025-11-02", "DDD", "CCC", 10, 0, 0),
            line("X", "2025-11-05", "AAA", "BBB", 0, 0, 0),
        ];
        let f = compute_game_features(&lines);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].opponent_points_factor, 1.5);
    }
}

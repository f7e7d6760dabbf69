//! Player features computed in process from player game logs: test data for the
//! prediction writer's own tests and bench (the processors compute the pipeline's
//! features from stored game data).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use nba_props::model::{Market, PlayerGameFeatures, round};

use crate::nba_data::PlayerGameLine;

/// Games of recent form averaged.
pub const FORM_WINDOW: usize = 10;

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
                minutes_avg: round(avg(&|l| l.minutes), 2),
                points_avg: round(avg(&|l| l.stat(Market::Points)), 2),
                rebounds_avg: round(avg(&|l| l.stat(Market::Rebounds)), 2),
                assists_avg: round(avg(&|l| l.stat(Market::Assists)), 2),
                rest_days: u32::try_from(rest_days).ok(),
                back_to_back: rest_days == 1,
                opponent_points_factor: factors[0],
                opponent_rebounds_factor: factors[1],
                opponent_assists_factor: factors[2],
                // Deterministic, so reseeding gives the same features and version.
                computed_at: format!("{}T12:00:00.000000Z", game.date),
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
                *factor = round((team_total / f64::from(team.games)) / league_avg, 3);
            }
        }
    }
    factors
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
            oreb: 0,
            dreb: reb,
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

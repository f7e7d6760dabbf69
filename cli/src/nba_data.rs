//! Readers for the real NBA data files (and the compact fixtures cut from them):
//! player game logs, schedules (team game logs), sportsbook prop lines and the shot
//! file, and their conversion into the pipeline's ingest messages. Only the CLI, the
//! tests and the benches read data files; no Lambda function links this.

use std::collections::BTreeMap;
use std::io::Read;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::America::New_York;
use nba_props::model::{
    BoxScore, Market, PlayerLine, PlayerShots, PropLineRow, PropLineSnapshot, Schedule,
    ScheduleStatus, ScheduledGame, ShotChart, TeamTotals, ZoneShots, player_lookup,
};
use serde::Deserialize;

/// A data file that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {source}")]
pub struct DataError {
    what: String,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl DataError {
    fn new(
        what: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            what: what.into(),
            source: source.into(),
        }
    }
}

/// One player's line in one game (`player_game_logs.csv`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PlayerGameLine {
    /// Display name.
    pub player: String,
    /// NBA person id.
    pub player_id: u64,
    /// Game date.
    pub date: NaiveDate,
    /// "LAL @ DAL" (away) or "LAL vs. HOU" (home).
    pub matchup: String,
    /// Minutes played (decimal).
    pub minutes: f64,
    /// Field goals made / attempted.
    pub fgm: u32,
    /// Field goals attempted.
    pub fga: u32,
    /// Three-pointers made.
    pub threes_made: u32,
    /// Three-pointers attempted.
    pub threes_attempted: u32,
    /// Free throws made.
    pub ftm: u32,
    /// Free throws attempted.
    pub fta: u32,
    /// Total rebounds.
    pub reb: u32,
    /// Assists.
    pub ast: u32,
    /// Turnovers.
    pub tov: u32,
    /// Offensive rebounds.
    pub oreb: u32,
    /// Defensive rebounds.
    pub dreb: u32,
    /// Points.
    pub pts: u32,
    /// Opponent abbreviation.
    pub opponent: String,
    /// "HOME" or "AWAY".
    pub home_away: String,
    /// Name with accents removed, as the source spells it.
    pub player_normalized: String,
}

impl PlayerGameLine {
    /// The player's team abbreviation (first word of the matchup).
    pub fn team(&self) -> &str {
        self.matchup.split_whitespace().next().unwrap_or_default()
    }

    /// Whether the player's team was at home.
    pub fn is_home(&self) -> bool {
        self.home_away.eq_ignore_ascii_case("HOME")
    }

    /// The player's lookup key.
    pub fn player_lookup(&self) -> String {
        player_lookup(&self.player_normalized)
    }

    /// The line's value for a market.
    pub fn stat(&self, market: Market) -> f64 {
        f64::from(match market {
            Market::Points => self.pts,
            Market::Rebounds => self.reb,
            Market::Assists => self.ast,
        })
    }
}

/// Reads player game lines from CSV.
pub fn read_player_lines(reader: impl Read) -> Result<Vec<PlayerGameLine>, DataError> {
    csv::Reader::from_reader(reader)
        .deserialize()
        .enumerate()
        .map(|(i, row)| {
            row.map_err(|e| DataError::new(format!("player game log row {}", i + 2), e))
        })
        .collect()
}

/// One team's row of a game (`team_game_logs.csv` / `games.csv`, LeagueGameLog format).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub struct TeamGameRow {
    /// NBA team id.
    pub team_id: u64,
    /// NBA game id ("0022500192").
    pub game_id: String,
    /// Game date.
    pub game_date: NaiveDate,
    /// Team abbreviation.
    pub team_abbreviation: String,
    /// Full team name ("Boston Celtics").
    pub team_name: String,
    /// "BKN @ NYK" or "NYK vs. BKN".
    pub matchup: String,
    /// Points scored.
    pub pts: u32,
    /// Field goals made.
    pub fgm: u32,
    /// Field goals attempted.
    pub fga: u32,
    /// Three-pointers made.
    pub fg3m: u32,
    /// Three-pointers attempted.
    pub fg3a: u32,
    /// Free throws made.
    pub ftm: u32,
    /// Free throws attempted.
    pub fta: u32,
    /// Offensive rebounds.
    pub oreb: u32,
    /// Defensive rebounds.
    pub dreb: u32,
    /// Total rebounds.
    pub reb: u32,
    /// Assists.
    pub ast: u32,
    /// Turnovers.
    pub tov: u32,
    /// Point margin (the opponent scored `pts - plus_minus`).
    pub plus_minus: f64,
}

impl TeamGameRow {
    /// The row as box-score team totals.
    pub fn totals(&self) -> TeamTotals {
        TeamTotals {
            team: self.team_abbreviation.clone(),
            pts: self.pts,
            fgm: self.fgm,
            fga: self.fga,
            fg3m: self.fg3m,
            fg3a: self.fg3a,
            ftm: self.ftm,
            fta: self.fta,
            oreb: self.oreb,
            dreb: self.dreb,
            reb: self.reb,
            ast: self.ast,
            tov: self.tov,
        }
    }

    /// (home, away) abbreviations from the matchup.
    pub fn home_away(&self) -> Option<(String, String)> {
        let parts: Vec<&str> = self.matchup.split_whitespace().collect();
        match parts.as_slice() {
            [team, "@", other] => Some(((*other).into(), (*team).into())),
            [team, "vs.", other] => Some(((*team).into(), (*other).into())),
            _ => None,
        }
    }
}

/// A team's totals rebuilt from its players' lines when the data has no row for it
/// (2025-26's `games.csv` lists one team per game). Points are exact (the other
/// row's `PTS - PLUS_MINUS`); shooting, rebounds, assists and turnovers are the sums
/// of the players the logs have, which lack some players. Their missing points are
/// added as two-point makes (and a made free throw when odd), so the totals add up
/// as a box score must; rebounds and assists stay undercounted.
pub fn reconstruct_totals(team: &str, pts: u32, lines: &[&PlayerGameLine]) -> TeamTotals {
    let sum = |f: fn(&PlayerGameLine) -> u32| lines.iter().map(|l| f(l)).sum::<u32>();
    let mut t = TeamTotals {
        team: team.to_string(),
        pts,
        fgm: sum(|l| l.fgm),
        fga: sum(|l| l.fga),
        fg3m: sum(|l| l.threes_made),
        fg3a: sum(|l| l.threes_attempted),
        ftm: sum(|l| l.ftm),
        fta: sum(|l| l.fta),
        oreb: sum(|l| l.oreb),
        dreb: sum(|l| l.dreb),
        reb: sum(|l| l.oreb) + sum(|l| l.dreb),
        ast: sum(|l| l.ast),
        tov: sum(|l| l.tov),
    };
    let counted = 2 * t.fgm + t.fg3m + t.ftm;
    let missing = pts.saturating_sub(counted);
    t.fgm += missing / 2;
    t.fga += missing / 2;
    t.ftm += missing % 2;
    t.fta += missing % 2;
    // Should the logs hold more points than the score (they do not), trust the lines.
    t.pts = 2 * t.fgm + t.fg3m + t.ftm;
    t
}

/// Reads team game rows from CSV.
pub fn read_team_rows(reader: impl Read) -> Result<Vec<TeamGameRow>, DataError> {
    csv::Reader::from_reader(reader)
        .deserialize()
        .enumerate()
        .map(|(i, row)| row.map_err(|e| DataError::new(format!("team game log row {}", i + 2), e)))
        .collect()
}

/// One sportsbook prop offer (`props/props_YYYY-MM-DD.csv`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PropOffer {
    /// Player name as the book spells it.
    pub player: String,
    /// "Away Team @ Home Team", full names.
    pub game: String,
    /// Sportsbook market name (`player_points`, ...).
    pub market: String,
    /// The line (absent for yes/no markets such as double-doubles).
    pub line: Option<f64>,
    /// Bookmaker.
    pub bookmaker: String,
    /// Tip-off time (UTC).
    pub game_time: DateTime<Utc>,
    /// American odds of the over.
    pub over_odds: Option<f64>,
    /// American odds of the under.
    pub under_odds: Option<f64>,
}

/// Reads prop offers from CSV.
pub fn read_prop_offers(reader: impl Read) -> Result<Vec<PropOffer>, DataError> {
    csv::Reader::from_reader(reader)
        .deserialize()
        .enumerate()
        .map(|(i, row)| row.map_err(|e| DataError::new(format!("props row {}", i + 2), e)))
        .collect()
}

/// The sportsbooks' team names. Not taken from the logs: 2025-26's `games.csv` has one
/// team's row per game, so a team can be missing from its `TEAM_NAME` column.
const BOOK_TEAM_NAMES: [(&str, &str); 30] = [
    ("Atlanta Hawks", "ATL"),
    ("Boston Celtics", "BOS"),
    ("Brooklyn Nets", "BKN"),
    ("Charlotte Hornets", "CHA"),
    ("Chicago Bulls", "CHI"),
    ("Cleveland Cavaliers", "CLE"),
    ("Dallas Mavericks", "DAL"),
    ("Denver Nuggets", "DEN"),
    ("Detroit Pistons", "DET"),
    ("Golden State Warriors", "GSW"),
    ("Houston Rockets", "HOU"),
    ("Indiana Pacers", "IND"),
    ("Los Angeles Clippers", "LAC"),
    ("Los Angeles Lakers", "LAL"),
    ("Memphis Grizzlies", "MEM"),
    ("Miami Heat", "MIA"),
    ("Milwaukee Bucks", "MIL"),
    ("Minnesota Timberwolves", "MIN"),
    ("New Orleans Pelicans", "NOP"),
    ("New York Knicks", "NYK"),
    ("Oklahoma City Thunder", "OKC"),
    ("Orlando Magic", "ORL"),
    ("Philadelphia 76ers", "PHI"),
    ("Phoenix Suns", "PHX"),
    ("Portland Trail Blazers", "POR"),
    ("Sacramento Kings", "SAC"),
    ("San Antonio Spurs", "SAS"),
    ("Toronto Raptors", "TOR"),
    ("Utah Jazz", "UTA"),
    ("Washington Wizards", "WAS"),
];

/// What converting prop offers into snapshots left out, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PropConversion {
    /// Offers read.
    pub offers: usize,
    /// Offers of the three markets turned into snapshot rows.
    pub rows: usize,
    /// Offers of other markets (threes, blocks, double-doubles, ...), left out.
    pub other_markets: usize,
    /// Offers without a line or odds.
    pub incomplete: usize,
    /// Offers whose game is not in the schedule (team names or date unknown).
    pub unknown_game: usize,
}

/// Turns prop offers into `prop_lines` snapshots, one per scheduled game: the game is
/// found by its teams' names (the logs' `TEAM_NAME`s and the thirty the books use) and
/// the US Eastern date of its tip-off. The files carry no
/// snapshot time ("pulled before that evening's games"), so each snapshot is stamped
/// two hours before its game's tip-off. Odds are rounded to whole American odds.
pub fn prop_snapshots(
    offers: &[PropOffer],
    days: &[GameDay],
    team_rows: &[TeamGameRow],
) -> (Vec<PropLineSnapshot>, PropConversion) {
    let mut names: BTreeMap<&str, &str> = team_rows
        .iter()
        .map(|r| (r.team_name.as_str(), r.team_abbreviation.as_str()))
        .collect();
    names.extend(BOOK_TEAM_NAMES);
    let mut games: BTreeMap<(NaiveDate, &str, &str), &str> = BTreeMap::new();
    for day in days {
        for g in &day.schedule.games {
            games.insert((day.date, &g.home, &g.away), &g.game_id);
        }
    }
    let mut report = PropConversion {
        offers: offers.len(),
        ..PropConversion::default()
    };
    let mut out: BTreeMap<String, PropLineSnapshot> = BTreeMap::new();
    for offer in offers {
        if !matches!(
            offer.market.as_str(),
            "player_points" | "player_rebounds" | "player_assists"
        ) {
            report.other_markets += 1;
            continue;
        }
        let (Some(line), Some(over), Some(under)) = (offer.line, offer.over_odds, offer.under_odds)
        else {
            report.incomplete += 1;
            continue;
        };
        let date = offer.game_time.with_timezone(&New_York).date_naive();
        let teams = offer
            .game
            .split_once(" @ ")
            .and_then(|(a, h)| Some((*names.get(h)?, *names.get(a)?)));
        let Some(game_id) = teams.and_then(|(h, a)| games.get(&(date, h, a))) else {
            report.unknown_game += 1;
            continue;
        };
        let (home, away) = teams.expect("found above");
        report.rows += 1;
        out.entry(game_id.to_string())
            .or_insert_with(|| PropLineSnapshot {
                game_id: game_id.to_string(),
                game_date: date,
                home: home.to_string(),
                away: away.to_string(),
                snapshot_at: offer.game_time - chrono::Duration::hours(2),
                lines: Vec::new(),
            })
            .lines
            .push(PropLineRow {
                player: offer.player.clone(),
                market: offer.market.clone(),
                line,
                over_odds: over.round() as i32,
                under_odds: under.round() as i32,
                bookmaker: offer.bookmaker.clone(),
            });
    }
    (out.into_values().collect(), report)
}

/// One date's ingest messages: its schedule and its games' box scores.
#[derive(Debug, Clone, PartialEq)]
pub struct GameDay {
    /// The date.
    pub date: NaiveDate,
    /// Games expected.
    pub schedule: Schedule,
    /// Box scores, by game id.
    pub box_scores: Vec<BoxScore>,
}

/// Builds schedule and box-score messages from team game logs with both teams' rows
/// (LeagueGameLog format, as 2024-25's) and player game logs, joined on (date, team).
/// Box scores say they were last updated at 08:00 UTC the morning after the game.
pub fn game_days(
    team_rows: &[TeamGameRow],
    lines: &[PlayerGameLine],
) -> Result<Vec<GameDay>, DataError> {
    let mut games: BTreeMap<&str, Vec<&TeamGameRow>> = BTreeMap::new();
    for row in team_rows {
        games.entry(row.game_id.as_str()).or_default().push(row);
    }
    let mut players: BTreeMap<(NaiveDate, &str), Vec<&PlayerGameLine>> = BTreeMap::new();
    for line in lines {
        players
            .entry((line.date, line.team()))
            .or_default()
            .push(line);
    }
    let mut days: BTreeMap<NaiveDate, GameDay> = BTreeMap::new();
    for (game_id, rows) in games {
        let (date, home, away) = match rows.as_slice() {
            [a, b] => {
                let (home, away) = if a.matchup.contains("vs.") {
                    (a, b)
                } else {
                    (b, a)
                };
                (home.game_date, home.totals(), away.totals())
            }
            // 2025-26's games.csv has one team's row per game: the other side is
            // reconstructed from its players' lines.
            [row] => {
                let (home, away) = row.home_away().ok_or_else(|| {
                    DataError::new(
                        format!("game {game_id}"),
                        format!("matchup {:?}", row.matchup),
                    )
                })?;
                let other = if home == row.team_abbreviation {
                    away
                } else {
                    home.clone()
                };
                let other_lines = players
                    .get(&(row.game_date, other.as_str()))
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let opponent_pts = (f64::from(row.pts) - row.plus_minus).round();
                let reconstructed = reconstruct_totals(&other, opponent_pts as u32, other_lines);
                if row.team_abbreviation == home {
                    (row.game_date, row.totals(), reconstructed)
                } else {
                    (row.game_date, reconstructed, row.totals())
                }
            }
            _ => {
                return Err(DataError::new(
                    format!("game {game_id}"),
                    format!("{} team rows; a game has one or two", rows.len()),
                ));
            }
        };
        let player_lines = [&home, &away].into_iter().flat_map(|t| {
            players
                .get(&(date, t.team.as_str()))
                .into_iter()
                .flatten()
                .map(|l| PlayerLine {
                    player_id: l.player_id,
                    name: l.player_normalized.clone(),
                    team: t.team.clone(),
                    minutes: l.minutes,
                    pts: l.pts,
                    fgm: l.fgm,
                    fga: l.fga,
                    fg3m: l.threes_made,
                    fg3a: l.threes_attempted,
                    ftm: l.ftm,
                    fta: l.fta,
                    reb: l.reb,
                    ast: l.ast,
                    tov: l.tov,
                })
        });
        let box_score = BoxScore {
            game_id: game_id.to_string(),
            game_date: date,
            updated_at: (date + chrono::Days::new(1))
                .and_hms_opt(8, 0, 0)
                .expect("valid time")
                .and_utc(),
            players: player_lines.collect(),
            home: home.clone(),
            away: away.clone(),
        };
        let day = days.entry(date).or_insert_with(|| GameDay {
            date,
            schedule: Schedule {
                game_date: date,
                games: Vec::new(),
            },
            box_scores: Vec::new(),
        });
        day.schedule.games.push(ScheduledGame {
            game_id: game_id.to_string(),
            home: home.team.clone(),
            away: away.team.clone(),
            status: ScheduleStatus::Scheduled,
        });
        day.box_scores.push(box_score);
    }
    Ok(days.into_values().collect())
}

/// Aggregates a season's shot file (one row per field-goal attempt, NBA shot-chart
/// columns) into one [`ShotChart`] per game of `team_rows`; shots of other games are
/// skipped. The file's GAME_ID lacks the leading "00" and GAME_DATE is MM-DD-YYYY.
pub fn shot_charts(
    shots: impl Read,
    team_rows: &[TeamGameRow],
) -> Result<Vec<ShotChart>, DataError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    struct Shot {
        team_id: u64,
        player_id: u64,
        player_name: String,
        game_date: String,
        game_id: String,
        shot_made: String,
        basic_zone: String,
    }
    let mut teams: BTreeMap<u64, &str> = BTreeMap::new();
    let mut games: BTreeMap<&str, (NaiveDate, String, String)> = BTreeMap::new();
    for row in team_rows {
        teams.insert(row.team_id, &row.team_abbreviation);
        if let Some((home, away)) = row.home_away() {
            games.insert(&row.game_id, (row.game_date, home, away));
        }
    }
    // (game id, player id) -> (name, team, zone -> shots)
    type Zones = BTreeMap<String, ZoneShots>;
    let mut charts: BTreeMap<(String, u64), (String, String, Zones)> = BTreeMap::new();
    for (i, shot) in csv::Reader::from_reader(shots)
        .deserialize::<Shot>()
        .enumerate()
    {
        let shot = shot.map_err(|e| DataError::new(format!("shot row {}", i + 2), e))?;
        let game_id = format!("{:0>10}", shot.game_id);
        let Some((date, _, _)) = games.get(game_id.as_str()) else {
            continue;
        };
        let shot_date = NaiveDate::parse_from_str(&shot.game_date, "%m-%d-%Y")
            .map_err(|e| DataError::new(format!("shot row {}: GAME_DATE", i + 2), e))?;
        if shot_date != *date {
            return Err(DataError::new(
                format!("shot row {}", i + 2),
                format!("game {game_id} is on {date}, the shot says {shot_date}"),
            ));
        }
        let team = teams.get(&shot.team_id).ok_or_else(|| {
            DataError::new(
                format!("shot row {}", i + 2),
                format!("unknown TEAM_ID {}", shot.team_id),
            )
        })?;
        let entry = charts
            .entry((game_id, shot.player_id))
            .or_insert_with(|| (shot.player_name.clone(), team.to_string(), Zones::new()));
        let zone = entry.2.entry(shot.basic_zone).or_default();
        zone.fga += 1;
        if shot.shot_made.eq_ignore_ascii_case("true") {
            zone.fgm += 1;
        }
    }
    let mut out: BTreeMap<String, ShotChart> = BTreeMap::new();
    for ((game_id, player_id), (name, team, zones)) in charts {
        let (date, home, away) = &games[game_id.as_str()];
        out.entry(game_id.clone())
            .or_insert_with(|| ShotChart {
                game_id: game_id.clone(),
                game_date: *date,
                home: home.clone(),
                away: away.clone(),
                players: Vec::new(),
            })
            .players
            .push(PlayerShots {
                player_id,
                name,
                team,
                zones,
            });
    }
    Ok(out.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A team row with zero stats.
    fn team_row(abbr: &str, name: &str, matchup: &str) -> TeamGameRow {
        TeamGameRow {
            team_id: 1,
            game_id: "0022500150".into(),
            game_date: NaiveDate::from_ymd_opt(2025, 11, 5).unwrap(),
            team_abbreviation: abbr.into(),
            team_name: name.into(),
            matchup: matchup.into(),
            pts: 0,
            fgm: 0,
            fga: 0,
            fg3m: 0,
            fg3a: 0,
            ftm: 0,
            fta: 0,
            oreb: 0,
            dreb: 0,
            reb: 0,
            ast: 0,
            tov: 0,
            plus_minus: 0.0,
        }
    }

    #[test]
    fn matchups_give_home_and_away() {
        let row = |m: &str| team_row("BKN", "Brooklyn Nets", m);
        assert_eq!(
            row("BKN @ NYK").home_away(),
            Some(("NYK".into(), "BKN".into()))
        );
        assert_eq!(
            row("BKN vs. NYK").home_away(),
            Some(("BKN".into(), "NYK".into()))
        );
        assert_eq!(row("BKN v NYK").home_away(), None);
    }

    #[test]
    fn offers_become_one_snapshot_per_scheduled_game() {
        let team = |abbr: &str, name: &str| team_row(abbr, name, "");
        let teams = [team("LAC", "LA Clippers"), team("PHX", "Phoenix Suns")];
        let day = GameDay {
            date: NaiveDate::from_ymd_opt(2025, 11, 5).unwrap(),
            schedule: Schedule {
                game_date: NaiveDate::from_ymd_opt(2025, 11, 5).unwrap(),
                games: vec![ScheduledGame {
                    game_id: "0022500150".into(),
                    home: "LAC".into(),
                    away: "PHX".into(),
                    status: ScheduleStatus::Scheduled,
                }],
            },
            box_scores: Vec::new(),
        };
        let offer = |market: &str, game: &str| PropOffer {
            player: "Devin Booker".into(),
            game: game.into(),
            market: market.into(),
            line: Some(24.5),
            bookmaker: "fanduel".into(),
            // 03:30 UTC on the 6th is the evening of the 5th in New York.
            game_time: "2025-11-06T03:30:00Z".parse().unwrap(),
            over_odds: Some(-114.0),
            under_odds: Some(-106.0),
        };
        let offers = [
            // The books call the Clippers by their old name.
            offer("player_points", "Phoenix Suns @ Los Angeles Clippers"),
            offer("player_threes", "Phoenix Suns @ Los Angeles Clippers"),
            offer("player_points", "Phoenix Suns @ Boston Celtics"),
        ];
        let (snapshots, report) = prop_snapshots(&offers, &[day], &teams);
        assert_eq!(
            (report.rows, report.other_markets, report.unknown_game),
            (1, 1, 1)
        );
        let s = &snapshots[0];
        assert_eq!(
            (s.game_id.as_str(), s.home.as_str(), s.away.as_str()),
            ("0022500150", "LAC", "PHX")
        );
        assert_eq!(
            s.snapshot_at,
            "2025-11-06T01:30:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!((s.lines[0].over_odds, s.lines[0].under_odds), (-114, -106));
    }
}

//! Readers for the real NBA data files (and the compact fixtures cut from them):
//! player game logs, schedules (team game logs), sportsbook prop lines and the shot
//! file, and their conversion into the pipeline's ingest messages. Only the CLI, the
//! tests and the benches read data files; no Lambda function links this.

use std::collections::BTreeMap;
use std::io::Read;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::America::New_York;
use nba_props::model::{
    BoxScore, Market, PlayerLine, PlayerShots, Schedule, ScheduledGame, ShotChart, TeamTotals,
    ZoneShots, player_lookup,
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

/// Implied probability of American odds (-110 → 0.524).
fn implied_probability(odds: f64) -> f64 {
    if odds < 0.0 {
        -odds / (-odds + 100.0)
    } else {
        100.0 / (odds + 100.0)
    }
}

/// The main line of one player, market and (US Eastern) game date.
#[derive(Debug, Clone, PartialEq)]
pub struct MainLine {
    /// Player lookup key.
    pub player_lookup: String,
    /// Eastern game date.
    pub game_date: NaiveDate,
    /// Market.
    pub market: Market,
    /// Median over books of each book's most even-odds line.
    pub line: f64,
    /// How many books offered it.
    pub books: usize,
}

/// Picks the main line per (player, market, Eastern date) from alternate-line offers:
/// for each book the offer whose over and under odds are closest to even, then the
/// median of those across books. Markets other than points/rebounds/assists are skipped.
pub fn main_lines(offers: &[PropOffer]) -> Vec<MainLine> {
    type Key = (String, NaiveDate, Market);
    // (key) -> book -> (distance from even, line)
    let mut best: BTreeMap<Key, BTreeMap<&str, (f64, f64)>> = BTreeMap::new();
    for offer in offers {
        let Some(market) = Market::parse(&offer.market) else {
            continue;
        };
        let (Some(line), Some(over), Some(under)) = (offer.line, offer.over_odds, offer.under_odds)
        else {
            continue;
        };
        let date = offer.game_time.with_timezone(&New_York).date_naive();
        let distance = (implied_probability(over) - implied_probability(under)).abs();
        let key = (player_lookup(&offer.player), date, market);
        let books = best.entry(key).or_default();
        let slot = books
            .entry(&offer.bookmaker)
            .or_insert((f64::INFINITY, line));
        // Ties go to the lower line so the choice does not depend on file order.
        if distance < slot.0 || (distance == slot.0 && line < slot.1) {
            *slot = (distance, line);
        }
    }
    best.into_iter()
        .map(|((player_lookup, game_date, market), books)| {
            let mut lines: Vec<f64> = books.values().map(|(_, line)| *line).collect();
            lines.sort_by(f64::total_cmp);
            let n = lines.len();
            let median = if n % 2 == 1 {
                lines[n / 2]
            } else {
                (lines[n / 2 - 1] + lines[n / 2]) / 2.0
            };
            MainLine {
                player_lookup,
                game_date,
                market,
                line: median,
                books: n,
            }
        })
        .collect()
}

/// Reads main lines from the compact CSV the fixtures store
/// (`player_lookup,game_date,market,line,books`).
pub fn read_main_lines(reader: impl Read) -> Result<Vec<MainLine>, DataError> {
    #[derive(Deserialize)]
    struct Row {
        player_lookup: String,
        game_date: NaiveDate,
        market: String,
        line: f64,
        books: usize,
    }
    csv::Reader::from_reader(reader)
        .deserialize::<Row>()
        .enumerate()
        .map(|(i, row)| {
            let row = row.map_err(|e| DataError::new(format!("main lines row {}", i + 2), e))?;
            let market = Market::parse(&row.market).ok_or_else(|| {
                DataError::new(
                    format!("main lines row {}", i + 2),
                    format!("unknown market {:?}", row.market),
                )
            })?;
            Ok(MainLine {
                player_lookup: row.player_lookup,
                game_date: row.game_date,
                market,
                line: row.line,
                books: row.books,
            })
        })
        .collect()
}

/// Writes main lines in the compact fixture CSV form.
pub fn write_main_lines(lines: &[MainLine], writer: impl std::io::Write) -> Result<(), DataError> {
    let mut w = csv::Writer::from_writer(writer);
    let io = |e: csv::Error| DataError::new("writing main lines", e);
    w.write_record(["player_lookup", "game_date", "market", "line", "books"])
        .map_err(io)?;
    for l in lines {
        w.write_record([
            l.player_lookup.as_str(),
            &l.game_date.to_string(),
            l.market.as_str(),
            &l.line.to_string(),
            &l.books.to_string(),
        ])
        .map_err(io)?;
    }
    w.flush()
        .map_err(|e| DataError::new("writing main lines", e))
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
        let [a, b] = rows.as_slice() else {
            return Err(DataError::new(
                format!("game {game_id}"),
                format!(
                    "{} team rows; a box score needs both teams' rows",
                    rows.len()
                ),
            ));
        };
        let (home, away) = if a.matchup.contains("vs.") {
            (a, b)
        } else {
            (b, a)
        };
        let date = home.game_date;
        let player_lines = [home, away].into_iter().flat_map(|t| {
            players
                .get(&(date, t.team_abbreviation.as_str()))
                .into_iter()
                .flatten()
                .map(|l| PlayerLine {
                    player_id: l.player_id,
                    name: l.player_normalized.clone(),
                    team: t.team_abbreviation.clone(),
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
            home: home.totals(),
            away: away.totals(),
            players: player_lines.collect(),
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
            home: home.team_abbreviation.clone(),
            away: away.team_abbreviation.clone(),
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

    #[test]
    fn matchups_give_home_and_away() {
        let row = |m: &str| TeamGameRow {
            team_id: 1,
            game_id: "1".into(),
            game_date: NaiveDate::from_ymd_opt(2025, 11, 9).unwrap(),
            team_abbreviation: "BKN".into(),
            matchup: m.into(),
            pts: 98,
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
        };
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
    fn main_line_is_the_median_of_each_books_most_even_offer() {
        let offer = |book: &str, line: f64, over: f64, under: f64| PropOffer {
            player: "LeBron James".into(),
            market: "player_points".into(),
            line: Some(line),
            bookmaker: book.into(),
            // 00:30 UTC on the 6th is the evening of the 5th in New York.
            game_time: "2025-11-06T00:30:00Z".parse().unwrap(),
            over_odds: Some(over),
            under_odds: Some(under),
        };
        let offers = vec![
            offer("a", 24.5, -110.0, -110.0),
            offer("a", 29.5, 200.0, -250.0),
            offer("b", 25.5, -115.0, -105.0),
            offer("c", 23.5, -120.0, 100.0),
            offer("c", 26.5, 150.0, -180.0),
        ];
        let lines = main_lines(&offers);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].player_lookup, "lebronjames");
        assert_eq!(
            lines[0].game_date,
            NaiveDate::from_ymd_opt(2025, 11, 5).unwrap()
        );
        assert_eq!(lines[0].line, 24.5);
        assert_eq!(lines[0].books, 3);
    }
}

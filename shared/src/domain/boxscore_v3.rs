//! The NBA stats `boxscoretraditionalv3` response, converted into the box score message
//! the processor ingests. The backfill reads it; the CLI's stand-in source writes it.
//!
//! The response names no date and no game status, so the date comes from the backfill
//! request (the stored schedule's) and "final" is read off the team minutes: a game ends
//! exactly when a period of regulation or overtime ends with the scores apart, and
//! then each team has played 240 player-minutes plus 25 per overtime. A box score read
//! in the middle of a period, or at the end of a tied fourth quarter, is not final.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::processor_message::ProcessorMessage;
use crate::model::{BoxScore, PlayerLine, TeamTotals};

/// Player-minutes of a team in regulation (five players, 48 minutes).
const REGULATION_TEAM_MINUTES: u32 = 240;
/// Player-minutes of a team in one overtime period (five players, 5 minutes).
const OVERTIME_TEAM_MINUTES: u32 = 25;

/// A `boxscoretraditionalv3` response (the fields read; others are ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoxScoreV3 {
    /// Where the response came from and when.
    #[serde(default)]
    pub meta: Option<Meta>,
    /// The box score.
    #[serde(rename = "boxScoreTraditional")]
    pub box_score: Traditional,
}

/// The response's `meta`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// When the source produced the response (the box score's version).
    pub time: Option<String>,
}

/// `boxScoreTraditional`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Traditional {
    /// NBA game id.
    pub game_id: String,
    /// Home team.
    pub home_team: Team,
    /// Away team.
    pub away_team: Team,
}

/// One team of the box score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Team {
    /// Abbreviation ("TOR").
    pub team_tricode: String,
    /// Team totals.
    pub statistics: Statistics,
    /// Players (those who did not play have empty or zero minutes).
    pub players: Vec<Player>,
}

/// One player of a team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Player {
    /// NBA person id.
    pub person_id: u64,
    /// First name.
    pub first_name: String,
    /// Family name.
    pub family_name: String,
    /// The player's line.
    pub statistics: Statistics,
}

/// A team's or a player's statistics (the fields the pipeline stores).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Statistics {
    /// "MM:SS" (a team's is the sum of its players', "240:00" for regulation).
    #[serde(default)]
    pub minutes: String,
    /// Field goals made.
    pub field_goals_made: u32,
    /// Field goals attempted.
    pub field_goals_attempted: u32,
    /// Threes made.
    pub three_pointers_made: u32,
    /// Threes attempted.
    pub three_pointers_attempted: u32,
    /// Free throws made.
    pub free_throws_made: u32,
    /// Free throws attempted.
    pub free_throws_attempted: u32,
    /// Offensive rebounds.
    pub rebounds_offensive: u32,
    /// Defensive rebounds.
    pub rebounds_defensive: u32,
    /// Total rebounds.
    pub rebounds_total: u32,
    /// Assists.
    pub assists: u32,
    /// Turnovers.
    pub turnovers: u32,
    /// Points.
    pub points: u32,
}

/// Why a response cannot become the requested game's box score.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not a `boxscoretraditionalv3` document.
    #[error("not a boxscoretraditionalv3 response: {0}")]
    Malformed(String),
    /// Another game, or other teams, than the one asked for.
    #[error("the source answered for {got}, not {expected}")]
    WrongGame {
        /// What was asked for.
        expected: String,
        /// What came back.
        got: String,
    },
    /// The game is not over yet (or the box score is partial).
    #[error("game {game_id} is not final: {reason}")]
    NotFinal {
        /// NBA game id.
        game_id: String,
        /// What says so.
        reason: String,
    },
    /// The converted box score fails the ingest's validation.
    #[error("the box score fails validation: {0}")]
    Invalid(String),
}

/// "MM:SS" (or "MM") as minutes.
fn minutes(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return Some(0.0);
    }
    // Older responses write "PT36M12.00S".
    if let Some(iso) = text.strip_prefix("PT") {
        let (m, rest) = iso.split_once('M')?;
        let s = rest.trim_end_matches('S');
        let secs: f64 = if s.is_empty() { 0.0 } else { s.parse().ok()? };
        return Some(m.parse::<f64>().ok()? + secs / 60.0);
    }
    match text.split_once(':') {
        Some((m, s)) => Some(m.parse::<f64>().ok()? + s.parse::<f64>().ok()? / 60.0),
        None => text.parse().ok(),
    }
}

/// "MM:SS" of `minutes` (for the stand-in source).
pub fn minutes_text(minutes: f64) -> String {
    let seconds = (minutes * 60.0).round() as u64;
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

fn totals(team: &Team) -> TeamTotals {
    let s = &team.statistics;
    TeamTotals {
        team: team.team_tricode.clone(),
        pts: s.points,
        fgm: s.field_goals_made,
        fga: s.field_goals_attempted,
        fg3m: s.three_pointers_made,
        fg3a: s.three_pointers_attempted,
        ftm: s.free_throws_made,
        fta: s.free_throws_attempted,
        oreb: s.rebounds_offensive,
        dreb: s.rebounds_defensive,
        reb: s.rebounds_total,
        ast: s.assists,
        tov: s.turnovers,
    }
}

/// Whether a team's minutes say a whole number of periods from the fourth on.
fn ended_a_period(team_minutes: f64) -> bool {
    let whole = team_minutes.round() as u32;
    (team_minutes - f64::from(whole)).abs() < 0.01
        && whole >= REGULATION_TEAM_MINUTES
        && (whole - REGULATION_TEAM_MINUTES).is_multiple_of(OVERTIME_TEAM_MINUTES)
}

impl BoxScoreV3 {
    /// Parses a response body.
    pub fn parse(body: &[u8]) -> Result<Self, Refusal> {
        let mut de = serde_json::Deserializer::from_slice(body);
        serde_path_to_error::deserialize(&mut de)
            .map_err(|e| Refusal::Malformed(format!("at {}: {}", e.path(), e.inner())))
    }

    /// The box score of the requested game (`game_id`, played on `game_date` by `home`
    /// and `away`), if the response is that game, final, and valid. `fetched_at` is its
    /// version when the response carries no time.
    pub fn into_box_score(
        self,
        game_id: &str,
        game_date: NaiveDate,
        home: &str,
        away: &str,
        fetched_at: DateTime<Utc>,
    ) -> Result<BoxScore, Refusal> {
        let b = self.box_score;
        let got = format!(
            "{} {} @ {}",
            b.game_id, b.away_team.team_tricode, b.home_team.team_tricode
        );
        let expected = format!("{game_id} {away} @ {home}");
        if got != expected {
            return Err(Refusal::WrongGame { expected, got });
        }
        let not_final = |reason: String| Refusal::NotFinal {
            game_id: game_id.to_string(),
            reason,
        };
        for team in [&b.home_team, &b.away_team] {
            let played = minutes(&team.statistics.minutes).ok_or_else(|| {
                Refusal::Malformed(format!(
                    "{} minutes {:?}",
                    team.team_tricode, team.statistics.minutes
                ))
            })?;
            if !ended_a_period(played) {
                return Err(not_final(format!(
                    "{} has played {} team minutes, not the end of a period from the fourth on",
                    team.team_tricode, team.statistics.minutes
                )));
            }
        }
        if b.home_team.statistics.points == b.away_team.statistics.points {
            return Err(not_final(format!(
                "tied at {} at the end of a period: overtime follows",
                b.home_team.statistics.points
            )));
        }
        let updated_at = self
            .meta
            .and_then(|m| m.time)
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map_or(fetched_at, |t| t.with_timezone(&Utc));
        let mut players = Vec::new();
        for team in [&b.home_team, &b.away_team] {
            for p in &team.players {
                let played = minutes(&p.statistics.minutes).ok_or_else(|| {
                    Refusal::Malformed(format!(
                        "{} {} minutes {:?}",
                        p.first_name, p.family_name, p.statistics.minutes
                    ))
                })?;
                // Players who did not play have no line, as in the game logs.
                if played <= 0.0 {
                    continue;
                }
                let s = &p.statistics;
                players.push(PlayerLine {
                    player_id: p.person_id,
                    name: format!("{} {}", p.first_name, p.family_name)
                        .trim()
                        .to_string(),
                    team: team.team_tricode.clone(),
                    minutes: (played * 100.0).round() / 100.0,
                    pts: s.points,
                    fgm: s.field_goals_made,
                    fga: s.field_goals_attempted,
                    fg3m: s.three_pointers_made,
                    fg3a: s.three_pointers_attempted,
                    ftm: s.free_throws_made,
                    fta: s.free_throws_attempted,
                    reb: s.rebounds_total,
                    ast: s.assists,
                    tov: s.turnovers,
                });
            }
        }
        let box_score = BoxScore {
            game_id: game_id.to_string(),
            game_date,
            updated_at,
            home: totals(&b.home_team),
            away: totals(&b.away_team),
            players,
        };
        // The ingest's own validation: what the processor would refuse is refused here.
        ProcessorMessage::parse(&ProcessorMessage::BoxScore(box_score.clone()).to_body())
            .map_err(|e| Refusal::Invalid(e.to_string()))?;
        Ok(box_score)
    }

    /// The response a source would send for a stored box score (the stand-in source
    /// serves these). Team minutes are taken as regulation plus the overtimes the
    /// players' minutes add up to.
    pub fn from_box_score(b: &BoxScore, served_at: DateTime<Utc>) -> Self {
        let team = |t: &TeamTotals| {
            let players: Vec<Player> = b
                .players
                .iter()
                .filter(|p| p.team == t.team)
                .map(|p| {
                    let (first, family) = p.name.split_once(' ').unwrap_or(("", &p.name));
                    Player {
                        person_id: p.player_id,
                        first_name: first.to_string(),
                        family_name: family.to_string(),
                        statistics: Statistics {
                            minutes: minutes_text(p.minutes),
                            field_goals_made: p.fgm,
                            field_goals_attempted: p.fga,
                            three_pointers_made: p.fg3m,
                            three_pointers_attempted: p.fg3a,
                            free_throws_made: p.ftm,
                            free_throws_attempted: p.fta,
                            rebounds_offensive: 0,
                            rebounds_defensive: 0,
                            rebounds_total: p.reb,
                            assists: p.ast,
                            turnovers: p.tov,
                            points: p.pts,
                        },
                    }
                })
                .collect();
            let played: f64 = players
                .iter()
                .filter_map(|p| minutes(&p.statistics.minutes))
                .sum();
            let overtimes = ((played - f64::from(REGULATION_TEAM_MINUTES)).max(0.0)
                / f64::from(OVERTIME_TEAM_MINUTES))
            .round() as u32;
            Team {
                team_tricode: t.team.clone(),
                statistics: Statistics {
                    minutes: format!(
                        "{}:00",
                        REGULATION_TEAM_MINUTES + overtimes * OVERTIME_TEAM_MINUTES
                    ),
                    field_goals_made: t.fgm,
                    field_goals_attempted: t.fga,
                    three_pointers_made: t.fg3m,
                    three_pointers_attempted: t.fg3a,
                    free_throws_made: t.ftm,
                    free_throws_attempted: t.fta,
                    rebounds_offensive: t.oreb,
                    rebounds_defensive: t.dreb,
                    rebounds_total: t.reb,
                    assists: t.ast,
                    turnovers: t.tov,
                    points: t.pts,
                },
                players,
            }
        };
        BoxScoreV3 {
            meta: Some(Meta {
                time: Some(crate::model::canonical_timestamp(served_at)),
            }),
            box_score: Traditional {
                game_id: b.game_id.clone(),
                home_team: team(&b.home),
                away_team: team(&b.away),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The real response of game 0022500165 (MIL @ TOR, 2025-11-04), committed from
    /// `../shared/data/nba/raw-json-samples/boxscoretraditionalv3.json` (MIT, nba_api).
    const SAMPLE: &[u8] = include_bytes!("../../tests/fixtures/boxscoretraditionalv3.json");

    fn date() -> NaiveDate {
        "2025-11-04".parse().unwrap()
    }

    fn now() -> DateTime<Utc> {
        "2025-11-05T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn the_real_response_becomes_a_valid_box_score() {
        let b = BoxScoreV3::parse(SAMPLE)
            .unwrap()
            .into_box_score("0022500165", date(), "TOR", "MIL", now())
            .unwrap();
        assert_eq!((b.home.team.as_str(), b.away.team.as_str()), ("TOR", "MIL"));
        assert_eq!(b.home.pts, 128);
        assert_eq!(b.home.reb, 50);
        assert_eq!(
            b.updated_at.to_rfc3339(),
            "2025-11-04T23:50:11.501100+00:00"
        );
        let ingram = b
            .players
            .iter()
            .find(|p| p.name == "Brandon Ingram")
            .unwrap();
        assert_eq!((ingram.pts, ingram.reb, ingram.ast), (13, 8, 4));
        assert!((ingram.minutes - (30.0 + 49.0 / 60.0)).abs() < 0.01);
        assert!(b.players.iter().all(|p| p.minutes > 0.0));
        // Each team's player points add up to its total.
        for t in [&b.home, &b.away] {
            let sum: u32 = b
                .players
                .iter()
                .filter(|p| p.team == t.team)
                .map(|p| p.pts)
                .sum();
            assert_eq!(sum, t.pts, "{}", t.team);
        }
    }

    #[test]
    fn another_game_or_other_teams_are_refused() {
        let v3 = BoxScoreV3::parse(SAMPLE).unwrap();
        let e = v3
            .clone()
            .into_box_score("0022500166", date(), "TOR", "MIL", now())
            .unwrap_err();
        assert!(matches!(e, Refusal::WrongGame { .. }), "{e}");
        let e = v3
            .into_box_score("0022500165", date(), "MIL", "TOR", now())
            .unwrap_err();
        assert!(matches!(e, Refusal::WrongGame { .. }), "{e}");
    }

    #[test]
    fn a_game_in_progress_or_tied_after_regulation_is_not_final() {
        let mut v3 = BoxScoreV3::parse(SAMPLE).unwrap();
        v3.box_score.home_team.statistics.minutes = "187:12".into();
        let e = v3
            .clone()
            .into_box_score("0022500165", date(), "TOR", "MIL", now())
            .unwrap_err();
        assert!(matches!(e, Refusal::NotFinal { .. }), "{e}");

        let mut tied = BoxScoreV3::parse(SAMPLE).unwrap();
        let away = tied.box_score.away_team.statistics.points;
        tied.box_score.home_team.statistics.points = away;
        let e = tied
            .into_box_score("0022500165", date(), "TOR", "MIL", now())
            .unwrap_err();
        assert!(e.to_string().contains("overtime follows"), "{e}");

        // One overtime: 265 team minutes is final.
        assert!(ended_a_period(265.0) && !ended_a_period(250.0) && !ended_a_period(215.0));
    }

    #[test]
    fn a_response_that_is_not_a_box_score_is_refused_with_the_place() {
        let e = BoxScoreV3::parse(br#"{"boxScoreTraditional": {"gameId": 7}}"#).unwrap_err();
        assert!(e.to_string().contains("boxScoreTraditional.gameId"), "{e}");
        let e = BoxScoreV3::parse(b"<html>busy</html>").unwrap_err();
        assert!(matches!(e, Refusal::Malformed(_)));
    }

    #[test]
    fn a_box_score_served_by_the_stand_in_reads_back_the_same() {
        let b = BoxScoreV3::parse(SAMPLE)
            .unwrap()
            .into_box_score("0022500165", date(), "TOR", "MIL", now())
            .unwrap();
        let served = BoxScoreV3::from_box_score(&b, b.updated_at);
        let body = serde_json::to_vec(&served).unwrap();
        let back = BoxScoreV3::parse(&body)
            .unwrap()
            .into_box_score("0022500165", date(), "TOR", "MIL", now())
            .unwrap();
        assert_eq!(back.home, b.home);
        assert_eq!(back.away, b.away);
        assert_eq!(back.players.len(), b.players.len());
        assert_eq!(back.updated_at, b.updated_at);
        for (x, y) in back.players.iter().zip(&b.players) {
            assert_eq!(
                (x.player_id, x.pts, x.reb, x.ast),
                (y.player_id, y.pts, y.reb, y.ast)
            );
            assert!((x.minutes - y.minutes).abs() < 0.02);
        }
    }
}

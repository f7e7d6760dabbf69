//! The processor queue's message format (raw ingest, phase 2) and its validation.
//!
//! A message is a game schedule for a date, a game's box score or shot chart, or a
//! work item for one processor, entity and analysis date. Schedules and box scores arrive as plain SQS
//! messages or as EventBridge events (detail-type `Game Schedule` / `Box Score`) that a
//! rule routes to the queue; the envelope is unwrapped here.

use std::collections::BTreeSet;

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::model::ids::{MAX_PLAYER_LOOKUP_LEN, split_entity_id};
use crate::model::time::game_date_bounds;
use crate::model::{
    BoxScore, Market, PlayerLine, PropLineSnapshot, Schedule, ShotChart, TeamTotals, WorkItem,
    ZONES, player_lookup,
};

/// Largest message accepted (a real box score is about 6 KiB).
pub const MAX_MESSAGE_BYTES: usize = 128 * 1024;
/// EventBridge detail-type of a schedule.
pub const SCHEDULE_DETAIL_TYPE: &str = "Game Schedule";
/// EventBridge detail-type of a box score.
pub const BOX_SCORE_DETAIL_TYPE: &str = "Box Score";
/// EventBridge detail-type of a game's prop-lines snapshot.
pub const PROP_LINES_DETAIL_TYPE: &str = "Prop Lines";
/// EventBridge source of ingest events.
pub const INGEST_SOURCE: &str = "nba-props.ingest";

/// Why a message was refused; each names the field at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IngestError {
    /// Larger than [`MAX_MESSAGE_BYTES`].
    #[error("message is {size} bytes, more than the {MAX_MESSAGE_BYTES}-byte limit")]
    Oversized {
        /// Size in bytes.
        size: usize,
    },
    /// Not JSON of a known shape.
    #[error("malformed message at `{path}`: {reason}")]
    Malformed {
        /// JSON path of the problem (`.` for the whole message).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Well-formed but impossible.
    #[error("field `{field}`: {reason}")]
    Invalid {
        /// The offending field.
        field: String,
        /// What is wrong.
        reason: String,
    },
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> IngestError {
    IngestError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// A message on the processor queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProcessorMessage {
    /// Games expected on a date.
    Schedule(Schedule),
    /// A game's box score.
    BoxScore(BoxScore),
    /// A game's shot chart.
    ShotChart(ShotChart),
    /// Work for one processor, entity and date.
    Work(WorkItem),
    /// A game's sportsbook prop lines, one snapshot.
    PropLines(PropLineSnapshot),
}

impl WorkItem {
    /// The message body that carries this work item.
    pub fn to_body(&self) -> String {
        ProcessorMessage::Work(self.clone()).to_body()
    }
}

impl ProcessorMessage {
    /// The JSON body of this message.
    pub fn to_body(&self) -> String {
        serde_json::to_string(self).expect("messages serialise")
    }

    /// Parses and validates a queue message body (plain, or an EventBridge event).
    pub fn parse(body: &str) -> Result<Self, IngestError> {
        if body.len() > MAX_MESSAGE_BYTES {
            return Err(IngestError::Oversized { size: body.len() });
        }
        let mut value: serde_json::Value =
            serde_json::from_str(body).map_err(|e| IngestError::Malformed {
                path: ".".into(),
                reason: e.to_string(),
            })?;
        // An EventBridge event delivered to SQS: the message is its `detail`.
        if let Some(detail_type) = value
            .get("detail-type")
            .and_then(|d| d.as_str())
            .map(String::from)
        {
            let kind = match detail_type.as_str() {
                SCHEDULE_DETAIL_TYPE => "schedule",
                BOX_SCORE_DETAIL_TYPE => "box_score",
                PROP_LINES_DETAIL_TYPE => "prop_lines",
                other => {
                    return Err(invalid(
                        "detail-type",
                        format!("{other:?} is not an ingest event"),
                    ));
                }
            };
            let mut detail = value
                .get_mut("detail")
                .map(serde_json::Value::take)
                .ok_or_else(|| invalid("detail", "the event has no detail"))?;
            match detail.as_object_mut() {
                Some(map) => map.insert("kind".into(), kind.into()),
                None => return Err(invalid("detail", "must be an object")),
            };
            value = detail;
        }
        // Dispatch on `kind` here rather than through serde's internally tagged enum,
        // which buffers the content and loses the path of a bad field.
        let kind = value
            .as_object_mut()
            .and_then(|m| m.remove("kind"))
            .ok_or_else(|| {
                invalid(
                    "kind",
                    "missing (schedule, box_score, shot_chart, prop_lines or work)",
                )
            })?;
        fn typed<T: for<'de> Deserialize<'de>>(value: serde_json::Value) -> Result<T, IngestError> {
            serde_path_to_error::deserialize(value).map_err(|e| IngestError::Malformed {
                path: e.path().to_string(),
                reason: e.inner().to_string(),
            })
        }
        let message = match kind.as_str() {
            Some("schedule") => ProcessorMessage::Schedule(typed(value)?),
            Some("box_score") => ProcessorMessage::BoxScore(typed(value)?),
            Some("work") => ProcessorMessage::Work(typed(value)?),
            Some("shot_chart") => ProcessorMessage::ShotChart(typed(value)?),
            Some("prop_lines") => ProcessorMessage::PropLines(typed(value)?),
            _ => {
                return Err(invalid(
                    "kind",
                    format!("{kind} is not schedule, box_score, shot_chart, prop_lines or work"),
                ));
            }
        };
        message.validate()?;
        Ok(message)
    }

    fn validate(&self) -> Result<(), IngestError> {
        match self {
            ProcessorMessage::Schedule(s) => s.validate(),
            ProcessorMessage::BoxScore(b) => b.validate(),
            ProcessorMessage::Work(w) => w.validate(),
            ProcessorMessage::ShotChart(c) => c.validate(),
            ProcessorMessage::PropLines(l) => l.validate(Utc::now()),
        }
    }
}

fn check_date(field: &str, date: NaiveDate) -> Result<(), IngestError> {
    let bounds = game_date_bounds(Utc::now().date_naive());
    if !bounds.contains(&date) {
        return Err(invalid(
            field,
            format!("{date} is outside {}..={}", bounds.start(), bounds.end()),
        ));
    }
    Ok(())
}

pub(crate) fn check_game_id(field: &str, id: &str) -> Result<(), IngestError> {
    if id.len() != 10 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            field,
            format!("{id:?} is not a ten-digit NBA game id"),
        ));
    }
    Ok(())
}

pub(crate) fn check_team(field: &str, team: &str) -> Result<(), IngestError> {
    if !(2..=4).contains(&team.len()) || !team.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(invalid(
            field,
            format!("{team:?} is not a team abbreviation"),
        ));
    }
    Ok(())
}

/// The shooting numbers of a line or a team.
struct Shooting {
    pts: u32,
    fgm: u32,
    fga: u32,
    fg3m: u32,
    fg3a: u32,
    ftm: u32,
    fta: u32,
}

impl From<&TeamTotals> for Shooting {
    fn from(t: &TeamTotals) -> Self {
        Self {
            pts: t.pts,
            fgm: t.fgm,
            fga: t.fga,
            fg3m: t.fg3m,
            fg3a: t.fg3a,
            ftm: t.ftm,
            fta: t.fta,
        }
    }
}

impl From<&PlayerLine> for Shooting {
    fn from(p: &PlayerLine) -> Self {
        Self {
            pts: p.pts,
            fgm: p.fgm,
            fga: p.fga,
            fg3m: p.fg3m,
            fg3a: p.fg3a,
            ftm: p.ftm,
            fta: p.fta,
        }
    }
}

/// The most of any counted stat one team has in one game (the records are in the low
/// hundreds: 186 points, 153 field-goal attempts).
pub const MAX_TEAM_STAT: u32 = 300;
/// The most of any counted stat one player has in one game (the record is 100 points).
pub const MAX_PLAYER_STAT: u32 = 150;
/// Most players in one box score or shot chart: two teams of 15 active players, with
/// room to spare. It also keeps a box score's items within one DynamoDB transaction.
pub const MAX_PLAYERS: usize = 40;
/// Longest player name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// Every count at most `cap`, checked before any arithmetic: a plausible number cannot
/// overflow a sum, so validation never wraps (release) or panics (debug).
fn check_caps(field: &str, counts: &[(&str, u32)], cap: u32) -> Result<(), IngestError> {
    match counts.iter().find(|(_, value)| *value > cap) {
        Some((name, value)) => Err(invalid(
            format!("{field}.{name}"),
            format!("{value} is more than any game has had (at most {cap})"),
        )),
        None => Ok(()),
    }
}

/// A display name: not empty once folded, not too long, and free of control and
/// text-direction characters (a stored name is shown to operators and in reports).
fn check_name(field: &str, name: &str) -> Result<(), IngestError> {
    if player_lookup(name).is_empty() {
        return Err(invalid(field, "empty name"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(
            field,
            format!("longer than {MAX_NAME_CHARS} characters"),
        ));
    }
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if let Some(c) = name.chars().find(|c| hidden(*c)) {
        return Err(invalid(
            field,
            format!("contains the control character U+{:04X}", u32::from(c)),
        ));
    }
    Ok(())
}

/// Shooting that adds up: makes within attempts, threes within field goals, and points
/// equal to 2 x FGM + 3PM + FTM. Counts are capped before this is called, and the sum
/// is taken in `u64` all the same.
fn check_shooting(field: &str, s: Shooting) -> Result<(), IngestError> {
    let pairs = [
        ("fgm", s.fgm, "fga", s.fga),
        ("fg3m", s.fg3m, "fg3a", s.fg3a),
        ("ftm", s.ftm, "fta", s.fta),
        ("fg3a", s.fg3a, "fga", s.fga),
        ("fg3m", s.fg3m, "fgm", s.fgm),
    ];
    for (a, x, b, y) in pairs {
        if x > y {
            return Err(invalid(
                format!("{field}.{a}"),
                format!("{x} exceeds {b} {y}"),
            ));
        }
    }
    let expected = 2 * u64::from(s.fgm) + u64::from(s.fg3m) + u64::from(s.ftm);
    if u64::from(s.pts) != expected {
        return Err(invalid(
            format!("{field}.pts"),
            format!("{} but the shooting adds up to {expected}", s.pts),
        ));
    }
    Ok(())
}

impl Schedule {
    fn validate(&self) -> Result<(), IngestError> {
        check_date("game_date", self.game_date)?;
        let mut ids = BTreeSet::new();
        let mut teams = BTreeSet::new();
        for (i, g) in self.games.iter().enumerate() {
            check_game_id(&format!("games[{i}].game_id"), &g.game_id)?;
            check_team(&format!("games[{i}].home"), &g.home)?;
            check_team(&format!("games[{i}].away"), &g.away)?;
            if g.home == g.away {
                return Err(invalid(format!("games[{i}]"), "a team cannot play itself"));
            }
            if !ids.insert(&g.game_id) {
                return Err(invalid(
                    format!("games[{i}].game_id"),
                    format!("{} listed twice", g.game_id),
                ));
            }
            for team in [&g.home, &g.away] {
                if !teams.insert(team) {
                    return Err(invalid(
                        format!("games[{i}]"),
                        format!("{team} plays twice on {}", self.game_date),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl BoxScore {
    fn validate(&self) -> Result<(), IngestError> {
        check_game_id("game_id", &self.game_id)?;
        check_date("game_date", self.game_date)?;
        for (side, t) in [("home", &self.home), ("away", &self.away)] {
            check_team(&format!("{side}.team"), &t.team)?;
            let counts = [
                ("pts", t.pts),
                ("fgm", t.fgm),
                ("fga", t.fga),
                ("fg3m", t.fg3m),
                ("fg3a", t.fg3a),
                ("ftm", t.ftm),
                ("fta", t.fta),
                ("oreb", t.oreb),
                ("dreb", t.dreb),
                ("reb", t.reb),
                ("ast", t.ast),
                ("tov", t.tov),
            ];
            check_caps(side, &counts, MAX_TEAM_STAT)?;
            check_shooting(side, t.into())?;
            if t.oreb + t.dreb != t.reb {
                return Err(invalid(
                    format!("{side}.reb"),
                    format!("{} but oreb + dreb = {}", t.reb, t.oreb + t.dreb),
                ));
            }
            if t.pts > 250 {
                return Err(invalid(
                    format!("{side}.pts"),
                    format!("{} points is not a basketball score", t.pts),
                ));
            }
        }
        if self.home.team == self.away.team {
            return Err(invalid("away.team", "a team cannot play itself"));
        }
        check_player_count(self.players.len())?;
        let mut ids = BTreeSet::new();
        let teams = [self.home.team.as_str(), self.away.team.as_str()];
        for (i, p) in self.players.iter().enumerate() {
            let field = format!("players[{i}]");
            check_player(&field, teams, &p.team, p.player_id, &p.name, &mut ids)?;
            if !p.minutes.is_finite() || !(0.0..=70.0).contains(&p.minutes) {
                return Err(invalid(
                    format!("{field}.minutes"),
                    format!("{} is not a playing time", p.minutes),
                ));
            }
            let counts = [
                ("pts", p.pts),
                ("fgm", p.fgm),
                ("fga", p.fga),
                ("fg3m", p.fg3m),
                ("fg3a", p.fg3a),
                ("ftm", p.ftm),
                ("fta", p.fta),
                ("reb", p.reb),
                ("ast", p.ast),
                ("tov", p.tov),
            ];
            check_caps(&field, &counts, MAX_PLAYER_STAT)?;
            check_shooting(&field, p.into())?;
        }
        Ok(())
    }
}

/// What every player of a game's record must be: on one of its two teams, listed once
/// (`ids` collects the ids seen), and named readably.
fn check_player(
    field: &str,
    teams: [&str; 2],
    team: &str,
    player_id: u64,
    name: &str,
    ids: &mut BTreeSet<u64>,
) -> Result<(), IngestError> {
    if !teams.contains(&team) {
        return Err(invalid(
            format!("{field}.team"),
            format!("{team} did not play in this game"),
        ));
    }
    if !ids.insert(player_id) {
        return Err(invalid(
            format!("{field}.player_id"),
            format!("player {player_id} listed twice"),
        ));
    }
    check_name(&format!("{field}.name"), name)
}

fn check_player_count(players: usize) -> Result<(), IngestError> {
    if players > MAX_PLAYERS {
        return Err(invalid(
            "players",
            format!("{players} players, more than the {MAX_PLAYERS} two teams can field"),
        ));
    }
    Ok(())
}

impl ShotChart {
    fn validate(&self) -> Result<(), IngestError> {
        check_game_id("game_id", &self.game_id)?;
        check_date("game_date", self.game_date)?;
        check_team("home", &self.home)?;
        check_team("away", &self.away)?;
        check_player_count(self.players.len())?;
        let mut ids = BTreeSet::new();
        let teams = [self.home.as_str(), self.away.as_str()];
        for (i, p) in self.players.iter().enumerate() {
            let field = format!("players[{i}]");
            check_player(&field, teams, &p.team, p.player_id, &p.name, &mut ids)?;
            for (zone, shots) in &p.zones {
                if !ZONES.contains(&zone.as_str()) {
                    return Err(invalid(
                        format!("{field}.zones"),
                        format!("{zone:?} is not a court zone"),
                    ));
                }
                check_caps(
                    &format!("{field}.zones.{zone}"),
                    &[("fga", shots.fga), ("fgm", shots.fgm)],
                    MAX_PLAYER_STAT,
                )?;
                if shots.fgm > shots.fga {
                    return Err(invalid(
                        format!("{field}.zones.{zone}.fgm"),
                        format!("{} exceeds fga {}", shots.fgm, shots.fga),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Most rows in one prop-lines snapshot of one game: about twice the most any game has
/// in the real 2025-26 files (489 rows, a 60 KB message), and within the message size.
pub const MAX_PROP_ROWS: usize = 1_000;
/// How far ahead of the processor's clock a snapshot's time may be: a snapshot "from the
/// future" would hold its lines against every real newer one.
pub const PROP_LINES_MAX_FUTURE_SKEW: chrono::Duration = chrono::Duration::minutes(5);
/// American odds accepted: from -10000 to -100 and from +100 to +10000.
pub const MAX_AMERICAN_ODDS: i32 = 10_000;

fn check_odds(field: &str, odds: i32) -> Result<(), IngestError> {
    if !(100..=MAX_AMERICAN_ODDS.unsigned_abs()).contains(&odds.unsigned_abs()) {
        return Err(invalid(
            field,
            format!("{odds} is not American odds (100 to {MAX_AMERICAN_ODDS}, either sign)"),
        ));
    }
    Ok(())
}

impl PropLineSnapshot {
    fn validate(&self, now: chrono::DateTime<Utc>) -> Result<(), IngestError> {
        check_game_id("game_id", &self.game_id)?;
        check_date("game_date", self.game_date)?;
        check_team("home", &self.home)?;
        check_team("away", &self.away)?;
        if self.home == self.away {
            return Err(invalid("away", "a team cannot play itself"));
        }
        if self.snapshot_at > now + PROP_LINES_MAX_FUTURE_SKEW {
            return Err(invalid(
                "snapshot_at",
                format!("{} is in the future", self.snapshot_at),
            ));
        }
        if self.lines.is_empty() {
            return Err(invalid("lines", "a snapshot has at least one line"));
        }
        if self.lines.len() > MAX_PROP_ROWS {
            return Err(invalid(
                "lines",
                format!(
                    "{} rows, more than the {MAX_PROP_ROWS} one game has",
                    self.lines.len()
                ),
            ));
        }
        for (i, row) in self.lines.iter().enumerate() {
            let field = format!("lines[{i}]");
            check_name(&format!("{field}.player"), &row.player)?;
            if !row.market.starts_with("player_") || Market::parse(&row.market).is_none() {
                return Err(invalid(
                    format!("{field}.market"),
                    format!(
                        "{:?} is not player_points, player_rebounds or player_assists",
                        row.market.chars().take(40).collect::<String>()
                    ),
                ));
            }
            let half_steps = row.line * 2.0;
            if !row.line.is_finite()
                || !(0.0..100.0).contains(&row.line)
                || half_steps.fract() != 0.0
            {
                return Err(invalid(
                    format!("{field}.line"),
                    format!("{} is not a half-point step in 0..100", row.line),
                ));
            }
            check_odds(&format!("{field}.over_odds"), row.over_odds)?;
            check_odds(&format!("{field}.under_odds"), row.under_odds)?;
            let book = &row.bookmaker;
            if book.is_empty()
                || book.len() > 32
                || !book
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                return Err(invalid(
                    format!("{field}.bookmaker"),
                    format!(
                        "{:?} is not a bookmaker key (lowercase letters, digits, _)",
                        book.chars().take(40).collect::<String>()
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl WorkItem {
    fn validate(&self) -> Result<(), IngestError> {
        check_date("analysis_date", self.analysis_date)?;
        // Shown cut short: the id may be anything, of any length.
        let shown: String = self.entity_id.chars().take(80).collect();
        let (prefix, id) = split_entity_id(&self.entity_id).ok_or_else(|| {
            invalid(
                "entity_id",
                format!("{shown:?} is not player#... or team#..."),
            )
        })?;
        match (prefix, self.processor.is_player_processor()) {
            ("player", true) if id.len() > MAX_PLAYER_LOOKUP_LEN => Err(invalid(
                "entity_id",
                format!(
                    "the player lookup of {shown:?}... is {} bytes, more than {MAX_PLAYER_LOOKUP_LEN}",
                    id.len()
                ),
            )),
            ("player", true)
                if !id.is_empty()
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) =>
            {
                Ok(())
            }
            ("team", false) => check_team("entity_id", id),
            _ => Err(invalid(
                "entity_id",
                format!("{shown:?} is not an entity {} works on", self.processor),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn box_score() -> BoxScore {
        BoxScore {
            game_id: "0022400061".into(),
            game_date: "2024-10-22".parse().unwrap(),
            updated_at: "2024-10-23T08:00:00Z".parse().unwrap(),
            home: TeamTotals {
                team: "BOS".into(),
                pts: 132,
                fgm: 48,
                fga: 95,
                fg3m: 29,
                fg3a: 61,
                ftm: 7,
                fta: 8,
                oreb: 10,
                dreb: 35,
                reb: 45,
                ast: 33,
                tov: 10,
            },
            away: TeamTotals {
                team: "NYK".into(),
                pts: 109,
                fgm: 40,
                fga: 86,
                fg3m: 11,
                fg3a: 32,
                ftm: 18,
                fta: 21,
                oreb: 8,
                dreb: 29,
                reb: 37,
                ast: 23,
                tov: 9,
            },
            players: vec![PlayerLine {
                player_id: 1628369,
                name: "Jayson Tatum".into(),
                team: "BOS".into(),
                minutes: 30.0,
                pts: 37,
                fgm: 14,
                fga: 22,
                fg3m: 8,
                fg3a: 13,
                ftm: 1,
                fta: 2,
                reb: 10,
                ast: 4,
                tov: 2,
            }],
        }
    }

    #[test]
    fn a_box_score_round_trips_plain_and_as_an_eventbridge_event() {
        let msg = ProcessorMessage::BoxScore(box_score());
        assert_eq!(ProcessorMessage::parse(&msg.to_body()).unwrap(), msg);
        let mut detail = serde_json::to_value(box_score()).unwrap();
        detail.as_object_mut().unwrap().remove("kind");
        let event = serde_json::json!({
            "version": "0", "id": "e1", "detail-type": "Box Score", "source": INGEST_SOURCE,
            "account": "123456789012", "time": "2024-10-23T08:00:00Z", "region": "us-east-1",
            "resources": [], "detail": detail,
        });
        assert_eq!(ProcessorMessage::parse(&event.to_string()).unwrap(), msg);
    }

    fn prop_lines() -> serde_json::Value {
        serde_json::json!({
            "kind": "prop_lines", "game_id": "0022500150", "game_date": "2025-11-05",
            "home": "BOS", "away": "WAS", "snapshot_at": "2025-11-05T16:00:00Z",
            "lines": [{"player": "Jaylen Brown", "market": "player_points", "line": 25.5,
                       "over_odds": -115, "under_odds": -105, "bookmaker": "draftkings"}]
        })
    }

    fn lines_refused(mutate: impl FnOnce(&mut serde_json::Value)) -> String {
        let mut v = prop_lines();
        mutate(&mut v);
        ProcessorMessage::parse(&v.to_string())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn prop_lines_parse_plain_and_as_an_eventbridge_event() {
        let plain = ProcessorMessage::parse(&prop_lines().to_string()).unwrap();
        let ProcessorMessage::PropLines(snapshot) = &plain else {
            panic!("not prop lines: {plain:?}");
        };
        assert_eq!(snapshot.lines[0].over_odds, -115);
        let mut detail = prop_lines();
        detail.as_object_mut().unwrap().remove("kind");
        let event = serde_json::json!({
            "detail-type": PROP_LINES_DETAIL_TYPE, "source": INGEST_SOURCE, "detail": detail,
        });
        assert_eq!(ProcessorMessage::parse(&event.to_string()).unwrap(), plain);
    }

    #[test]
    fn impossible_prop_lines_are_refused_naming_the_field() {
        type Mutation = fn(&mut serde_json::Value);
        let cases: [(&str, Mutation); 10] = [
            ("lines[0].market", |v| {
                v["lines"][0]["market"] = "player_threes".into()
            }),
            ("lines[0].market", |v| {
                v["lines"][0]["market"] = "points".into()
            }),
            ("lines[0].line", |v| v["lines"][0]["line"] = 25.3.into()),
            ("lines[0].line", |v| v["lines"][0]["line"] = 100.5.into()),
            ("lines[0].line", |v| v["lines"][0]["line"] = (-0.5).into()),
            ("lines[0].over_odds", |v| {
                v["lines"][0]["over_odds"] = 50.into()
            }),
            ("lines[0].under_odds", |v| {
                v["lines"][0]["under_odds"] = (-20000).into()
            }),
            ("lines[0].bookmaker", |v| {
                v["lines"][0]["bookmaker"] = "Draft Kings".into()
            }),
            ("lines[0].player", |v| {
                v["lines"][0]["player"] = "Jaylen\u{202e}Brown".into()
            }),
            ("snapshot_at", |v| {
                v["snapshot_at"] = "2999-01-01T00:00:00Z".into()
            }),
        ];
        for (field, mutate) in cases {
            let e = lines_refused(mutate);
            assert!(e.contains(&format!("`{field}`")), "{field}: {e}");
        }
        assert!(lines_refused(|v| v["lines"] = serde_json::json!([])).contains("`lines`"));
        let many = vec![prop_lines()["lines"][0].clone(); MAX_PROP_ROWS + 1];
        assert!(lines_refused(|v| v["lines"] = many.into()).contains("`lines`"));
        assert!(lines_refused(|v| v["lines"][0]["odds"] = 1.into()).contains("lines[0]"));
        assert!(lines_refused(|v| v["away"] = "BOS".into()).contains("`away`"));
    }

    fn refused(mutate: impl FnOnce(&mut serde_json::Value)) -> String {
        let mut v = serde_json::to_value(ProcessorMessage::BoxScore(box_score())).unwrap();
        mutate(&mut v);
        ProcessorMessage::parse(&v.to_string())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn impossible_box_scores_are_refused_naming_the_field() {
        assert!(refused(|v| v["game_date"] = "2024-02-30".into()).contains("game_date"));
        assert!(refused(|v| v["players"][0]["reb"] = (-3).into()).contains("players[0].reb"));
        assert!(refused(|v| v["players"][0]["fgm"] = 30.into()).contains("players[0].fgm"));
        assert!(refused(|v| v["players"][0]["pts"] = 40.into()).contains("players[0].pts"));
        assert!(refused(|v| v["players"][0]["team"] = "LAL".into()).contains("players[0].team"));
        assert!(refused(|v| v["home"]["reb"] = 50.into()).contains("home.reb"));
        assert!(refused(|v| v["game_id"] = "22400061".into()).contains("game_id"));
        assert!(refused(|v| v["players"][0]["minutes"] = 99.into()).contains("minutes"));
        assert!(refused(|v| v["surprise"] = 1.into()).contains("surprise"));
        let dup = refused(|v| {
            let p = v["players"][0].clone();
            v["players"].as_array_mut().unwrap().push(p);
        });
        assert!(dup.contains("players[1].player_id"), "{dup}");
    }

    #[test]
    fn shot_charts_name_real_zones_and_possible_shooting() {
        let chart = |zone: &str, fga: u32, fgm: u32| {
            format!(
                r#"{{"kind":"shot_chart","game_id":"0022300145","game_date":"2023-11-06","home":"MIA","away":"WAS",
                "players":[{{"player_id":1,"name":"Jordan Poole","team":"WAS","zones":{{"{zone}":{{"fga":{fga},"fgm":{fgm}}}}}}}]}}"#
            )
        };
        assert!(matches!(
            ProcessorMessage::parse(&chart("Mid-Range", 5, 2)),
            Ok(ProcessorMessage::ShotChart(_))
        ));
        assert!(
            ProcessorMessage::parse(&chart("Downtown", 5, 2))
                .unwrap_err()
                .to_string()
                .contains("zones")
        );
        assert!(
            ProcessorMessage::parse(&chart("Mid-Range", 2, 5))
                .unwrap_err()
                .to_string()
                .contains("fgm")
        );
        let wrong_team = chart("Mid-Range", 5, 2).replace(r#""team":"WAS""#, r#""team":"BOS""#);
        assert!(
            ProcessorMessage::parse(&wrong_team)
                .unwrap_err()
                .to_string()
                .contains("players[0].team")
        );
    }

    #[test]
    fn schedules_and_work_items_are_checked() {
        let bad = r#"{"kind":"schedule","game_date":"2024-10-22","games":[{"game_id":"0022400061","home":"BOS","away":"BOS"}]}"#;
        assert!(
            ProcessorMessage::parse(bad)
                .unwrap_err()
                .to_string()
                .contains("itself")
        );
        let work = r#"{"kind":"work","processor":"team_defense_zone_analysis","entity_id":"player#x","analysis_date":"2024-10-22"}"#;
        assert!(
            ProcessorMessage::parse(work)
                .unwrap_err()
                .to_string()
                .contains("entity_id")
        );
        let unknown = r#"{"kind":"work","processor":"player_vibes","entity_id":"player#x","analysis_date":"2024-10-22"}"#;
        assert!(
            ProcessorMessage::parse(unknown)
                .unwrap_err()
                .to_string()
                .contains("processor")
        );
        let oversized = "x".repeat(MAX_MESSAGE_BYTES + 1);
        assert!(matches!(
            ProcessorMessage::parse(&oversized),
            Err(IngestError::Oversized { .. })
        ));
    }

    #[test]
    fn huge_counts_are_refused_without_wrapping_or_panicking() {
        // 2 x FGM + 3PM + FTM of these would overflow a u32.
        let shooting = refused(|v| {
            let p = &mut v["players"][0];
            for stat in ["fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "pts"] {
                p[stat] = u32::MAX.into();
            }
        });
        assert!(shooting.contains("players[0].pts"), "{shooting}");
        assert!(shooting.contains("at most 150"), "{shooting}");
        let rebounds = refused(|v| {
            v["home"]["oreb"] = u32::MAX.into();
            v["home"]["dreb"] = u32::MAX.into();
        });
        assert!(rebounds.contains("home.oreb"), "{rebounds}");
        let zone = ProcessorMessage::parse(&format!(
            r#"{{"kind":"shot_chart","game_id":"0022300145","game_date":"2023-11-06","home":"MIA","away":"WAS",
            "players":[{{"player_id":1,"name":"Jordan Poole","team":"WAS","zones":{{"Mid-Range":{{"fga":{0},"fgm":{0}}}}}}}]}}"#,
            u32::MAX
        ))
        .unwrap_err()
        .to_string();
        assert!(zone.contains("zones.Mid-Range.fga"), "{zone}");
    }

    #[test]
    fn names_with_control_or_direction_characters_are_refused() {
        for name in [
            "Jayson\u{0}Tatum",
            "Jayson \u{202e}mutaT",
            "Jay\nson Tatum",
            "\u{2066}Tatum",
        ] {
            let err = refused(|v| v["players"][0]["name"] = name.into());
            assert!(err.contains("players[0].name"), "{name:?}: {err}");
        }
        let long = refused(|v| v["players"][0]["name"] = "Tatum ".repeat(20).into());
        assert!(long.contains("longer than 64"), "{long}");
    }

    #[test]
    fn too_many_players_are_refused() {
        let err = refused(|v| {
            let p = v["players"][0].clone();
            let players = v["players"].as_array_mut().unwrap();
            players.clear();
            for id in 0..=MAX_PLAYERS as u64 {
                let mut line = p.clone();
                line["player_id"] = id.into();
                players.push(line);
            }
        });
        assert!(err.contains("41 players"), "{err}");
    }

    #[test]
    fn a_long_entity_id_is_refused_with_a_short_message() {
        let work = format!(
            r#"{{"kind":"work","processor":"player_daily_cache","entity_id":"player#{}","analysis_date":"2024-10-22"}}"#,
            "a".repeat(3000)
        );
        let err = ProcessorMessage::parse(&work).unwrap_err().to_string();
        assert!(
            err.contains("entity_id") && err.contains("3000 bytes"),
            "{err}"
        );
        assert!(err.len() < 300, "{} characters", err.len());
    }
}

//! Raw ingest (phase 2): the messages the processor queue carries, and their validation.
//!
//! A message is a game schedule for a date, a game's box score, or a work item for one
//! processor, entity and analysis date. Schedules and box scores arrive as plain SQS
//! messages or as EventBridge events (detail-type `Game Schedule` / `Box Score`) that a
//! rule routes to the queue; the envelope is unwrapped here.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::breaker::{BreakerKey, ProcessorName};

/// Largest message accepted (a real box score is about 6 KiB).
pub const MAX_MESSAGE_BYTES: usize = 128 * 1024;
/// EventBridge detail-type of a schedule.
pub const SCHEDULE_DETAIL_TYPE: &str = "Game Schedule";
/// EventBridge detail-type of a box score.
pub const BOX_SCORE_DETAIL_TYPE: &str = "Box Score";
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

/// One game on a schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledGame {
    /// NBA game id, ten digits ("0022400061").
    pub game_id: String,
    /// Home team abbreviation.
    pub home: String,
    /// Away team abbreviation.
    pub away: String,
}

/// The games expected on one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// The date (US Eastern) the games are played.
    pub game_date: NaiveDate,
    /// Games of the date.
    pub games: Vec<ScheduledGame>,
}

/// A team's totals in one game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamTotals {
    /// Team abbreviation.
    pub team: String,
    /// Points.
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

/// Shots of one player in one zone of one game.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneShots {
    /// Attempts.
    pub fga: u32,
    /// Makes.
    pub fgm: u32,
}

/// One player's line in one game.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlayerLine {
    /// NBA person id.
    pub player_id: u64,
    /// Display name.
    pub name: String,
    /// The player's team (home or away of the game).
    pub team: String,
    /// Minutes played.
    pub minutes: f64,
    /// Points.
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
    /// Total rebounds.
    pub reb: u32,
    /// Assists.
    pub ast: u32,
    /// Turnovers.
    pub tov: u32,
}

/// The court zones of the NBA's shot charts (`BASIC_ZONE`).
pub const ZONES: [&str; 7] = [
    "Restricted Area",
    "In The Paint (Non-RA)",
    "Mid-Range",
    "Left Corner 3",
    "Right Corner 3",
    "Above the Break 3",
    "Backcourt",
];

/// One player's field goals by zone in one game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlayerShots {
    /// NBA person id.
    pub player_id: u64,
    /// Display name.
    pub name: String,
    /// The player's team (home or away of the game).
    pub team: String,
    /// Attempts and makes by zone (names from [`ZONES`]).
    pub zones: BTreeMap<String, ZoneShots>,
}

/// A game's shot chart: every player's field goals by court zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShotChart {
    /// NBA game id.
    pub game_id: String,
    /// Game date.
    pub game_date: NaiveDate,
    /// Home team.
    pub home: String,
    /// Away team.
    pub away: String,
    /// Players who attempted a field goal.
    pub players: Vec<PlayerShots>,
}

/// A game's box score: both teams' totals and the player lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoxScore {
    /// NBA game id.
    pub game_id: String,
    /// Game date.
    pub game_date: NaiveDate,
    /// When the source last changed this box score; a newer one replaces an older one.
    pub updated_at: DateTime<Utc>,
    /// Home team totals.
    pub home: TeamTotals,
    /// Away team totals.
    pub away: TeamTotals,
    /// Player lines of both teams.
    pub players: Vec<PlayerLine>,
}

/// One processor's work for one entity and analysis date.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkItem {
    /// Processor to run.
    pub processor: ProcessorName,
    /// `player#lookup` or `team#ABC`.
    pub entity_id: String,
    /// The date the work is for.
    pub analysis_date: NaiveDate,
}

impl WorkItem {
    /// The work a breaker guards (the inverse of [`WorkItem::breaker_key`]).
    pub fn for_breaker(key: &BreakerKey) -> Self {
        Self {
            processor: key.processor_name,
            entity_id: key.entity_id.clone(),
            analysis_date: key.analysis_date,
        }
    }

    /// The breaker guarding this work.
    pub fn breaker_key(&self) -> BreakerKey {
        BreakerKey {
            processor_name: self.processor,
            entity_id: self.entity_id.clone(),
            analysis_date: self.analysis_date,
        }
    }

    /// The message body that carries this work item.
    pub fn to_body(&self) -> String {
        serde_json::to_string(&ProcessorMessage::Work(self.clone())).expect("work items serialise")
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
            .ok_or_else(|| invalid("kind", "missing (schedule, box_score or work)"))?;
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
            _ => {
                return Err(invalid(
                    "kind",
                    format!("{kind} is not schedule, box_score, shot_chart or work"),
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
        }
    }
}

fn check_date(field: &str, date: NaiveDate) -> Result<(), IngestError> {
    let first = NaiveDate::from_ymd_opt(1946, 11, 1).expect("valid");
    let last = Utc::now().date_naive() + chrono::Days::new(366);
    if date < first || date > last {
        return Err(invalid(
            field,
            format!("{date} is outside {first}..={last}"),
        ));
    }
    Ok(())
}

fn check_game_id(field: &str, id: &str) -> Result<(), IngestError> {
    if id.len() != 10 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            field,
            format!("{id:?} is not a ten-digit NBA game id"),
        ));
    }
    Ok(())
}

fn check_team(field: &str, team: &str) -> Result<(), IngestError> {
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

/// Shooting that adds up: makes within attempts, threes within field goals, and points
/// equal to 2 x FGM + 3PM + FTM.
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
    let expected = 2 * s.fgm + s.fg3m + s.ftm;
    if s.pts != expected {
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
        if self.games.is_empty() {
            return Err(invalid("games", "a schedule lists at least one game"));
        }
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
        let mut ids = BTreeSet::new();
        for (i, p) in self.players.iter().enumerate() {
            let field = format!("players[{i}]");
            if p.team != self.home.team && p.team != self.away.team {
                return Err(invalid(
                    format!("{field}.team"),
                    format!("{} did not play in this game", p.team),
                ));
            }
            if !ids.insert(p.player_id) {
                return Err(invalid(
                    format!("{field}.player_id"),
                    format!("player {} listed twice", p.player_id),
                ));
            }
            if crate::nba_data::player_lookup(&p.name).is_empty() {
                return Err(invalid(format!("{field}.name"), "empty name"));
            }
            if !p.minutes.is_finite() || !(0.0..=70.0).contains(&p.minutes) {
                return Err(invalid(
                    format!("{field}.minutes"),
                    format!("{} is not a playing time", p.minutes),
                ));
            }
            check_shooting(&field, p.into())?;
        }
        Ok(())
    }
}

impl ShotChart {
    fn validate(&self) -> Result<(), IngestError> {
        check_game_id("game_id", &self.game_id)?;
        check_date("game_date", self.game_date)?;
        check_team("home", &self.home)?;
        check_team("away", &self.away)?;
        let mut ids = BTreeSet::new();
        for (i, p) in self.players.iter().enumerate() {
            let field = format!("players[{i}]");
            if p.team != self.home && p.team != self.away {
                return Err(invalid(
                    format!("{field}.team"),
                    format!("{} did not play in this game", p.team),
                ));
            }
            if !ids.insert(p.player_id) {
                return Err(invalid(
                    format!("{field}.player_id"),
                    format!("player {} listed twice", p.player_id),
                ));
            }
            if crate::nba_data::player_lookup(&p.name).is_empty() {
                return Err(invalid(format!("{field}.name"), "empty name"));
            }
            for (zone, shots) in &p.zones {
                if !ZONES.contains(&zone.as_str()) {
                    return Err(invalid(
                        format!("{field}.zones"),
                        format!("{zone:?} is not a court zone"),
                    ));
                }
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

impl WorkItem {
    fn validate(&self) -> Result<(), IngestError> {
        check_date("analysis_date", self.analysis_date)?;
        let (prefix, id) = self.entity_id.split_once('#').ok_or_else(|| {
            invalid(
                "entity_id",
                format!("{:?} is not player#... or team#...", self.entity_id),
            )
        })?;
        match (prefix, self.processor.is_player_processor()) {
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
                format!(
                    "{:?} is not an entity {} works on",
                    self.entity_id, self.processor
                ),
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
}

//! Hostile input for every parser of outside data: the processor's messages, the
//! writer's prediction requests and the completeness checker's input. Whatever arrives,
//! a parser returns its typed error; it never panics (a panic would fail the whole
//! batch, and with it every good record).

use chrono::Utc;
use nba_props::domain::completeness::CheckRequest;
use nba_props::domain::prediction_request::PredictionRequest;
use nba_props::domain::processor_message::ProcessorMessage;
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Runs every parser on one body; each must answer without panicking.
fn parse_all(body: &str) {
    let message = ProcessorMessage::parse(body);
    if let Err(e) = &message {
        assert!(!e.to_string().is_empty());
    }
    let request = PredictionRequest::parse(body);
    if let Err(e) = &request {
        assert!(!e.to_string().is_empty());
    }
    if let Ok(value) = serde_json::from_str::<Value>(body) {
        let check = CheckRequest::from_input(&value, Utc::now(), 7);
        if let Err(e) = &check {
            assert!(!e.to_string().is_empty());
        }
    }
}

/// Field names the parsers know, so generated JSON reaches past the first check.
const FIELDS: &[&str] = &[
    "kind",
    "game_id",
    "game_date",
    "home",
    "away",
    "games",
    "players",
    "team",
    "updated_at",
    "player_id",
    "name",
    "minutes",
    "pts",
    "fgm",
    "fga",
    "fg3m",
    "fg3a",
    "ftm",
    "fta",
    "oreb",
    "dreb",
    "reb",
    "ast",
    "tov",
    "zones",
    "processor",
    "entity_id",
    "analysis_date",
    "player_lookup",
    "generated_at",
    "lines",
    "points",
    "rebounds",
    "assists",
    "detail",
    "detail-type",
    "lookback_days",
    "dry_run",
    "scheduled_time",
    "request_backfill",
];
/// Values the parsers know, for the same reason.
const WORDS: &[&str] = &[
    "schedule",
    "box_score",
    "shot_chart",
    "work",
    "Box Score",
    "Game Schedule",
    "player_daily_cache",
    "team_defense_zone_analysis",
    "player#lebronjames",
    "team#BOS",
    "2024-11-04",
    "+2024-11-04",
    "2024-02-30",
    "2024-11-05T08:00:00Z",
    "0022400154",
    "BOS",
    "MIL",
    "Mid-Range",
    "lebronjames",
    "Jayson\u{202e}Tatum",
    "\u{0}",
];

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u32>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(WORDS).prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 96, 12, |inner| {
        let key = prop_oneof![
            prop::sample::select(FIELDS).prop_map(String::from),
            any::<String>()
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..12)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        parse_all(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_json_never_panics(value in json()) {
        parse_all(&value.to_string());
    }
}

#[test]
fn named_hostile_inputs_give_typed_errors() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let cases = [
        deep,
        r#"{"kind":"box_score","pts":1e400}"#.to_string(),
        r#"{"player_lookup":"x","game_date":"2025-11-05","generated_at":"2025-11-05T14:00:00Z","lines":{"points":1e400}}"#.to_string(),
        r#"{"player_lookup":"x","game_date":"2025-11-05","generated_at":"2025-11-05T14:00:00Z","lines":{"points":NaN}}"#.to_string(),
        format!(r#"{{"kind":"schedule","padding":"{}"}}"#, "x".repeat(300 * 1024)),
        "{\"kind\":\"work\",\"processor\":\"player_daily_cache\",\"entity_id\":\"player#a\u{0}b\",\"analysis_date\":\"2024-10-22\"}".to_string(),
        "\u{0}\u{1}\u{7f}".to_string(),
    ];
    for body in &cases {
        parse_all(body);
        assert!(ProcessorMessage::parse(body).is_err(), "{:.80}", body);
        assert!(PredictionRequest::parse(body).is_err(), "{:.80}", body);
    }
}

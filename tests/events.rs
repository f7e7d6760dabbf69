//! Every file in events/ is a valid event for its function: an SQS event whose bodies
//! the function accepts (what `sam local invoke -e` and `cargo lambda invoke` send).

use aws_lambda_events::event::sqs::SqsEvent;
use nba_props::domain::prediction_request::PredictionRequest;
use nba_props::domain::processor_message::ProcessorMessage;
use nba_props_cli::local_aws::repo_root;

fn sqs_events(function: &str) -> Vec<(String, SqsEvent)> {
    let dir = repo_root().join("events").join(function);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("events folder") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("sqs-") {
            continue;
        }
        let event: SqsEvent = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{name} is not an SQS event: {e}"));
        assert!(!event.records.is_empty(), "{name} has no records");
        for r in &event.records {
            assert!(
                r.message_id.as_deref().is_some_and(|id| !id.is_empty()),
                "{name}: record without messageId"
            );
            assert_eq!(r.event_source.as_deref(), Some("aws:sqs"), "{name}");
        }
        out.push((name, event));
    }
    out
}

#[test]
fn writer_events_carry_valid_prediction_requests() {
    let events = sqs_events("prediction-writer");
    assert!(!events.is_empty());
    for (name, event) in events {
        for r in event.records {
            PredictionRequest::parse(r.body.as_deref().unwrap_or_default())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

#[test]
fn processor_events_cover_every_message_kind() {
    let mut kinds = std::collections::BTreeSet::new();
    for (name, event) in sqs_events("processor") {
        for r in event.records {
            let message = ProcessorMessage::parse(r.body.as_deref().unwrap_or_default())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            kinds.insert(match message {
                ProcessorMessage::Schedule(_) => "schedule",
                ProcessorMessage::BoxScore(_) => "box_score",
                ProcessorMessage::Work(_) => "work",
                ProcessorMessage::ShotChart(_) => "shot_chart",
                ProcessorMessage::PropLines(_) => "prop_lines",
            });
        }
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["box_score", "prop_lines", "schedule", "shot_chart", "work"]
    );
    // the raw bus event a scraper publishes is the same box score
    let raw =
        std::fs::read_to_string(repo_root().join("events/processor/eventbridge-box-score.json"))
            .unwrap();
    assert!(matches!(
        ProcessorMessage::parse(&raw),
        Ok(ProcessorMessage::BoxScore(_))
    ));
    // and the raw bus event of a game's prop lines parses as the snapshot it carries
    let raw =
        std::fs::read_to_string(repo_root().join("events/processor/eventbridge-prop-lines.json"))
            .unwrap();
    assert!(matches!(
        ProcessorMessage::parse(&raw),
        Ok(ProcessorMessage::PropLines(_))
    ));
}

#[test]
fn checker_events_are_inputs_the_checker_accepts() {
    let dir = repo_root().join("events/completeness-checker");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("events folder") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let input: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
        let request = nba_props::domain::completeness::CheckRequest::from_input(
            &input,
            chrono::Utc::now(),
            nba_props::config::DEFAULT_LOOKBACK_DAYS,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        // Every example is about the committed 2024-25 week, so the local replay and the
        // runtime-API test have data to check.
        assert_eq!(request.game_date.to_string(), "2024-11-06", "{name}");
        names.push(name);
    }
    names.sort();
    assert_eq!(
        names,
        [
            "manual-dry-run.json",
            "manual-no-auto-reset.json",
            "scheduled-morning-check.json"
        ]
    );
}

#[test]
fn backfill_events_carry_valid_backfill_requests_of_the_committed_week() {
    let events = sqs_events("backfill");
    assert!(!events.is_empty());
    let week = nba_props_cli::dataset::week_2024_25().expect("the committed week");
    for (name, event) in events {
        for r in event.records {
            let request = nba_props::domain::backfill::BackfillRequest::parse(
                r.body.as_deref().unwrap_or_default(),
            )
            .unwrap_or_else(|e| panic!("{name}: {e}"));
            // A real game of the week, so a local invoke against the stand-in source
            // fetches a real box score.
            let game = week
                .iter()
                .flat_map(|d| &d.schedule.games)
                .find(|g| g.game_id == request.game_id)
                .unwrap_or_else(|| panic!("{name}: {} is not in the week", request.game_id));
            assert_eq!((&game.home, &game.away), (&request.home, &request.away));
        }
    }
}

//! The main job's figures against counts the test makes on its own from the fixture
//! files: games per day, box scores stored, and one prediction item per key.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use chrono::NaiveDate;
use nba_props_cli::dataset::{Dataset, fixtures_dir};
use nba_props_cli::local_aws::repo_root;
use nba_props_cli::replay::{ReplayOptions, run};
use nba_props_cli::template::{Template, referenced_id};
use nba_props_tests::fresh_stack;

#[tokio::test(flavor = "multi_thread")]
async fn the_replays_figures_match_the_fixture_files() -> Result<()> {
    let stack = fresh_stack("replay").await?;
    let (from, to): (NaiveDate, NaiveDate) = ("2025-11-02".parse()?, "2025-11-05".parse()?);
    // GIVEN the games per date, read straight from the fixtures' games.csv (one row a game)
    let mut games: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    let mut reader = csv::Reader::from_path(fixtures_dir().join("games.csv"))?;
    let headers = reader.headers()?.clone();
    let date = headers
        .iter()
        .position(|h| h == "GAME_DATE")
        .expect("GAME_DATE");
    for record in reader.records() {
        *games.entry(record?[date].parse()?).or_default() += 1;
    }

    // WHEN four days run through the production path
    let options = ReplayOptions {
        from: Some(from),
        to: Some(to),
        late_box_score: false,
        keep_features: true,
        progress: false,
    };
    let report = run(&stack, &Dataset::fixtures()?, &options).await?;

    // THEN each day has the file's games, and each morning stored the previous game
    // day's box scores (none on the first day, which has no previous day in the run)
    let dates: Vec<NaiveDate> = report.days.iter().map(|d| d.date).collect();
    let expected: Vec<NaiveDate> = games.range(from..=to).map(|(d, _)| *d).collect();
    assert_eq!(dates, expected);
    for (i, day) in report.days.iter().enumerate() {
        assert_eq!(day.games, games[&day.date], "{}", day.date);
        let previous = i.checked_sub(1).map_or(0, |p| games[&dates[p]]);
        assert_eq!(day.box_scores_stored, previous as u64, "{}", day.date);
        assert_eq!(day.breakers_tripped, 0, "no data is late");
    }
    // AND the predictions table holds one item per key, the lines the report counts
    assert_eq!(report.duplicate_keys_in_table, 0);
    let with_line = report
        .predictions
        .iter()
        .filter(|(p, _)| p.line.is_some())
        .count();
    assert_eq!(
        with_line,
        report
            .days
            .iter()
            .map(|d| d.predictions_with_line)
            .sum::<usize>()
    );
    assert!(with_line > 500, "only {with_line} predictions with a line");
    // AND every prediction with a line on these slates has its player's real result
    // when he played, so the market figures are computed on real rows
    let scored: usize = report.markets.iter().map(|m| m.rows).sum();
    assert!(scored > 0 && scored <= with_line);
    // AND the request figures were counted as the requests went out: one morning check
    // a day, and every function and service at work
    let r = &report.requests;
    assert_eq!(r.game_days, 4);
    assert_eq!(r.invocations["completeness-checker"], 4);
    for function in ["processor", "completeness-checker", "prediction-writer"] {
        assert!(r.dynamodb_of(function) > 0, "{function}: {:?}", r.dynamodb);
    }
    assert!(
        r.sqs["SendMessageBatch"] > 0 && r.sqs["ReceiveMessage"] > 0,
        "{:?}",
        r.sqs
    );
    // (each morning's report is published on the bus)
    assert!(r.eventbridge["PutEvents"] >= 4, "{:?}", r.eventbridge);
    // AND each morning's report reached the report topic's subscriber
    assert_eq!(report.morning_reports, (4, 4));
    // AND every single-item write consumed at least one write unit, as the responses
    // reported (a refused conditional write is counted as one), and reads consumed units
    for function in ["processor", "prediction-writer"] {
        let ops = &r.dynamodb[function];
        let writes =
            ops.get("PutItem").copied().unwrap_or(0) + ops.get("UpdateItem").copied().unwrap_or(0);
        let units = r.dynamodb_units[function];
        assert!(writes > 0, "{function}: {ops:?}");
        assert!(
            units.write >= writes as f64,
            "{function}: {units:?} for {ops:?}"
        );
        assert!(units.read > 0.0, "{function}: {units:?}");
    }
    // AND every DynamoDB operation a function sent is one its role grants
    let t = Template::load(&repo_root().join("infra/template.yaml"))?;
    for function in ["processor", "completeness-checker", "prediction-writer"] {
        let id = t.function_for_binary(function)?;
        let role = referenced_id(&t.resources[id].properties["Role"])?.expect("a role");
        let granted: BTreeSet<String> = t.resources[&role].properties["Policies"]
            .as_sequence()
            .expect("policies")
            .iter()
            .flat_map(|p| {
                p["PolicyDocument"]["Statement"]
                    .as_sequence()
                    .expect("statements")
            })
            .flat_map(|st| match &st["Action"] {
                serde_yaml::Value::Sequence(a) => a.clone(),
                other => vec![other.clone()],
            })
            .filter_map(|a| a.as_str().map(String::from))
            .collect();
        for op in r.dynamodb[function].keys() {
            assert!(
                granted.contains(&format!("dynamodb:{op}")),
                "{function} sends {op}, which {role} does not grant"
            );
        }
    }
    // AND the bill prices what was counted
    let lambda = report
        .bill
        .lines
        .iter()
        .find(|l| l.item == "Lambda invocations")
        .expect("a Lambda line");
    assert_eq!(lambda.quantity, r.invocations.values().sum::<u64>() as f64);
    // AND the processors stored one composite feature set per predicted player and date
    assert_eq!(report.features.len() * 3, report.predictions.len());
    Ok(())
}

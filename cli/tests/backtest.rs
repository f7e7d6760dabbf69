//! The backtest reads no game on or after the date it predicts: every such game is
//! changed beyond recognition and the features of the date stay exactly the same, while
//! the features of later dates (which may read them) change.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use nba_props::model::{Market, PlayerGameFeatures};
use nba_props_cli::backtest::{FeatureRow, feature_rows};
use nba_props_cli::dataset::Dataset;

/// Features by (player, date), one per player-game.
fn by_player_game(rows: &[FeatureRow]) -> BTreeMap<(String, NaiveDate), PlayerGameFeatures> {
    rows.iter()
        .filter(|r| r.market == Market::Points)
        .map(|r| {
            (
                (r.features.player_lookup.clone(), r.features.game_date),
                r.features.clone(),
            )
        })
        .collect()
}

/// The dataset with every game on or after `from` changed: other points, rebounds,
/// assists, minutes and team totals (the schedule is left alone: it is known ahead).
fn with_games_changed_from(data: &Dataset, from: NaiveDate) -> Dataset {
    let mut changed = data.clone();
    for l in changed.lines.iter_mut().filter(|l| l.date >= from) {
        l.pts += 40;
        l.reb += 15;
        l.ast += 12;
        l.minutes += 10.0;
    }
    for t in changed.team_rows.iter_mut().filter(|t| t.game_date >= from) {
        t.pts += 60;
        t.reb += 30;
        t.ast += 25;
        t.fga += 20;
    }
    changed
}

#[tokio::test]
async fn no_feature_reads_a_game_on_or_after_its_date() -> anyhow::Result<()> {
    let data = Dataset::fixtures()?;
    let (rows, _) = feature_rows(&data).await?;
    let features = by_player_game(&rows);
    let dates: Vec<NaiveDate> = {
        let mut d: Vec<NaiveDate> = features.keys().map(|(_, d)| *d).collect();
        d.sort();
        d.dedup();
        d
    };
    assert!(dates.len() >= 6, "{dates:?}");
    // Every date from the third on with features is a cut: the games from it on change.
    for cut in &dates[2..dates.len() - 1] {
        let (changed_rows, _) = feature_rows(&with_games_changed_from(&data, *cut)).await?;
        let changed = by_player_game(&changed_rows);
        let on_cut: Vec<_> = features.iter().filter(|((_, d), _)| d == cut).collect();
        assert!(!on_cut.is_empty());
        for (key, f) in on_cut {
            assert_eq!(
                changed.get(key),
                Some(f),
                "{key:?}: a feature of {cut} read a game on or after it"
            );
        }
        // The change is visible to what may read it: later dates' features move.
        let later_moved = features
            .iter()
            .filter(|((_, d), _)| d > cut)
            .filter(|(k, f)| changed.get(*k) != Some(*f))
            .count();
        assert!(later_moved > 0, "the change after {cut} moved nothing");
    }
    Ok(())
}

#[tokio::test]
async fn both_models_are_judged_on_the_same_rows_by_coefficients_that_never_saw_them()
-> anyhow::Result<()> {
    use nba_props_cli::backtest::{RollingV2, feature_rows, run_backtest};
    let data = Dataset::fixtures()?;
    let from: NaiveDate = "2025-11-02".parse()?;
    let report = run_backtest(&data, None, from).await?;
    assert_eq!(report.evaluation_dates.0, from);

    // Each evaluated date's coefficients were fitted on earlier dates only.
    let (rows, _) = feature_rows(&data).await?;
    let dates: Vec<NaiveDate> = (0..4).map(|i| from + chrono::Duration::days(i)).collect();
    let v2 = RollingV2::fit(&rows, dates.clone())?;
    for d in &dates {
        let fitted = v2
            .coefficients_for(*d)
            .expect("fitted for every evaluated date");
        assert!(fitted.fitted_on.1 < *d, "{d}: {:?}", fitted.fitted_on);
    }

    for market in Market::ALL {
        let of: Vec<_> = report
            .evaluations
            .iter()
            .filter(|e| e.market == market)
            .collect();
        assert_eq!(of.len(), 2, "baseline-v1 and line-shrinkage-v2");
        // The same rows: same count, same line figures.
        assert!(of[0].rows > 0);
        assert_eq!(of[0].rows, of[1].rows);
        assert_eq!(of[0].line_errors, of[1].line_errors);
        // The baseline states no probability; v2 states one on every row.
        assert!(of[0].calibration.is_empty());
        let stated: usize = of[1].calibration.iter().map(|b| b.rows).sum();
        let pushes = rows
            .iter()
            .filter(|r| r.market == market && r.features.game_date >= from)
            .filter(|r| r.line.as_ref().is_some_and(|l| l.line == r.actual))
            .count();
        assert_eq!(stated + pushes, of[1].rows, "{market}");
        for e in &of {
            for c in std::iter::once(&e.recommended).chain(&e.calls) {
                if let (Some(rate), Some((lo, hi))) = (c.hit_rate, c.interval) {
                    assert!(lo <= rate && rate <= hi, "{c:?}");
                }
            }
        }
    }

    // The picture names each market's two panels.
    let dir = std::env::temp_dir().join(format!("backtest-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let svg = dir.join("backtest.svg");
    nba_props_cli::backtest_plot::write_svg(&report, &svg)?;
    let text = std::fs::read_to_string(&svg)?;
    for market in Market::ALL {
        assert!(text.contains(&format!("{market}: calibration of P(over)")));
        assert!(text.contains(&format!("{market}: hit rate by edge")));
    }
    std::fs::remove_dir_all(&dir)?;

    // `--json` carries the same figures as the table.
    let json = serde_json::to_value(&report)?;
    let first = &json["evaluations"][0];
    assert_eq!(first["model"], report.evaluations[0].model);
    assert_eq!(
        first["model_errors"]["mae"].as_f64(),
        Some(report.evaluations[0].model_errors.mae)
    );
    assert_eq!(json["evaluation_dates"][0], from.to_string());
    Ok(())
}

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

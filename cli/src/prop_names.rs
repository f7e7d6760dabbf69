//! `nba-props prop-names`: how many sportsbook rows the ingest's name matching finds a
//! player for, over every props file, and which names it does not.
//!
//! The roster a name may match is the one the processor uses: the players who played
//! for either team of the game in the 30 days before its date (from the game logs).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use nba_props::domain::processors::ROSTER_DAYS;
use nba_props::domain::prop_lines::PlayerNames;
use nba_props::model::player_lookup;
use serde::Serialize;

use crate::dataset::Dataset;

/// The matched share of sportsbook rows, and the names that matched no one.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NameReport {
    /// Rows of points, rebounds and assists in scheduled games.
    pub rows: usize,
    /// Rows whose name folds exactly to a player of the two teams.
    pub matched_by_fold: usize,
    /// Rows matched with the suffix rule and the alias table too (what the ingest does).
    pub matched: usize,
    /// Names matched by no rule, with their row counts, most rows first.
    pub unmatched: Vec<(String, usize)>,
    /// Of the unmatched names, those whose fold appears nowhere in the season's logs
    /// (players the logs do not have, rather than spellings).
    pub unmatched_absent_from_logs: usize,
    /// The rows of those names.
    pub rows_absent_from_logs: usize,
}

/// Measures the name matching over a dataset's props files.
pub fn measure(data: &Dataset) -> anyhow::Result<NameReport> {
    let days = data.days()?;
    let (snapshots, _) = data.snapshots(&days);
    // (team, date) → players who played for the team that day.
    let mut played: BTreeMap<(String, NaiveDate), Vec<String>> = BTreeMap::new();
    for line in &data.lines {
        played
            .entry((line.team().to_string(), line.date))
            .or_default()
            .push(line.player_lookup());
    }
    let everyone: std::collections::HashSet<String> =
        data.lines.iter().map(|l| l.player_lookup()).collect();
    let mut report = NameReport::default();
    let mut unmatched: HashMap<String, usize> = HashMap::new();
    for snapshot in snapshots.values().flatten() {
        let since = snapshot.game_date - chrono::Duration::days(ROSTER_DAYS);
        let mut roster: Vec<&str> = Vec::new();
        for team in [&snapshot.home, &snapshot.away] {
            for ((t, date), players) in
                played.range((team.clone(), since)..(team.clone(), snapshot.game_date))
            {
                debug_assert!(t == team && *date < snapshot.game_date);
                roster.extend(players.iter().map(String::as_str));
            }
        }
        let names = PlayerNames::new(roster.iter().copied());
        for row in &snapshot.lines {
            report.rows += 1;
            if roster.contains(&player_lookup(&row.player).as_str()) {
                report.matched_by_fold += 1;
            }
            match names.find(&row.player) {
                Some(_) => report.matched += 1,
                None => *unmatched.entry(row.player.clone()).or_default() += 1,
            }
        }
    }
    for (name, rows) in &unmatched {
        if !everyone.contains(&player_lookup(name)) {
            report.unmatched_absent_from_logs += 1;
            report.rows_absent_from_logs += rows;
        }
    }
    let mut unmatched: Vec<(String, usize)> = unmatched.into_iter().collect();
    unmatched.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    report.unmatched = unmatched;
    Ok(report)
}

//! A season's game data in memory, answering the processors' reads the way the game
//! data table does (same ordering, same "before the date" bounds), so the backtest runs
//! the processors' own feature code over a whole season in seconds instead of through
//! DynamoDB. It is filled through the same port the ingest uses (`put_schedule`,
//! `put_box_score`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Mutex;

use chrono::NaiveDate;
use nba_props::model::{
    BoxScore, DaySchedule, GameStatus, PlayerGame, PlayerShotGame, ProcessorName, RosterEntry,
    RosterSource, Schedule, ShotChart, TeamGame, WorkItem, player_lookup,
};
use nba_props::ports::{
    BoxScoreOutcome, BoxScoreRejected, FeatureSource, GameDataStore, StoreError,
};

use crate::nba_data::GameDay;

#[derive(Debug, Default)]
struct Season {
    schedules: BTreeMap<NaiveDate, Vec<GameStatus>>,
    /// team → (date, game id) → the team's side.
    team_games: BTreeMap<String, BTreeMap<(NaiveDate, String), TeamGame>>,
    /// player → (date, game id) → line.
    player_games: BTreeMap<String, BTreeMap<(NaiveDate, String), PlayerGame>>,
    /// player → (date, game id) → shots.
    player_shots: BTreeMap<String, BTreeMap<(NaiveDate, String), PlayerShotGame>>,
    /// team → player → (last date, source).
    rosters: BTreeMap<String, BTreeMap<String, (NaiveDate, RosterSource)>>,
    fanned_out: BTreeSet<String>,
    fan_out_done: BTreeSet<NaiveDate>,
}

/// The game data of the days it was given, in memory.
#[derive(Debug, Default)]
pub struct SeasonStore {
    season: Mutex<Season>,
}

/// The newest `limit` values of a date-ordered map whose date is before `before`.
fn newest_before<T: Clone>(
    games: Option<&BTreeMap<(NaiveDate, String), T>>,
    before: NaiveDate,
    limit: usize,
) -> Vec<T> {
    games
        .into_iter()
        .flat_map(|g| g.range(..(before, String::new())).rev())
        .take(limit)
        .map(|(_, v)| v.clone())
        .collect()
}

impl SeasonStore {
    /// A store holding every schedule and box score of `days`.
    pub async fn from_days(days: &[GameDay]) -> Result<Self, BoxScoreRejected> {
        let store = Self::default();
        for day in days {
            store.put_schedule(&day.schedule).await?;
            for b in &day.box_scores {
                store.put_box_score(b).await?;
            }
        }
        Ok(store)
    }

    fn season(&self) -> std::sync::MutexGuard<'_, Season> {
        self.season
            .lock()
            .expect("no panic while the season is held")
    }
}

impl GameDataStore for SeasonStore {
    async fn put_schedule(&self, schedule: &Schedule) -> Result<Vec<String>, StoreError> {
        let mut s = self.season();
        let date = schedule.game_date;
        let kept: BTreeMap<String, bool> = s
            .schedules
            .get(&date)
            .into_iter()
            .flatten()
            .map(|g| (g.game_id.clone(), g.complete))
            .collect();
        // Replaced: the sides of games no longer listed (or no longer played) go.
        for games in s.team_games.values_mut() {
            games.retain(|(d, id), _| {
                *d != date
                    || schedule
                        .games
                        .iter()
                        .any(|g| &g.game_id == id && g.status.is_played())
            });
        }
        let mut statuses = Vec::new();
        for g in &schedule.games {
            let complete = kept.get(&g.game_id).copied().unwrap_or(false);
            statuses.push(GameStatus {
                game_id: g.game_id.clone(),
                game_date: date,
                home: g.home.clone(),
                away: g.away.clone(),
                complete,
                status: g.status,
            });
            if !g.status.is_played() {
                continue;
            }
            for (team, opponent, home) in [(&g.home, &g.away, true), (&g.away, &g.home, false)] {
                s.team_games
                    .entry(team.clone())
                    .or_default()
                    .entry((date, g.game_id.clone()))
                    .or_insert_with(|| TeamGame {
                        team: team.clone(),
                        opponent: opponent.clone(),
                        home,
                        game_id: g.game_id.clone(),
                        game_date: date,
                        complete: false,
                        totals: None,
                        opponent_totals: None,
                    });
            }
        }
        s.schedules.insert(date, statuses);
        Ok(schedule
            .games
            .iter()
            .filter(|g| g.status.is_played() && !s.fanned_out.contains(&g.game_id))
            .map(|g| g.game_id.clone())
            .collect())
    }

    async fn mark_fanned_out(
        &self,
        _date: NaiveDate,
        game_ids: &[String],
    ) -> Result<(), StoreError> {
        self.season().fanned_out.extend(game_ids.iter().cloned());
        Ok(())
    }

    async fn put_box_score(&self, b: &BoxScore) -> Result<BoxScoreOutcome, BoxScoreRejected> {
        let mut s = self.season();
        let Some(game) = s
            .schedules
            .get_mut(&b.game_date)
            .and_then(|games| games.iter_mut().find(|g| g.game_id == b.game_id))
        else {
            return Err(BoxScoreRejected::NotScheduled {
                game_id: b.game_id.clone(),
                game_date: b.game_date,
            });
        };
        if game.complete {
            return Ok(BoxScoreOutcome::Duplicate);
        }
        game.complete = true;
        let key = (b.game_date, b.game_id.clone());
        for (side, opponent) in [(&b.home, &b.away), (&b.away, &b.home)] {
            if let Some(t) = s
                .team_games
                .get_mut(&side.team)
                .and_then(|g| g.get_mut(&key))
            {
                t.complete = true;
                t.totals = Some(side.clone());
                t.opponent_totals = Some(opponent.clone());
            }
        }
        for game in PlayerGame::of_box_score(b) {
            let (lookup, team) = (game.player_lookup.clone(), game.team.clone());
            s.player_games
                .entry(lookup.clone())
                .or_default()
                .insert(key.clone(), game);
            let last = s
                .rosters
                .entry(team)
                .or_default()
                .entry(lookup)
                .or_insert((b.game_date, RosterSource::Lines));
            last.0 = last.0.max(b.game_date);
            last.1 = RosterSource::Lines;
        }
        Ok(BoxScoreOutcome::Stored)
    }

    async fn schedule_on(&self, date: NaiveDate) -> Result<DaySchedule, StoreError> {
        let s = self.season();
        Ok(match s.schedules.get(&date) {
            Some(games) => DaySchedule {
                stored: true,
                games: games.clone(),
            },
            None => DaySchedule {
                stored: false,
                games: Vec::new(),
            },
        })
    }

    async fn team_games_before(
        &self,
        team: &str,
        before: NaiveDate,
        limit: usize,
    ) -> Result<Vec<TeamGame>, StoreError> {
        Ok(newest_before(
            self.season().team_games.get(team),
            before,
            limit,
        ))
    }

    async fn team_game_on(
        &self,
        team: &str,
        date: NaiveDate,
    ) -> Result<Option<TeamGame>, StoreError> {
        Ok(self.season().team_games.get(team).and_then(|games| {
            games
                .range((date, String::new())..)
                .next()
                .filter(|((d, _), _)| *d == date)
                .map(|(_, g)| g.clone())
        }))
    }

    async fn player_games_before(
        &self,
        player_lookup: &str,
        before: NaiveDate,
        limit: usize,
    ) -> Result<Vec<PlayerGame>, StoreError> {
        Ok(newest_before(
            self.season().player_games.get(player_lookup),
            before,
            limit,
        ))
    }

    async fn roster(&self, team: &str, since: NaiveDate) -> Result<Vec<RosterEntry>, StoreError> {
        Ok(self
            .season()
            .rosters
            .get(team)
            .into_iter()
            .flatten()
            .filter(|(_, (last, _))| *last >= since)
            .map(|(player, (_, source))| RosterEntry {
                player_lookup: player.clone(),
                source: *source,
            })
            .collect())
    }

    async fn put_shot_chart(&self, chart: &ShotChart) -> Result<(), BoxScoreRejected> {
        let mut s = self.season();
        if !s
            .schedules
            .get(&chart.game_date)
            .is_some_and(|g| g.iter().any(|g| g.game_id == chart.game_id))
        {
            return Err(BoxScoreRejected::NotScheduled {
                game_id: chart.game_id.clone(),
                game_date: chart.game_date,
            });
        }
        for p in &chart.players {
            let lookup = player_lookup(&p.name);
            s.player_shots.entry(lookup.clone()).or_default().insert(
                (chart.game_date, chart.game_id.clone()),
                PlayerShotGame {
                    player_lookup: lookup,
                    team: p.team.clone(),
                    game_id: chart.game_id.clone(),
                    game_date: chart.game_date,
                    zones: p.zones.clone(),
                },
            );
        }
        Ok(())
    }

    async fn player_shots_before(
        &self,
        player_lookup: &str,
        before: NaiveDate,
        limit: usize,
    ) -> Result<Vec<PlayerShotGame>, StoreError> {
        Ok(newest_before(
            self.season().player_shots.get(player_lookup),
            before,
            limit,
        ))
    }

    async fn league_games(
        &self,
        from: NaiveDate,
        before: NaiveDate,
    ) -> Result<Vec<TeamGame>, StoreError> {
        let s = self.season();
        let mut games: Vec<TeamGame> = s
            .team_games
            .values()
            .flat_map(|g| g.range((from, String::new())..(before, String::new())))
            .map(|(_, g)| g.clone())
            .filter(|g| g.complete)
            .collect();
        games.sort_by(|a, b| {
            (a.game_date, &a.game_id, &a.team).cmp(&(b.game_date, &b.game_id, &b.team))
        });
        Ok(games)
    }

    async fn fan_out_done(&self, date: NaiveDate) -> Result<bool, StoreError> {
        Ok(self.season().fan_out_done.contains(&date))
    }

    async fn mark_fan_out_done(&self, date: NaiveDate) -> Result<(), StoreError> {
        self.season().fan_out_done.insert(date);
        Ok(())
    }
}

/// Processor outputs in memory: what the processors of a date stored, for the
/// composite to read (as the features table serves them in production).
#[derive(Debug, Default)]
pub struct StoredOutputs {
    outputs: Mutex<HashMap<(String, ProcessorName, NaiveDate), serde_json::Value>>,
}

impl StoredOutputs {
    /// Stores one output.
    pub fn put(&self, work: &WorkItem, output: serde_json::Value) {
        self.outputs
            .lock()
            .expect("no panic while the outputs are held")
            .insert(
                (work.entity_id.clone(), work.processor, work.analysis_date),
                output,
            );
    }
}

impl FeatureSource for StoredOutputs {
    async fn get_output(
        &self,
        entity_id: &str,
        processor: ProcessorName,
        analysis_date: NaiveDate,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        Ok(self
            .outputs
            .lock()
            .expect("no panic while the outputs are held")
            .get(&(entity_id.to_string(), processor, analysis_date))
            .cloned())
    }

    async fn stored_outputs(
        &self,
        entity_ids: &[String],
        processor: ProcessorName,
        analysis_date: NaiveDate,
    ) -> Result<HashSet<String>, StoreError> {
        let outputs = self
            .outputs
            .lock()
            .expect("no panic while the outputs are held");
        Ok(entity_ids
            .iter()
            .filter(|e| outputs.contains_key(&((*e).clone(), processor, analysis_date)))
            .cloned()
            .collect())
    }
}

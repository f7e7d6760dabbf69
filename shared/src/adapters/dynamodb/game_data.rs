//! The game data table. One table, string keys `pk` / `sk`:
//!
//! | item | pk | sk |
//! |---|---|---|
//! | a scheduled game | `schedule#DATE` | `game#ID` |
//! | a date's schedule was stored (off days too) | `schedule#DATE` | `day` |
//! | a team's view of a game | `team#ABC` | `DATE#ID` |
//! | a player's line | `player#LOOKUP` | `DATE#ID` |
//! | a roster entry | `roster#ABC` | `lines#LOOKUP` or `shots#LOOKUP` |
//! | a player's shots by zone | `shots#LOOKUP` | `DATE#ID` |
//! | a completed team-game, league-wide | `league` | `DATE#ID#ABC` |
//! | a date's fan-out, once sent whole | `fanout#DATE` | `-` |
//! | a game's backfill ledger (`backfill_ledger`) | `backfill#ID` | `-` |
//!
//! Every "before DATE" read is a Query with `sk < DATE`, newest first: `DATE#...` sorts
//! after the bare date, so the date itself is excluded.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use chrono::NaiveDate;
use futures::{StreamExt, TryStreamExt, stream};
use serde::{Deserialize, Serialize};

use super::{is_conditional_failure, keys, s, store_err};
use crate::model::{
    BoxScore, DaySchedule, GameStatus, PlayerGame, PlayerShotGame, RosterEntry, RosterSource,
    Schedule, ScheduleStatus, ShotChart, TeamGame, TeamTotals, canonical_timestamp, player_lookup,
};
use crate::ports::{BoxScoreOutcome, BoxScoreRejected, GameDataStore, StoreError};

/// Sort key of a date's mark in its schedule partition, written with every schedule
/// (`game#...` sorts before it).
const SCHEDULE_DAY_SK: &str = "day";

/// Attribute of a date's fan-out item, set once every work item was sent.
const FAN_OUT_COMPLETE: &str = "fan_out_complete";

/// Versioned box-score writes in flight at once.
const WRITE_CONCURRENCY: usize = 16;

/// BatchWriteItem takes at most 25 items.
const BATCH_WRITE_LIMIT: usize = 25;

/// The game data table.
#[derive(Debug, Clone)]
pub struct GameDataTable {
    client: Client,
    table: String,
}

#[derive(Serialize, Deserialize)]
struct ScheduleItem {
    game_id: String,
    game_date: NaiveDate,
    home: String,
    away: String,
    #[serde(default)]
    complete: bool,
    #[serde(default)]
    box_score_updated_at: Option<String>,
    #[serde(default)]
    status: ScheduleStatus,
    /// Set once the game's work was sent whole (`mark_fanned_out`).
    #[serde(default)]
    fanned_out: bool,
}

#[derive(Serialize, Deserialize)]
struct RosterItem {
    player_lookup: String,
    last_game_date: NaiveDate,
    source: RosterSource,
}

fn key(pk: impl Into<String>, sk: impl Into<String>) -> HashMap<String, AttributeValue> {
    HashMap::from([(keys::PK.to_string(), s(pk)), (keys::SK.to_string(), s(sk))])
}

fn item_of<T: Serialize>(
    pk: String,
    sk: String,
    value: &T,
) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let mut item: HashMap<String, AttributeValue> =
        serde_dynamo::to_item(value).map_err(|e| StoreError::new("encoding game data", e))?;
    item.extend(key(pk, sk));
    Ok(item)
}

fn game_sk(date: NaiveDate, game_id: &str) -> String {
    format!("{date}#{game_id}")
}

impl GameDataTable {
    /// Wraps a client and table name.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The client and table name, for the other records kept in this table.
    pub(super) fn parts(&self) -> (&Client, &str) {
        (&self.client, &self.table)
    }

    /// Query of one partition, `sk` condition given, newest first when `descending`.
    async fn query<T: for<'de> Deserialize<'de>>(
        &self,
        pk: String,
        sk_condition: &str,
        values: &[(&str, String)],
        descending: bool,
        limit: Option<usize>,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression(format!(
                    "pk = :pk{}",
                    if sk_condition.is_empty() {
                        String::new()
                    } else {
                        format!(" AND {sk_condition}")
                    }
                ))
                .expression_attribute_values(":pk", s(&pk))
                .scan_index_forward(!descending)
                .consistent_read(true)
                .set_exclusive_start_key(start.take());
            for (name, value) in values {
                q = q.expression_attribute_values(*name, s(value));
            }
            if let Some(limit) = limit {
                q = q.limit((limit - out.len()) as i32);
            }
            let page = q
                .send()
                .await
                .map_err(|e| store_err("Query", &self.table, e))?;
            for item in page.items.unwrap_or_default() {
                out.push(
                    serde_dynamo::from_item(item)
                        .map_err(|e| StoreError::new(format!("decoding {pk}"), e))?,
                );
            }
            start = page.last_evaluated_key;
            if start.is_none() || limit.is_some_and(|l| out.len() >= l) {
                return Ok(out);
            }
        }
    }

    async fn batch_write(
        &self,
        items: Vec<HashMap<String, AttributeValue>>,
    ) -> Result<(), StoreError> {
        for chunk in items.chunks(BATCH_WRITE_LIMIT) {
            let mut pending: Vec<WriteRequest> = chunk
                .iter()
                .map(|item| {
                    PutRequest::builder()
                        .set_item(Some(item.clone()))
                        .build()
                        .map(|put| WriteRequest::builder().put_request(put).build())
                        .map_err(|e| StoreError::new("building BatchWriteItem", e))
                })
                .collect::<Result<_, _>>()?;
            for round in 0..6 {
                if pending.is_empty() {
                    break;
                }
                if round > 0 {
                    tokio::time::sleep(Duration::from_millis(50 << round)).await;
                }
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, std::mem::take(&mut pending))
                    .send()
                    .await
                    .map_err(|e| store_err("BatchWriteItem", &self.table, e))?;
                pending = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(&self.table))
                    .unwrap_or_default();
            }
            if !pending.is_empty() {
                return Err(StoreError::new(
                    format!("BatchWriteItem {}", self.table),
                    "items still unprocessed",
                ));
            }
        }
        Ok(())
    }

    /// The scheduled game a box score or shot chart is for, checked against its teams.
    async fn scheduled(
        &self,
        game_id: &str,
        date: NaiveDate,
        home: &str,
        away: &str,
    ) -> Result<ScheduleItem, BoxScoreRejected> {
        let scheduled = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(
                format!("schedule#{date}"),
                format!("game#{game_id}"),
            )))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_err("GetItem", &self.table, e))?
            .item
            .map(serde_dynamo::from_item::<_, ScheduleItem>)
            .transpose()
            .map_err(|e| StoreError::new("decoding schedule item", e))?
            .ok_or_else(|| BoxScoreRejected::NotScheduled {
                game_id: game_id.to_string(),
                game_date: date,
            })?;
        if scheduled.home != home || scheduled.away != away {
            return Err(BoxScoreRejected::TeamsMismatch {
                game_id: game_id.to_string(),
                scheduled: format!("{} @ {}", scheduled.away, scheduled.home),
                got: format!("{away} @ {home}"),
            });
        }
        Ok(scheduled)
    }

    /// A date's schedule items and whether a schedule was stored for it at all.
    async fn schedule_items(
        &self,
        date: NaiveDate,
    ) -> Result<(bool, Vec<ScheduleItem>), StoreError> {
        let rows: Vec<serde_json::Value> = self
            .query(format!("schedule#{date}"), "", &[], false, None)
            .await?;
        let mut stored = false;
        let mut items = Vec::new();
        for row in rows {
            if row.get(keys::SK).and_then(|v| v.as_str()) == Some(SCHEDULE_DAY_SK) {
                stored = true;
                continue;
            }
            items.push(
                serde_json::from_value::<ScheduleItem>(row)
                    .map_err(|e| StoreError::new(format!("decoding schedule#{date}"), e))?,
            );
        }
        // Schedules stored before the day's mark existed still count as stored.
        stored |= !items.is_empty();
        Ok((stored, items))
    }

    /// Deletes a game's item unless its box score is in; returns whether it was deleted
    /// (or was not there).
    async fn delete_unplayed(&self, pk: String, sk: String) -> Result<bool, StoreError> {
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .condition_expression("attribute_not_exists(complete) OR complete = :false")
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(true),
            Err(e) if is_conditional_failure(&e) => Ok(false),
            Err(e) => Err(store_err("DeleteItem", &self.table, e)),
        }
    }

    /// Puts an item of one box-score version unless a newer version's item is stored
    /// (then the newer one stays, and this is not an error).
    async fn put_if_not_older(
        &self,
        item: HashMap<String, AttributeValue>,
        updated_at: &str,
    ) -> Result<(), StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(updated_at) OR updated_at <= :at")
            .expression_attribute_values(":at", s(updated_at))
            .send()
            .await;
        match put {
            Ok(_) => Ok(()),
            Err(e) if is_conditional_failure(&e) => Ok(()),
            Err(e) => Err(store_err("PutItem", &self.table, e)),
        }
    }

    /// A team's view of a scheduled game; a box score already stored stays complete.
    async fn put_scheduled_team_side(&self, game: &TeamGame) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(
                format!("team#{}", game.team),
                game_sk(game.game_date, &game.game_id),
            )))
            .update_expression(
                "SET team = :team, opponent = :opp, home = :home, game_id = :id, game_date = :date, \
                 complete = if_not_exists(complete, :false)",
            )
            .expression_attribute_values(":team", s(&game.team))
            .expression_attribute_values(":opp", s(&game.opponent))
            .expression_attribute_values(":home", AttributeValue::Bool(game.home))
            .expression_attribute_values(":id", s(&game.game_id))
            .expression_attribute_values(":date", s(game.game_date.to_string()))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .send()
            .await
            .map_err(|e| store_err("UpdateItem", &self.table, e))?;
        Ok(())
    }
}

fn sides(
    game_id: &str,
    date: NaiveDate,
    home: &str,
    away: &str,
    totals: Option<(&TeamTotals, &TeamTotals)>,
) -> [TeamGame; 2] {
    let side = |team: &str, opponent: &str, is_home: bool| TeamGame {
        team: team.to_string(),
        opponent: opponent.to_string(),
        home: is_home,
        game_id: game_id.to_string(),
        game_date: date,
        complete: totals.is_some(),
        totals: totals.map(|(h, a)| if is_home { h.clone() } else { a.clone() }),
        opponent_totals: totals.map(|(h, a)| if is_home { a.clone() } else { h.clone() }),
    };
    [side(home, away, true), side(away, home, false)]
}

impl GameDataStore for GameDataTable {
    async fn put_schedule(&self, schedule: &Schedule) -> Result<Vec<String>, StoreError> {
        let date = schedule.game_date;
        let (_, stored) = self.schedule_items(date).await?;
        // Played games whose work went out whole, by an earlier schedule of the date.
        let sent: HashSet<&str> = stored
            .iter()
            .filter(|g| g.fanned_out)
            .map(|g| g.game_id.as_str())
            .collect();
        let listed: HashSet<&str> = schedule.games.iter().map(|g| g.game_id.as_str()).collect();
        let mut unsent = Vec::new();
        for game in &schedule.games {
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(format!("schedule#{date}"), format!("game#{}", game.game_id))))
                .update_expression(
                    "SET game_id = :id, game_date = :date, home = :home, away = :away, #status = :status, \
                     complete = if_not_exists(complete, :false)",
                )
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":id", s(&game.game_id))
                .expression_attribute_values(":date", s(date.to_string()))
                .expression_attribute_values(":home", s(&game.home))
                .expression_attribute_values(":away", s(&game.away))
                .expression_attribute_values(":status", s(game.status.as_str()))
                .expression_attribute_values(":false", AttributeValue::Bool(false))
                .send()
                .await
                .map_err(|e| store_err("UpdateItem", &self.table, e))?;
            let sides = sides(&game.game_id, date, &game.home, &game.away, None);
            if game.status.is_played() {
                for side in &sides {
                    self.put_scheduled_team_side(side).await?;
                }
                if !sent.contains(game.game_id.as_str()) {
                    unsent.push(game.game_id.clone());
                }
            } else {
                // A postponed or cancelled game leaves the teams' games, so no processor
                // waits for its box score.
                for side in &sides {
                    self.delete_unplayed(
                        format!("team#{}", side.team),
                        game_sk(date, &game.game_id),
                    )
                    .await?;
                }
            }
        }
        // Games the new schedule no longer lists are dropped, unless already played.
        for gone in stored
            .iter()
            .filter(|g| !listed.contains(g.game_id.as_str()))
        {
            let kept = !self
                .delete_unplayed(format!("schedule#{date}"), format!("game#{}", gone.game_id))
                .await?;
            if kept {
                tracing::warn!(game_id = %gone.game_id, %date, "the new schedule drops a game that has a box score: kept");
                continue;
            }
            for side in sides(&gone.game_id, date, &gone.home, &gone.away, None) {
                self.delete_unplayed(format!("team#{}", side.team), game_sk(date, &gone.game_id))
                    .await?;
            }
        }
        // The day's mark: a date without it has no stored schedule (an ingest that has
        // not happened or failed), which an off day's empty schedule is not.
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(key(format!("schedule#{date}"), SCHEDULE_DAY_SK)))
            .item("games", AttributeValue::N(schedule.games.len().to_string()))
            .send()
            .await
            .map_err(|e| store_err("PutItem", &self.table, e))?;
        Ok(unsent)
    }

    async fn put_box_score(&self, b: &BoxScore) -> Result<BoxScoreOutcome, BoxScoreRejected> {
        let scheduled = self
            .scheduled(&b.game_id, b.game_date, &b.home.team, &b.away.team)
            .await?;
        let updated_at = canonical_timestamp(b.updated_at);
        match scheduled.box_score_updated_at.as_deref() {
            Some(stored) if stored > updated_at.as_str() => return Ok(BoxScoreOutcome::Stale),
            Some(stored) if stored == updated_at => return Ok(BoxScoreOutcome::Duplicate),
            _ => {}
        }

        // The game's lines and totals carry their version, and each is written only over
        // an older one: two versions in flight can interleave, but every item ends at
        // the newer version, never a mix.
        let mut versioned = Vec::new();
        let mut rosters = Vec::new();
        for game in PlayerGame::of_box_score(b) {
            let lookup = &game.player_lookup;
            versioned.push(item_of(
                format!("player#{lookup}"),
                game_sk(b.game_date, &b.game_id),
                &game,
            )?);
            let roster = RosterItem {
                player_lookup: lookup.clone(),
                last_game_date: b.game_date,
                source: RosterSource::Lines,
            };
            rosters.push(item_of(
                format!("roster#{}", game.team),
                format!("lines#{lookup}"),
                &roster,
            )?);
        }
        let sides = sides(
            &b.game_id,
            b.game_date,
            &b.home.team,
            &b.away.team,
            Some((&b.home, &b.away)),
        );
        for side in &sides {
            versioned.push(item_of(
                "league".into(),
                format!("{}#{}", game_sk(b.game_date, &b.game_id), side.team),
                side,
            )?);
            versioned.push(item_of(
                format!("team#{}", side.team),
                game_sk(side.game_date, &side.game_id),
                side,
            )?);
        }
        stream::iter(versioned)
            .map(|mut item| {
                item.insert("updated_at".into(), s(&updated_at));
                self.put_if_not_older(item, &updated_at)
            })
            .buffer_unordered(WRITE_CONCURRENCY)
            .try_collect::<Vec<()>>()
            .await?;
        self.batch_write(rosters).await?;
        // Marked complete last: a reader never sees a complete game with missing lines.
        let marked = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(
                format!("schedule#{}", b.game_date),
                format!("game#{}", b.game_id),
            )))
            .update_expression("SET complete = :true, box_score_updated_at = :at")
            .condition_expression(
                "attribute_not_exists(box_score_updated_at) OR box_score_updated_at <= :at",
            )
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":at", s(&updated_at))
            .send()
            .await;
        match marked {
            Ok(_) => Ok(BoxScoreOutcome::Stored),
            Err(e) if is_conditional_failure(&e) => Ok(BoxScoreOutcome::Stale),
            Err(e) => Err(store_err("UpdateItem", &self.table, e).into()),
        }
    }

    async fn schedule_on(&self, date: NaiveDate) -> Result<DaySchedule, StoreError> {
        let (stored, items) = self.schedule_items(date).await?;
        Ok(DaySchedule {
            stored,
            games: items
                .into_iter()
                .map(|i| GameStatus {
                    game_id: i.game_id,
                    game_date: i.game_date,
                    home: i.home,
                    away: i.away,
                    complete: i.complete,
                    status: i.status,
                })
                .collect(),
        })
    }

    async fn mark_fanned_out(
        &self,
        date: NaiveDate,
        game_ids: &[String],
    ) -> Result<(), StoreError> {
        for id in game_ids {
            let marked = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(format!("schedule#{date}"), format!("game#{id}"))))
                .update_expression("SET fanned_out = :true")
                // Never a phantom item for a game a newer schedule dropped meanwhile.
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_values(":true", AttributeValue::Bool(true))
                .send()
                .await;
            match marked {
                Ok(_) => {}
                Err(e) if is_conditional_failure(&e) => {}
                Err(e) => return Err(store_err("UpdateItem", &self.table, e)),
            }
        }
        Ok(())
    }

    async fn team_games_before(
        &self,
        team: &str,
        before: NaiveDate,
        limit: usize,
    ) -> Result<Vec<TeamGame>, StoreError> {
        self.query(
            format!("team#{team}"),
            "sk < :before",
            &[(":before", before.to_string())],
            true,
            Some(limit),
        )
        .await
    }

    async fn team_game_on(
        &self,
        team: &str,
        date: NaiveDate,
    ) -> Result<Option<TeamGame>, StoreError> {
        let games: Vec<TeamGame> = self
            .query(
                format!("team#{team}"),
                "begins_with(sk, :day)",
                &[(":day", format!("{date}#"))],
                false,
                Some(1),
            )
            .await?;
        Ok(games.into_iter().next())
    }

    async fn player_games_before(
        &self,
        player: &str,
        before: NaiveDate,
        limit: usize,
    ) -> Result<Vec<PlayerGame>, StoreError> {
        self.query(
            format!("player#{player}"),
            "sk < :before",
            &[(":before", before.to_string())],
            true,
            Some(limit),
        )
        .await
    }

    async fn roster(&self, team: &str, since: NaiveDate) -> Result<Vec<RosterEntry>, StoreError> {
        let entries: Vec<RosterItem> = self
            .query(format!("roster#{team}"), "", &[], false, None)
            .await?;
        Ok(entries
            .into_iter()
            .filter(|e| e.last_game_date >= since)
            .map(|e| RosterEntry {
                player_lookup: e.player_lookup,
                source: e.source,
            })
            .collect())
    }

    async fn put_shot_chart(&self, chart: &ShotChart) -> Result<(), BoxScoreRejected> {
        self.scheduled(&chart.game_id, chart.game_date, &chart.home, &chart.away)
            .await?;
        let mut items = Vec::new();
        for p in &chart.players {
            let lookup = player_lookup(&p.name);
            let game = PlayerShotGame {
                player_lookup: lookup.clone(),
                team: p.team.clone(),
                game_id: chart.game_id.clone(),
                game_date: chart.game_date,
                zones: p.zones.clone(),
            };
            items.push(item_of(
                format!("shots#{lookup}"),
                game_sk(chart.game_date, &chart.game_id),
                &game,
            )?);
            let roster = RosterItem {
                player_lookup: lookup.clone(),
                last_game_date: chart.game_date,
                source: RosterSource::Shots,
            };
            items.push(item_of(
                format!("roster#{}", p.team),
                format!("shots#{lookup}"),
                &roster,
            )?);
        }
        self.batch_write(items).await?;
        Ok(())
    }

    async fn player_shots_before(
        &self,
        player: &str,
        before: NaiveDate,
        limit: usize,
    ) -> Result<Vec<PlayerShotGame>, StoreError> {
        self.query(
            format!("shots#{player}"),
            "sk < :before",
            &[(":before", before.to_string())],
            true,
            Some(limit),
        )
        .await
    }

    async fn league_games(
        &self,
        from: NaiveDate,
        before: NaiveDate,
    ) -> Result<Vec<TeamGame>, StoreError> {
        self.query(
            "league".into(),
            "sk BETWEEN :from AND :before",
            &[(":from", from.to_string()), (":before", before.to_string())],
            false,
            None,
        )
        .await
    }

    async fn fan_out_done(&self, date: NaiveDate) -> Result<bool, StoreError> {
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("fanout#{date}"), "-")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_err("GetItem", &self.table, e))?
            .item;
        // Only the mark written after the sends counts: an item without it (an older
        // release's claim, written before its sends) does not.
        Ok(item
            .and_then(|i| {
                i.get(FAN_OUT_COMPLETE)
                    .and_then(|v| v.as_bool().ok())
                    .copied()
            })
            .unwrap_or(false))
    }

    async fn mark_fan_out_done(&self, date: NaiveDate) -> Result<(), StoreError> {
        let mut item = key(format!("fanout#{date}"), "-");
        item.insert(FAN_OUT_COMPLETE.into(), AttributeValue::Bool(true));
        item.insert(
            "completed_at".into(),
            s(canonical_timestamp(chrono::Utc::now())),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| store_err("PutItem", &self.table, e))?;
        Ok(())
    }
}

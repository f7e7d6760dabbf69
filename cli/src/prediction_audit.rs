//! `nba-props predictions`: what the predictions table holds for a date (counts by
//! market, with and without a line), one player's predictions, and a check of the
//! contract: one current item per (player_lookup, game_date, market).

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::NaiveDate;
use nba_props::adapters::dynamodb::PredictionTable;
use nba_props::model::{Market, MarketLineCount, Prediction, count_by_market};
use serde::Serialize;

/// What the table holds for one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DateCounts {
    /// Game date.
    pub game_date: NaiveDate,
    /// Items.
    pub predictions: usize,
    /// Players with at least one.
    pub players: usize,
    /// Per market, with a line and without.
    pub markets: Vec<MarketLineCount>,
}

/// Counts one date's predictions by market (through the `by-game-date` index).
pub async fn counts(table: &PredictionTable, date: NaiveDate) -> Result<DateCounts> {
    let stored = table.for_game_date(date).await?;
    let markets = count_by_market(stored.iter().map(|p| (p.market, p.line_source)));
    let players: std::collections::BTreeSet<&str> =
        stored.iter().map(|p| p.player_lookup.as_str()).collect();
    Ok(DateCounts {
        game_date: date,
        predictions: stored.len(),
        players: players.len(),
        markets,
    })
}

/// One player's predictions, optionally of one date, oldest first.
pub async fn for_player(
    table: &PredictionTable,
    player_lookup: &str,
    date: Option<NaiveDate>,
) -> Result<Vec<Prediction>> {
    let date = date.map(|d| d.to_string());
    Ok(table
        .for_player(player_lookup)
        .await?
        .into_iter()
        .filter(|p| date.as_ref().is_none_or(|d| &p.game_date == d))
        .collect())
}

/// A (player, date, market) with more than one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateKey {
    /// Player.
    pub player_lookup: String,
    /// Market.
    pub market: Market,
    /// The sort keys of its items.
    pub prediction_keys: Vec<String>,
}

/// The contract, checked on one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateCheck {
    /// Game date.
    pub game_date: NaiveDate,
    /// Items read.
    pub predictions: usize,
    /// Keys with more than one item (the contract holds when empty).
    pub duplicates: Vec<DuplicateKey>,
}

impl DuplicateCheck {
    /// Whether every (player, date, market) has exactly one item.
    pub fn holds(&self) -> bool {
        self.duplicates.is_empty()
    }
}

/// Groups one date's items by (player, market), from the items' own attributes rather
/// than the sort key, so an item written under another key shape is caught too.
pub async fn duplicates(table: &PredictionTable, date: NaiveDate) -> Result<DuplicateCheck> {
    let stored = table.for_game_date(date).await?;
    let mut by_key: BTreeMap<(String, Market), Vec<String>> = BTreeMap::new();
    for p in &stored {
        by_key
            .entry((p.player_lookup.clone(), p.market))
            .or_default()
            .push(p.prediction_key.clone());
    }
    Ok(DuplicateCheck {
        game_date: date,
        predictions: stored.len(),
        duplicates: by_key
            .into_iter()
            .filter(|(_, keys)| keys.len() > 1)
            .map(|((player_lookup, market), prediction_keys)| DuplicateKey {
                player_lookup,
                market,
                prediction_keys,
            })
            .collect(),
    })
}

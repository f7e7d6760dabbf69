//! The predictions table: key `player_lookup` + `prediction_key` (`YYYY-MM-DD#market`),
//! GSI `by-game-date`. One conditional PutItem per prediction keeps exactly one current
//! item per key: the one made from the newest inputs.
//!
//! The inputs' version is the pair (`features_at`, `line_snapshot_at`). Each half only
//! grows in storage (features are replaced only by a later computation, lines only by a
//! newer snapshot) and the writer reads both strongly consistently, so two writers'
//! versions are almost always ordered: one has both halves at least the other's. A
//! write lands only when its version is that much newer. Two writers that read while
//! both halves moved can hold versions neither newer nor older (newer features, older
//! line): that is [`WriteOutcome::Concurrent`], and the record is retried with a fresh
//! read, which dominates both.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};

use super::{get_decoded, keys, s};

use crate::model::{LineSource, Market, MarketLineCount, Prediction, count_by_market};
use crate::ports::{PredictionCounts, PredictionStore, StoreError, WriteOutcome};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;

/// Index of the predictions table by game date (declared in `infra/template.yaml`).
pub const BY_GAME_DATE_INDEX: &str = "by-game-date";

/// What a conditional write compares: the stored item's inputs and payload. A missing
/// time is older than any (`None < Some`).
struct StoredVersion {
    features_at: Option<String>,
    line_snapshot_at: Option<String>,
    payload_hash: Option<String>,
}

impl StoredVersion {
    fn of(item: &HashMap<String, AttributeValue>) -> Option<Self> {
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        // An item without a key is no item (a projection of nothing).
        text(keys::PLAYER_LOOKUP).or(text("payload_hash"))?;
        Some(Self {
            features_at: text("features_at"),
            line_snapshot_at: text("line_snapshot_at"),
            payload_hash: text("payload_hash"),
        })
    }

    /// How the stored version compares with a new prediction's.
    fn compare(&self, p: &Prediction) -> Option<std::cmp::Ordering> {
        use std::cmp::Ordering::*;
        let features = self
            .features_at
            .as_deref()
            .cmp(&Some(p.features_at.as_str()));
        let line = self
            .line_snapshot_at
            .as_deref()
            .cmp(&p.line_snapshot_at.as_deref());
        match (features, line) {
            (Equal, Equal) => Some(Equal),
            (Less | Equal, Less | Equal) => Some(Less),
            (Greater | Equal, Greater | Equal) => Some(Greater),
            _ => None,
        }
    }
}

/// The condition under which a prediction lands: nothing stored, or the stored inputs
/// older in one half and not newer in the other. Legacy items without `features_at`
/// count as older.
fn newer_inputs_condition(p: &Prediction) -> &'static str {
    if p.line_snapshot_at.is_some() {
        "attribute_not_exists(#pk) OR ((attribute_not_exists(#fa) OR #fa <= :fa) \
         AND (attribute_not_exists(#la) OR #la <= :la) \
         AND (attribute_not_exists(#fa) OR #fa < :fa OR attribute_not_exists(#la) OR #la < :la))"
    } else {
        // Without a line the new version's line half is the oldest possible: it lands
        // only over an item without a line, and with newer features.
        "attribute_not_exists(#pk) OR ((attribute_not_exists(#fa) OR #fa < :fa) \
         AND attribute_not_exists(#la))"
    }
}

/// The predictions table.
#[derive(Debug, Clone)]
pub struct PredictionTable {
    client: Client,
    table: String,
}

impl PredictionTable {
    /// Wraps a client and table name.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Reads the stored version and `payload_hash` of a key (strongly
    /// consistent); used only when a conditional write failed and the store did not
    /// return the old item.
    async fn stored_version(&self, p: &Prediction) -> Result<Option<StoredVersion>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(keys::PLAYER_LOOKUP, s(&p.player_lookup))
            .key(keys::PREDICTION_KEY, s(&p.prediction_key))
            .projection_expression("player_lookup, features_at, line_snapshot_at, payload_hash")
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| {
                StoreError::new(format!("GetItem {}", self.table), DisplayErrorContext(e))
            })?;
        Ok(out.item().and_then(StoredVersion::of))
    }

    /// Every prediction of a game date, through the `by-game-date` index.
    pub async fn for_game_date(
        &self,
        game_date: chrono::NaiveDate,
    ) -> Result<Vec<Prediction>, StoreError> {
        self.all(self.by_game_date(game_date)).await
    }

    /// A Query of one game date on the `by-game-date` index.
    fn by_game_date(&self, game_date: chrono::NaiveDate) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .index_name(BY_GAME_DATE_INDEX)
            .key_condition_expression("game_date = :d")
            .expression_attribute_values(":d", s(game_date.to_string()))
    }

    /// Every page of a Query, decoded.
    async fn all<T: serde::de::DeserializeOwned>(
        &self,
        query: QueryFluentBuilder,
    ) -> Result<Vec<T>, StoreError> {
        let items: Vec<_> = query
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await;
        items
            .into_iter()
            .map(|item| {
                let item = item.map_err(|e| {
                    StoreError::new(format!("Query {}", self.table), DisplayErrorContext(e))
                })?;
                serde_dynamo::from_item(item)
                    .map_err(|e| StoreError::new(format!("decoding item of {}", self.table), e))
            })
            .collect()
    }

    /// Every prediction of one player, oldest game first (one partition).
    pub async fn for_player(&self, player_lookup: &str) -> Result<Vec<Prediction>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#p = :p")
            .expression_attribute_names("#p", keys::PLAYER_LOOKUP)
            .expression_attribute_values(":p", s(player_lookup));
        self.all(query).await
    }

    /// Reads one stored prediction (strongly consistent).
    pub async fn get(
        &self,
        player_lookup: &str,
        prediction_key: &str,
    ) -> Result<Option<Prediction>, StoreError> {
        let key = HashMap::from([
            (keys::PLAYER_LOOKUP.to_string(), s(player_lookup)),
            (keys::PREDICTION_KEY.to_string(), s(prediction_key)),
        ]);
        get_decoded(&self.client, &self.table, key).await
    }
}

/// Only the two attributes the counts need are returned.
#[derive(serde::Deserialize)]
struct MarketAndLine {
    market: Market,
    line_source: LineSource,
}

impl PredictionCounts for PredictionTable {
    async fn line_counts(
        &self,
        game_date: chrono::NaiveDate,
    ) -> Result<Vec<MarketLineCount>, StoreError> {
        let query = self
            .by_game_date(game_date)
            .projection_expression("market, line_source");
        let rows: Vec<MarketAndLine> = self.all(query).await?;
        Ok(count_by_market(
            rows.into_iter().map(|r| (r.market, r.line_source)),
        ))
    }
}

impl PredictionStore for PredictionTable {
    async fn put_if_newer(&self, prediction: &Prediction) -> Result<WriteOutcome, StoreError> {
        let item: HashMap<String, AttributeValue> = serde_dynamo::to_item(prediction)
            .map_err(|e| StoreError::new("encoding prediction", e))?;
        // A lost race against a delete between the failed put and the fallback read
        // is retried; three rounds is far more than that window needs.
        for _ in 0..3 {
            let mut put = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                // Canonical timestamps compare as strings in time order.
                .condition_expression(newer_inputs_condition(prediction))
                .expression_attribute_names("#pk", keys::PLAYER_LOOKUP)
                .expression_attribute_names("#fa", "features_at")
                .expression_attribute_names("#la", "line_snapshot_at")
                .expression_attribute_values(":fa", s(&prediction.features_at));
            if let Some(line_at) = &prediction.line_snapshot_at {
                put = put.expression_attribute_values(":la", s(line_at));
            }
            let result = put
                .return_values(ReturnValue::AllOld)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await;
            let err = match result {
                Ok(out) => {
                    let replaced = out.attributes().is_some_and(|a| !a.is_empty());
                    return Ok(if replaced {
                        WriteOutcome::Replaced
                    } else {
                        WriteOutcome::Created
                    });
                }
                Err(err) => err,
            };
            let Some(PutItemError::ConditionalCheckFailedException(conflict)) =
                err.as_service_error()
            else {
                return Err(StoreError::new(
                    format!("PutItem {}", self.table),
                    DisplayErrorContext(err),
                ));
            };
            // Real DynamoDB returns the old item with the conflict; DynamoDB Local does
            // not, so read it then.
            let stored = match conflict.item().and_then(StoredVersion::of) {
                Some(stored) => Some(stored),
                None => self.stored_version(prediction).await?,
            };
            match stored.as_ref().map(|v| (v, v.compare(prediction))) {
                Some((stored, Some(std::cmp::Ordering::Equal))) => {
                    return Ok(
                        if stored.payload_hash.as_deref() == Some(&prediction.payload_hash) {
                            WriteOutcome::Duplicate
                        } else {
                            WriteOutcome::PayloadConflict
                        },
                    );
                }
                Some((_, Some(std::cmp::Ordering::Greater))) => return Ok(WriteOutcome::Stale),
                Some((_, None)) => return Ok(WriteOutcome::Concurrent),
                // Stored is older or gone: the item changed since the write; try again.
                _ => continue,
            }
        }
        Err(StoreError::new(
            format!("PutItem {}", self.table),
            "item kept changing under the conditional write",
        ))
    }
}

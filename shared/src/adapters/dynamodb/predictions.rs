//! The predictions table: key `player_lookup` + `prediction_key` (`YYYY-MM-DD#market`),
//! GSI `by-game-date`. One conditional PutItem per prediction keeps exactly one current
//! item per key, the newest.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};

use super::{get_decoded, keys, s};
use crate::model::Prediction;
use crate::ports::{PredictionStore, StoreError, WriteOutcome};

/// Index of the predictions table by game date (declared in `infra/template.yaml`).
pub const BY_GAME_DATE_INDEX: &str = "by-game-date";

/// What a conditional write compares: the stored item's version and payload.
struct StoredVersion {
    generated_at: String,
    payload_hash: Option<String>,
}

impl StoredVersion {
    fn of(item: &HashMap<String, AttributeValue>) -> Option<Self> {
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        Some(Self {
            generated_at: text("generated_at")?,
            payload_hash: text("payload_hash"),
        })
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

    /// Reads the stored `generated_at` and `payload_hash` of a key (strongly
    /// consistent); used only when a conditional write failed and the store did not
    /// return the old item.
    async fn stored_version(&self, p: &Prediction) -> Result<Option<StoredVersion>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(keys::PLAYER_LOOKUP, s(&p.player_lookup))
            .key(keys::PREDICTION_KEY, s(&p.prediction_key))
            .projection_expression("generated_at, payload_hash")
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
        let pages: Vec<_> = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(BY_GAME_DATE_INDEX)
            .key_condition_expression("game_date = :d")
            .expression_attribute_values(":d", s(game_date.to_string()))
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await;
        pages
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

impl PredictionStore for PredictionTable {
    async fn put_if_newer(&self, prediction: &Prediction) -> Result<WriteOutcome, StoreError> {
        let item: HashMap<String, AttributeValue> = serde_dynamo::to_item(prediction)
            .map_err(|e| StoreError::new("encoding prediction", e))?;
        // A lost race against a delete between the failed put and the fallback read
        // is retried; three rounds is far more than that window needs.
        for _ in 0..3 {
            let result = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                // Lands only where nothing is stored or what is stored is strictly older;
                // canonical timestamps compare as strings in time order.
                .condition_expression("attribute_not_exists(#pk) OR #gen < :gen")
                .expression_attribute_names("#pk", keys::PLAYER_LOOKUP)
                .expression_attribute_names("#gen", "generated_at")
                .expression_attribute_values(":gen", s(&prediction.generated_at))
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
            match stored {
                Some(stored) if stored.generated_at == prediction.generated_at => {
                    return Ok(
                        if stored.payload_hash.as_deref() == Some(&prediction.payload_hash) {
                            WriteOutcome::Duplicate
                        } else {
                            WriteOutcome::PayloadConflict
                        },
                    );
                }
                Some(stored) if stored.generated_at > prediction.generated_at => {
                    return Ok(WriteOutcome::Stale);
                }
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

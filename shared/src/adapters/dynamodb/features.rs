//! The features table: key `entity_id` (`player#...`, `team#...`) + `feature_key`
//! (`processor#YYYY-MM-DD`), one item per processor output.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{batch_get, get_decoded, keys, s};
use crate::model::ids::feature_key;
use crate::model::{FeatureKey, PlayerGameFeatures, ProcessorName};
use crate::ports::{FeatureSink, FeatureSource, FeatureStore, StoreError};

/// The features table.
#[derive(Debug, Clone)]
pub struct FeatureTable {
    client: Client,
    table: String,
}

impl FeatureTable {
    /// Wraps a client and table name.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Stores a player's composite features for a game date (overwrites).
    pub async fn put(&self, features: &PlayerGameFeatures) -> Result<(), StoreError> {
        let json =
            serde_json::to_value(features).map_err(|e| StoreError::new("encoding features", e))?;
        self.put_output(
            &PlayerGameFeatures::entity_id(&features.player_lookup),
            ProcessorName::PlayerCompositeFactors,
            features.game_date,
            &json,
        )
        .await
    }
}

impl FeatureSource for FeatureTable {
    /// Strongly consistent: the composite reads what a processor has just written.
    async fn get_output(
        &self,
        entity_id: &str,
        processor: ProcessorName,
        analysis_date: chrono::NaiveDate,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let key = HashMap::from([
            (keys::ENTITY_ID.to_string(), s(entity_id)),
            (
                keys::FEATURE_KEY.to_string(),
                s(feature_key(processor, analysis_date)),
            ),
        ]);
        get_decoded(&self.client, &self.table, key).await
    }
}

impl FeatureSink for FeatureTable {
    async fn put_output(
        &self,
        entity_id: &str,
        processor: ProcessorName,
        analysis_date: chrono::NaiveDate,
        output: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(output).map_err(|e| StoreError::new("encoding features", e))?;
        item.insert(keys::ENTITY_ID.into(), s(entity_id));
        item.insert(
            keys::FEATURE_KEY.into(),
            s(feature_key(processor, analysis_date)),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| {
                StoreError::new(format!("PutItem {}", self.table), DisplayErrorContext(e))
            })?;
        Ok(())
    }
}

impl FeatureStore for FeatureTable {
    async fn get_many(
        &self,
        keys: &[FeatureKey],
    ) -> Result<HashMap<FeatureKey, PlayerGameFeatures>, StoreError> {
        let mut unique: Vec<&FeatureKey> = keys.iter().collect();
        unique.sort();
        unique.dedup();
        let item_keys = unique
            .iter()
            .map(|k| {
                HashMap::from([
                    (
                        keys::ENTITY_ID.to_string(),
                        s(PlayerGameFeatures::entity_id(&k.player_lookup)),
                    ),
                    (
                        keys::FEATURE_KEY.to_string(),
                        s(PlayerGameFeatures::feature_key(k.game_date)),
                    ),
                ])
            })
            .collect();
        let mut found = HashMap::new();
        // Strongly consistent: right after a recompute, an eventually consistent read
        // could return the previous features, and the writer would store a prediction
        // made from them under the newer request's `generated_at`.
        for item in batch_get(&self.client, &self.table, item_keys, true).await? {
            let features: PlayerGameFeatures = serde_dynamo::from_item(item)
                .map_err(|e| StoreError::new(format!("decoding item of {}", self.table), e))?;
            let key = FeatureKey {
                player_lookup: features.player_lookup.clone(),
                game_date: features.game_date,
            };
            found.insert(key, features);
        }
        Ok(found)
    }
}

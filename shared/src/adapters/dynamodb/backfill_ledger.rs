//! The backfill ledger, kept in the game data table: one item per game,
//! `pk = backfill#GAME_ID`, `sk = -`, with `attempts`, `last_attempt_at`, `last_error`,
//! `fetched_at` and `given_up_at`. A claim is one conditional `UpdateItem`.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::game_data::GameDataTable;
use super::{batch_get, is_conditional_failure, keys, number, s, store_err};
use crate::model::canonical_timestamp;
use crate::ports::{BackfillClaim, BackfillLedger, StoreError};

fn key(game_id: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (keys::PK.to_string(), s(format!("backfill#{game_id}"))),
        (keys::SK.to_string(), s("-")),
    ])
}

impl BackfillLedger for GameDataTable {
    async fn claim(
        &self,
        game_id: &str,
        game_date: NaiveDate,
        now: DateTime<Utc>,
        cooldown: Duration,
        max_attempts: u32,
    ) -> Result<BackfillClaim, StoreError> {
        let (client, table) = self.parts();
        // Canonical timestamps have one width, so they compare as strings.
        let claimed = client
            .update_item()
            .table_name(table)
            .set_key(Some(key(game_id)))
            .update_expression(
                "SET attempts = if_not_exists(attempts, :zero) + :one, last_attempt_at = :now, \
                 game_id = :id, game_date = :date",
            )
            .condition_expression(
                "attribute_not_exists(given_up_at) \
                 AND (attribute_not_exists(last_attempt_at) OR last_attempt_at <= :cutoff) \
                 AND (attribute_not_exists(attempts) OR attempts < :max)",
            )
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":now", s(canonical_timestamp(now)))
            .expression_attribute_values(":cutoff", s(canonical_timestamp(now - cooldown)))
            .expression_attribute_values(":max", AttributeValue::N(max_attempts.to_string()))
            .expression_attribute_values(":id", s(game_id))
            .expression_attribute_values(":date", s(game_date.to_string()))
            .return_values(ReturnValue::UpdatedNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match claimed {
            Ok(out) => Ok(BackfillClaim::Fetch {
                attempt: number(&out.attributes.unwrap_or_default(), "attempts"),
            }),
            Err(e) if is_conditional_failure(&e) => {
                let old = match e.into_service_error() {
                    UpdateItemError::ConditionalCheckFailedException(c) => {
                        c.item.unwrap_or_default()
                    }
                    _ => HashMap::new(),
                };
                if old.contains_key("given_up_at") || number(&old, "attempts") >= max_attempts {
                    return Ok(BackfillClaim::GivenUp);
                }
                let last_attempt_at = old
                    .get("last_attempt_at")
                    .and_then(|v| v.as_s().ok())
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .map_or(now, |t| t.with_timezone(&Utc));
                Ok(BackfillClaim::CoolingDown { last_attempt_at })
            }
            Err(e) => Err(store_err("UpdateItem", table, e)),
        }
    }

    async fn record_attempt(
        &self,
        game_id: &str,
        error: Option<&str>,
        give_up: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (client, table) = self.parts();
        let mut update = client
            .update_item()
            .table_name(table)
            .set_key(Some(key(game_id)))
            .expression_attribute_values(":now", s(canonical_timestamp(now)));
        update = match error {
            None => update.update_expression("SET fetched_at = :now REMOVE last_error"),
            Some(reason) => {
                let expression = if give_up {
                    "SET last_error = :error, given_up_at = :now"
                } else {
                    "SET last_error = :error, last_failed_at = :now"
                };
                update
                    .update_expression(expression)
                    .expression_attribute_values(":error", s(reason))
            }
        };
        update
            .send()
            .await
            .map_err(|e| store_err("UpdateItem", table, e))?;
        Ok(())
    }

    async fn given_up(&self, game_ids: &[String]) -> Result<HashSet<String>, StoreError> {
        let (client, table) = self.parts();
        let keys: Vec<HashMap<String, AttributeValue>> =
            game_ids.iter().map(|id| key(id)).collect();
        let items = batch_get(client, table, keys, true).await?;
        Ok(items
            .into_iter()
            .filter(|item| item.contains_key("given_up_at"))
            .filter_map(|item| item.get("game_id").and_then(|v| v.as_s().ok()).cloned())
            .collect())
    }
}

//! The baseline model and the prediction items it makes for a request.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::domain::prediction_request::PredictionRequest;
use crate::model::{
    LineSource, Market, PlayerGameFeatures, Prediction, PredictionInputs, Recommendation,
    canonical_timestamp, round,
};

/// Smallest gap between prediction and line worth a recommendation. Roughly a fifth of
/// each market's typical miss, so only clear disagreements are flagged.
pub fn edge_threshold(market: Market) -> f64 {
    match market {
        Market::Points => 1.5,
        Market::Rebounds | Market::Assists => 1.0,
    }
}

impl Recommendation {
    /// Compares a prediction with a line for one market.
    pub fn against(market: Market, predicted: f64, line: Option<f64>) -> Self {
        let Some(line) = line else {
            return Recommendation::NoLine;
        };
        let edge = predicted - line;
        if edge >= edge_threshold(market) {
            Recommendation::Over
        } else if -edge >= edge_threshold(market) {
            Recommendation::Under
        } else {
            Recommendation::Pass
        }
    }
}

/// The baseline model (`baseline-v1`): a player's recent-form average for the market,
/// moved halfway toward what the opponent usually allows relative to the league, less
/// 4% on the second night of a back-to-back. Deliberately simple and documented: it is
/// the reference later models must beat, not a claim of edge.
pub fn baseline_prediction(features: &PlayerGameFeatures, market: Market) -> f64 {
    let (form, opponent_factor) = match market {
        Market::Points => (features.points_avg, features.opponent_points_factor),
        Market::Rebounds => (features.rebounds_avg, features.opponent_rebounds_factor),
        Market::Assists => (features.assists_avg, features.opponent_assists_factor),
    };
    let matchup = 1.0 + 0.5 * (opponent_factor - 1.0);
    let rest = if features.back_to_back { 0.96 } else { 1.0 };
    round(form * matchup * rest, 1)
}

/// Builds the three predictions for a request from the player's features and the
/// stored lines. The payload hash covers the inputs and the result, not the request's
/// time: a second request that finds the same inputs makes the same prediction, a
/// duplicate.
pub fn predictions_for(
    request: &PredictionRequest,
    inputs: &PredictionInputs,
    model_version: &str,
    now: DateTime<Utc>,
) -> Vec<Prediction> {
    let generated_at = canonical_timestamp(request.generated_at);
    let written_at = canonical_timestamp(now);
    let features = &inputs.features;
    Market::ALL
        .into_iter()
        .map(|market| {
            let predicted_value = baseline_prediction(features, market);
            let stored = inputs.lines.get(&market);
            let line = stored.map(|l| l.line);
            let payload_hash = payload_hash(&[
                &request.player_lookup,
                &request.game_date.to_string(),
                market.as_str(),
                &features.computed_at,
                &format!("{stored:?}"),
                &format!("{predicted_value}"),
                model_version,
            ]);
            Prediction {
                player_lookup: request.player_lookup.clone(),
                prediction_key: Prediction::key_for(request.game_date, market),
                game_date: request.game_date.to_string(),
                market,
                predicted_value,
                edge: line.map(|l| round(predicted_value - l, 1)),
                line,
                line_source: if stored.is_some() {
                    LineSource::ActualProp
                } else {
                    LineSource::NoPropLine
                },
                bookmaker: stored.map(|l| l.bookmaker.clone()),
                over_odds: stored.map(|l| l.over_odds),
                under_odds: stored.map(|l| l.under_odds),
                line_snapshot_at: stored.map(|l| l.snapshot_at.clone()),
                previous_line: stored.and_then(|l| l.previous_line),
                features_at: features.computed_at.clone(),
                recommendation: Recommendation::against(market, predicted_value, line),
                model_version: model_version.to_string(),
                generated_at: generated_at.clone(),
                is_active: true,
                payload_hash,
                written_at: written_at.clone(),
            }
        })
        .collect()
}

fn payload_hash(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recommendation_needs_a_clear_edge() {
        assert_eq!(
            Recommendation::against(Market::Points, 27.0, Some(25.5)),
            Recommendation::Over
        );
        assert_eq!(
            Recommendation::against(Market::Points, 26.9, Some(25.5)),
            Recommendation::Pass
        );
        assert_eq!(
            Recommendation::against(Market::Assists, 5.0, Some(6.5)),
            Recommendation::Under
        );
        assert_eq!(
            Recommendation::against(Market::Rebounds, 5.0, None),
            Recommendation::NoLine
        );
    }

    #[test]
    fn baseline_moves_halfway_toward_the_matchup_and_discounts_back_to_backs() {
        let mut f = PlayerGameFeatures::example();
        f.points_avg = 20.0;
        f.opponent_points_factor = 1.10;
        f.back_to_back = false;
        assert_eq!(baseline_prediction(&f, Market::Points), 21.0);
        f.back_to_back = true;
        assert_eq!(baseline_prediction(&f, Market::Points), 20.2);
    }
}

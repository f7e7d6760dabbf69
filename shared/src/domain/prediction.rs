//! The baseline model and the prediction items it makes for a request.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::domain::model_v2::{self, MODEL_V2};
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
/// stored lines, with the model `model_version` names (`line-shrinkage-v2`, else the
/// baseline). The payload hash covers the inputs and the result, not the request's
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
            let stored = inputs.lines.get(&market);
            let line = stored.map(|l| l.line);
            let (predicted_value, p_over, recommendation) = if model_version == MODEL_V2 {
                let e = model_v2::COMMITTED.estimate(
                    features,
                    market,
                    stored.map(|l| (l.line, l.over_odds, l.under_odds)),
                );
                (e.value, e.p_over, e.recommendation)
            } else {
                let value = baseline_prediction(features, market);
                (value, None, Recommendation::against(market, value, line))
            };
            let payload_hash = payload_hash(&[
                &request.player_lookup,
                &request.game_date.to_string(),
                market.as_str(),
                &features.computed_at,
                &format!("{stored:?}"),
                &format!("{predicted_value}"),
                &format!("{p_over:?}"),
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
                p_over,
                recommendation,
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
    fn the_line_shrinkage_model_stores_its_probability_and_passes_on_the_market() {
        use crate::model::PropLine;
        let features = PlayerGameFeatures::example();
        let points = PropLine::example(&features.player_lookup, Market::Points, 24.5);
        let inputs = PredictionInputs {
            features: features.clone(),
            lines: [(Market::Points, points)].into(),
        };
        let request = PredictionRequest {
            player_lookup: features.player_lookup.clone(),
            game_date: features.game_date,
            generated_at: "2025-11-05T17:00:00Z".parse().unwrap(),
        };
        let now = "2025-11-05T17:00:01Z".parse().unwrap();
        let made = predictions_for(&request, &inputs, MODEL_V2, now);
        let of = |m: Market| made.iter().find(|p| p.market == m).unwrap();
        let expected =
            model_v2::COMMITTED.estimate(&features, Market::Points, Some((24.5, -110, -110)));
        let p = of(Market::Points);
        assert_eq!(p.model_version, MODEL_V2);
        assert_eq!(
            (p.predicted_value, p.p_over, p.recommendation),
            (expected.value, expected.p_over, expected.recommendation)
        );
        assert!(p.p_over.is_some());
        // Without a line: the form estimate, no probability, no call.
        let r = of(Market::Rebounds);
        assert_eq!((r.p_over, r.recommendation), (None, Recommendation::NoLine));
        // The baseline states no probability.
        let base = predictions_for(&request, &inputs, "baseline-v1", now);
        assert!(base.iter().all(|p| p.p_over.is_none()));
        assert_ne!(base[0].payload_hash, made[0].payload_hash);
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

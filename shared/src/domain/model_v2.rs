//! `line-shrinkage-v2`: a player's expected result from his form and situation,
//! shrunk toward the sportsbook line when one is known, with a stated probability of
//! OVER and a recommendation only when that probability beats the break-even of the
//! line's posted odds.
//!
//! - **Form.** A linear model per market on the composite features: the recent average,
//!   the average moved by the opponent's allowance and by the opponent's pace, minutes
//!   (role), home, second night of a back-to-back, three or more days' rest, and a
//!   short-sample term (fewer than five games in the window). Its weights are fitted by least squares.
//! - **Line.** With a line, the estimate is `line + toward_form × (form − line)`:
//!   `toward_form` (0..1) is fitted per market on rows with a line, so the model keeps
//!   only as much of its own view as beat the line in the fit period.
//! - **Probability.** The market is the prior: its probability of OVER with the vig
//!   taken out of the two posted prices, moved in log-odds by how far the estimate is
//!   from the line in units of the market's fitted spread (1.702 × that distance: the
//!   logistic curve closest to the normal one). An estimate on the line states the
//!   market's own probability, which never beats a break-even that carries the vig.
//!
//! Coefficients are data (`model_v2.json`, written by `nba-props fit-model`); this
//! module only evaluates them.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::prop_lines::implied_probability;
use crate::model::{Market, PlayerGameFeatures, Recommendation};

/// The `model_version` stored on its predictions.
pub const MODEL_V2: &str = "line-shrinkage-v2";

/// Names of the form model's terms, in the order of [`form_terms`].
pub const FORM_TERMS: [&str; 9] = [
    "intercept",
    "recent_average",
    "average_x_opponent_allowance",
    "average_x_opponent_pace",
    "minutes",
    "home",
    "back_to_back",
    "rested_3_days",
    "average_x_short_sample",
];

/// The form model's inputs for one player, date and market.
pub fn form_terms(f: &PlayerGameFeatures, market: Market) -> [f64; 9] {
    let (average, allowance) = match market {
        Market::Points => (f.points_avg, f.opponent_points_factor),
        Market::Rebounds => (f.rebounds_avg, f.opponent_rebounds_factor),
        Market::Assists => (f.assists_avg, f.opponent_assists_factor),
    };
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    [
        1.0,
        average,
        average * (allowance - 1.0),
        // Relative to a nominal 100 possessions (the weight on the average absorbs
        // the centre); an unknown pace adds nothing.
        if f.opponent_pace > 0.0 {
            average * (f.opponent_pace / 100.0 - 1.0)
        } else {
            0.0
        },
        f.minutes_avg,
        flag(f.home),
        flag(f.back_to_back),
        flag(f.rest_days.is_some_and(|d| d >= 3)),
        average * flag(f.games_used < 5),
    ]
}

/// One market's fitted coefficients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketCoefficients {
    /// Weights of [`FORM_TERMS`], in order.
    pub form: Vec<f64>,
    /// Share of (form − line) kept when a line is known (0: the line, 1: the form).
    pub toward_form: f64,
    /// Spread (standard deviation) of results around the estimate with a line.
    pub sigma_with_line: f64,
    /// Spread around the form estimate alone.
    pub sigma_without_line: f64,
    /// Rows the form model was fitted on.
    pub form_rows: usize,
    /// Rows with a line `toward_form` and `sigma_with_line` were fitted on.
    pub line_rows: usize,
}

/// The coefficients of every market, with the dates they were fitted on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coefficients {
    /// Model version they belong to.
    pub model_version: String,
    /// First and last date of the rows fitted on.
    pub fitted_on: (NaiveDate, NaiveDate),
    /// The command that wrote them.
    pub regenerate_with: String,
    /// Per market.
    pub markets: BTreeMap<Market, MarketCoefficients>,
}

/// The committed coefficients (`model_v2.json`).
pub static COMMITTED: LazyLock<Coefficients> = LazyLock::new(|| {
    serde_json::from_str(include_str!("model_v2.json")).expect("model_v2.json is valid")
});

/// What the model says for one player, date and market.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Expected result, rounded to a tenth.
    pub value: f64,
    /// Probability the result goes over the line (with a line only).
    pub p_over: Option<f64>,
    /// OVER or UNDER only when its probability beats the odds' break-even; PASS
    /// otherwise; NO_LINE without a line.
    pub recommendation: Recommendation,
}

/// The market's probability of OVER: the two implied probabilities scaled to sum to 1.
pub fn market_p_over(over_odds: i32, under_odds: i32) -> f64 {
    let (o, u) = (
        implied_probability(over_odds),
        implied_probability(under_odds),
    );
    o / (o + u)
}

/// The market's probability moved by `shift` standard deviations, in log-odds.
fn moved(p_market: f64, shift: f64) -> f64 {
    let logit = (p_market / (1.0 - p_market)).ln() + 1.702 * shift;
    1.0 / (1.0 + (-logit).exp())
}

impl MarketCoefficients {
    /// The form estimate alone.
    pub fn form_value(&self, f: &PlayerGameFeatures, market: Market) -> f64 {
        form_terms(f, market)
            .iter()
            .zip(&self.form)
            .map(|(x, w)| x * w)
            .sum::<f64>()
            .max(0.0)
    }

    /// The estimate for a row, with the line and its American odds when known.
    pub fn estimate(
        &self,
        f: &PlayerGameFeatures,
        market: Market,
        line: Option<(f64, i32, i32)>,
    ) -> Estimate {
        let form = self.form_value(f, market);
        let Some((line, over_odds, under_odds)) = line else {
            return Estimate {
                value: crate::model::round(form, 1),
                p_over: None,
                recommendation: Recommendation::NoLine,
            };
        };
        let value = line + self.toward_form * (form - line);
        // Rounded first: the stored probability is the one the call was made on.
        let p_over = crate::model::round(
            moved(
                market_p_over(over_odds, under_odds),
                (value - line) / self.sigma_with_line.max(0.1),
            ),
            4,
        );
        let recommendation = if p_over > implied_probability(over_odds) {
            Recommendation::Over
        } else if 1.0 - p_over > implied_probability(under_odds) {
            Recommendation::Under
        } else {
            Recommendation::Pass
        };
        Estimate {
            value: crate::model::round(value, 1),
            p_over: Some(p_over),
            recommendation,
        }
    }
}

impl Coefficients {
    /// The estimate of one market.
    pub fn estimate(
        &self,
        f: &PlayerGameFeatures,
        market: Market,
        line: Option<(f64, i32, i32)>,
    ) -> Estimate {
        self.markets[&market].estimate(f, market, line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coefficients() -> MarketCoefficients {
        MarketCoefficients {
            // The recent average alone.
            form: vec![0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            toward_form: 0.25,
            sigma_with_line: 6.0,
            sigma_without_line: 7.0,
            form_rows: 100,
            line_rows: 100,
        }
    }

    #[test]
    fn with_a_line_the_estimate_keeps_only_the_fitted_share_of_the_form() {
        let mut f = PlayerGameFeatures::example();
        f.points_avg = 30.0;
        let e = coefficients().estimate(&f, Market::Points, Some((26.0, -110, -110)));
        assert_eq!(e.value, 27.0);
        // 1 point above an even market with a spread of 6: logistic(1.702 / 6) = 0.5704.
        assert_eq!(e.p_over, Some(0.5704));
        assert_eq!(e.recommendation, Recommendation::Over);
        let e = coefficients().estimate(&f, Market::Points, None);
        assert_eq!((e.value, e.p_over), (30.0, None));
        assert_eq!(e.recommendation, Recommendation::NoLine);
    }

    #[test]
    fn a_call_needs_its_probability_to_beat_the_posted_break_even() {
        let mut f = PlayerGameFeatures::example();
        f.points_avg = 26.4;
        // 0.1 above an even line: P(over) 0.507, under the -110 break-even of 0.524.
        let e = coefficients().estimate(&f, Market::Points, Some((26.0, -110, -110)));
        assert_eq!(e.recommendation, Recommendation::Pass);
        // On the line, the market's own price never beats its break-even: a lopsided
        // market (+120 / -150) states the market's probability and passes.
        f.points_avg = 26.0;
        let e = coefficients().estimate(&f, Market::Points, Some((26.0, 120, -150)));
        assert_eq!(e.p_over, Some(0.431));
        assert_eq!(e.recommendation, Recommendation::Pass);
        // Far below the line: UNDER.
        f.points_avg = 14.0;
        let e = coefficients().estimate(&f, Market::Points, Some((26.0, -110, -110)));
        assert_eq!(e.recommendation, Recommendation::Under);
    }

    #[test]
    fn the_committed_coefficients_cover_every_market_and_term() {
        for market in Market::ALL {
            let c = &COMMITTED.markets[&market];
            assert_eq!(c.form.len(), FORM_TERMS.len(), "{market}");
            assert!((0.0..=1.0).contains(&c.toward_form), "{market}");
            assert!(c.sigma_with_line > 0.0 && c.form_rows > 0, "{market}");
        }
        assert_eq!(COMMITTED.model_version, MODEL_V2);
    }
}

//! Fits `line-shrinkage-v2`'s coefficients (`domain::model_v2`) on backtest rows: the
//! form model by least squares, then the share of (form − line) worth keeping and the
//! spread of results, on the rows with a line. Used per origin by the backtest and once,
//! on every date, by `nba-props fit-model` for the committed coefficients.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use chrono::NaiveDate;
use nalgebra::{DMatrix, DVector};
use nba_props::domain::model_v2::{
    Coefficients, FORM_TERMS, MODEL_V2, MarketCoefficients, form_terms,
};
use nba_props::model::Market;

use crate::backtest::FeatureRow;

/// A small ridge on the normal equations: keeps a term that never varies in the fit
/// rows (no rested teams yet, say) at zero instead of making the system singular.
const RIDGE: f64 = 1e-6;

/// Least-squares weights of the form terms for `rows` of one market.
fn form_weights(rows: &[&FeatureRow], market: Market) -> Result<Vec<f64>> {
    let k = FORM_TERMS.len();
    let mut x = Vec::with_capacity(rows.len() * k);
    for r in rows {
        x.extend(form_terms(&r.features, market));
    }
    let x = DMatrix::from_row_slice(rows.len(), k, &x);
    let y = DVector::from_iterator(rows.len(), rows.iter().map(|r| r.actual));
    let mut xtx = x.transpose() * &x;
    for i in 0..k {
        xtx[(i, i)] += RIDGE * rows.len() as f64;
    }
    let xty = x.transpose() * y;
    let Some(solved) = xtx.cholesky().map(|c| c.solve(&xty)) else {
        bail!("the {market} form model has no least-squares solution on these rows");
    };
    Ok(solved.iter().copied().collect())
}

fn root_mean_square(errors: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = errors.fold((0.0, 0usize), |(s, n), e| (s + e * e, n + 1));
    if n == 0 { 0.0 } else { (sum / n as f64).sqrt() }
}

/// Fits every market on `rows` (all of them: the caller chooses the dates).
pub fn fit(rows: &[FeatureRow], regenerate_with: &str) -> Result<Coefficients> {
    let Some(first) = rows.iter().map(|r| r.features.game_date).min() else {
        bail!("no rows to fit on");
    };
    let last = rows
        .iter()
        .map(|r| r.features.game_date)
        .max()
        .expect("rows");
    let mut markets = BTreeMap::new();
    for market in Market::ALL {
        let of: Vec<&FeatureRow> = rows.iter().filter(|r| r.market == market).collect();
        if of.len() < FORM_TERMS.len() * 10 {
            bail!("{market}: {} rows are too few to fit", of.len());
        }
        let form = form_weights(&of, market)?;
        let partial = MarketCoefficients {
            form,
            toward_form: 0.0,
            sigma_with_line: 0.0,
            sigma_without_line: 0.0,
            form_rows: of.len(),
            line_rows: 0,
        };
        let form_value = |r: &FeatureRow| partial.form_value(&r.features, market);
        let sigma_without_line = root_mean_square(of.iter().map(|r| r.actual - form_value(r)));
        // (form − line, result − line) on the rows with a line.
        let pairs: Vec<(f64, f64)> = of
            .iter()
            .filter_map(|r| {
                let line = r.line.as_ref()?.line;
                Some((form_value(r) - line, r.actual - line))
            })
            .collect();
        let (de, dd) = pairs
            .iter()
            .fold((0.0, 0.0), |(de, dd), (d, e)| (de + d * e, dd + d * d));
        let toward_form = if dd > 0.0 {
            (de / dd).clamp(0.0, 1.0)
        } else {
            0.0
        };
        // Residuals around the estimate with a line (the form's alone when the fit
        // rows have no line yet).
        let residuals: Vec<f64> = if pairs.is_empty() {
            of.iter().map(|r| r.actual - form_value(r)).collect()
        } else {
            pairs.iter().map(|(d, e)| e - toward_form * d).collect()
        };
        let sigma_with_line = root_mean_square(residuals.iter().copied());
        markets.insert(
            market,
            MarketCoefficients {
                toward_form,
                sigma_with_line,
                sigma_without_line,
                line_rows: pairs.len(),
                ..partial
            },
        );
    }
    Ok(Coefficients {
        model_version: MODEL_V2.to_string(),
        fitted_on: (first, last),
        regenerate_with: regenerate_with.to_string(),
        markets,
    })
}

/// Fits on the rows before `date` only.
pub fn fit_before(rows: &[FeatureRow], date: NaiveDate) -> Result<Coefficients> {
    let before: Vec<FeatureRow> = rows
        .iter()
        .filter(|r| r.features.game_date < date)
        .cloned()
        .collect();
    fit(&before, "refitted per origin by nba-props backtest")
}

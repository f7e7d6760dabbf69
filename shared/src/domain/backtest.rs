//! How a model's predictions are judged against the sportsbook line on the same rows:
//! error figures for both, OVER/UNDER calls at several edge thresholds with the hit
//! rate's 95% interval, and the calibration of a stated probability of OVER. Pure
//! arithmetic; `nba-props backtest` feeds it the rows.

use serde::Serialize;

/// One evaluated (player, date, market): what the model said, the line, what happened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    /// The model's predicted value.
    pub predicted: f64,
    /// The line the prediction is judged against.
    pub line: f64,
    /// The real result.
    pub actual: f64,
    /// The model's stated probability that the result goes over the line, if it states one.
    pub p_over: Option<f64>,
    /// American odds of the over and the under at the line's book, when known.
    pub odds: Option<(i32, i32)>,
}

/// What a winning one-unit bet at American odds returns on top of the stake.
pub fn win_units(american: i32) -> f64 {
    let o = f64::from(american);
    if o < 0.0 { 100.0 / -o } else { o / 100.0 }
}

/// Mean absolute error, root mean squared error and mean error (bias: positive means
/// too high) of one set of estimates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ErrorStats {
    /// Mean absolute error.
    pub mae: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean of estimate minus result.
    pub bias: f64,
}

impl ErrorStats {
    /// The figures of `estimate` against `actual` over the rows (zeros for none).
    pub fn of(rows: &[Row], estimate: impl Fn(&Row) -> f64) -> Self {
        if rows.is_empty() {
            return Self {
                mae: 0.0,
                rmse: 0.0,
                bias: 0.0,
            };
        }
        let n = rows.len() as f64;
        let errors = rows.iter().map(|r| estimate(r) - r.actual);
        let (abs, sq, sum) = errors.fold((0.0, 0.0, 0.0), |(a, s, b), e| {
            (a + e.abs(), s + e * e, b + e)
        });
        Self {
            mae: abs / n,
            rmse: (sq / n).sqrt(),
            bias: sum / n,
        }
    }
}

/// A 95% Wilson score interval for a proportion of `hits` in `n` (better than the
/// normal approximation at the few hundred calls a backtest has).
pub fn wilson_interval(hits: usize, n: usize) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    const Z: f64 = 1.959_963_984_540_054;
    let (n, p) = (n as f64, hits as f64 / n as f64);
    let denominator = 1.0 + Z * Z / n;
    let centre = (p + Z * Z / (2.0 * n)) / denominator;
    let half = Z * ((p * (1.0 - p) + Z * Z / (4.0 * n)) / n).sqrt() / denominator;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// OVER/UNDER calls and how they did. A push (result equal to the line) is neither hit
/// nor miss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CallStats {
    /// Smallest |prediction - line| called; `None` for the model's own recommendations.
    pub threshold: Option<f64>,
    /// Calls made.
    pub calls: usize,
    /// Calls the result went the called way.
    pub hits: usize,
    /// Calls whose result equalled the line.
    pub pushes: usize,
    /// Hits over decided calls (calls minus pushes).
    pub hit_rate: Option<f64>,
    /// 95% interval of the hit rate.
    pub interval: Option<(f64, f64)>,
    /// Return per unit staked on each call at its posted odds (a push returns the
    /// stake), when every call's odds are known.
    pub roi: Option<f64>,
}

impl CallStats {
    /// The calls made when the prediction is at least `threshold` from the line.
    pub fn at(rows: &[Row], threshold: f64) -> Self {
        let calls = rows.iter().filter_map(|r| {
            let edge = r.predicted - r.line;
            (edge.abs() >= threshold && edge != 0.0).then_some((r, edge > 0.0))
        });
        Self::count(Some(threshold), calls)
    }

    /// The model's own calls: `Some(true)` for OVER, `Some(false)` for UNDER, `None`
    /// for no call.
    pub fn recommended<'r>(calls: impl IntoIterator<Item = (&'r Row, Option<bool>)>) -> Self {
        Self::count(
            None,
            calls
                .into_iter()
                .filter_map(|(r, over)| over.map(|o| (r, o))),
        )
    }

    fn count<'r>(threshold: Option<f64>, calls: impl Iterator<Item = (&'r Row, bool)>) -> Self {
        let (mut made, mut hits, mut pushes) = (0, 0, 0);
        let mut units = Some(0.0);
        for (r, over) in calls {
            made += 1;
            let odds = r.odds.map(|(o, u)| if over { o } else { u });
            if r.actual == r.line {
                pushes += 1;
            } else if over == (r.actual > r.line) {
                hits += 1;
                units = units.zip(odds).map(|(u, o)| u + win_units(o));
            } else {
                units = units.zip(odds).map(|(u, _)| u - 1.0);
            }
            if odds.is_none() {
                units = None;
            }
        }
        let decided = made - pushes;
        Self {
            threshold,
            calls: made,
            hits,
            pushes,
            hit_rate: (decided > 0).then(|| hits as f64 / decided as f64),
            interval: wilson_interval(hits, decided),
            roi: units.filter(|_| made > 0).map(|u| u / made as f64),
        }
    }
}

/// One bin of stated probabilities of OVER and how often the result went over.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CalibrationBin {
    /// Lower bound of the stated probability (inclusive).
    pub from: f64,
    /// Upper bound (exclusive; the last bin includes 1).
    pub to: f64,
    /// Rows (pushes left out).
    pub rows: usize,
    /// Mean stated probability.
    pub stated: f64,
    /// Share of those rows that went over.
    pub observed: f64,
}

/// Calibration of the stated probability of OVER in `bins` equal bins over [0, 1];
/// rows without a stated probability and pushes are left out, empty bins dropped.
pub fn calibration(rows: &[Row], bins: usize) -> Vec<CalibrationBin> {
    let mut acc = vec![(0usize, 0.0f64, 0usize); bins];
    for r in rows {
        let Some(p) = r.p_over else { continue };
        if r.actual == r.line {
            continue;
        }
        let i = ((p * bins as f64) as usize).min(bins - 1);
        acc[i].0 += 1;
        acc[i].1 += p;
        acc[i].2 += usize::from(r.actual > r.line);
    }
    acc.into_iter()
        .enumerate()
        .filter(|(_, (n, _, _))| *n > 0)
        .map(|(i, (n, sum, over))| CalibrationBin {
            from: i as f64 / bins as f64,
            to: (i + 1) as f64 / bins as f64,
            rows: n,
            stated: sum / n as f64,
            observed: over as f64 / n as f64,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(predicted: f64, line: f64, actual: f64) -> Row {
        Row {
            predicted,
            line,
            actual,
            p_over: None,
            odds: Some((-110, -110)),
        }
    }

    #[test]
    fn error_figures_are_the_textbook_ones() {
        let rows = [row(10.0, 0.0, 12.0), row(10.0, 0.0, 7.0)];
        let e = ErrorStats::of(&rows, |r| r.predicted);
        assert_eq!(e.mae, 2.5);
        assert!((e.rmse - (6.5f64).sqrt()).abs() < 1e-12);
        assert_eq!(e.bias, 0.5);
        let line = ErrorStats::of(&rows, |r| r.line);
        assert_eq!(line.mae, 9.5);
    }

    #[test]
    fn calls_count_hits_and_pushes_at_the_threshold() {
        let rows = [
            row(27.0, 25.5, 30.0), // over, hit
            row(27.0, 25.5, 20.0), // over, miss
            row(22.0, 24.0, 24.0), // under, push
            row(22.0, 24.0, 19.0), // under, hit
            row(26.0, 25.5, 10.0), // edge 0.5: called only at 0.5
        ];
        let c = CallStats::at(&rows, 1.0);
        assert_eq!((c.calls, c.hits, c.pushes), (4, 2, 1));
        assert_eq!(c.hit_rate, Some(2.0 / 3.0));
        let c = CallStats::at(&rows, 0.5);
        assert_eq!((c.calls, c.hits, c.pushes), (5, 2, 1));
        assert_eq!(CallStats::at(&rows, 10.0).hit_rate, None);
        // The model's own calls: the first two over, the third no call.
        let own = CallStats::recommended([
            (&rows[0], Some(true)),
            (&rows[1], Some(true)),
            (&rows[2], None),
            (&rows[3], Some(false)),
        ]);
        assert_eq!(
            (own.threshold, own.calls, own.hits, own.pushes),
            (None, 3, 2, 0)
        );
        // Two wins at -110 and a loss: (2 × 100/110 − 1) / 3 units per call.
        let roi = own.roi.unwrap();
        assert!(
            (roi - (2.0 * 100.0 / 110.0 - 1.0) / 3.0).abs() < 1e-12,
            "{roi}"
        );
        // At 1.0: two wins, a loss and a push.
        let c = CallStats::at(&rows, 1.0);
        assert!((c.roi.unwrap() - (2.0 * 100.0 / 110.0 - 1.0) / 4.0).abs() < 1e-12);
        assert_eq!(win_units(150), 1.5);
    }

    #[test]
    fn the_wilson_interval_matches_published_values() {
        // 54 of 100: 95% Wilson interval 0.4426 .. 0.6344.
        let (lo, hi) = wilson_interval(54, 100).unwrap();
        assert!((lo - 0.4426).abs() < 1e-4, "{lo}");
        assert!((hi - 0.6344).abs() < 1e-4, "{hi}");
        assert_eq!(wilson_interval(0, 0), None);
        let (lo, _) = wilson_interval(0, 10).unwrap();
        assert_eq!(lo, 0.0);
    }

    #[test]
    fn calibration_bins_compare_stated_and_observed() {
        let mut rows = Vec::new();
        for (p, went_over) in [(0.55, true), (0.58, false), (0.52, true), (0.9, true)] {
            rows.push(Row {
                predicted: 0.0,
                line: 10.5,
                actual: if went_over { 12.0 } else { 8.0 },
                p_over: Some(p),
                odds: None,
            });
        }
        rows.push(Row {
            predicted: 0.0,
            line: 10.0,
            actual: 10.0,
            p_over: Some(0.5),
            odds: None,
        }); // a push: left out
        let bins = calibration(&rows, 10);
        assert_eq!(bins.len(), 2);
        assert_eq!(bins[0].rows, 3);
        assert!((bins[0].stated - 0.55).abs() < 1e-12);
        assert!((bins[0].observed - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(
            (bins[1].from, bins[1].rows, bins[1].observed),
            (0.9, 1, 1.0)
        );
    }
}

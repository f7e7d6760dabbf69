//! The backtest as a picture (`nba-props backtest --plot FILE.svg`): per market, the
//! calibration of each model's stated probability of OVER (stated against observed,
//! the diagonal is perfect), and the hit rate of the calls at each edge threshold with
//! its 95% interval against the -110 break-even.

use std::path::Path;

use anyhow::{Result, anyhow};
use nba_props::model::Market;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use crate::backtest::{BacktestReport, EDGE_THRESHOLDS};

/// The -110 break-even hit rate.
const BREAK_EVEN: f64 = 110.0 / 210.0;

/// The models' legend, in the panel's upper left corner.
fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .border_style(BLACK.mix(0.3))
        .background_style(WHITE)
        .draw()
        .map_err(|e| anyhow!("{e}"))
}

fn colour(i: usize) -> RGBColor {
    [
        RGBColor(31, 119, 180),
        RGBColor(214, 39, 40),
        RGBColor(44, 160, 44),
    ][i % 3]
}

/// Writes the report's figures as an SVG file.
pub fn write_svg(report: &BacktestReport, path: &Path) -> Result<()> {
    let root = SVGBackend::new(path, (1200, 760)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let (title, body) = root.split_vertically(40);
    title
        .titled(
            &format!(
                "backtest: {} .. {} (rolling origin), {}",
                report.evaluation_dates.0, report.evaluation_dates.1, report.source
            ),
            ("sans-serif", 18),
        )
        .map_err(|e| anyhow!("{e}"))?;
    let panels = body.split_evenly((2, 3));
    let models: Vec<&str> = {
        let mut m: Vec<&str> = report
            .evaluations
            .iter()
            .map(|e| e.model.as_str())
            .collect();
        m.dedup();
        m
    };
    for (column, market) in Market::ALL.into_iter().enumerate() {
        // Calibration.
        let mut chart = ChartBuilder::on(&panels[column])
            .caption(
                format!("{market}: calibration of P(over)"),
                ("sans-serif", 15),
            )
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(0.2f64..0.8f64, 0.0f64..1.0f64)
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_desc("stated")
            .y_desc("observed")
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .draw_series(LineSeries::new([(0.2, 0.2), (0.8, 0.8)], BLACK.mix(0.4)))
            .map_err(|e| anyhow!("{e}"))?;
        for (i, model) in models.iter().enumerate() {
            let Some(e) = report.evaluation(model, market) else {
                continue;
            };
            let c = colour(i);
            chart
                .draw_series(e.calibration.iter().map(|b| {
                    let size = (2.0 + (b.rows as f64).sqrt() / 2.0).min(12.0) as i32;
                    Circle::new((b.stated, b.observed), size, c.filled())
                }))
                .map_err(|e| anyhow!("{e}"))?
                .label(*model)
                .legend(move |(x, y)| Circle::new((x, y), 4, c.filled()));
        }
        draw_legend(&mut chart)?;

        // Hit rate by edge.
        let top = EDGE_THRESHOLDS[EDGE_THRESHOLDS.len() - 1] + 0.5;
        let mut chart = ChartBuilder::on(&panels[3 + column])
            .caption(format!("{market}: hit rate by edge"), ("sans-serif", 15))
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(0.0f64..top, 0.2f64..0.8f64)
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_desc("|prediction - line| at least")
            .y_desc("hit rate")
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .draw_series(LineSeries::new(
                [(0.0, BREAK_EVEN), (top, BREAK_EVEN)],
                BLACK.mix(0.4),
            ))
            .map_err(|e| anyhow!("{e}"))?;
        for (i, model) in models.iter().enumerate() {
            let Some(e) = report.evaluation(model, market) else {
                continue;
            };
            let c = colour(i);
            let offset = 0.08 * i as f64;
            let points: Vec<(f64, f64, (f64, f64))> = e
                .calls
                .iter()
                .filter_map(|s| Some((s.threshold? + offset, s.hit_rate?, s.interval?)))
                .collect();
            chart
                .draw_series(points.iter().map(|(x, y, (lo, hi))| {
                    ErrorBar::new_vertical(*x, *lo, *y, *hi, c.filled(), 6)
                }))
                .map_err(|e| anyhow!("{e}"))?
                .label(*model)
                .legend(move |(x, y)| Circle::new((x, y), 4, c.filled()));
        }
        draw_legend(&mut chart)?;
    }
    root.present().map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

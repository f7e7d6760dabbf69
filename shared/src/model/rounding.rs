//! Rounding of stored figures, one rule for every processor and the model.

/// Rounds to `places` decimal places (half away from zero).
pub fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_to_the_given_places() {
        assert_eq!(round(20.16, 1), 20.2);
        assert_eq!(round(1.23456, 3), 1.235);
        assert_eq!(round(-2.25, 1), -2.3);
        assert_eq!(round(7.0, 0), 7.0);
    }
}

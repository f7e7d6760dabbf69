//! CloudWatch Embedded Metric Format (EMF): one JSON line on stdout per invocation,
//! which CloudWatch Logs turns into metrics without an API call from the function.

use serde_json::{Map, Value, json};

/// Counters for one invocation, emitted together as one EMF document.
#[derive(Debug, Clone)]
pub struct Metrics {
    namespace: String,
    function: String,
    counts: Vec<(&'static str, u64)>,
}

impl Metrics {
    /// Starts an empty set of counters for `function` in `namespace`.
    pub fn new(namespace: impl Into<String>, function: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            function: function.into(),
            counts: Vec::new(),
        }
    }

    /// Records a count (added to an earlier one of the same name).
    pub fn count(&mut self, name: &'static str, value: u64) {
        match self.counts.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => *v += value,
            None => self.counts.push((name, value)),
        }
    }

    /// The EMF document, with one `Function` dimension.
    pub fn to_emf(&self, timestamp_ms: i64) -> Value {
        let definitions: Vec<Value> = self
            .counts
            .iter()
            .map(|(name, _)| json!({ "Name": name, "Unit": "Count" }))
            .collect();
        let mut doc = Map::new();
        doc.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": self.namespace,
                    "Dimensions": [["Function"]],
                    "Metrics": definitions,
                }],
            }),
        );
        doc.insert("Function".into(), Value::from(self.function.clone()));
        for (name, value) in &self.counts {
            doc.insert((*name).into(), Value::from(*value));
        }
        Value::Object(doc)
    }

    /// Prints the EMF line on stdout, where the Lambda log agent picks it up.
    pub fn emit(&self) {
        println!("{}", self.to_emf(chrono::Utc::now().timestamp_millis()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_declares_every_counted_metric_with_its_value() {
        let mut m = Metrics::new("NbaProps", "prediction-writer");
        m.count("DuplicatesSuppressed", 2);
        m.count("DuplicatesSuppressed", 1);
        m.count("StaleWritesIgnored", 0);
        let doc = m.to_emf(1_700_000_000_000);
        assert_eq!(doc["DuplicatesSuppressed"], 3);
        assert_eq!(doc["StaleWritesIgnored"], 0);
        assert_eq!(doc["Function"], "prediction-writer");
        let cw = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(cw["Namespace"], "NbaProps");
        assert_eq!(cw["Metrics"].as_array().unwrap().len(), 2);
        assert_eq!(doc["_aws"]["Timestamp"], 1_700_000_000_000_i64);
    }
}

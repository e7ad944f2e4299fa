//! The bundled fixtures (see `tests/data/README.md` for where each comes from).

use forecast::Ohlcv;
use serde_json::Value;

/// GOOG daily OHLCV 2004-08-19..2013-03-01 (2148 rows).
pub fn goog() -> Ohlcv {
    Ohlcv::from_csv(include_str!("../data/goog_2004_2013.csv")).unwrap()
}

/// S&P 500 daily OHLCV 1999-01-04..2018-12-31 (5031 rows).
pub fn sp500() -> Ohlcv {
    Ohlcv::from_csv(include_str!("../data/sp500_1999_2018.csv")).unwrap()
}

/// The series named by `FORECAST_EVAL_CSV` (a path), or GOOG when it is unset; with its name.
pub fn series_from_env() -> (String, Ohlcv) {
    match std::env::var("FORECAST_EVAL_CSV") {
        Ok(path) => {
            let text = std::fs::read_to_string(&path).expect("readable FORECAST_EVAL_CSV");
            (path, Ohlcv::from_csv(&text).unwrap())
        }
        Err(_) => ("goog_2004_2013".to_string(), goog()),
    }
}

/// The reference evaluation's metrics (`reference_results.json`).
pub fn reference_results() -> Value {
    serde_json::from_str(include_str!("../data/reference_results.json")).unwrap()
}

/// The reference per-origin forecasts of GOOG (`reference_forecasts_goog_2004_2013.csv`).
pub fn reference_forecasts_goog() -> CsvTable {
    CsvTable::parse(include_str!(
        "../data/reference_forecasts_goog_2004_2013.csv"
    ))
}

/// The reference per-origin forecasts of the S&P 500.
pub fn reference_forecasts_sp500() -> CsvTable {
    CsvTable::parse(include_str!(
        "../data/reference_forecasts_sp500_1999_2018.csv"
    ))
}

/// A CSV table with a header row, read as strings.
#[derive(Debug, Clone)]
pub struct CsvTable {
    /// Column names.
    pub header: Vec<String>,
    /// Rows of fields.
    pub rows: Vec<Vec<String>>,
}

impl CsvTable {
    /// Parses CSV text (no quoting).
    pub fn parse(text: &str) -> CsvTable {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header = lines.next().unwrap().split(',').map(String::from).collect();
        let rows = lines
            .map(|l| l.split(',').map(String::from).collect())
            .collect();
        CsvTable { header, rows }
    }

    /// The index of column `name`.
    pub fn index(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("no column `{name}`"))
    }

    /// True when the table has column `name`.
    pub fn has(&self, name: &str) -> bool {
        self.header.iter().any(|c| c == name)
    }

    /// Column `name` as numbers, over the rows whose `h` column equals `h`.
    pub fn col(&self, name: &str, h: usize) -> Vec<f64> {
        let (j, hj) = (self.index(name), self.index("h"));
        self.rows
            .iter()
            .filter(|r| r[hj] == h.to_string())
            .map(|r| r[j].parse().unwrap())
            .collect()
    }
}

//! Reads a daily OHLCV CSV file into validated rows for "Import your own data".
//!
//! Accepts the layouts people actually have on disk: a Yahoo Finance download,
//! a Stooq download, Alpha Vantage's `datatype=csv` daily series (plain and
//! adjusted) and Tickercast's own layout. The format is detected from the
//! header. Parsing is pure (bytes in, rows or problems out) so every rule is
//! testable on literal files; storing rows is the caller's job.
//!
//! A file is imported whole or not at all, so every problem is collected and
//! reported with its line number instead of stopping at the first one.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;

// The rows and suspected splits are the wire types the report carries: read once, shown as read.
pub use app::model::{ImportedRow, SplitSuspect};

/// Most data rows one file may hold. 50 000 trading days is about two
/// centuries, so a bigger file is the wrong file; the cap also bounds memory
/// and the size of one import.
pub const MAX_ROWS: usize = 50_000;

/// Most problems spelled out by [`ImportError::Rows`]'s message; past this a
/// list stops helping and only the remaining count is given.
pub const MAX_PROBLEMS_SHOWN: usize = 200;

/// A close-to-close move by more than this factor, either way, is far outside
/// normal daily moves and is usually an unadjusted split.
const SPLIT_THRESHOLD: f64 = 1.5;

/// Which CSV layout a file uses, as detected from its header row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CsvFormat {
    /// Yahoo Finance "Download": `Date,Open,High,Low,Close,Adj Close,Volume`.
    Yahoo,
    /// Stooq daily download: `Date,Open,High,Low,Close,Volume`; index files
    /// may lack `Volume`.
    Stooq,
    /// Alpha Vantage `TIME_SERIES_DAILY` with `datatype=csv` (newest first).
    AlphaVantage,
    /// Alpha Vantage `TIME_SERIES_DAILY_ADJUSTED` with `datatype=csv`
    /// (newest first).
    AlphaVantageAdjusted,
    /// Tickercast's own layout: `date,open,high,low,close,volume`, optionally
    /// with `adj_close`.
    Tickercast,
}

impl CsvFormat {
    /// Every format, in the order accepted headers are listed to users.
    pub const ALL: [CsvFormat; 5] = [
        CsvFormat::Yahoo,
        CsvFormat::Stooq,
        CsvFormat::AlphaVantage,
        CsvFormat::AlphaVantageAdjusted,
        CsvFormat::Tickercast,
    ];

    /// Name shown to the admin in the import summary.
    pub fn label(self) -> &'static str {
        match self {
            CsvFormat::Yahoo => "Yahoo Finance download",
            CsvFormat::Stooq => "Stooq download",
            CsvFormat::AlphaVantage => "Alpha Vantage daily",
            CsvFormat::AlphaVantageAdjusted => "Alpha Vantage daily adjusted",
            CsvFormat::Tickercast => "Tickercast",
        }
    }

    /// Whether the prices are already adjusted for splits: Yahoo's and Stooq's downloads are;
    /// Alpha Vantage's daily series and the project's layout are raw.
    pub fn split_adjusted(self) -> bool {
        matches!(self, CsvFormat::Yahoo | CsvFormat::Stooq)
    }

    /// The header that identifies this format, for the unknown-header message.
    pub fn header(self) -> &'static str {
        match self {
            CsvFormat::Yahoo => "Date,Open,High,Low,Close,Adj Close,Volume",
            CsvFormat::Stooq => "Date,Open,High,Low,Close,Volume (Volume may be absent)",
            CsvFormat::AlphaVantage => "timestamp,open,high,low,close,volume",
            CsvFormat::AlphaVantageAdjusted => {
                "timestamp,open,high,low,close,adjusted_close,volume,dividend_amount,split_coefficient"
            }
            CsvFormat::Tickercast => "date,open,high,low,close,volume (adj_close optional)",
        }
    }
}

/// Everything wrong with one line, so the admin can fix the file and retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// 1-based line in the file (the header is line 1).
    pub line: usize,
    /// What is wrong, without the line prefix.
    pub message: String,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A file that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFile {
    /// Layout detected from the header.
    pub format: CsvFormat,
    /// Valid rows, ascending by date.
    pub rows: Vec<ImportedRow>,
    /// The file was not in ascending date order (Alpha Vantage is newest
    /// first) and the rows were sorted.
    pub reordered: bool,
    /// Things the admin should know that are not errors.
    pub notes: Vec<String>,
    /// Day-to-day jumps that look like splits, in date order.
    pub suspected_splits: Vec<SplitSuspect>,
}

/// Why a file cannot be imported.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImportError {
    /// No header, or a header and no data rows.
    #[error("the file is empty")]
    Empty,
    /// Excel's "Unicode Text" and some editors write UTF-16, which CSV
    /// readers see as noise; saying so beats an unreadable header.
    #[error("the file is UTF-16 text; save it as \"CSV UTF-8\" and import it again")]
    Utf16,
    /// The header matches none of the accepted layouts.
    #[error(
        "unrecognised header {found:?}; accepted headers are: {}",
        accepted_headers()
    )]
    UnknownHeader {
        /// The header as found, fields joined with commas.
        found: String,
    },
    /// More than [`MAX_ROWS`] data rows.
    #[error("the file has more than {max} rows; split it into smaller files")]
    TooManyRows {
        /// The limit that was exceeded.
        max: usize,
    },
    /// Every problem in the file, ordered by line; the message lists the
    /// first [`MAX_PROBLEMS_SHOWN`] and counts the rest.
    #[error("{}", describe_problems(.0))]
    Rows(Vec<RowProblem>),
}

/// Parses and validates a whole CSV file of daily bars.
pub fn parse(bytes: &[u8]) -> Result<ParsedFile, ImportError> {
    let bytes = strip_bom(bytes)?;
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes)
        .into_byte_records()
        .filter(|record| !matches!(record, Ok(r) if is_blank(r)));

    let header = match records.next() {
        None => return Err(ImportError::Empty),
        Some(Ok(header)) => header,
        Some(Err(e)) => return Err(ImportError::Rows(vec![read_problem(&e)])),
    };
    let (format, columns) = detect(&header)?;
    let reading = read_rows(records, &columns, LineCounter::new(bytes))?;
    reading.finish(format, &columns)
}

/// Everything gathered from the data rows, before file-wide checks.
#[derive(Default)]
struct Reading {
    rows: Vec<ImportedRow>,
    problems: Vec<RowProblem>,
    /// Date and line of every row whose date was readable.
    dates: Vec<(NaiveDate, usize)>,
    /// Splits the file itself reports (Alpha Vantage adjusted).
    reported_splits: Vec<(NaiveDate, f64)>,
    data_rows: usize,
}

/// Reads every data row, collecting rows and problems rather than stopping
/// at the first problem; only the row cap stops early.
fn read_rows(
    records: impl Iterator<Item = csv::Result<csv::ByteRecord>>,
    columns: &Columns,
    mut lines: LineCounter<'_>,
) -> Result<Reading, ImportError> {
    let mut reading = Reading::default();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                // Only I/O fails here, and nothing after it can be trusted.
                reading.problems.push(read_problem(&e));
                break;
            }
        };
        reading.data_rows += 1;
        if reading.data_rows > MAX_ROWS {
            return Err(ImportError::TooManyRows { max: MAX_ROWS });
        }
        let line = lines.line_of(&record);
        let read = read_row(columns, &record, line);
        if let Some(date) = read.date {
            reading.dates.push((date, line));
        }
        match read.row {
            Ok(row) => {
                if let Some(coefficient) = read.split_coefficient {
                    reading.reported_splits.push((row.date, coefficient));
                }
                reading.rows.push(row);
            }
            Err(message) => reading.problems.push(RowProblem { line, message }),
        }
    }
    Ok(reading)
}

impl Reading {
    /// Applies the file-wide checks (emptiness, duplicate dates) and puts
    /// valid rows into date order with their notes and suspected splits.
    fn finish(self, format: CsvFormat, columns: &Columns) -> Result<ParsedFile, ImportError> {
        let Reading {
            mut rows,
            mut problems,
            dates,
            reported_splits,
            data_rows,
        } = self;
        if data_rows == 0 && problems.is_empty() {
            return Err(ImportError::Empty);
        }
        problems.extend(duplicate_dates(&dates));
        if !problems.is_empty() {
            problems.sort_by_key(|p| p.line);
            return Err(ImportError::Rows(problems));
        }

        let mut notes = Vec::new();
        let sorted_note = sort_by_date(&mut rows);
        let reordered = sorted_note.is_some();
        notes.extend(sorted_note);
        if columns.volume.is_none() {
            notes.push("the file has no Volume column; volume was set to 0 on every row".into());
        }
        notes.extend(reported_split_notes(reported_splits));
        let suspected_splits = suspected_splits(&rows);
        Ok(ParsedFile {
            format,
            rows,
            reordered,
            notes,
            suspected_splits,
        })
    }
}

/// Per-row factor `adj_close / close` to multiply raw prices by, from which
/// splits and dividends can be derived. `None` unless every row has an
/// adjusted close (and there is at least one row): a partial series would
/// silently mix adjusted and raw prices.
pub fn adjustment_factors(rows: &[ImportedRow]) -> Option<Vec<f64>> {
    if rows.is_empty() {
        return None;
    }
    rows.iter()
        .map(|row| row.adj_close.map(|adj| adj / row.close))
        .collect()
}

/// Drops a UTF-8 byte-order mark (Excel writes one) and rejects UTF-16.
fn strip_bom(bytes: &[u8]) -> Result<&[u8], ImportError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(ImportError::Utf16);
    }
    Ok(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
}

/// A whitespace-only line; the reader already skips truly empty ones.
fn is_blank(record: &csv::ByteRecord) -> bool {
    record.len() == 1 && record[0].is_empty()
}

/// Finds the 1-based line each record starts on. The reader's own line
/// numbers run short after CRLF endings and blank lines, and its byte offset
/// may point at the line break before the record, so lines are counted here
/// from that offset. Records arrive in order, so counting resumes where the
/// previous one stopped.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    fn line_of(&mut self, record: &csv::ByteRecord) -> usize {
        let reported = record.position().map_or(0, |p| p.byte() as usize);
        let mut start = reported.clamp(self.offset, self.bytes.len());
        // A record never starts with a line break, so skip to its first byte.
        while matches!(self.bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        self.line += count_line_breaks(&self.bytes[self.offset..start]);
        self.offset = start;
        self.line
    }
}

/// Counts `\n`, `\r\n` and lone `\r` (old Mac files) as one break each.
fn count_line_breaks(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count()
}

/// Turns a reader failure into a problem at the line where it happened.
fn read_problem(error: &csv::Error) -> RowProblem {
    RowProblem {
        line: error.position().map_or(1, |p| p.line() as usize),
        message: format!("the file could not be read: {error}"),
    }
}

/// Where each value sits in a row of the detected layout.
#[derive(Debug)]
struct Columns {
    count: usize,
    date: usize,
    open: usize,
    high: usize,
    low: usize,
    close: usize,
    adj_close: Option<usize>,
    volume: Option<usize>,
    split_coefficient: Option<usize>,
}

/// Accepted headers as lowercase column sets. Matching is by name, so a
/// reordered header is still understood. The plain six-column layout is
/// shared by Stooq and Tickercast; [`detect`] tells them apart by case.
const LAYOUTS: &[(CsvFormat, &[&str])] = &[
    (
        CsvFormat::Yahoo,
        &[
            "date",
            "open",
            "high",
            "low",
            "close",
            "adj close",
            "volume",
        ],
    ),
    (CsvFormat::Stooq, &["date", "open", "high", "low", "close"]),
    (
        CsvFormat::AlphaVantage,
        &["timestamp", "open", "high", "low", "close", "volume"],
    ),
    (
        CsvFormat::AlphaVantageAdjusted,
        &[
            "timestamp",
            "open",
            "high",
            "low",
            "close",
            "adjusted_close",
            "volume",
            "dividend_amount",
            "split_coefficient",
        ],
    ),
    (
        CsvFormat::Tickercast,
        &["date", "open", "high", "low", "close", "volume"],
    ),
    (
        CsvFormat::Tickercast,
        &[
            "date",
            "open",
            "high",
            "low",
            "close",
            "adj_close",
            "volume",
        ],
    ),
];

/// Recognises the header and locates each column.
fn detect(header: &csv::ByteRecord) -> Result<(CsvFormat, Columns), ImportError> {
    let raw: Vec<String> = header
        .iter()
        .map(|field| String::from_utf8_lossy(field).into_owned())
        .collect();
    let names: Vec<String> = raw.iter().map(|name| name.to_lowercase()).collect();
    let format = LAYOUTS
        .iter()
        .find(|(_, columns)| same_columns(&names, columns))
        .map(|&(format, _)| format)
        .ok_or_else(|| ImportError::UnknownHeader {
            found: raw.join(","),
        })?;
    let columns = locate(&names).ok_or_else(|| ImportError::UnknownHeader {
        found: raw.join(","),
    })?;
    // Stooq capitalises its header; Tickercast writes it in lowercase.
    let capitalised = raw[columns.date].starts_with(|c: char| c.is_uppercase());
    let format = if format == CsvFormat::Tickercast && columns.adj_close.is_none() && capitalised {
        CsvFormat::Stooq
    } else {
        format
    };
    Ok((format, columns))
}

/// The header holds exactly these columns, each once, in any order.
fn same_columns(names: &[String], expected: &[&str]) -> bool {
    names.len() == expected.len()
        && expected
            .iter()
            .all(|column| names.iter().filter(|name| name == column).count() == 1)
}

/// Column positions by name, covering every layout's spelling.
fn locate(names: &[String]) -> Option<Columns> {
    let find = |aliases: &[&str]| names.iter().position(|n| aliases.contains(&n.as_str()));
    Some(Columns {
        count: names.len(),
        date: find(&["date", "timestamp"])?,
        open: find(&["open"])?,
        high: find(&["high"])?,
        low: find(&["low"])?,
        close: find(&["close"])?,
        adj_close: find(&["adj close", "adjusted_close", "adj_close"]),
        volume: find(&["volume"]),
        split_coefficient: find(&["split_coefficient"]),
    })
}

/// The accepted headers, one per format, for the unknown-header message.
fn accepted_headers() -> String {
    CsvFormat::ALL
        .iter()
        .map(|format| format!("{}: {}", format.label(), format.header()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// What one data row yielded.
struct RowRead {
    /// The row's date when readable, so duplicates are found even among
    /// rows with other problems.
    date: Option<NaiveDate>,
    /// The bar, or everything wrong with the line.
    row: Result<ImportedRow, String>,
    /// Alpha Vantage's split coefficient when it is not 1.
    split_coefficient: Option<f64>,
}

/// Reads and checks one data row.
fn read_row(columns: &Columns, record: &csv::ByteRecord, line: usize) -> RowRead {
    let failed = |message: String| RowRead {
        date: None,
        row: Err(message),
        split_coefficient: None,
    };
    let Ok(fields) = record
        .iter()
        .map(std::str::from_utf8)
        .collect::<Result<Vec<_>, _>>()
    else {
        return failed("the line is not valid UTF-8 text; save the file as \"CSV UTF-8\"".into());
    };
    if fields.len() != columns.count {
        return failed(format!(
            "expected {} fields, found {}",
            columns.count,
            fields.len()
        ));
    }

    let mut issues = Issues::default();
    let date = issues.take(parse_date(fields[columns.date]));
    let open = issues.take(parse_price("open", fields[columns.open]));
    let high = issues.take(parse_price("high", fields[columns.high]));
    let low = issues.take(parse_price("low", fields[columns.low]));
    let close = issues.take(parse_price("close", fields[columns.close]));
    let adj_close = columns
        .adj_close
        .map(|i| issues.take(parse_price("adj close", fields[i])));
    let volume = match columns.volume {
        Some(i) => issues.take(parse_volume(fields[i])),
        None => Some(0),
    };
    if let (Some(open), Some(high), Some(low), Some(close)) = (open, high, low, close) {
        issues
            .invalid
            .extend(range_problems(open, high, low, close));
    }

    let row = match (date, open, high, low, close, adj_close, volume) {
        (Some(date), Some(open), Some(high), Some(low), Some(close), adj, Some(volume))
            if issues.is_empty() =>
        {
            Ok(ImportedRow {
                line,
                date,
                open,
                high,
                low,
                close,
                adj_close: adj.flatten(),
                volume,
            })
        }
        _ => Err(issues.message()),
    };
    RowRead {
        date,
        row,
        split_coefficient: columns
            .split_coefficient
            .and_then(|i| reported_split(fields[i])),
    }
}

/// Why one value could not be used.
enum FieldError {
    /// Empty or `null` (Yahoo writes `null` on days it has no data for).
    Missing { field: &'static str, null: bool },
    /// Present but unusable; the message names the field and value.
    Invalid(String),
}

/// The problems found on one line, gathered into a single message so a
/// Yahoo `null` row reads as one problem rather than seven.
#[derive(Default)]
struct Issues {
    missing: Vec<&'static str>,
    saw_null: bool,
    invalid: Vec<String>,
}

impl Issues {
    /// Keeps a parsed value, or records why there is none.
    fn take<T>(&mut self, value: Result<T, FieldError>) -> Option<T> {
        match value {
            Ok(value) => return Some(value),
            Err(FieldError::Missing { field, null }) => {
                self.missing.push(field);
                self.saw_null |= null;
            }
            Err(FieldError::Invalid(message)) => self.invalid.push(message),
        }
        None
    }

    fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.invalid.is_empty()
    }

    /// e.g. `open and close are missing ("null"); volume "x" is not a number`.
    fn message(self) -> String {
        let mut parts = Vec::new();
        if !self.missing.is_empty() {
            let verb = if self.missing.len() == 1 { "is" } else { "are" };
            let null = if self.saw_null { " (\"null\")" } else { "" };
            parts.push(format!(
                "{} {verb} missing{null}",
                join_names(&self.missing)
            ));
        }
        parts.extend(self.invalid);
        parts.join("; ")
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join_names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Empty or Yahoo's `null`: the value is absent rather than malformed.
fn missing(field: &'static str, raw: &str) -> Option<FieldError> {
    let null = raw.eq_ignore_ascii_case("null");
    (raw.is_empty() || null).then_some(FieldError::Missing { field, null })
}

/// Accepts `YYYY-MM-DD` (every supported source) and `YYYY/MM/DD` (what
/// spreadsheets tend to write back); anything else is ambiguous or a
/// timestamp, and is rejected rather than guessed at.
fn parse_date(raw: &str) -> Result<NaiveDate, FieldError> {
    if let Some(absent) = missing("date", raw) {
        return Err(absent);
    }
    let b = raw.as_bytes();
    let shaped = b.len() == 10
        && matches!(b[4], b'-' | b'/')
        && b[7] == b[4]
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return Err(FieldError::Invalid(format!(
            "date {raw:?} is not in YYYY-MM-DD or YYYY/MM/DD form"
        )));
    }
    let number = |digits: &[u8]| {
        digits
            .iter()
            .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
    };
    let year = number(&b[0..4]) as i32;
    NaiveDate::from_ymd_opt(year, number(&b[5..7]), number(&b[8..10]))
        .ok_or_else(|| FieldError::Invalid(format!("date {raw:?} is not a calendar date")))
}

/// A price must be a finite number above zero.
fn parse_price(field: &'static str, raw: &str) -> Result<f64, FieldError> {
    if let Some(absent) = missing(field, raw) {
        return Err(absent);
    }
    let value: f64 = raw
        .parse()
        .map_err(|_| FieldError::Invalid(format!("{field} {raw:?} is not a number")))?;
    if !value.is_finite() {
        return Err(FieldError::Invalid(format!(
            "{field} {raw:?} is not a finite number"
        )));
    }
    if value <= 0.0 {
        return Err(FieldError::Invalid(format!(
            "{field} {raw} must be greater than 0"
        )));
    }
    Ok(value)
}

/// A volume is a whole, non-negative count; `1234.0` is accepted because
/// spreadsheets often rewrite integers that way.
fn parse_volume(raw: &str) -> Result<u64, FieldError> {
    if let Some(absent) = missing("volume", raw) {
        return Err(absent);
    }
    if let Ok(volume) = raw.parse::<u64>() {
        return Ok(volume);
    }
    let invalid = |what: &str| Err(FieldError::Invalid(format!("volume {raw:?} {what}")));
    let Ok(value) = raw.parse::<f64>() else {
        return invalid("is not a number");
    };
    if !value.is_finite() {
        invalid("is not a finite number")
    } else if value < 0.0 {
        invalid("is negative")
    } else if value.fract() != 0.0 {
        invalid("is not a whole number")
    } else if value >= u64::MAX as f64 {
        invalid("is too large")
    } else {
        Ok(value as u64)
    }
}

/// The low and high must bracket both the open and the close.
fn range_problems(open: f64, high: f64, low: f64, close: f64) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, value) in [("open", open), ("close", close)] {
        if low > value {
            problems.push(format!("low {low} is above {name} {value}"));
        }
        if high < value {
            problems.push(format!("high {high} is below {name} {value}"));
        }
    }
    problems
}

/// Alpha Vantage marks split days with a coefficient other than 1; an
/// unreadable coefficient is ignored because the column is not imported.
fn reported_split(raw: &str) -> Option<f64> {
    raw.parse::<f64>()
        .ok()
        .filter(|c| c.is_finite() && *c > 0.0 && *c != 1.0)
}

/// Notes for splits the file itself reports, oldest first.
fn reported_split_notes(mut splits: Vec<(NaiveDate, f64)>) -> Vec<String> {
    splits.sort_by_key(|&(date, _)| date);
    splits
        .into_iter()
        .map(|(date, coefficient)| {
            format!("the file reports a split on {date} (split coefficient {coefficient})")
        })
        .collect()
}

/// One problem per repeated date, at the later line, naming the earlier one.
fn duplicate_dates(dates: &[(NaiveDate, usize)]) -> Vec<RowProblem> {
    let mut first_seen = HashMap::new();
    let mut problems = Vec::new();
    for &(date, line) in dates {
        match first_seen.entry(date) {
            Entry::Occupied(first) => problems.push(RowProblem {
                line,
                message: format!("date {date} already appears on line {}", first.get()),
            }),
            Entry::Vacant(slot) => {
                slot.insert(line);
            }
        }
    }
    problems
}

/// Sorts rows into ascending date order; returns a note when that changed
/// anything. Dates are unique by now, so the order is total.
fn sort_by_date(rows: &mut [ImportedRow]) -> Option<String> {
    if rows.windows(2).all(|w| w[0].date < w[1].date) {
        return None;
    }
    let newest_first = rows.windows(2).all(|w| w[0].date > w[1].date);
    rows.sort_by_key(|row| row.date);
    let why = if newest_first {
        "the file lists the newest first"
    } else {
        "the file was not in date order"
    };
    Some(format!("rows were sorted by date ({why})"))
}

/// Consecutive rows whose raw closes differ by more than [`SPLIT_THRESHOLD`].
fn suspected_splits(rows: &[ImportedRow]) -> Vec<SplitSuspect> {
    rows.windows(2)
        .filter_map(|pair| {
            let (previous, row) = (&pair[0], &pair[1]);
            let ratio = previous.close / row.close;
            let ordinary = (1.0 / SPLIT_THRESHOLD..=SPLIT_THRESHOLD).contains(&ratio);
            (!ordinary).then_some(SplitSuspect {
                line: row.line,
                date: row.date,
                previous_close: previous.close,
                close: row.close,
                ratio,
            })
        })
        .collect()
}

/// `3 problems in the file:` then one line each, capped at
/// [`MAX_PROBLEMS_SHOWN`] with a count of the rest.
fn describe_problems(problems: &[RowProblem]) -> String {
    let plural = if problems.len() == 1 { "" } else { "s" };
    let mut text = format!("{} problem{plural} in the file:", problems.len());
    for problem in problems.iter().take(MAX_PROBLEMS_SHOWN) {
        text.push_str(&format!("\n{problem}"));
    }
    if problems.len() > MAX_PROBLEMS_SHOWN {
        let more = problems.len() - MAX_PROBLEMS_SHOWN;
        text.push_str(&format!("\n…and {more} more"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn parsed(csv: &str) -> ParsedFile {
        match parse(csv.as_bytes()) {
            Ok(file) => file,
            Err(e) => panic!("expected the file to parse, got: {e}"),
        }
    }

    fn problems(csv: &str) -> Vec<RowProblem> {
        match parse(csv.as_bytes()) {
            Err(ImportError::Rows(problems)) => problems,
            other => panic!("expected row problems, got {other:?}"),
        }
    }

    /// The single problem in `csv`, as displayed.
    fn only_problem(csv: &str) -> String {
        let problems = problems(csv);
        assert_eq!(problems.len(), 1, "{problems:?}");
        problems[0].to_string()
    }

    const TICKERCAST_HEADER: &str = "date,open,high,low,close,volume\n";

    /// A Tickercast file with one data row (line 2) built from `row`.
    fn one_row(row: &str) -> String {
        format!("{TICKERCAST_HEADER}{row}\n")
    }

    const YAHOO: &str = "\
Date,Open,High,Low,Close,Adj Close,Volume
2024-03-11,172.940002,174.380005,172.050003,172.750000,171.960007,60139500
2024-03-12,173.149994,174.029999,171.009995,173.229996,172.437820,59825400
2024-03-13,172.770004,173.190002,170.759995,171.130005,170.347427,52488700
";

    #[test]
    fn yahoo_download_parses_with_adjusted_close() {
        let file = parsed(YAHOO);
        assert_eq!(file.format, CsvFormat::Yahoo);
        assert_eq!(file.rows.len(), 3);
        assert!(!file.reordered);
        assert!(file.notes.is_empty());
        assert!(file.suspected_splits.is_empty());
        assert_eq!(
            file.rows[0],
            ImportedRow {
                line: 2,
                date: day("2024-03-11"),
                open: 172.940002,
                high: 174.380005,
                low: 172.050003,
                close: 172.75,
                adj_close: Some(171.960007),
                volume: 60_139_500,
            }
        );
        assert_eq!(file.rows[2].line, 4);
        assert_eq!(file.rows[2].adj_close, Some(170.347427));
    }

    #[test]
    fn yahoo_null_row_is_one_problem_with_its_line() {
        let csv = format!("{YAHOO}2024-03-14,null,null,null,null,null,null\n");
        assert_eq!(
            only_problem(&csv),
            "line 5: open, high, low, close, adj close and volume are missing (\"null\")"
        );
    }

    #[test]
    fn stooq_download_parses() {
        let file = parsed(
            "Date,Open,High,Low,Close,Volume\n\
             2024-03-11,78.12,78.9,77.5,78.4,1203345\n\
             2024-03-12,78.4,79.1,78.0,78.95,998700\n",
        );
        assert_eq!(file.format, CsvFormat::Stooq);
        assert_eq!(file.rows[1].volume, 998_700);
        assert_eq!(file.rows[1].adj_close, None);
        assert!(file.notes.is_empty());
    }

    #[test]
    fn stooq_index_without_volume_gets_zero_volume_and_a_note() {
        let file = parsed(
            "Date,Open,High,Low,Close\n\
             2024-03-11,5111.96,5124.66,5091.14,5117.94\n\
             2024-03-12,5117.94,5179.14,5114.48,5175.27\n",
        );
        assert_eq!(file.format, CsvFormat::Stooq);
        assert!(file.rows.iter().all(|row| row.volume == 0));
        assert_eq!(file.rows[1].close, 5175.27);
        assert_eq!(file.notes.len(), 1);
        assert!(
            file.notes[0].contains("no Volume column"),
            "{:?}",
            file.notes
        );
    }

    #[test]
    fn alpha_vantage_newest_first_is_sorted_with_a_note() {
        let file = parsed(
            "timestamp,open,high,low,close,volume\n\
             2024-03-13,198.1800,199.8800,197.4300,198.9100,4181232\n\
             2024-03-12,196.0000,198.3000,195.5100,197.7800,5432108\n\
             2024-03-11,195.0900,195.3800,190.8800,191.7300,4712000\n",
        );
        assert_eq!(file.format, CsvFormat::AlphaVantage);
        assert!(file.reordered);
        let dates: Vec<_> = file.rows.iter().map(|r| r.date).collect();
        assert_eq!(
            dates,
            [day("2024-03-11"), day("2024-03-12"), day("2024-03-13")]
        );
        // Rows keep the line they came from.
        let lines: Vec<_> = file.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [4, 3, 2]);
        assert_eq!(
            file.notes,
            ["rows were sorted by date (the file lists the newest first)"]
        );
    }

    #[test]
    fn alpha_vantage_adjusted_reads_adjusted_close_and_reported_splits() {
        let file = parsed(
            "timestamp,open,high,low,close,adjusted_close,volume,dividend_amount,split_coefficient\n\
             2020-09-01,132.76,134.8,130.53,134.18,131.6,151948100,0.0000,1.0\n\
             2020-08-31,127.58,131.0,126.0,129.04,126.56,225702700,0.0000,4.0\n\
             2020-08-28,504.05,505.77,498.31,499.23,122.41,46907479,0.0000,1.0\n",
        );
        assert_eq!(file.format, CsvFormat::AlphaVantageAdjusted);
        assert!(file.reordered);
        assert_eq!(file.rows[0].date, day("2020-08-28"));
        assert_eq!(file.rows[0].adj_close, Some(122.41));
        assert_eq!(file.rows[0].volume, 46_907_479);
        assert!(file
            .notes
            .contains(&"the file reports a split on 2020-08-31 (split coefficient 4)".to_string()));
        assert_eq!(file.suspected_splits.len(), 1);
        let split = &file.suspected_splits[0];
        assert_eq!((split.line, split.date), (3, day("2020-08-31")));
        assert!((split.ratio - 499.23 / 129.04).abs() < 1e-12);
    }

    #[test]
    fn tickercast_layout_parses_with_and_without_adj_close() {
        let plain = parsed(&one_row("2024-03-11,10,11,9,10.5,100"));
        assert_eq!(plain.format, CsvFormat::Tickercast);
        assert_eq!(plain.rows[0].adj_close, None);

        let adjusted = parsed(
            "date,open,high,low,close,adj_close,volume\n\
             2024-03-11,10,11,9,10.5,10.25,100\n",
        );
        assert_eq!(adjusted.format, CsvFormat::Tickercast);
        assert_eq!(adjusted.rows[0].adj_close, Some(10.25));
        assert_eq!(adjusted.rows[0].volume, 100);
    }

    #[test]
    fn columns_are_matched_by_name_not_position() {
        let file = parsed("volume,close,low,high,open,date\n100,10.5,9,11,10,2024-03-11\n");
        let row = &file.rows[0];
        assert_eq!(
            (row.open, row.high, row.low, row.close, row.volume),
            (10.0, 11.0, 9.0, 10.5, 100)
        );
        assert_eq!(row.date, day("2024-03-11"));
    }

    #[test]
    fn header_is_case_insensitive_and_trimmed() {
        let file = parsed(
            " DATE , Open,HIGH,low ,Close, Adj Close ,VOLUME\n2024-03-11, 10 ,11,9,10.5,10.4, 7\n",
        );
        assert_eq!(file.format, CsvFormat::Yahoo);
        assert_eq!(file.rows[0].open, 10.0);
        assert_eq!(file.rows[0].volume, 7);
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(YAHOO.as_bytes());
        let file = parse(&bytes).unwrap();
        assert_eq!(file.format, CsvFormat::Yahoo);
        assert_eq!(file.rows.len(), 3);
    }

    #[test]
    fn crlf_line_endings_parse_and_keep_line_numbers() {
        let file = parsed(&YAHOO.replace('\n', "\r\n"));
        assert_eq!(file.rows.len(), 3);
        assert_eq!(file.rows[2].line, 4);
        assert_eq!(file.rows[2].volume, 52_488_700);

        let csv = "date,open,high,low,close,volume\r\n2024-03-11,10,11,9,10.5,1\r\n2024-03-12,10,11,12,10.5,1\r\n";
        assert_eq!(
            only_problem(csv),
            "line 3: low 12 is above open 10; low 12 is above close 10.5"
        );
    }

    #[test]
    fn line_numbers_count_blank_lines_and_every_line_ending() {
        for ending in ["\n", "\r\n", "\r"] {
            let csv = [
                "date,open,high,low,close,volume",
                "",
                "2024-03-11,10,11,9,10.5,1",
                "",
                "",
                "2024-03-12,10,11,9,10.5,1",
                "   ",
                "2024-03-13,10,11,9,10.5,x",
                "",
            ]
            .join(ending);
            let file_lines = match parse(csv.as_bytes()) {
                Err(ImportError::Rows(problems)) => problems[0].line,
                other => panic!("{other:?}"),
            };
            assert_eq!(file_lines, 8, "{ending:?}");
            let ok = parsed(&csv.replace(",x", ",1"));
            let lines: Vec<_> = ok.rows.iter().map(|r| r.line).collect();
            assert_eq!(lines, [3, 6, 8], "{ending:?}");
        }
    }

    #[test]
    fn quoted_line_breaks_still_count_towards_line_numbers() {
        let csv = "date,open,high,low,close,volume\n\
                   2024-03-11,10,11,9,10.5,\"1\n2\"\n\
                   2024-03-12,10,11,9,10.5,x\n";
        let lines: Vec<_> = problems(csv).iter().map(|p| p.line).collect();
        assert_eq!(lines, [2, 4]);
    }

    #[test]
    fn trailing_and_whitespace_only_lines_are_ignored() {
        let file = parsed(&format!("{YAHOO}\n\n   \n\r\n"));
        assert_eq!(file.rows.len(), 3);
    }

    #[test]
    fn unknown_header_lists_the_accepted_ones() {
        let error = parse(b"Datum;Eroeffnung;Hoch;Tief;Schluss\n2024-03-11;1;1;1;1\n").unwrap_err();
        assert_eq!(
            error,
            ImportError::UnknownHeader {
                found: "Datum;Eroeffnung;Hoch;Tief;Schluss".into()
            }
        );
        let message = error.to_string();
        for format in CsvFormat::ALL {
            assert!(message.contains(format.header()), "{message}");
            assert!(message.contains(format.label()), "{message}");
        }
    }

    #[test]
    fn repeated_or_extra_columns_are_not_accepted() {
        for header in [
            "date,open,high,low,close,close",
            "date,open,high,low,close,volume,extra",
            "date,date,open,high,low,close,volume",
        ] {
            let error = parse(format!("{header}\n").as_bytes()).unwrap_err();
            assert!(
                matches!(error, ImportError::UnknownHeader { .. }),
                "{header}: {error:?}"
            );
        }
    }

    #[test]
    fn files_without_data_rows_are_empty() {
        for csv in [
            &b""[..],
            b"\xEF\xBB\xBF",
            b"\n\n",
            b"date,open,high,low,close,volume\n",
            b"Date,Open,High,Low,Close,Adj Close,Volume\r\n\r\n  \r\n",
        ] {
            assert_eq!(parse(csv), Err(ImportError::Empty), "{csv:?}");
        }
    }

    #[test]
    fn utf16_is_rejected_with_advice() {
        let error = parse(b"\xFF\xFED\x00a\x00t\x00e\x00").unwrap_err();
        assert_eq!(error, ImportError::Utf16);
        assert!(error.to_string().contains("CSV UTF-8"));
    }

    #[test]
    fn both_date_forms_are_accepted() {
        let file = parsed(&format!(
            "{TICKERCAST_HEADER}2024/03/11,10,11,9,10.5,1\n2024-03-12,10,11,9,10.5,1\n"
        ));
        assert_eq!(file.rows[0].date, day("2024-03-11"));
        assert_eq!(file.rows[1].date, day("2024-03-12"));
    }

    #[test]
    fn other_date_forms_are_rejected_naming_the_accepted_ones() {
        for raw in [
            "03/11/2024",
            "2024-3-11",
            "2024-03/11",
            "2024-03-11 00:00:00",
            "20240311",
        ] {
            assert_eq!(
                only_problem(&one_row(&format!("{raw},10,11,9,10.5,1"))),
                format!("line 2: date {raw:?} is not in YYYY-MM-DD or YYYY/MM/DD form")
            );
        }
    }

    #[test]
    fn impossible_and_missing_dates_are_rejected() {
        assert_eq!(
            only_problem(&one_row("2023-02-29,10,11,9,10.5,1")),
            "line 2: date \"2023-02-29\" is not a calendar date"
        );
        assert_eq!(
            only_problem(&one_row(",10,11,9,10.5,1")),
            "line 2: date is missing"
        );
    }

    #[test]
    fn duplicate_dates_name_both_lines() {
        let csv = format!(
            "{TICKERCAST_HEADER}2024-03-11,10,11,9,10.5,1\n2024-03-12,10,11,9,10.5,1\n2024-03-11,10,11,9,10.5,1\n"
        );
        assert_eq!(
            only_problem(&csv),
            "line 4: date 2024-03-11 already appears on line 2"
        );
    }

    #[test]
    fn duplicates_are_found_even_on_rows_with_other_problems() {
        let csv =
            format!("{TICKERCAST_HEADER}2024-03-11,10,11,9,10.5,1\n2024-03-11,10,11,9,10.5,abc\n");
        let lines: Vec<_> = problems(&csv).iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "line 3: volume \"abc\" is not a number",
                "line 3: date 2024-03-11 already appears on line 2",
            ]
        );
    }

    #[test]
    fn unordered_unique_dates_are_sorted() {
        let file = parsed(&format!(
            "{TICKERCAST_HEADER}2024-03-12,10,11,9,10.5,1\n2024-03-11,10,11,9,10.5,2\n2024-03-13,10,11,9,10.5,3\n"
        ));
        assert!(file.reordered);
        let volumes: Vec<_> = file.rows.iter().map(|r| r.volume).collect();
        assert_eq!(volumes, [2, 1, 3]);
        assert_eq!(
            file.notes,
            ["rows were sorted by date (the file was not in date order)"]
        );
    }

    #[test]
    fn low_and_high_must_bracket_open_and_close() {
        assert_eq!(
            only_problem(&one_row("2024-03-11,10.2,11,10.5,10.8,1")),
            "line 2: low 10.5 is above open 10.2"
        );
        assert_eq!(
            only_problem(&one_row("2024-03-11,10.2,11,10,9.9,1")),
            "line 2: low 10 is above close 9.9"
        );
        assert_eq!(
            only_problem(&one_row("2024-03-11,11.5,11,10,10.5,1")),
            "line 2: high 11 is below open 11.5"
        );
        assert_eq!(
            only_problem(&one_row("2024-03-11,10.5,11,10,11.25,1")),
            "line 2: high 11 is below close 11.25"
        );
        // Touching the bounds is fine.
        parsed(&one_row("2024-03-11,9,11,9,11,1"));
    }

    #[test]
    fn prices_must_be_finite_positive_numbers() {
        let cases = [
            ("0", "open 0 must be greater than 0"),
            ("-3", "open -3 must be greater than 0"),
            ("abc", "open \"abc\" is not a number"),
            ("1,5", "open \"1,5\" is not a number"),
            ("inf", "open \"inf\" is not a finite number"),
            ("NaN", "open \"NaN\" is not a finite number"),
            ("", "open is missing"),
        ];
        for (open, message) in cases {
            let csv = format!("{TICKERCAST_HEADER}2024-03-11,\"{open}\",11,9,10.5,1\n");
            assert_eq!(only_problem(&csv), format!("line 2: {message}"));
        }
    }

    #[test]
    fn adjusted_close_is_validated_too() {
        let csv = "date,open,high,low,close,adj_close,volume\n2024-03-11,10,11,9,10.5,-1,1\n";
        assert_eq!(
            only_problem(csv),
            "line 2: adj close -1 must be greater than 0"
        );
    }

    #[test]
    fn volume_accepts_whole_numbers_only() {
        for (raw, expected) in [
            ("1234", 1234),
            ("1234.0", 1234),
            ("0", 0),
            ("2.5e6", 2_500_000),
        ] {
            let file = parsed(&one_row(&format!("2024-03-11,10,11,9,10.5,{raw}")));
            assert_eq!(file.rows[0].volume, expected, "{raw}");
        }
        for (raw, message) in [
            ("-5", "volume \"-5\" is negative"),
            ("abc", "volume \"abc\" is not a number"),
            ("12.5", "volume \"12.5\" is not a whole number"),
            ("1e30", "volume \"1e30\" is too large"),
            ("null", "volume is missing (\"null\")"),
        ] {
            assert_eq!(
                only_problem(&one_row(&format!("2024-03-11,10,11,9,10.5,{raw}"))),
                format!("line 2: {message}")
            );
        }
    }

    #[test]
    fn wrong_field_count_is_reported_with_its_line() {
        let csv = format!(
            "{TICKERCAST_HEADER}2024-03-11,10,11,9,10.5,1\n2024-03-12,10,11,9,10.5\n2024-03-13,10,11,9,10.5,1,7\n"
        );
        let lines: Vec<_> = problems(&csv).iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "line 3: expected 6 fields, found 5",
                "line 4: expected 6 fields, found 7",
            ]
        );
    }

    #[test]
    fn invalid_utf8_in_a_row_is_reported() {
        let mut bytes = TICKERCAST_HEADER.as_bytes().to_vec();
        bytes.extend_from_slice(b"2024-03-11,10,11,9,10.5,1\n2024-03-12,1\xFF,11,9,10.5,1\n");
        match parse(&bytes) {
            Err(ImportError::Rows(problems)) => {
                assert_eq!(problems.len(), 1);
                assert_eq!(problems[0].line, 3);
                assert!(problems[0].message.contains("UTF-8"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_problem_in_the_file_is_reported_in_line_order() {
        let csv = format!(
            "{TICKERCAST_HEADER}\
             2024-03-11,10,11,9,10.5,1\n\
             03/12/2024,10,11,9,10.5,1\n\
             2024-03-13,10,11,9,10.5,-5\n\
             2024-03-14,10,11,9,10.5,1\n\
             2024-03-15,0,11,9,x,1\n\
             2024-03-14,10,11,9,10.5,1\n"
        );
        let error = parse(csv.as_bytes()).unwrap_err();
        let ImportError::Rows(problems) = &error else {
            panic!("{error:?}");
        };
        let lines: Vec<_> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4, 6, 7]);
        assert_eq!(
            problems[2].message,
            "open 0 must be greater than 0; close \"x\" is not a number"
        );
        assert_eq!(
            problems[3].message,
            "date 2024-03-14 already appears on line 5"
        );
        let message = error.to_string();
        assert!(
            message.starts_with("4 problems in the file:\nline 3: "),
            "{message}"
        );
        assert!(message.ends_with("\nline 7: date 2024-03-14 already appears on line 5"));
    }

    #[test]
    fn long_problem_lists_are_capped_in_the_message_but_kept_whole() {
        let mut csv = TICKERCAST_HEADER.to_string();
        for i in 0..250 {
            let date = day("2000-01-01") + chrono::Days::new(i);
            csv.push_str(&format!("{date},10,11,9,10.5,bad\n"));
        }
        let error = parse(csv.as_bytes()).unwrap_err();
        let ImportError::Rows(problems) = &error else {
            panic!("{error:?}");
        };
        assert_eq!(problems.len(), 250);
        assert_eq!(problems[249].line, 251);
        let message = error.to_string();
        assert!(message.starts_with("250 problems in the file:"));
        assert!(message.contains("\nline 201: "));
        assert!(!message.contains("\nline 202: "));
        assert!(message.ends_with("\n…and 50 more"), "{message}");
    }

    #[test]
    fn single_problem_message_is_singular() {
        let error = parse(one_row("2024-03-11,10,11,9,10.5,x").as_bytes()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "1 problem in the file:\nline 2: volume \"x\" is not a number"
        );
    }

    fn rows_file(count: usize) -> String {
        let mut csv = TICKERCAST_HEADER.to_string();
        let start = day("1900-01-01");
        for i in 0..count as u64 {
            csv.push_str(&format!(
                "{},10,11,9,10.5,1\n",
                start + chrono::Days::new(i)
            ));
        }
        csv
    }

    #[test]
    fn row_cap_is_enforced() {
        assert_eq!(parsed(&rows_file(MAX_ROWS)).rows.len(), MAX_ROWS);
        assert_eq!(
            parse(rows_file(MAX_ROWS + 1).as_bytes()),
            Err(ImportError::TooManyRows { max: MAX_ROWS })
        );
    }

    #[test]
    fn big_moves_are_suspected_splits_not_errors() {
        let file = parsed(&format!(
            "{TICKERCAST_HEADER}\
             2024-03-11,100,101,99,100,1\n\
             2024-03-12,50,51,49,50,1\n\
             2024-03-13,50,71,49,70,1\n\
             2024-03-14,500,701,499,700,1\n"
        ));
        let found: Vec<_> = file
            .suspected_splits
            .iter()
            .map(|s| (s.line, s.date, s.previous_close, s.close, s.ratio))
            .collect();
        assert_eq!(
            found,
            [
                (3, day("2024-03-12"), 100.0, 50.0, 2.0),
                (5, day("2024-03-14"), 70.0, 700.0, 0.1),
            ]
        );
    }

    #[test]
    fn moves_at_the_threshold_are_not_flagged() {
        // 150 -> 100 is exactly 1.5x down; 100 -> 150 exactly 1.5x up.
        let file = parsed(&format!(
            "{TICKERCAST_HEADER}\
             2024-03-11,150,151,149,150,1\n\
             2024-03-12,100,101,99,100,1\n\
             2024-03-13,150,151,149,150,1\n"
        ));
        assert!(
            file.suspected_splits.is_empty(),
            "{:?}",
            file.suspected_splits
        );
    }

    #[test]
    fn splits_are_detected_in_date_order_after_sorting() {
        let file = parsed(
            "timestamp,open,high,low,close,volume\n\
             2024-03-13,26,27,25,26,1\n\
             2024-03-12,25,26,24,25,1\n\
             2024-03-11,100,101,99,100,1\n",
        );
        assert_eq!(file.suspected_splits.len(), 1);
        let split = &file.suspected_splits[0];
        assert_eq!(
            (split.line, split.date, split.ratio),
            (3, day("2024-03-12"), 4.0)
        );
    }

    #[test]
    fn adjustment_factors_need_adjusted_close_on_every_row() {
        let file = parsed(YAHOO);
        let factors = adjustment_factors(&file.rows).expect("Yahoo has Adj Close");
        assert_eq!(factors.len(), 3);
        assert!((factors[0] - 171.960007 / 172.75).abs() < 1e-15);
        assert!((factors[2] - 170.347427 / 171.130005).abs() < 1e-15);
        assert!(factors.iter().all(|f| *f < 1.0));

        let mut partial = file.rows.clone();
        partial[1].adj_close = None;
        assert_eq!(adjustment_factors(&partial), None);
        assert_eq!(adjustment_factors(&[]), None);

        let stooq = parsed("Date,Open,High,Low,Close,Volume\n2024-03-11,10,11,9,10.5,1\n");
        assert_eq!(adjustment_factors(&stooq.rows), None);
    }

    #[test]
    fn labels_name_the_source() {
        assert_eq!(CsvFormat::Yahoo.label(), "Yahoo Finance download");
        assert_eq!(CsvFormat::Stooq.label(), "Stooq download");
        assert_eq!(CsvFormat::AlphaVantage.label(), "Alpha Vantage daily");
        assert_eq!(
            CsvFormat::AlphaVantageAdjusted.label(),
            "Alpha Vantage daily adjusted"
        );
        assert_eq!(CsvFormat::Tickercast.label(), "Tickercast");
    }

    #[test]
    fn row_problem_displays_with_line_prefix() {
        let problem = RowProblem {
            line: 12,
            message: "low 10.5 is above open 10.2".into(),
        };
        assert_eq!(problem.to_string(), "line 12: low 10.5 is above open 10.2");
    }
}

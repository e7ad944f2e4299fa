//! Number formatting for prices and changes.

/// A price with two decimals and thousands separators: `1,234.56`.
pub fn price(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let s = format!("{:.2}", v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    format!("{}{}.{frac}", if v < 0.0 { "-" } else { "" }, grouped(int))
}

/// A signed change with its percentage: `+1.20 (+0.52%)`.
pub fn change(change: Option<f64>, pct: Option<f64>) -> String {
    match (change, pct) {
        (Some(c), Some(p)) => format!(
            "{}{} ({:+.2}%)",
            if c >= 0.0 { "+" } else { "" },
            price(c),
            p
        ),
        _ => "—".into(),
    }
}

/// The CSS class for a change: `up`, `down` or `flat`.
pub fn change_class(change: Option<f64>) -> &'static str {
    match change {
        Some(c) if c > 0.0 => "up",
        Some(c) if c < 0.0 => "down",
        _ => "flat",
    }
}

/// An instant on the exchange's clock: `Fri 1 Mar 2013, 16:00 New York time`.
pub fn exchange_time(t: chrono::DateTime<chrono::Utc>) -> String {
    use chrono_tz::America::New_York;
    t.with_timezone(&New_York)
        .format("%a %-d %b %Y, %H:%M New York time")
        .to_string()
}

/// A date with its weekday: `Mon 4 Mar 2013`.
pub fn day(d: chrono::NaiveDate) -> String {
    d.format("%a %-d %b %Y").to_string()
}

/// A large amount with a short scale: `1.23 T`, `456.70 B`, `12.00 M`; below a million in full.
pub fn big_number(v: f64) -> String {
    let a = v.abs();
    match a {
        _ if a >= 1e12 => format!("{:.2} T", v / 1e12),
        _ if a >= 1e9 => format!("{:.2} B", v / 1e9),
        _ if a >= 1e6 => format!("{:.2} M", v / 1e6),
        _ => price(v),
    }
}

/// A news sentiment score in [-1, 1] as a word and a CSS class, on Alpha Vantage's published
/// scale (≤ -0.35 bearish, ≤ -0.15 somewhat bearish, < 0.15 neutral, < 0.35 somewhat bullish).
pub fn sentiment(score: f64) -> (&'static str, &'static str) {
    let word = match score {
        s if s <= -0.35 => "Bearish",
        s if s <= -0.15 => "Somewhat bearish",
        s if s < 0.15 => "Neutral",
        s if s < 0.35 => "Somewhat bullish",
        _ => "Bullish",
    };
    // The colour is the three-way bucket the news desk counts, from the one set of thresholds.
    let class = crate::model::SentimentBucket::of_score(score).map_or("flat", bucket_class);
    (word, class)
}

/// The CSS class of a bucket: `up`, `flat`, `down`.
pub fn bucket_class(b: crate::model::SentimentBucket) -> &'static str {
    match b {
        crate::model::SentimentBucket::Bullish => "up",
        crate::model::SentimentBucket::Neutral => "flat",
        crate::model::SentimentBucket::Bearish => "down",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_grouped_and_rounded() {
        assert_eq!(price(1234567.891), "1,234,567.89");
        assert_eq!(price(0.075), "0.07");
        assert_eq!(price(-1200.0), "-1,200.00");
        assert_eq!(price(f64::NAN), "—");
    }

    #[test]
    fn changes_carry_their_sign() {
        assert_eq!(change(Some(1.2), Some(0.5234)), "+1.20 (+0.52%)");
        assert_eq!(change(Some(-3.0), Some(-1.0)), "-3.00 (-1.00%)");
        assert_eq!(change(None, None), "—");
        assert_eq!(change_class(Some(-0.1)), "down");
    }

    #[test]
    fn exchange_times_are_shown_on_the_new_york_clock_across_daylight_saving() {
        let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        assert_eq!(
            exchange_time(at("2013-03-01T21:00:00+00:00")),
            "Fri 1 Mar 2013, 16:00 New York time"
        );
        assert_eq!(
            exchange_time(at("2024-07-15T13:30:00Z")),
            "Mon 15 Jul 2024, 09:30 New York time"
        );
    }

    #[test]
    fn days_carry_their_weekday() {
        assert_eq!(day("2013-03-04".parse().unwrap()), "Mon 4 Mar 2013");
    }

    #[test]
    fn big_numbers_use_a_short_scale() {
        assert_eq!(big_number(2.5e12), "2.50 T");
        assert_eq!(big_number(456.7e9), "456.70 B");
        assert_eq!(big_number(12e6), "12.00 M");
        assert_eq!(big_number(999_999.0), "999,999.00");
    }

    #[test]
    fn sentiment_scores_map_to_words_at_the_published_thresholds() {
        assert_eq!(sentiment(-0.5).0, "Bearish");
        assert_eq!(sentiment(-0.2).0, "Somewhat bearish");
        assert_eq!(sentiment(0.0), ("Neutral", "flat"));
        assert_eq!(sentiment(0.15).0, "Somewhat bullish");
        assert_eq!(sentiment(0.35), ("Bullish", "up"));
    }
}

/// Digits with a comma between groups of three: `1234567` → `1,234,567`.
fn grouped(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A count with thousands separators: 12,345.
pub fn thousands(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", grouped(&n.unsigned_abs().to_string()))
}

#[cfg(test)]
mod thousands_tests {
    #[test]
    fn groups_of_three() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(-1234567), "-1,234,567");
    }
}

//! Number formatting for prices and changes.

/// A price with two decimals and thousands separators: `1,234.56`.
pub fn price(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let s = format!("{:.2}", v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{}{grouped}.{frac}", if v < 0.0 { "-" } else { "" })
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
}

//! The company facts panel: only what a provider (or the stored history) really knows.

use leptos::prelude::*;

use super::format;
use crate::model::CompanyProfile;

/// The known facts as (label, value) rows. An unknown field is left out, never shown as zero.
pub fn facts(p: &CompanyProfile) -> Vec<(&'static str, String)> {
    let text = |label, v: &Option<String>| v.clone().map(|v| (label, v));
    let currency = p.currency.clone().unwrap_or_default();
    let money = |v: f64| {
        format!("{} {currency}", format::big_number(v))
            .trim_end()
            .to_string()
    };
    [
        text("Exchange", &p.exchange),
        text("Currency", &p.currency),
        text("Sector", &p.sector),
        text("Industry", &p.industry),
        p.market_cap.map(|v| ("Market cap", money(v))),
        p.pe_ratio.map(|v| ("P/E (trailing)", format!("{v:.2}"))),
        p.week52_high.map(|v| ("52-week high", format::price(v))),
        p.week52_low.map(|v| ("52-week low", format::price(v))),
        p.dividend_yield
            .map(|v| ("Dividend yield", format!("{v:.2}%"))),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The facts of `profile`, with its source.
#[component]
pub fn CompanyFacts(profile: CompanyProfile) -> impl IntoView {
    let rows = facts(&profile);
    let empty = rows.is_empty();
    view! {
        <section class="panel company" data-testid="company" aria-labelledby="company-heading">
            <h2 id="company-heading">"About " {profile.name.clone()}</h2>
            {empty.then(|| view! { <p class="empty">"No company facts are known for this ticker."</p> })}
            <dl class="facts">
                {rows
                    .into_iter()
                    .map(|(k, v)| view! { <div data-fact=k><dt>{k}</dt><dd>{v}</dd></div> })
                    .collect_view()}
            </dl>
            {profile.description.clone().map(|d| view! { <p class="description">{d}</p> })}
            <p class="fineprint">"Source: " {profile.source.clone()}</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Symbol;

    #[test]
    fn unknown_fields_are_left_out_rather_than_shown_as_zero() {
        let p = CompanyProfile {
            exchange: Some("NASDAQ".into()),
            currency: Some("USD".into()),
            week52_high: Some(806.19),
            ..CompanyProfile::named(Symbol::parse("GOOG").unwrap(), "Alphabet", "bundled")
        };
        let labels: Vec<_> = facts(&p).into_iter().map(|(k, _)| k).collect();
        assert_eq!(labels, ["Exchange", "Currency", "52-week high"]);
    }

    #[test]
    fn known_figures_are_formatted_with_their_units() {
        let p = CompanyProfile {
            currency: Some("USD".into()),
            market_cap: Some(2.1e12),
            pe_ratio: Some(25.456),
            dividend_yield: Some(0.5),
            ..CompanyProfile::named(Symbol::parse("X").unwrap(), "X", "bundled")
        };
        let f = facts(&p);
        assert!(f.contains(&("Market cap", "2.10 T USD".into())));
        assert!(f.contains(&("P/E (trailing)", "25.46".into())));
        assert!(f.contains(&("Dividend yield", "0.50%".into())));
    }
}

//! The stock page's headline figures: the latest quote and whether the exchange is trading.

use leptos::prelude::*;

use super::format;
use crate::model::{MarketStatus, Quote};

/// Price, change and change %, when the price was current, and where it came from.
#[component]
pub fn QuoteBlock(quote: Quote) -> impl IntoView {
    let label = format!(
        "{} last price {}, change {}",
        quote.symbol,
        format::price(quote.price),
        format::change(quote.change, quote.change_pct)
    );
    view! {
        <div class="quote" data-testid="quote" role="group" aria-label=label>
            <span class="last" data-testid="last-close">{format::price(quote.price)}</span>
            <span class=format!("change {}", format::change_class(quote.change)) data-testid="change">
                {format::change(quote.change, quote.change_pct)}
            </span>
            <span class="asof" data-testid="quote-as-of">
                <time datetime=quote.as_of.to_rfc3339()>{format::exchange_time(quote.as_of)}</time>
                " · source: " {quote.source}
            </span>
        </div>
    }
}

/// "Market open" / "Market closed for …", with the next open or close.
#[component]
pub fn MarketBadge(status: MarketStatus) -> impl IntoView {
    let next = status.next_change.map(|t| {
        let verb = if status.open { "Closes" } else { "Opens" };
        format!("{verb} {}", format::exchange_time(t))
    });
    let spoken = match &next {
        Some(n) => format!("{}. {n}.", status.label),
        None => status.label.clone(),
    };
    view! {
        <p class="market-status" data-testid="market-status" data-open=status.open.to_string()>
            <span
                class=if status.open { "badge open" } else { "badge closed" }
                role="status"
                aria-label=spoken
            >
                {status.label.clone()}
            </span>
            {next.map(|n| view! { <small class="next-change">{n}</small> })}
        </p>
    }
}

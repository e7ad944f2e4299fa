//! `/admin/import`: an administrator imports daily prices from a CSV file — a Yahoo Finance
//! download, Stooq, Alpha Vantage or the project's own layout. "Preview" reads and checks the
//! file and shows its first rows; "Import" stores it, all or nothing. The same import is
//! `POST /api/v1/admin/import` and `server import FILE --symbol S`.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::model::ImportReport;

/// The page.
#[component]
pub fn ImportPage() -> impl IntoView {
    let symbol = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let pasted = RwSignal::new(String::new());
    let record_splits = RwSignal::new(false);
    let report = RwSignal::new(None::<ImportReport>);
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let file = NodeRef::<leptos::html::Input>::new();

    let submit = move |commit: bool| {
        problem.set(None);
        busy.set(true);
        upload::send(
            upload::Form {
                symbol: symbol.get_untracked(),
                name: name.get_untracked(),
                pasted: pasted.get_untracked(),
                record_splits: record_splits.get_untracked(),
                commit,
            },
            file,
            report,
            problem,
            busy,
        );
    };

    // Built apart and erased, so the page's view type stays shallow enough for the compiler.
    let form = view! {
            // A changed input makes the preview stale: Import then waits for a new one.
            <form class="import-form" method="post"
                on:submit=move |ev| { ev.prevent_default(); submit(false); }
                on:input=move |_| report.set(None)
                on:change=move |_| report.set(None)>
                <label>"Symbol" <input name="symbol" required maxlength="10" autocomplete="off"
                    prop:value=move || symbol.get() on:input=move |ev| symbol.set(event_target_value(&ev))/></label>
                <label>"Name (for a new ticker)" <input name="name" maxlength="120" autocomplete="off"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <label>"CSV file" <input type="file" name="file" accept=".csv,text/csv" node_ref=file/></label>
                <label>"…or paste its text"
                    <textarea name="csv" rows="4" spellcheck="false"
                        prop:value=move || pasted.get() on:input=move |ev| pasted.set(event_target_value(&ev))></textarea>
                </label>
                <label class="check">
                    <input type="checkbox" name="record_splits"
                        prop:checked=move || record_splits.get()
                        on:change=move |ev| record_splits.set(event_target_checked(&ev))/>
                    " Record each one-day move over 50% as a split"
                </label>
                <div class="actions">
                    <button type="submit" disabled=move || busy.get()>"Preview"</button>
                    <button type="button" class="primary" disabled=move || busy.get() || report.with(Option::is_none)
                        on:click=move |_| submit(true)>"Import"</button>
                </div>
            </form>
    }
    .into_any();

    view! {
        <Title text="Import prices"/>
        <section class="import" data-testid="import">
            <h1>"Import daily prices"</h1>
            <p>
                "For administrators. Accepted: a Yahoo Finance download (Date, Open, High, Low, Close, Adj Close, Volume), "
                "a Stooq file, an Alpha Vantage CSV (timestamp, open, …) or date, open, high, low, close, volume. "
                "A file with any problem changes nothing; importing the same file twice adds nothing."
            </p>
            <noscript>
                <p class="notice">
                    "This page reads the file in the browser and needs JavaScript. Without it, post the file to "
                    <code>"POST /api/v1/admin/import?symbol=…"</code> " with an administrator's API key, or run "
                    <code>"server import FILE --symbol S"</code> " on the server."
                </p>
            </noscript>
            {form}
            {move || problem.get().map(|p| view! { <pre class="import-problems" role="alert" data-testid="import-problems">{p}</pre> })}
            {move || report.get().map(|r| view! { <ReportView report=r/> }.into_any())}
        </section>
    }
}

#[component]
fn ReportView(report: ImportReport) -> impl IntoView {
    let href = format!("/stock/{}", report.symbol.url_segment());
    let outcome = if report.committed {
        format!(
            "Stored: {} new, {} changed, {} already stored.",
            report.inserted, report.updated, report.unchanged
        )
    } else {
        "Preview: nothing is stored until you press Import.".to_owned()
    };
    view! {
        <section class="import-report" data-testid="import-report" data-committed=report.committed.to_string()>
            <h2>{format!("{}: {} rows of a {}", report.symbol, report.rows, report.format)}</h2>
            <p>{format!("From {} to {}.", report.first_date, report.last_date)}</p>
            <p class="outcome" data-testid="import-outcome">{outcome}</p>
            <p class="history-note" data-testid="history-note">{report.history_note.clone()}</p>
            {report.committed.then(|| view! { <p><a href=href>"See the chart and the forecasts"</a></p> })}
            <ul class="notes">
                {report.notes.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view()}
                {report.actions.iter().map(|a| view! {
                    <li>{format!("{} on {}: {}", a.kind, a.date, a.value)}</li>
                }).collect_view()}
                {report.suspected_splits.iter().map(|s| view! {
                    <li class="suspect">{format!(
                        "Line {}: the close moved from {} to {} on {} — a split of {:.2}? Tick the box to record it as one.",
                        s.line, s.previous_close, s.close, s.date, s.ratio
                    )}</li>
                }).collect_view()}
            </ul>
            <div class="table-scroll">
                <table class="preview">
                    <caption>"First rows"</caption>
                    <thead><tr><th>"Line"</th><th>"Date"</th><th>"Open"</th><th>"High"</th><th>"Low"</th><th>"Close"</th><th>"Adj close"</th><th>"Volume"</th></tr></thead>
                    <tbody>
                        {report.preview.iter().map(|r| view! {
                            <tr>
                                <td>{r.line}</td><td>{r.date.to_string()}</td>
                                <td class="num">{r.open}</td><td class="num">{r.high}</td>
                                <td class="num">{r.low}</td><td class="num">{r.close}</td>
                                <td class="num">{r.adj_close.map(|v| v.to_string()).unwrap_or_default()}</td>
                                <td class="num">{r.volume}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

/// Reading the chosen file in the browser and sending it to the import server function.
mod upload {
    use leptos::prelude::*;

    use crate::model::ImportReport;

    /// What the form holds when a button is pressed (read in the browser only).
    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    pub struct Form {
        pub symbol: String,
        pub name: String,
        pub pasted: String,
        pub record_splits: bool,
        pub commit: bool,
    }

    #[cfg(feature = "browser")]
    pub fn send(
        form: Form,
        file: NodeRef<leptos::html::Input>,
        report: RwSignal<Option<ImportReport>>,
        problem: RwSignal<Option<String>>,
        busy: RwSignal<bool>,
    ) {
        use wasm_bindgen_futures::JsFuture;

        let chosen = file
            .get_untracked()
            .and_then(|input| input.files())
            .and_then(|f| f.get(0));
        leptos::task::spawn_local(async move {
            let csv = match chosen {
                Some(f) => match JsFuture::from(f.text()).await {
                    Ok(text) => text.as_string().unwrap_or_default(),
                    Err(_) => {
                        problem.set(Some("The file could not be read.".into()));
                        busy.set(false);
                        return;
                    }
                },
                None => form.pasted,
            };
            if csv.trim().is_empty() {
                problem.set(Some("Choose a CSV file, or paste its text.".into()));
                busy.set(false);
                return;
            }
            let name = Some(form.name).filter(|n| !n.trim().is_empty());
            match crate::api::import::import_prices(
                form.symbol,
                name,
                csv,
                form.commit,
                form.record_splits,
            )
            .await
            {
                Ok(r) => report.set(Some(r)),
                Err(e) => {
                    report.set(None);
                    problem.set(Some(e.to_string()));
                }
            }
            busy.set(false);
        });
    }

    #[cfg(not(feature = "browser"))]
    pub fn send(
        _: Form,
        _: NodeRef<leptos::html::Input>,
        _: RwSignal<Option<ImportReport>>,
        _: RwSignal<Option<String>>,
        _: RwSignal<bool>,
    ) {
    }
}

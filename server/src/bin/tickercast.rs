//! `tickercast`: a command-line client of Tickercast's REST API. Tables for people, `--json` for
//! scripts; the API key comes from `TICKERCAST_API_KEY` or `--key`, the server from
//! `TICKERCAST_URL` or `--url`.
//!
//! Exit codes: 0 done; 1 the server refused or failed (its message is printed); 2 the command was
//! wrong (clap's usage errors); 3 the server could not be reached.

use std::io::Write;
use std::process::ExitCode;

use app::domain::{
    AlertId, AlertRule, CooldownHours, DateWindow, EventKinds, ExportFormat, ExportKind, Symbol,
    WebhookId, WebhookKinds, WebhookUrl,
};
use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::{json, Value};

const DEFAULT_URL: &str = "http://127.0.0.1:3000";

fn cli() -> Command {
    let symbol = || {
        Arg::new("symbol")
            .required(true)
            .help("Ticker symbol, e.g. AAPL or ^GSPC")
    };
    let id = |what: &'static str| Arg::new("id").required(true).help(what);
    Command::new("tickercast")
        .about("Tickercast from the command line: quotes, forecasts, alerts, webhooks, live events.")
        .arg(Arg::new("url").long("url").global(true).env("TICKERCAST_URL").help("The server [default: http://127.0.0.1:3000]"))
        .arg(Arg::new("key").long("key").global(true).env("TICKERCAST_API_KEY").hide_env_values(true).help("An API key (tc_…) or access token"))
        .arg(Arg::new("json").long("json").global(true).action(ArgAction::SetTrue).help("Print the API's JSON instead of a table"))
        .subcommand_required(true)
        .subcommand(Command::new("status").about("Whether the server, its database and its cache are up"))
        .subcommand(Command::new("quote").about("The latest price of a ticker").arg(symbol()))
        .subcommand(
            Command::new("predictions")
                .about("Every model's forecasts for a ticker, beside the naive baseline")
                .arg(symbol())
                .arg(Arg::new("horizon").long("horizon").value_parser(["1", "2", "5"]).help("Only this horizon, in trading days")),
        )
        .subcommand(Command::new("history").about("Recorded forecasts of a ticker beside what happened").arg(symbol()))
        .subcommand(
            Command::new("signals")
                .about("BUY/SELL/HOLD per ticker from the models whose skill is significant")
                .arg(Arg::new("symbols").required(true).num_args(1..=50).help("Tickers")),
        )
        .subcommand(
            Command::new("export")
                .about("Download prices, predictions or a model's walk-forward record")
                .arg(Arg::new("kind").required(true).value_parser(["prices", "predictions", "evaluation"]))
                .arg(symbol())
                .arg(Arg::new("format").long("format").value_parser(["csv", "json"]).default_value("csv"))
                .arg(Arg::new("from").long("from").help("First day, YYYY-MM-DD"))
                .arg(Arg::new("to").long("to").help("Last day, YYYY-MM-DD"))
                .arg(Arg::new("output").long("output").short('o').help("Write to this file instead of standard output")),
        )
        .subcommand(
            Command::new("alerts")
                .about("Your price alerts")
                .subcommand_required(true)
                .subcommand(Command::new("list").about("Your alert rules"))
                .subcommand(
                    Command::new("add")
                        .about("Alert on a close above or below a price, outside a model's range, or a model's signal changing")
                        .arg(symbol())
                        .arg(Arg::new("when").required(true).value_parser(["above", "below", "outside-range", "signal-change", "drift"]).help("A close above or below a price, a close outside a model's 95% range, a change of a model's signal, a model's live error drifting past its walk-forward error"))
                        .arg(Arg::new("value").required(true).help("The price (above, below) or the model (outside-range, signal-change, drift)"))
                        .arg(Arg::new("repeat-hours").long("repeat-hours").value_parser(clap::value_parser!(u32)).help("Fire again after this many hours (default: once)")),
                )
                .subcommand(Command::new("rm").about("Delete an alert").arg(id("The alert's id")))
                .subcommand(Command::new("fired").about("What your alerts fired")),
        )
        .subcommand(
            Command::new("webhooks")
                .about("Your webhooks")
                .subcommand_required(true)
                .subcommand(Command::new("list").about("Your webhooks"))
                .subcommand(
                    Command::new("add")
                        .about("Send events to a URL (the signing secret is shown once)")
                        .arg(Arg::new("target").required(true).help("Where to send: https://…"))
                        .arg(Arg::new("kinds").long("kinds").help("Comma-separated: bars, predictions, job, alert, circuit [default: alert]")),
                )
                .subcommand(Command::new("rm").about("Delete a webhook").arg(id("The webhook's id")))
                .subcommand(Command::new("test").about("Send a test event").arg(id("The webhook's id")))
                .subcommand(Command::new("log").about("A webhook's recent deliveries").arg(id("The webhook's id"))),
        )
        .subcommand(
            Command::new("watch")
                .about("Follow the live events (of one ticker) until interrupted")
                .arg(Arg::new("symbol").help("Only this ticker"))
                .arg(Arg::new("kind").long("kind").help("Comma-separated kinds: bars, predictions, job, alert, circuit")),
        )
}

/// What went wrong, and the exit code it means.
enum Failure {
    /// The input did not parse.
    Input(String),
    /// The server answered with an error.
    Refused(String),
    /// The server could not be reached.
    Unreachable(String),
}

impl Failure {
    fn code(&self) -> u8 {
        match self {
            Failure::Refused(_) => 1,
            Failure::Input(_) => 2,
            Failure::Unreachable(_) => 3,
        }
    }
}

/// The API at `base`, with a credential when one is given.
struct Api {
    http: reqwest::Client,
    base: String,
    key: Option<String>,
}

impl Api {
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(key) = &self.key {
            req = req.bearer_auth(key);
        }
        req
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response, Failure> {
        let res = req.send().await.map_err(|e| {
            Failure::Unreachable(format!("Cannot reach {}: {}", self.base, e.without_url()))
        })?;
        if res.status().is_success() {
            return Ok(res);
        }
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        let message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
            .unwrap_or(text);
        Err(Failure::Refused(format!("{status}: {message}")))
    }

    async fn json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Failure> {
        let mut req = self.request(method, path);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = self.send(req).await?;
        if res.status() == reqwest::StatusCode::NO_CONTENT {
            return Ok(Value::Null);
        }
        res.json()
            .await
            .map_err(|e| Failure::Refused(format!("An answer that is not JSON: {e}")))
    }

    async fn get(&self, path: &str) -> Result<Value, Failure> {
        self.json(reqwest::Method::GET, path, None).await
    }
}

fn input<T>(parsed: Result<T, String>) -> Result<T, Failure> {
    parsed.map_err(Failure::Input)
}

fn symbol(m: &ArgMatches) -> Result<Symbol, Failure> {
    input(Symbol::parse(
        m.get_one::<String>("symbol").map_or("", |s| s.as_str()),
    ))
}

/// Prints rows as aligned columns under `header`.
fn table(header: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    println!("{}", line(header.iter().map(|h| h.to_string()).collect()));
    for row in rows {
        println!("{}", line(row));
    }
}

/// A JSON value as a cell: text as is, numbers with two decimals, absent as "—".
fn cell(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_f64() => format!("{:.2}", n.as_f64().unwrap_or(0.0)),
        other => other.to_string(),
    }
}

/// Prints `v` as JSON for scripts, else as `human` renders it for people.
fn emit(as_json: bool, v: &Value, human: impl FnOnce(&Value)) {
    if as_json {
        println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
    } else {
        human(v);
    }
}

/// Each element of the array `v` as a table row.
fn rows_of(v: &Value, row: impl Fn(&Value) -> Vec<String>) -> Vec<Vec<String>> {
    v.as_array().into_iter().flatten().map(row).collect()
}

async fn run(m: &ArgMatches) -> Result<(), Failure> {
    let base = m
        .get_one::<String>("url")
        .map_or(DEFAULT_URL, |s| s.as_str())
        .trim_end_matches('/')
        .to_owned();
    let api = Api {
        http: reqwest::Client::new(),
        base,
        key: m
            .get_one::<String>("key")
            .cloned()
            .filter(|k| !k.is_empty()),
    };
    let as_json = m.get_flag("json");
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;
    let delete = reqwest::Method::DELETE;
    match m.subcommand() {
        Some(("status", _)) => {
            let v = api.get("/api/status").await?;
            emit(as_json, &v, |v| {
                println!(
                    "{} (postgres {}, redis {})",
                    cell(&v["status"]),
                    cell(&v["postgres"]["status"]),
                    cell(&v["redis"]["status"])
                );
            });
        }
        Some(("quote", sub)) => {
            let s = symbol(sub)?;
            let v = api
                .get(&format!("/api/v1/quote/{}", s.url_segment()))
                .await?;
            emit(as_json, &v, |v| {
                table(
                    &["symbol", "price", "change", "change %", "as of", "source"],
                    vec![vec![
                        cell(&v["symbol"]),
                        cell(&v["price"]),
                        cell(&v["change"]),
                        cell(&v["change_pct"]),
                        cell(&v["as_of"]),
                        cell(&v["source"]),
                    ]],
                );
            });
        }
        Some(("predictions", sub)) => {
            let s = symbol(sub)?;
            let v = api
                .get(&format!("/api/v1/predictions/{}", s.url_segment()))
                .await?;
            let horizon = sub
                .get_one::<String>("horizon")
                .and_then(|h| h.parse::<u64>().ok());
            emit(as_json, &v, |v| {
                println!(
                    "{} as of {}, last close {}",
                    cell(&v["symbol"]),
                    cell(&v["as_of"]),
                    cell(&v["last_close"])
                );
                let mut rows = Vec::new();
                for model in v["models"].as_array().into_iter().flatten() {
                    for step in model["horizons"].as_array().into_iter().flatten() {
                        if horizon.is_some_and(|h| step["h"].as_u64() != Some(h)) {
                            continue;
                        }
                        rows.push(vec![
                            cell(&model["model"]),
                            cell(&model["status"]),
                            cell(&step["h"]),
                            cell(&step["target_date"]),
                            cell(&step["point"]),
                            cell(&step["lo95"]),
                            cell(&step["hi95"]),
                            cell(&step["signal"]),
                        ]);
                    }
                }
                table(
                    &[
                        "model", "state", "h", "for", "point", "lo95", "hi95", "signal",
                    ],
                    rows,
                );
                if let Some(job) = v["job_id"].as_str() {
                    println!("Training under way: job {job}.");
                }
            });
        }
        Some(("history", sub)) => {
            let s = symbol(sub)?;
            let v = api
                .get(&format!("/api/v1/history/{}", s.url_segment()))
                .await?;
            emit(as_json, &v, |v| {
                let mut rows = Vec::new();
                for model in v["models"].as_array().into_iter().flatten() {
                    for p in model["points"].as_array().into_iter().flatten() {
                        rows.push(vec![
                            cell(&model["model"]),
                            cell(&p["target_date"]),
                            cell(&p["h"]),
                            cell(&p["point"]),
                            cell(&p["actual"]),
                        ]);
                    }
                }
                table(&["model", "day", "h", "forecast", "actual"], rows);
            });
        }
        Some(("signals", sub)) => {
            let symbols = sub
                .get_many::<String>("symbols")
                .into_iter()
                .flatten()
                .map(|s| input(Symbol::parse(s)).map(|s| s.to_string()))
                .collect::<Result<Vec<_>, _>>()?;
            let v = api
                .json(
                    post,
                    "/api/v1/predictions/batch",
                    Some(json!({ "symbols": symbols })),
                )
                .await?;
            emit(as_json, &v, |v| {
                let mut rows = Vec::new();
                for item in v["results"].as_array().into_iter().flatten() {
                    let p = &item["predictions"];
                    for model in p["models"].as_array().into_iter().flatten() {
                        for step in model["horizons"].as_array().into_iter().flatten() {
                            if step["signal"] != "hold" && !step["signal"].is_null() {
                                rows.push(vec![
                                    cell(&item["symbol"]),
                                    cell(&model["model"]),
                                    cell(&step["h"]),
                                    cell(&step["signal"]),
                                    cell(&step["confidence_label"]),
                                ]);
                            }
                        }
                    }
                    if let Some(e) = item["error"]["message"].as_str() {
                        rows.push(vec![
                            cell(&item["symbol"]),
                            "—".into(),
                            "—".into(),
                            "—".into(),
                            e.to_owned(),
                        ]);
                    }
                }
                if rows.is_empty() {
                    println!(
                        "No model has shown enough skill for a BUY or SELL on these tickers: HOLD."
                    );
                } else {
                    table(&["symbol", "model", "h", "signal", "why"], rows);
                }
            });
        }
        Some(("export", sub)) => {
            let kind = input(ExportKind::parse(
                sub.get_one::<String>("kind").map_or("", |s| s.as_str()),
            ))?;
            let s = symbol(sub)?;
            let format = input(ExportFormat::parse(
                sub.get_one::<String>("format").map(|s| s.as_str()),
            ))?;
            let from = sub.get_one::<String>("from").map(|s| s.as_str());
            let to = sub.get_one::<String>("to").map(|s| s.as_str());
            input(DateWindow::parse(from, to))?;
            let mut path = format!(
                "/api/v1/export/{}/{}?format={}",
                kind.as_str(),
                s.url_segment(),
                if format == ExportFormat::Json {
                    "json"
                } else {
                    "csv"
                }
            );
            for (k, v) in [("from", from), ("to", to)] {
                if let Some(v) = v {
                    path.push_str(&format!("&{k}={v}"));
                }
            }
            let mut res = api.send(api.request(get, &path)).await?;
            let mut out: Box<dyn Write> = match sub.get_one::<String>("output") {
                Some(file) => Box::new(
                    std::fs::File::create(file)
                        .map_err(|e| Failure::Input(format!("Cannot write {file}: {e}")))?,
                ),
                None => Box::new(std::io::stdout()),
            };
            while let Some(chunk) = res
                .chunk()
                .await
                .map_err(|e| Failure::Unreachable(e.without_url().to_string()))?
            {
                out.write_all(&chunk)
                    .map_err(|e| Failure::Input(format!("Cannot write: {e}")))?;
            }
        }
        Some(("alerts", sub)) => match sub.subcommand() {
            Some(("list", _)) => {
                let v = api.get("/api/v1/alerts").await?;
                emit(as_json, &v, |v| {
                    let rows = rows_of(v, |a| {
                        vec![
                            cell(&a["id"]),
                            cell(&a["symbol"]),
                            cell(&a["description"]),
                            a["repeat_hours"]
                                .as_u64()
                                .map_or("once".into(), |h| format!("every {h} h")),
                            if a["active"] == true {
                                "watching".into()
                            } else {
                                "stopped".into()
                            },
                        ]
                    });
                    table(&["id", "symbol", "when", "repeats", "state"], rows);
                });
            }
            Some(("add", add)) => {
                let s = symbol(add)?;
                let value = add.get_one::<String>("value").map(|s| s.as_str());
                let rule = input(match add.get_one::<String>("when").map(|s| s.as_str()) {
                    Some("below") => AlertRule::parse("price_below", value, None),
                    Some("outside-range") => AlertRule::parse("outside_range", None, value),
                    Some("signal-change") => AlertRule::parse("signal_change", None, value),
                    Some("drift") => AlertRule::parse("drift", None, value),
                    _ => AlertRule::parse("price_above", value, None),
                })?;
                let repeat = add
                    .get_one::<u32>("repeat-hours")
                    .map(|h| input(CooldownHours::new(*h)))
                    .transpose()?;
                let mut body = serde_json::to_value(rule).unwrap_or_default();
                body["symbol"] = json!(s);
                body["repeat_hours"] = json!(repeat.map(|h| h.get()));
                let v = api.json(post, "/api/v1/alerts", Some(body)).await?;
                emit(as_json, &v, |v| {
                    println!(
                        "Alert {} set: {} {}.",
                        cell(&v["id"]),
                        cell(&v["symbol"]),
                        cell(&v["description"])
                    );
                });
            }
            Some(("rm", rm)) => {
                let id = input(AlertId::parse(
                    rm.get_one::<String>("id").map_or("", |s| s.as_str()),
                ))?;
                api.json(delete, &format!("/api/v1/alerts/{id}"), None)
                    .await?;
                if !as_json {
                    println!("Alert {id} deleted.");
                }
            }
            Some(("fired", _)) => {
                let v = api.get("/api/v1/notifications").await?;
                emit(as_json, &v, |v| {
                    println!("{} unread", cell(&v["unread"]));
                    let rows = rows_of(&v["items"], |n| {
                        vec![
                            cell(&n["fired_at"]),
                            cell(&n["message"]),
                            if n["read"] == true {
                                "".into()
                            } else {
                                "new".into()
                            },
                        ]
                    });
                    table(&["fired", "what", ""], rows);
                });
            }
            _ => unreachable!("clap requires a subcommand"),
        },
        Some(("webhooks", sub)) => match sub.subcommand() {
            Some(("list", _)) => {
                let v = api.get("/api/v1/webhooks").await?;
                emit(as_json, &v, |v| {
                    let rows = rows_of(v, |w| {
                        vec![
                            cell(&w["id"]),
                            cell(&w["url"]),
                            w["kinds"]
                                .as_array()
                                .map(|k| k.iter().map(cell).collect::<Vec<_>>().join(","))
                                .unwrap_or_default(),
                            if w["active"] == true {
                                "on".into()
                            } else {
                                format!("off: {}", cell(&w["disabled_reason"]))
                            },
                        ]
                    });
                    table(&["id", "url", "kinds", "state"], rows);
                });
            }
            Some(("add", add)) => {
                let url = input(WebhookUrl::parse(
                    add.get_one::<String>("target").map_or("", |s| s.as_str()),
                ))?;
                let names: Option<Vec<String>> = add
                    .get_one::<String>("kinds")
                    .map(|k| k.split(',').map(|s| s.trim().to_owned()).collect());
                let kinds = input(WebhookKinds::parse(names.as_deref()))?;
                let body = json!({ "url": url, "kinds": kinds.names() });
                let v = api.json(post, "/api/v1/webhooks", Some(body)).await?;
                emit(as_json, &v, |v| {
                    println!(
                        "Webhook {} made. Its signing secret, shown this once:\n{}",
                        cell(&v["webhook"]["id"]),
                        cell(&v["secret"])
                    );
                });
            }
            Some((verb @ ("rm" | "test" | "log"), one)) => {
                let id = input(WebhookId::parse(
                    one.get_one::<String>("id").map_or("", |s| s.as_str()),
                ))?;
                let v = match verb {
                    "rm" => {
                        api.json(delete, &format!("/api/v1/webhooks/{id}"), None)
                            .await?
                    }
                    "test" => {
                        api.json(post, &format!("/api/v1/webhooks/{id}/test"), None)
                            .await?
                    }
                    _ => {
                        api.get(&format!("/api/v1/webhooks/{id}/deliveries"))
                            .await?
                    }
                };
                emit(as_json, &v, |v| match verb {
                    "rm" => println!("Webhook {id} deleted."),
                    "test" => println!("Test event {} queued.", cell(&v["event_id"])),
                    _ => {
                        let rows = rows_of(v, |d| {
                            let last = d["attempts"]
                                .as_array()
                                .and_then(|a| a.last())
                                .cloned()
                                .unwrap_or(Value::Null);
                            vec![
                                cell(&d["created_at"]),
                                cell(&d["kind"]),
                                cell(&d["status"]),
                                d["attempts"].as_array().map_or(0, |a| a.len()).to_string(),
                                cell(&last["status_code"]),
                                cell(&last["latency_ms"]),
                                cell(&last["error"]),
                            ]
                        });
                        table(
                            &[
                                "queued",
                                "kind",
                                "status",
                                "attempts",
                                "code",
                                "ms",
                                "last error",
                            ],
                            rows,
                        );
                    }
                });
            }
            _ => unreachable!("clap requires a subcommand"),
        },
        Some(("watch", sub)) => {
            let mut path = "/api/v1/stream?".to_owned();
            if let Some(raw) = sub.get_one::<String>("symbol") {
                path.push_str(&format!(
                    "symbol={}&",
                    input(Symbol::parse(raw))?.url_segment()
                ));
            }
            if let Some(kinds) = sub.get_one::<String>("kind") {
                input(EventKinds::parse(Some(kinds)))?;
                path.push_str(&format!("kind={kinds}"));
            }
            let mut res = api.send(api.request(get, &path)).await?;
            let mut buffer = String::new();
            while let Some(chunk) = res
                .chunk()
                .await
                .map_err(|e| Failure::Unreachable(e.without_url().to_string()))?
            {
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..end + 2).collect();
                    let (mut name, mut data) = ("message".to_owned(), String::new());
                    for line in block.lines() {
                        if let Some(v) = line.strip_prefix("event:") {
                            name = v.trim().to_owned();
                        } else if let Some(v) = line.strip_prefix("data:") {
                            data = v.trim().to_owned();
                        }
                    }
                    if data.is_empty() {
                        continue; // a heartbeat
                    }
                    if as_json {
                        println!("{data}");
                    } else {
                        println!("{name:<12} {data}");
                    }
                    let _ = std::io::stdout().flush();
                }
            }
        }
        _ => unreachable!("clap requires a subcommand"),
    }
    Ok(())
}

fn main() -> ExitCode {
    let matches = cli().get_matches();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tickercast: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(&matches)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let (Failure::Input(m) | Failure::Refused(m) | Failure::Unreachable(m)) = &failure;
            eprintln!("tickercast: {m}");
            ExitCode::from(failure.code())
        }
    }
}

//! `GET /api/docs`: the OpenAPI document rendered to HTML on the server, styled by the site's own
//! stylesheet. No script and nothing from another host: only the package registries are reachable
//! where this runs, and a docs page should not need JavaScript anyway.

use std::fmt::Write;

use axum::response::Html;
use serde_json::Value;
use utoipa::OpenApi;

use super::openapi::ApiDoc;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `#/components/schemas/Quote` → `Quote`.
fn ref_name(r: &str) -> &str {
    r.rsplit('/').next().unwrap_or(r)
}

/// A short type description of a JSON schema, linking named schemas to their section.
fn type_of(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let n = ref_name(r);
        return format!("<a href=\"#schema-{n}\">{n}</a>", n = esc(n));
    }
    if let Some(one) = schema.get("oneOf").and_then(Value::as_array) {
        let parts: Vec<String> = one.iter().map(type_of).collect();
        return parts.join(" | ");
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let parts: Vec<String> = values
            .iter()
            .map(|v| format!("<code>{}</code>", esc(&v.to_string())))
            .collect();
        return parts.join(" | ");
    }
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "object".into(),
    };
    if ty.starts_with("array") {
        if let Some(items) = schema.get("items") {
            return format!("array of {}", type_of(items));
        }
    }
    match schema.get("format").and_then(Value::as_str) {
        Some(f) => format!("{} ({})", esc(&ty), esc(f)),
        None => esc(&ty),
    }
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .map(esc)
        .unwrap_or_default()
}

fn render_operation(out: &mut String, method: &str, path: &str, op: &Value) {
    let _ = write!(
        out,
        "<section class=\"panel api-op\" id=\"{id}\"><h3><span class=\"badge\">{m}</span> <code>{p}</code></h3>",
        id = esc(&format!("{method}-{path}")),
        m = method.to_uppercase(),
        p = esc(path)
    );
    let _ = write!(out, "<p>{}</p>", text(op, "summary"));
    if let Some(d) = op.get("description").and_then(Value::as_str) {
        let _ = write!(out, "<p class=\"fineprint\">{}</p>", esc(d));
    }
    if let Some(security) = op.get("security").and_then(Value::as_array) {
        let optional = security
            .iter()
            .any(|r| r.as_object().is_some_and(|o| o.is_empty()));
        let admin = op
            .get("tags")
            .and_then(Value::as_array)
            .is_some_and(|t| t.iter().any(|t| t == "admin"));
        out.push_str(match (optional, admin) {
            (_, true) => "<p class=\"fineprint\">Needs an administrator's API key or access token.</p>",
            (true, false) => "<p class=\"fineprint\">Works without a key (limited by address); with a key or token, by its tier.</p>",
            (false, false) => "<p class=\"fineprint\">Needs an API key or access token (or a logged-in session).</p>",
        });
    }
    if let Some(params) = op.get("parameters").and_then(Value::as_array) {
        out.push_str("<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>type</th><th>required</th><th>description</th><th>example</th></tr></thead><tbody>");
        for p in params {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                text(p, "name"),
                text(p, "in"),
                p.get("schema").map(type_of).unwrap_or_default(),
                if p.get("required").and_then(Value::as_bool).unwrap_or(false) { "yes" } else { "no" },
                text(p, "description"),
                p.get("example").map(|e| format!("<code>{}</code>", esc(&e.to_string()))).unwrap_or_default(),
            );
        }
        out.push_str("</tbody></table>");
    }
    if let Some(body) = op.pointer("/requestBody/content/application~1json/schema") {
        let _ = write!(out, "<h4>Request body</h4><p>JSON: {}</p>", type_of(body));
    }
    if let Some(responses) = op.get("responses").and_then(Value::as_object) {
        out.push_str("<h4>Responses</h4><table><thead><tr><th>status</th><th>description</th><th>body</th></tr></thead><tbody>");
        for (status, r) in responses {
            let body = r
                .pointer("/content/application~1json/schema")
                .map(type_of)
                .unwrap_or_default();
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(status),
                text(r, "description"),
                body
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</section>");
}

fn render_schema(out: &mut String, name: &str, schema: &Value) {
    let _ = write!(
        out,
        "<section class=\"panel api-schema\" id=\"schema-{n}\"><h3>{n}</h3>",
        n = esc(name)
    );
    if let Some(d) = schema.get("description").and_then(Value::as_str) {
        let _ = write!(out, "<p>{}</p>", esc(d));
    }
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        out.push_str("<table><thead><tr><th>field</th><th>type</th><th>required</th><th>description</th></tr></thead><tbody>");
        for (field, p) in props {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(field),
                type_of(p),
                if required.contains(&field.as_str()) {
                    "yes"
                } else {
                    "no"
                },
                text(p, "description"),
            );
        }
        out.push_str("</tbody></table>");
    } else {
        let _ = write!(out, "<p>{}</p>", type_of(schema));
    }
    if let Some(example) = schema.get("example") {
        let pretty = serde_json::to_string_pretty(example).unwrap_or_default();
        let _ = write!(
            out,
            "<h4>Example</h4><pre><code>{}</code></pre>",
            esc(&pretty)
        );
    }
    out.push_str("</section>");
}

/// The whole page, from the generated document.
pub fn render() -> String {
    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or(Value::Null);
    let mut out = String::with_capacity(64 * 1024);
    let title = doc
        .pointer("/info/title")
        .and_then(Value::as_str)
        .unwrap_or("API");
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"/>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
         <title>{t} reference</title><link rel=\"stylesheet\" href=\"/pkg/tickercast.css\"/></head><body>\
         <header class=\"site-header\"><a class=\"brand\" href=\"/\">Tickercast</a><a href=\"/api/v1/openapi.json\">openapi.json</a></header><main>\
         <h1>{t} reference</h1><p>{d}</p>",
        t = esc(title),
        d = doc.pointer("/info/description").and_then(Value::as_str).map(esc).unwrap_or_default()
    );
    out.push_str(
        "<section class=\"panel\"><h2>Errors</h2><p>Every error has one shape, \
         <code>{\"error\": {\"code\": \"...\", \"message\": \"...\"}}</code>, with the status telling \
         the kind: 400 bad input, 401 missing or invalid key or token, 403 not allowed (or a \
         cross-site browser request), 404 unknown symbol or job, 409 conflict, 413 body too large, \
         429 rate limited (with <code>Retry-After</code>), 503 a dependency is down or the server \
         is saturated, 500 our fault (no detail). See <a href=\"#schema-ErrorBody\">ErrorBody</a>.</p></section>",
    );
    out.push_str(
        "<section class=\"panel\"><h2>Access</h2><p>The market and prediction endpoints work \
         without a key, limited by client address (key management needs an account, precompute an \
         administrator). With an API key (made on the account page or with \
         <code>POST /api/v1/keys</code>), send <code>X-API-Key: tc_…</code> or \
         <code>Authorization: Bearer tc_…</code>; the key's tier sets the limits (free, pro, admin). \
         <code>POST /api/v1/auth/token</code> exchanges a key, or a username and password, for a \
         short-lived access token to send as <code>Authorization: Bearer &lt;token&gt;</code>. Every \
         counted response carries <code>RateLimit-Limit</code>, <code>RateLimit-Remaining</code> and \
         <code>RateLimit-Reset</code>; <code>GET /api/v1/usage</code> tells your tier and today's use. \
         Anonymous callers never start model training; accounts have a daily training budget.</p></section>",
    );
    let paths = doc.get("paths").and_then(Value::as_object);
    out.push_str("<h2>Endpoints</h2><ul>");
    for (path, item) in paths.into_iter().flatten() {
        for method in ["get", "post", "put", "delete"] {
            if let Some(op) = item.get(method) {
                let _ = write!(
                    out,
                    "<li><a href=\"#{id}\"><code>{m} {p}</code></a> {s}</li>",
                    id = esc(&format!("{method}-{path}")),
                    m = method.to_uppercase(),
                    p = esc(path),
                    s = text(op, "summary")
                );
            }
        }
    }
    out.push_str("</ul>");
    for (path, item) in paths.into_iter().flatten() {
        for method in ["get", "post", "put", "delete"] {
            if let Some(op) = item.get(method) {
                render_operation(&mut out, method, path, op);
            }
        }
    }
    out.push_str("<h2>Schemas</h2>");
    if let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            render_schema(&mut out, name, schema);
        }
    }
    out.push_str("</main></body></html>");
    out
}

/// `GET /api/docs`: a page with the site's stylesheet and no script at all.
pub async fn docs() -> impl axum::response::IntoResponse {
    (
        [(
            axum::http::header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'",
        )],
        Html(render()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_lists_every_path_and_escapes_text() {
        let html = render();
        for path in ApiDoc::openapi().paths.paths.keys() {
            assert!(html.contains(&esc(path)), "{path} missing");
        }
        assert_eq!(esc("<a href=\"x\">&"), "&lt;a href=&quot;x&quot;&gt;&amp;");
    }
}

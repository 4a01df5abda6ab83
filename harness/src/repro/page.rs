//! A browser scenario's page steps as a self-contained page: the suite's own page script
//! (`fixtures/pages/corsprobe.js`) inlined, the steps in order, and what the page saw written
//! into it. The repro script makes the signed URLs when it runs (into `urls.js`, next to the
//! page in its temporary directory, never printed) and serves the page from the origins the
//! scenario names.

use crate::model::scenario::{Action, Scenario};
use std::fmt::Write as _;

/// The page origins a repro serves: name, loopback address, and the port's offset from `$PORT`.
pub fn origins() -> impl Iterator<Item = (&'static str, &'static str, usize)> {
    crate::model::vocabulary::PAGE_ORIGINS
        .into_iter()
        .enumerate()
        .map(|(offset, (name, ip))| (name, ip, offset))
}

/// The token a rules document holds for a page origin until the script knows `$PORT`.
pub fn token(name: &str) -> String {
    format!("CORSPROBE-PAGE-{name}-ORIGIN")
}

/// Bash for the origin a page origin has in this run: `http://IP:$((PORT + offset))`.
pub fn served(ip: &str, offset: usize) -> String {
    format!("http://{ip}:$((PORT + {offset}))")
}

/// Where a page step's result line begins in the page (`step <name>: <outcome> ...`).
pub const RESULT_MARK: &str = "step ";

/// The page: `js` is the suite's page script, run on every step of the scenario whose origin is
/// the page's own; the others say which origin's page runs them.
pub fn html(scenario: &Scenario, js: &str) -> String {
    let mut ops = String::from("[\n");
    for step in scenario.steps.iter().filter(|s| s.action == Action::Page) {
        let Some(page) = &step.page else { continue };
        let url_of = page
            .same_url_as
            .clone()
            .unwrap_or_else(|| step.name.clone());
        let op = serde_json::json!({
            "step": step.name,
            "origin": page.origin,
            "url_of": url_of,
            "pause_ms": page.pause_ms,
            "op": {
                "via": page.via.name(),
                "method": step.method,
                "headers": step.headers.iter().map(|(n, v)| (n.to_ascii_lowercase(), v.clone())).collect::<Vec<_>>(),
                "body": if page.via == crate::model::scenario::Via::Form { None } else { step.body.clone() },
                // The page repeats the body to this size, as the harness's pages do.
                "body_size": step.body_size,
                "credentials": page.credentials,
                "cache": page.cache,
                "timeout_ms": 15000,
                "form": serde_json::Value::Null,
            },
        });
        let _ = writeln!(ops, "  {op},");
    }
    ops.push(']');
    let title = crate::report::junit::escape(&scenario.title);
    let js = js.replace("</script", "<\\/script");
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>corsprobe repro: {id}</title>
<script>{js}</script>
<script src="urls.js"></script>
</head><body>
<h1>corsprobe repro: {id}</h1>
<p>{title}</p>
<p>This page runs, from <code id="origin"></code>, the scenario's steps of this origin in order,
and writes below what the page saw. Open the browser's console for its own CORS message.</p>
<pre id="result"></pre>
<script>
"use strict";
const steps = {ops};
const result = document.getElementById("result");
document.getElementById("origin").textContent = location.origin;
const say = (line) => {{ result.textContent += line + "\n"; }};
(async () => {{
  for (const s of steps) {{
    const origin = REPRO_ORIGINS[s.origin];
    if (origin !== location.origin) {{
      const where = origin === "null" ? "the page opened as a local file" : origin + "/repro.html";
      say("{mark}" + s.step + ": runs from " + origin + ": open " + where);
      continue;
    }}
    if (s.pause_ms > 0) await new Promise((r) => setTimeout(r, s.pause_ms));
    const op = Object.assign({{}}, s.op, {{ url: REPRO_URLS[s.url_of] }});
    if (op.via === "form") op.form = REPRO_FORMS[s.step];
    const out = await corsprobe.run(op);
    say("{mark}" + s.step + ": " + out.outcome + (out.status ? " " + out.status : "") +
        (out.error ? " (" + out.error + ")" : "") +
        (typeof out.body === "string" ? " body: " + out.body.slice(0, 200) : ""));
  }}
  say("done");
}})();
</script>
</body></html>
"#,
        id = scenario.id,
        mark = RESULT_MARK,
    )
}

/// Bash that writes `urls.js`: each page step's URL signed now (a form's fields too), and the
/// served origins. `url` gives the quoted URL of a step and how it is signed.
pub fn urls_script(
    scenario: &Scenario,
    signed_url: impl Fn(&crate::model::scenario::Step) -> String,
) -> String {
    let mut out = String::from("{\n  printf 'window.REPRO_ORIGINS = {'\n");
    for (name, ip, offset) in origins() {
        let _ = writeln!(
            out,
            "  printf '\"{name}\": \"%s\", ' \"{}\"",
            served(ip, offset)
        );
    }
    // A file page's origin is opaque: `location.origin` is "null" there.
    let _ = writeln!(
        out,
        "  printf '\"{}\": \"{}\", '",
        crate::model::vocabulary::FILE_ORIGIN,
        crate::model::vocabulary::OPAQUE_ORIGIN
    );
    out.push_str("  printf '};\\nwindow.REPRO_URLS = {'\n");
    for step in scenario.steps.iter().filter(|s| s.action == Action::Page) {
        if step.page.as_ref().is_some_and(|p| p.same_url_as.is_some()) {
            continue;
        }
        let _ = writeln!(
            out,
            "  printf '\"%s\": \"%s\", ' {} \"$({})\"",
            super::shell::sh(&step.name),
            signed_url(step)
        );
    }
    out.push_str("  printf '};\\nwindow.REPRO_FORMS = {'\n");
    for step in scenario
        .steps
        .iter()
        .filter(|s| s.action == Action::Page && s.form.is_some())
    {
        let key = step.key.clone().unwrap_or_else(|| "upload.txt".to_string());
        let file_name = key.rsplit('/').next().unwrap_or(&key).to_string();
        let _ = writeln!(
            out,
            "  printf '\"%s\": {{\"fields\": [' {}\n  signed --form {} --bucket \"$BUCKET\" --key {} | while IFS= read -r f; do printf '[\"%s\", \"%s\"], ' \"${{f%%=*}}\" \"${{f#*=}}\"; done\n  printf '], \"file\": \"%s\", \"file_name\": \"%s\", \"content_type\": \"%s\"}}, ' {} {} {}",
            super::shell::sh(&step.name),
            super::shell::form_name(step.form.unwrap_or_default()),
            super::shell::sh(&key),
            super::shell::sh(step.body.as_deref().unwrap_or("")),
            super::shell::sh(&file_name),
            super::shell::sh(
                step.page
                    .as_ref()
                    .map(|p| p.content_type.as_str())
                    .unwrap_or("text/plain")
            ),
        );
    }
    out.push_str("  printf '};\\n'\n} > \"$WORK/page/urls.js\"\n");
    out
}

//! Scenario files: one TOML file per case under `suites/`, parsed, validated and located.

use crate::check::{
    Check, ExchangeCheck, ExchangeSubject, FetchOutcome, HeaderPredicate, PageCheck, PageSubject,
    StatusSpec, StepChecks,
};
use crate::cors_config::CorsConfiguration;
use crate::located::{line_of, toml_error};
use crate::page_view::PageOutcome;
use crate::vocabulary::BrowserKind;
use crate::vocabulary::Dialect;
use crate::vocabulary::Form;
use crate::vocabulary::Level;
use crate::vocabulary::Signing;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Variables a scenario may use in `{{...}}` templates.
pub const TEMPLATE_VARIABLES: &[&str] = &["bucket", "region", "endpoint"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    title: String,
    requirement: String,
    level: Level,
    #[serde(default)]
    spec: Option<String>,
    #[serde(default)]
    dialects: Option<Vec<Dialect>>,
    #[serde(default)]
    setup: RawSetup,
    #[serde(default, rename = "step")]
    steps: Vec<Spanned<RawStep>>,
    #[serde(default, rename = "model_differs")]
    differs: Vec<Spanned<ModelDiffers>>,
}

/// A known place where a shipped browser and the Fetch model part ways, with the reason: the
/// model replay of that step in that browser is then not a test failure.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelDiffers {
    /// The page step.
    pub step: String,
    /// The browser; none means every browser.
    #[serde(default)]
    pub browser: Option<BrowserKind>,
    /// Why they differ, in a sentence.
    pub reason: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSetup {
    #[serde(default)]
    cors: Option<Spanned<String>>,
    #[serde(default)]
    objects: Vec<RawObject>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawObject {
    key: String,
    body: String,
    #[serde(default)]
    content_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    action: Action,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    bucket: BucketRef,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    sign: Signing,
    #[serde(default)]
    cors: Option<String>,
    #[serde(default)]
    origin: Option<String>,
    #[serde(default)]
    via: Option<Via>,
    #[serde(default)]
    credentials: Option<bool>,
    #[serde(default)]
    same_url_as: Option<String>,
    #[serde(default)]
    cache: Option<String>,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    pause_ms: Option<u64>,
    #[serde(default)]
    when: Option<Condition>,
    #[serde(default)]
    form: Option<Form>,
    #[serde(default)]
    content_md5: Option<bool>,
    #[serde(default)]
    body_size: Option<usize>,
    #[serde(default)]
    capture: Option<RawCapture>,
    #[serde(default)]
    expect: Vec<Spanned<RawExpect>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCapture {
    name: String,
    element: Option<String>,
    header: Option<String>,
}

/// A value a step's answer gives the steps after it as `{{name}}`: what an uploader reads
/// (the UploadId of CreateMultipartUpload, each part's ETag) to build its next request.
#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    /// The template variable it fills.
    pub name: String,
    /// Where in the answer it is.
    pub from: CaptureFrom,
}

/// Where a captured value is read.
#[derive(Debug, Clone, PartialEq)]
pub enum CaptureFrom {
    /// The text of the first element of this name in the body (for a page step, the body the
    /// page read).
    Element(String),
    /// A response header, lower-case (for a page step, only if the page could read it).
    Header(String),
}

/// What a page gets for a header it cannot read or an element it cannot see
/// (`getResponseHeader` gives `null`), so the steps after it send what a real uploader would.
pub const NOT_READ: &str = "null";

/// The largest `body_size`: a first multipart part must be 5 MiB; 16 MiB leaves room.
pub const BODY_SIZE_LIMIT: usize = 16 << 20;

/// A body of `size` bytes: `body` repeated and cut, so a page and the harness make the same
/// bytes from a short text (`None`: the body as written).
pub fn sized(body: &str, size: Option<usize>) -> String {
    match size {
        // A byte is a character in ASCII, and repeating bytes is far quicker for 5 MiB.
        Some(n) if body.is_ascii() && !body.is_empty() => {
            let mut text = body.repeat(n.div_ceil(body.len()));
            text.truncate(n);
            text
        }
        Some(n) if !body.is_empty() => body.chars().cycle().take(n).collect(),
        _ => body.to_string(),
    }
}

/// A step asked only when an earlier step's status says which case the store is in, such as
/// "the Put was rejected": written `when = { step = "put-invalid", status = "4xx" }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// The earlier step whose answer decides.
    pub step: String,
    /// The status (code or class) that answer must have for this step to be asked.
    pub status: StatusSpec,
}

impl Condition {
    /// True when the earlier step's answer is of this case; no answer is no case.
    pub fn holds(&self, status: Option<u16>) -> bool {
        status.is_some_and(|s| self.status.matches(s))
    }

    /// Why a step under this condition was not asked, given what the earlier step answered.
    pub fn unmet(&self, name: &str, status: Option<u16>) -> String {
        format!(
            "step `{name}` not asked: it judges the case where `{}` answers {}, and it answered {}",
            self.step,
            self.status.text(),
            status.map_or("nothing".to_string(), |s| s.to_string())
        )
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    level: Option<Level>,
    dialect: Option<Dialect>,
    status: Option<StatusSpec>,
    header: Option<String>,
    present: Option<bool>,
    equals: Option<String>,
    token: Option<String>,
    no_token: Option<String>,
    tokens: Option<Vec<String>>,
    count: Option<usize>,
    error_code: Option<String>,
    error_message: Option<String>,
    body: Option<String>,
    fetch: Option<FetchOutcome>,
    credentials: Option<bool>,
    readable: Option<String>,
    unreadable: Option<String>,
    cors_config: Option<String>,
    vary: Option<String>,
    standard: Option<bool>,
    page: Option<PageOutcome>,
    store_requests: Option<usize>,
    store_preflights: Option<usize>,
    store_status: Option<StatusSpec>,
    sent_origin: Option<String>,
    store_allow_origin_not: Option<String>,
    body_of: Option<Vec<String>>,
    browser: Option<OneOrMore<BrowserKind>>,
}

/// One value or a list of them: `browser = "chromium"` or `browser = ["chromium", "webkit"]`.
#[derive(Debug, Clone)]
enum OneOrMore<T> {
    One(T),
    More(Vec<T>),
}

// By hand rather than `untagged`, so that a wrong name is reported as such (`unknown variant
// `safari`, expected one of ...`), not as a shape that matched nothing.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMore<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Either<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Either<T> {
            type Value = OneOrMore<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a name or a list of names")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                T::deserialize(serde::de::value::StrDeserializer::new(v)).map(OneOrMore::One)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<Self::Value, A::Error> {
                Vec::<T>::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(OneOrMore::More)
            }
        }
        d.deserialize_any(Either(std::marker::PhantomData))
    }
}

impl<T> OneOrMore<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMore::One(t) => vec![t],
            OneOrMore::More(v) => v,
        }
    }
}

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// A raw HTTP request built from the step's fields.
    #[default]
    Request,
    /// PutBucketCors with the step's `cors` fixture.
    PutCors,
    /// GetBucketCors.
    GetCors,
    /// DeleteBucketCors.
    DeleteCors,
    /// A page in a real browser sends the request (browser mode only).
    Page,
}

/// How a page sends its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// XMLHttpRequest.
    Xhr,
    /// `fetch` in `cors` mode.
    Fetch,
    /// `fetch` in `no-cors` mode: loads without CORS, the response stays opaque.
    NoCors,
    /// A form upload: multipart POST with a signed policy, no preflight.
    Form,
    /// An `<img>` element: loads without CORS.
    Img,
}

impl Via {
    /// The name in scenario files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Via::Xhr => "xhr",
            Via::Fetch => "fetch",
            Via::NoCors => "no-cors",
            Via::Form => "form",
            Via::Img => "img",
        }
    }
}

/// How a page step sends its request.
#[derive(Debug, Clone, PartialEq)]
pub struct PageStep {
    /// Which page origin: `a`, `a2` (same site as `a`) or `b` (another site).
    pub origin: String,
    /// XHR, fetch, form upload, image.
    pub via: Via,
    /// With `credentials: "include"` (XHR: `withCredentials`).
    pub credentials: bool,
    /// Reuse the exact URL of this earlier step (to meet its cached response).
    pub same_url_as: Option<String>,
    /// The fetch cache mode.
    pub cache: String,
    /// Content type of a form upload's file.
    pub content_type: String,
    /// Wait this long before the step (to outlast a browser's default cache lifetime).
    pub pause_ms: u64,
}

/// Which bucket a step addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BucketRef {
    /// The scenario's own fresh bucket.
    #[default]
    Own,
    /// A bucket name that was never created.
    Missing,
}

/// An object created before the steps run.
#[derive(Debug, Clone)]
pub struct SetupObject {
    /// Object key.
    pub key: String,
    /// Object body.
    pub body: String,
    /// Content-Type stored with it.
    pub content_type: String,
}

/// One step: an action, its request shape and its checks.
#[derive(Debug, Clone)]
pub struct Step {
    /// Name shown in reports (defaults to `step N`).
    pub name: String,
    /// What the step does.
    pub action: Action,
    /// HTTP method for `request` steps.
    pub method: String,
    /// Own or missing bucket.
    pub bucket: BucketRef,
    /// Object key; none means the bucket URL.
    pub key: Option<String>,
    /// Raw query string.
    pub query: Option<String>,
    /// Headers, templates unexpanded.
    pub headers: Vec<(String, String)>,
    /// Body, template unexpanded.
    pub body: Option<String>,
    /// How the request is signed.
    pub sign: Signing,
    /// Configuration sent by a `put-cors` step.
    pub cors: Option<CorsConfiguration>,
    /// How a `page` step's page sends the request.
    pub page: Option<PageStep>,
    /// Asked only in this case of an earlier step's answer.
    pub when: Option<Condition>,
    /// A raw form upload (POST with a signed policy), honest or forged; page form steps too.
    pub form: Option<Form>,
    /// A `put-cors` step sends `Content-MD5` (true unless the scenario says otherwise).
    pub content_md5: bool,
    /// The body is `body` repeated to this many bytes (a multipart part of 5 MiB).
    pub body_size: Option<usize>,
    /// A value of the answer the later steps use as `{{name}}`.
    pub capture: Option<Capture>,
    /// The checks on the step's exchange, or on what its page saw.
    pub checks: StepChecks,
}

impl Step {
    /// The body as sent, before templates: `body` sized to `body_size`.
    pub fn sized_body(&self) -> Option<String> {
        self.body.as_deref().map(|b| sized(b, self.body_size))
    }

    /// True when the step changes the bucket: its rules, or an object (any method but GET,
    /// HEAD and OPTIONS; a form upload is a POST).
    pub fn writes(&self) -> bool {
        match self.action {
            Action::GetCors => false,
            Action::PutCors | Action::DeleteCors => true,
            Action::Request | Action::Page => {
                !matches!(self.method.as_str(), "GET" | "HEAD" | "OPTIONS")
            }
        }
    }
}

/// A validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Path below `suites/` without `.toml`, e.g. `preflight/origin/exact`.
    pub id: String,
    /// The file it came from.
    pub file: PathBuf,
    /// What is sent, in a sentence.
    pub title: String,
    /// What must hold, in a sentence.
    pub requirement: String,
    /// The most severe level among its checks.
    pub level: Level,
    /// Reference to the standard or vendor document.
    pub spec: Option<String>,
    /// Dialects it applies to; none means all.
    pub dialects: Option<Vec<Dialect>>,
    /// Rules installed before the steps; none leaves the bucket without CORS.
    pub cors: Option<CorsConfiguration>,
    /// Name of the rules fixture, for reports.
    pub cors_fixture: Option<String>,
    /// Objects created before the steps.
    pub objects: Vec<SetupObject>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Where a browser and the Fetch model are known to differ (`[[model_differs]]`).
    pub differs: Vec<ModelDiffers>,
}

impl Scenario {
    /// The suite group: the first path component of the id.
    pub fn group(&self) -> &str {
        self.id.split('/').next().unwrap_or(&self.id)
    }

    /// True when a page in a real browser sends some of its requests (browser mode).
    pub fn is_browser(&self) -> bool {
        self.steps.iter().any(|s| s.action == Action::Page)
    }

    /// True when the scenario applies to a dialect.
    pub fn applies_to(&self, dialect: Dialect) -> bool {
        self.dialects.as_ref().is_none_or(|d| d.contains(&dialect))
    }
}

/// Loads and validates one scenario file; `fixtures` is the fixtures directory.
pub fn load(file: &Path, suites: &Path, fixtures: &Path) -> Result<Scenario, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
    let raw: RawScenario = toml::from_str(&text).map_err(|e| toml_error(file, &text, &e))?;
    let id = file
        .strip_prefix(suites)
        .unwrap_or(file)
        .with_extension("")
        .to_string_lossy()
        .replace('\\', "/");
    let at = |offset: usize, what: &str| {
        format!("{}:{}: {what}", file.display(), line_of(&text, offset))
    };

    let rules_dir = fixtures.join("cors-rules");
    let load_rules = |name: &str, offset: usize| -> Result<CorsConfiguration, String> {
        let path = rules_dir.join(name);
        if !path.is_file() {
            return Err(at(
                offset,
                &format!("`cors`: no fixture `{}`", path.display()),
            ));
        }
        CorsConfiguration::load(&path).map_err(|e| at(offset, &format!("`cors`: {e}")))
    };

    if raw.title.trim().is_empty() || raw.requirement.trim().is_empty() {
        return Err(at(0, "`title` and `requirement` must not be empty"));
    }
    let (cors, cors_fixture) = match &raw.setup.cors {
        Some(name) => (
            Some(load_rules(name.get_ref(), name.span().start)?),
            Some(name.get_ref().clone()),
        ),
        None => (None, None),
    };
    if raw.steps.is_empty() {
        return Err(at(0, "a scenario needs at least one [[step]]"));
    }
    let browser = raw.steps.iter().any(|s| s.get_ref().action == Action::Page);
    if let (Some(cfg), Some(name)) = (&cors, &raw.setup.cors) {
        check_origin_templates(cfg, browser).map_err(|e| at(name.span().start, &e))?;
    }
    let s3_too = raw
        .dialects
        .as_ref()
        .is_none_or(|d| d.contains(&Dialect::S3));
    let oss_only_rules = |cfg: &CorsConfiguration| cfg.response_vary.is_some() && s3_too;
    if let (Some(cfg), Some(name)) = (&cors, &raw.setup.cors)
        && oss_only_rules(cfg)
    {
        return Err(at(
            name.span().start,
            "`cors`: the rules use ResponseVary, which only OSS has: add `dialects = [\"oss\"]`",
        ));
    }
    let mut steps: Vec<Step> = Vec::new();
    let mut captured: Vec<String> = Vec::new();
    let mut most_severe: Option<Level> = None;
    for (i, spanned) in raw.steps.iter().enumerate() {
        let offset = spanned.span().start;
        let raw_step = spanned.get_ref();
        let name = raw_step
            .name
            .clone()
            .unwrap_or_else(|| format!("step {}", i + 1));
        let here = |what: &str| at(offset, &format!("step `{name}`: {what}"));
        let mut templated: Vec<(String, &str)> = raw_step
            .headers
            .iter()
            .map(|(k, v)| (format!("headers.{k}"), v.as_str()))
            .collect();
        templated.extend(
            raw_step
                .body
                .iter()
                .map(|b| ("body".to_string(), b.as_str())),
        );
        templated.extend(raw_step.key.iter().map(|k| ("key".to_string(), k.as_str())));
        templated.extend(
            raw_step
                .query
                .iter()
                .map(|q| ("query".to_string(), q.as_str())),
        );
        let known: Vec<&str> = TEMPLATE_VARIABLES
            .iter()
            .copied()
            .chain(captured.iter().map(String::as_str))
            .collect();
        for (field, value) in templated {
            check_template(value, &known).map_err(|e| here(&format!("`{field}`: {e}")))?;
        }
        let capture = raw_step
            .capture
            .as_ref()
            .map(|c| capture_of(c, &known, raw_step.action))
            .transpose()
            .map_err(|e| here(&format!("`capture`: {e}")))?;
        if let Some(n) = raw_step.body_size {
            if raw_step.body.as_deref().is_none_or(str::is_empty) {
                return Err(here("`body_size` repeats `body`: give a `body`"));
            }
            if n == 0 || n > BODY_SIZE_LIMIT {
                return Err(here(&format!(
                    "`body_size = {n}`: from 1 to {BODY_SIZE_LIMIT} bytes"
                )));
            }
        }
        let page = page_step(raw_step, &raw.steps[..i]).map_err(|e| here(&e))?;
        if let Some(when) = &raw_step.when {
            when.status
                .validate()
                .map_err(|e| here(&format!("`when`: {e}")))?;
            let earlier = raw.steps[..i].iter().map(|s| s.get_ref()).find(|s| {
                s.action != Action::Page && s.name.as_deref() == Some(when.step.as_str())
            });
            if earlier.is_none() {
                return Err(here(&format!(
                    "`when = {{ step = \"{}\" }}` names no earlier step with a raw exchange",
                    when.step
                )));
            }
            if raw_step.action == Action::Page {
                return Err(here(
                    "`when` is for steps with a raw exchange, not `page` steps",
                ));
            }
        }
        let method = match (raw_step.action, &raw_step.method, &page) {
            (Action::Page, None, Some(p)) if p.via == Via::Form => "POST".to_string(),
            (Action::Page, None, Some(p)) if p.via == Via::Img => "GET".to_string(),
            (Action::Page, Some(m), Some(p)) if matches!(p.via, Via::Form | Via::Img) => {
                return Err(here(&format!(
                    "`method = \"{m}\"`: a `{}` page step chooses its own method",
                    p.via.name()
                )));
            }
            (Action::Request | Action::Page, Some(m), _) if !m.is_empty() => m.clone(),
            (Action::Request | Action::Page, _, _) => {
                return Err(here("a `request` or `page` step needs `method`"));
            }
            (_, Some(_), _) => return Err(here("`method` is only for `request` and `page` steps")),
            (_, None, _) => String::new(),
        };
        if raw_step.form.is_some() {
            let page_form = raw_step.action == Action::Page && raw_step.via == Some(Via::Form);
            let raw_post = raw_step.action == Action::Request && method == "POST";
            if !(page_form || raw_post) {
                return Err(here(
                    "`form` is for a `POST` request step or a `page` step with `via = \"form\"`",
                ));
            }
            if raw_step.sign != Signing::None {
                return Err(here(
                    "a `form` upload signs its own policy: drop `sign` (`body` is the file)",
                ));
            }
        }
        if raw_step.content_md5.is_some() && raw_step.action != Action::PutCors {
            return Err(here("`content_md5` is only for `put-cors` steps"));
        }
        let step_cors = match (raw_step.action, &raw_step.cors) {
            (Action::PutCors, Some(c)) => {
                let cfg = load_rules(c, offset)?;
                check_origin_templates(&cfg, browser).map_err(|e| here(&e))?;
                if oss_only_rules(&cfg) {
                    return Err(here(
                        "`cors`: the rules use ResponseVary, which only OSS has: add `dialects = [\"oss\"]`",
                    ));
                }
                Some(cfg)
            }
            (Action::PutCors, None) => return Err(here("a `put-cors` step needs `cors`")),
            (_, Some(_)) => return Err(here("`cors` is only for `put-cors` steps")),
            (_, None) => None,
        };
        if !matches!(raw_step.action, Action::Request | Action::Page)
            && (raw_step.sign != Signing::None || raw_step.key.is_some() || raw_step.body.is_some())
        {
            return Err(here("bucket API steps take no `sign`, `key` or `body`"));
        }
        if raw_step.expect.is_empty() {
            return Err(here(
                "a step needs at least one `expect`: a check that can fail",
            ));
        }
        // Each entry is built as the kind of check its step takes, placed at its line.
        fn written<S>(
            expect: &[Spanned<RawExpect>],
            build: impl Fn(&RawExpect) -> Result<Check<S>, String>,
            fail: impl Fn(usize, usize, String) -> String,
            source: impl Fn(usize) -> String,
        ) -> Result<Vec<Check<S>>, String> {
            let mut checks = Vec::new();
            for (j, e) in expect.iter().enumerate() {
                let mut check = build(e.get_ref()).map_err(|msg| fail(e.span().start, j, msg))?;
                check.source = source(e.span().start);
                checks.push(check);
            }
            Ok(checks)
        }
        let fail = |offset: usize, j: usize, msg: String| {
            let where_ = at(offset, &format!("step `{name}` expect {}", j + 1));
            format!("{where_}: {msg}")
        };
        let source = |offset: usize| format!("suites/{id}.toml:{}", line_of(&text, offset));
        let checks = if raw_step.action == Action::Page {
            StepChecks::Page(written(
                &raw_step.expect,
                |e| build_page_check(e, raw.level),
                fail,
                source,
            )?)
        } else {
            StepChecks::Exchange(written(
                &raw_step.expect,
                |e| build_check(e, raw.level, &rules_dir, raw_step.action, &steps),
                fail,
                source,
            )?)
        };
        if let Some(c) = &capture {
            captured.push(c.name.clone());
        }
        for (level, _) in checks.written() {
            most_severe = Some(most_severe.map_or(level, |l| l.max(level)));
        }
        steps.push(Step {
            name,
            action: raw_step.action,
            method,
            bucket: raw_step.bucket,
            key: raw_step.key.clone(),
            query: raw_step.query.clone(),
            headers: raw_step
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            body: raw_step.body.clone(),
            sign: raw_step.sign,
            cors: step_cors,
            page,
            when: raw_step.when.clone(),
            form: raw_step.form,
            content_md5: raw_step.content_md5.unwrap_or(true),
            body_size: raw_step.body_size,
            capture,
            checks,
        });
    }
    if most_severe != Some(raw.level) {
        return Err(at(
            0,
            &format!(
                "`level = \"{}\"` but the most severe check is `{}`: the scenario's level says how bad its failure is, so they must agree",
                raw.level.name(),
                most_severe.map(Level::name).unwrap_or("none")
            ),
        ));
    }
    let mut differs = Vec::new();
    for d in &raw.differs {
        let named = steps
            .iter()
            .any(|st| st.action == Action::Page && st.name == d.get_ref().step);
        if !named {
            return Err(at(
                d.span().start,
                &format!(
                    "`model_differs`: `{}` is not a `page` step",
                    d.get_ref().step
                ),
            ));
        }
        if d.get_ref().reason.trim().is_empty() {
            return Err(at(d.span().start, "`model_differs` needs a `reason`"));
        }
        differs.push(d.get_ref().clone());
    }
    Ok(Scenario {
        id,
        file: file.to_path_buf(),
        title: raw.title.trim().to_string(),
        requirement: raw.requirement.trim().to_string(),
        level: raw.level,
        spec: raw.spec.clone(),
        dialects: raw.dialects.clone(),
        cors,
        cors_fixture,
        objects: raw
            .setup
            .objects
            .iter()
            .map(|o| SetupObject {
                key: o.key.clone(),
                body: o.body.clone(),
                content_type: o
                    .content_type
                    .clone()
                    .unwrap_or_else(|| "text/plain".to_string()),
            })
            .collect(),
        steps,
        differs,
    })
}

fn build_check(
    raw: &RawExpect,
    default_level: Level,
    rules_dir: &Path,
    action: Action,
    earlier: &[Step],
) -> Result<ExchangeCheck, String> {
    let header_preds: Vec<HeaderPredicate> = [
        raw.present.map(HeaderPredicate::Present),
        raw.equals.clone().map(HeaderPredicate::Equals),
        raw.token.clone().map(HeaderPredicate::Token),
        raw.no_token.clone().map(HeaderPredicate::NoToken),
        raw.tokens.clone().map(HeaderPredicate::Tokens),
        raw.count.map(HeaderPredicate::Count),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut subjects: Vec<ExchangeSubject> = Vec::new();
    if raw.page.is_some()
        || raw.store_requests.is_some()
        || raw.store_preflights.is_some()
        || raw.store_status.is_some()
        || raw.sent_origin.is_some()
        || raw.store_allow_origin_not.is_some()
        || raw.browser.is_some()
    {
        return Err(
            "`page`, `store_requests`, `store_preflights`, `store_status`, `sent_origin`, `store_allow_origin_not` and `browser` judge `page` steps only"
                .into(),
        );
    }
    if let Some(s) = &raw.status {
        s.validate()?;
        subjects.push(ExchangeSubject::Status(s.clone()));
    }
    if let Some(name) = &raw.header {
        if header_preds.len() != 1 {
            return Err(format!(
                "`header = \"{name}\"` needs exactly one of `present`, `equals`, `token`, `no_token`, `tokens`, `count`"
            ));
        }
        subjects.push(ExchangeSubject::Header {
            name: name.to_ascii_lowercase(),
            predicate: header_preds[0].clone(),
        });
    } else if !header_preds.is_empty() {
        return Err(
            "`present`, `equals`, `token`, `no_token`, `tokens` and `count` need `header`".into(),
        );
    }
    if let Some(c) = &raw.error_code {
        subjects.push(ExchangeSubject::ErrorCode(c.clone()));
    }
    if let Some(m) = &raw.error_message {
        subjects.push(ExchangeSubject::ErrorMessage(m.clone()));
    }
    if let Some(b) = &raw.body {
        subjects.push(ExchangeSubject::Body(b.clone()));
    }
    if let Some(parts) = &raw.body_of {
        subjects.push(assembled(parts, earlier)?);
    }
    if let Some(outcome) = raw.fetch {
        if action != Action::Request {
            return Err("`fetch` judges a browser request; bucket API steps have none".into());
        }
        subjects.push(ExchangeSubject::Fetch {
            outcome,
            credentials: raw.credentials.unwrap_or(false),
            standard: raw.standard.unwrap_or(false),
        });
    }
    for (name, readable) in [(&raw.readable, true), (&raw.unreadable, false)] {
        if let Some(h) = name {
            subjects.push(ExchangeSubject::Readable {
                header: h.to_ascii_lowercase(),
                readable,
                credentials: raw.credentials.unwrap_or(false),
            });
        }
    }
    if raw.standard.is_some() && raw.fetch.is_none() {
        return Err("`standard` goes with `fetch`".into());
    }
    if raw.credentials.is_some()
        && raw.fetch.is_none()
        && raw.readable.is_none()
        && raw.unreadable.is_none()
    {
        return Err("`credentials` goes with `fetch`, `readable` or `unreadable`".into());
    }
    if let Some(f) = &raw.cors_config {
        let path = rules_dir.join(f);
        if !path.is_file() {
            return Err(format!("`cors_config`: no fixture `{}`", path.display()));
        }
        let expected = CorsConfiguration::load(&path)?;
        subjects.push(ExchangeSubject::CorsConfig {
            fixture: f.clone(),
            expected,
        });
    }
    if let Some(v) = &raw.vary {
        if !v.eq_ignore_ascii_case("origin") {
            return Err(format!(
                "`vary = \"{v}\"`: `vary` judges Origin only; for another name write `header = \"vary\"` with `token`"
            ));
        }
        subjects.push(ExchangeSubject::VaryOrigin);
    }
    one_check(subjects, raw, default_level, RAW_SUBJECTS)
}

/// What a raw request step's checks can look at.
const RAW_SUBJECTS: &str = "`status`, `header`, `error_code`, `error_message`, `body`, `body_of`, `fetch`, `readable`, `unreadable`, `cors_config`, `vary`";

/// What a page step's checks can look at.
const PAGE_SUBJECTS: &str = "`page`, `status`, `body`, `readable`, `unreadable`, `store_requests`, `store_preflights`, `store_status`, `sent_origin`, `store_allow_origin_not`";

/// The check an `expect` entry makes: exactly one subject, among `names`.
fn one_check<S>(
    mut subjects: Vec<S>,
    raw: &RawExpect,
    default_level: Level,
    names: &str,
) -> Result<Check<S>, String> {
    match subjects.len() {
        0 => Err(format!("says nothing to check: give one of {names}")),
        1 => Ok(Check {
            level: raw.level.unwrap_or(default_level),
            dialect: raw.dialect,
            browser: raw
                .browser
                .clone()
                .map(OneOrMore::into_vec)
                .unwrap_or_default(),
            subject: subjects.remove(0),
            source: String::new(),
        }),
        _ => Err("checks one thing only: split it into several `expect` entries".into()),
    }
}

/// Names a browser scenario's rules may use for the page origins.
pub const PAGE_ORIGIN_VARIABLES: [&str; 3] = ["page_a", "page_a2", "page_b"];

/// Page origins are known only in browser mode: only browser scenarios' rules may name them.
fn check_origin_templates(cfg: &CorsConfiguration, browser: bool) -> Result<(), String> {
    for name in cfg.origin_templates() {
        if !PAGE_ORIGIN_VARIABLES.contains(&name.as_str()) {
            return Err(format!(
                "`cors`: unknown origin template `{{{{{name}}}}}` (known: {})",
                PAGE_ORIGIN_VARIABLES.join(", ")
            ));
        }
        if !browser {
            return Err(format!(
                "`cors`: `{{{{{name}}}}}` is a page origin, known only to scenarios with `page` steps"
            ));
        }
    }
    Ok(())
}

/// The page part of a step: only `page` steps have one, and only they take its fields.
fn page_step(raw: &RawStep, earlier: &[Spanned<RawStep>]) -> Result<Option<PageStep>, String> {
    let page_fields = [
        ("origin", raw.origin.is_some()),
        ("via", raw.via.is_some()),
        ("credentials", raw.credentials.is_some()),
        ("same_url_as", raw.same_url_as.is_some()),
        ("cache", raw.cache.is_some()),
        ("content_type", raw.content_type.is_some()),
        ("pause_ms", raw.pause_ms.is_some()),
    ];
    if raw.action != Action::Page {
        if let Some((name, _)) = page_fields.iter().find(|(_, set)| *set) {
            return Err(format!("`{name}` is only for `page` steps"));
        }
        return Ok(None);
    }
    let via = raw
        .via
        .ok_or("a `page` step needs `via` (xhr, fetch, no-cors, form, img)")?;
    let origin = raw.origin.clone().unwrap_or_else(|| "a".to_string());
    if !crate::vocabulary::ORIGINS.contains(&origin.as_str()) {
        return Err(format!(
            "`origin = \"{origin}\"`: the page origins are {}",
            crate::vocabulary::ORIGINS.join(", ")
        ));
    }
    let cache = raw.cache.clone().unwrap_or_else(|| "default".to_string());
    const CACHE_MODES: [&str; 6] = [
        "default",
        "no-store",
        "reload",
        "no-cache",
        "force-cache",
        "only-if-cached",
    ];
    if !CACHE_MODES.contains(&cache.as_str()) {
        return Err(format!(
            "`cache = \"{cache}\"`: the fetch cache modes are {}",
            CACHE_MODES.join(", ")
        ));
    }
    match (via, raw.sign) {
        (Via::Form, Signing::None) => {}
        (Via::Form, _) => {
            return Err("a `form` upload carries its own signed policy: drop `sign`".into());
        }
        (_, Signing::Header | Signing::BadSignature | Signing::UnknownKey) => {
            return Err(
                "a page cannot sign in a header without the store's help: use `presign`, `expired-presign` or `bad-presign`"
                    .into(),
            );
        }
        _ => {}
    }
    let pause_ms = raw.pause_ms.unwrap_or(0);
    if pause_ms > 10_000 {
        return Err(format!("`pause_ms = {pause_ms}`: at most 10000"));
    }
    if let Some(name) = &raw.same_url_as {
        let found = earlier.iter().any(|s| {
            let s = s.get_ref();
            s.action == Action::Page && s.name.as_deref() == Some(name.as_str())
        });
        if !found {
            return Err(format!(
                "`same_url_as = \"{name}\"` names no earlier `page` step"
            ));
        }
    }
    Ok(Some(PageStep {
        origin,
        via,
        credentials: raw.credentials.unwrap_or(false),
        same_url_as: raw.same_url_as.clone(),
        cache,
        content_type: raw
            .content_type
            .clone()
            .unwrap_or_else(|| "text/plain".to_string()),
        pause_ms,
    }))
}

/// A check of a `page` step: what the page saw, and what reached the store.
fn build_page_check(raw: &RawExpect, default_level: Level) -> Result<PageCheck, String> {
    let header_predicate = raw.present.is_some()
        || raw.equals.is_some()
        || raw.token.is_some()
        || raw.no_token.is_some()
        || raw.tokens.is_some()
        || raw.count.is_some();
    let raw_only = [
        ("header", raw.header.is_some() || header_predicate),
        ("error_code", raw.error_code.is_some()),
        ("error_message", raw.error_message.is_some()),
        ("fetch", raw.fetch.is_some()),
        ("credentials", raw.credentials.is_some()),
        ("cors_config", raw.cors_config.is_some()),
        ("vary", raw.vary.is_some()),
        ("standard", raw.standard.is_some()),
    ];
    if let Some((name, _)) = raw_only.iter().find(|(_, set)| *set) {
        return Err(format!(
            "`{name}` judges a raw request; a `page` step is judged by what the page saw: {PAGE_SUBJECTS}"
        ));
    }
    let mut subjects = Vec::new();
    if let Some(o) = raw.page {
        subjects.push(PageSubject::Outcome(o));
    }
    if let Some(s) = &raw.status {
        s.validate()?;
        subjects.push(PageSubject::Status(s.clone()));
    }
    if let Some(b) = &raw.body {
        subjects.push(PageSubject::Body(b.clone()));
    }
    for (name, readable) in [(&raw.readable, true), (&raw.unreadable, false)] {
        if let Some(h) = name {
            subjects.push(PageSubject::Readable {
                header: h.to_ascii_lowercase(),
                readable,
            });
        }
    }
    if let Some(n) = raw.store_requests {
        subjects.push(PageSubject::StoreRequests(n));
    }
    if let Some(n) = raw.store_preflights {
        subjects.push(PageSubject::StorePreflights(n));
    }
    if let Some(s) = &raw.store_status {
        s.validate()?;
        subjects.push(PageSubject::StoreStatus(s.clone()));
    }
    if let Some(o) = &raw.sent_origin {
        subjects.push(PageSubject::SentOrigin(o.clone()));
    }
    if let Some(v) = &raw.store_allow_origin_not {
        subjects.push(PageSubject::StoreAllowOriginNot(v.clone()));
    }
    one_check(subjects, raw, default_level, PAGE_SUBJECTS)
}

/// `body_of = [steps]`: the body is the earlier steps' bodies joined, as a completed
/// multipart upload assembles its parts.
fn assembled(parts: &[String], earlier: &[Step]) -> Result<ExchangeSubject, String> {
    if parts.is_empty() {
        return Err("`body_of` names the steps whose bodies make the object".into());
    }
    let mut whole = String::new();
    for part in parts {
        let step = earlier
            .iter()
            .find(|s| &s.name == part)
            .ok_or_else(|| format!("`body_of`: `{part}` is no earlier step"))?;
        let body = step
            .sized_body()
            .ok_or_else(|| format!("`body_of`: step `{part}` sends no body"))?;
        if body.contains("{{") {
            return Err(format!(
                "`body_of`: step `{part}`'s body has templates; its bytes are not known ahead"
            ));
        }
        whole.push_str(&body);
    }
    Ok(ExchangeSubject::Assembled(crate::check::Digest::of(
        parts.to_vec(),
        whole.as_bytes(),
    )))
}

/// A step's `capture`, checked: one source, a fresh name, a step with an answer to read.
fn capture_of(raw: &RawCapture, known: &[&str], action: Action) -> Result<Capture, String> {
    let name = raw.name.as_str();
    let word = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !word {
        return Err(format!(
            "`name = \"{name}\"`: lower-case letters, digits and `_`"
        ));
    }
    if known.contains(&name) {
        return Err(format!("`{name}` is already a template variable"));
    }
    if !matches!(action, Action::Request | Action::Page) {
        return Err("only a `request` or `page` step has an answer to capture from".into());
    }
    let from = match (&raw.element, &raw.header) {
        (Some(e), None) if !e.is_empty() => CaptureFrom::Element(e.clone()),
        (None, Some(h)) if !h.is_empty() => CaptureFrom::Header(h.to_ascii_lowercase()),
        _ => return Err("give one of `element` (in the body) or `header`".into()),
    };
    Ok(Capture {
        name: name.to_string(),
        from,
    })
}

/// Rejects `{{name}}` templates with names not in `known` or unbalanced braces.
fn check_template(value: &str, known: &[&str]) -> Result<(), String> {
    let mut rest = value;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(format!("unclosed `{{{{` in `{value}`"));
        };
        let name = after[..end].trim();
        if !known.contains(&name) {
            return Err(format!(
                "unknown template variable `{name}` (known here: {})",
                known.join(", ")
            ));
        }
        rest = &after[end + 2..];
    }
    Ok(())
}

/// Replaces `{{name}}` with its value; names were checked at load time.
pub fn expand(value: &str, vars: &BTreeMap<&str, String>) -> String {
    crate::template::fill(value, |name| {
        Some(vars.get(name).cloned().unwrap_or_default())
    })
}

/// Every `*.toml` below `suites`, sorted, skipping `_group.toml` and `snapshots/`.
pub fn discover(suites: &Path) -> Result<Vec<PathBuf>, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>, catalog: &Path) -> Result<(), String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "snapshots") {
                    walk(&path, out, catalog)?;
                }
            } else if path.extension().is_some_and(|e| e == "toml")
                && path.file_name().is_some_and(|n| n != "_group.toml")
                && path != catalog
            {
                out.push(path);
            }
        }
        Ok(())
    }
    // The findings catalog sits beside the groups; it is not a scenario.
    let catalog = suites.join("findings.toml");
    let mut out = Vec::new();
    walk(suites, &mut out, &catalog)?;
    out.sort();
    Ok(out)
}

/// Loads every scenario; returns all of them or every error found.
pub fn load_all(suites: &Path, fixtures: &Path) -> Result<Vec<Scenario>, Vec<String>> {
    let files = discover(suites).map_err(|e| vec![e])?;
    let mut scenarios = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        match load(&f, suites, fixtures) {
            Ok(s) => scenarios.push(s),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(scenarios)
    } else {
        Err(errors)
    }
}

/// Keeps scenarios whose id starts with any filter (all when no filter is given).
pub fn select(scenarios: Vec<Scenario>, filters: &[String]) -> Vec<Scenario> {
    if filters.is_empty() {
        return scenarios;
    }
    scenarios
        .into_iter()
        .filter(|s| {
            filters
                .iter()
                .any(|f| s.id.starts_with(f.trim_end_matches('/')))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_keeps_the_file_and_line_it_is_written_at() {
        // harness/core -> the repository root.
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(2)
            .unwrap();
        let all = load_all(&root.join("suites"), &root.join("fixtures")).unwrap();
        let mut seen = 0;
        for s in &all {
            let text = std::fs::read_to_string(root.join(format!("suites/{}.toml", s.id))).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            let mut last = 0;
            for (_, source) in s.steps.iter().flat_map(|st| st.checks.written()) {
                let (file, line) = source.rsplit_once(':').unwrap();
                assert_eq!(file, format!("suites/{}.toml", s.id));
                let line: usize = line.parse().unwrap();
                // Written in order, each on a line of the step's `expect` list.
                assert!(line >= last, "{}: {} after line {last}", s.id, source);
                assert!(
                    lines[line - 1].contains('{'),
                    "{}: line {line} is `{}`",
                    s.id,
                    lines[line - 1]
                );
                last = line;
                seen += 1;
            }
        }
        assert!(seen > 250, "only {seen} checks");
    }

    #[test]
    fn every_must_scenario_says_what_breaks_when_it_fails() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(2)
            .unwrap();
        let all = load_all(&root.join("suites"), &root.join("fixtures")).unwrap();
        // The words a requirement uses for a page that breaks or rules that are lost.
        let says = |r: &str| {
            let r = r.to_lowercase();
            [
                "when the must fails",
                "else",
                "break",
                "fails",
                "lost",
                "lose",
                "must not",
            ]
            .iter()
            .any(|w| r.contains(w))
        };
        let silent: Vec<&str> = all
            .iter()
            .filter(|s| s.level == Level::Must && !says(&s.requirement))
            .map(|s| s.id.as_str())
            .collect();
        assert!(
            silent.is_empty(),
            "must scenarios that do not say what breaks: {silent:?}"
        );
        assert!(all.iter().filter(|s| s.level == Level::Must).count() > 80);
    }

    fn setup(tag: &str, body: &str) -> (PathBuf, PathBuf, PathBuf, PathBuf) {
        let root = std::env::temp_dir().join(format!("corsprobe-scn-{tag}-{}", std::process::id()));
        let suites = root.join("suites");
        let fixtures = root.join("fixtures");
        std::fs::create_dir_all(suites.join("g")).unwrap();
        std::fs::create_dir_all(fixtures.join("cors-rules")).unwrap();
        std::fs::write(
            fixtures.join("cors-rules/r.xml"),
            "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
        )
        .unwrap();
        let file = suites.join("g/case.toml");
        std::fs::write(&file, body).unwrap();
        (root, suites, fixtures, file)
    }

    const GOOD: &str = r#"title = "t"
requirement = "r"
level = "must"
[setup]
cors = "r.xml"
[[step]]
method = "OPTIONS"
key = "a.txt"
headers = { Origin = "http://a", Access-Control-Request-Method = "GET" }
expect = [ { fetch = "allowed" }, { status = 200, level = "reference" } ]
"#;

    #[test]
    fn loads_a_good_scenario_with_id_from_path() {
        let (_r, suites, fixtures, file) = setup("good", GOOD);
        let s = load(&file, &suites, &fixtures).unwrap();
        assert_eq!(s.id, "g/case");
        assert_eq!(s.group(), "g");
        assert_eq!(s.steps[0].checks.len(), 2);
        assert_eq!(s.steps[0].checks.written()[1].0, Level::Reference);
        assert!(s.cors.is_some());
    }

    fn error_for(tag: &str, body: &str) -> String {
        let (_r, suites, fixtures, file) = setup(tag, body);
        load(&file, &suites, &fixtures).unwrap_err()
    }

    #[test]
    fn unknown_key_names_file_and_line() {
        let e = error_for(
            "unknown",
            &GOOD.replace("key = \"a.txt\"", "key = \"a.txt\"\ncolour = 1"),
        );
        assert!(e.contains("g/case.toml:9:"), "{e}");
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn wrong_type_names_file_and_line() {
        let e = error_for("type", &GOOD.replace("level = \"must\"", "level = 3"));
        assert!(e.contains("case.toml:3:"), "{e}");
    }

    #[test]
    fn missing_fixture_is_named() {
        let e = error_for("fixture", &GOOD.replace("r.xml", "nope.xml"));
        assert!(e.contains("case.toml:5:") && e.contains("nope.xml"), "{e}");
    }

    #[test]
    fn unknown_template_variable_is_rejected() {
        let e = error_for("tmpl", &GOOD.replace("http://a", "http://{{host}}"));
        assert!(e.contains("unknown template variable `host`"), "{e}");
    }

    #[test]
    fn check_without_subject_or_with_two_is_rejected() {
        let e = error_for(
            "empty",
            &GOOD.replace("{ fetch = \"allowed\" }", "{ level = \"must\" }"),
        );
        assert!(
            e.contains("expect 1") && e.contains("says nothing to check"),
            "{e}"
        );
        let e = error_for(
            "two",
            &GOOD.replace(
                "{ fetch = \"allowed\" }",
                "{ fetch = \"allowed\", status = 200 }",
            ),
        );
        assert!(e.contains("checks one thing only"), "{e}");
        let e = error_for(
            "pred",
            &GOOD.replace("{ fetch = \"allowed\" }", "{ equals = \"x\" }"),
        );
        assert!(e.contains("need `header`"), "{e}");
    }

    #[test]
    fn level_must_match_most_severe_check() {
        let e = error_for(
            "level",
            &GOOD
                .replace("level = \"must\"", "level = \"should\"")
                .replace(
                    "{ fetch = \"allowed\" }",
                    "{ fetch = \"allowed\", level = \"must\" }",
                ),
        );
        assert!(e.contains("most severe check is `must`"), "{e}");
    }

    #[test]
    fn step_without_checks_is_rejected() {
        let e = error_for(
            "nocheck",
            &GOOD.replace(
                "expect = [ { fetch = \"allowed\" }, { status = 200, level = \"reference\" } ]",
                "",
            ),
        );
        assert!(e.contains("needs at least one `expect`"), "{e}");
    }

    #[test]
    fn templates_expand() {
        let mut vars = BTreeMap::new();
        vars.insert("bucket", "b1".to_string());
        assert_eq!(expand("/{{bucket}}/{{ bucket }}x", &vars), "/b1/b1x");
        assert!(check_template("{{bucket", TEMPLATE_VARIABLES).is_err());
        assert!(check_template("{{upload_id}}", TEMPLATE_VARIABLES).is_err());
        assert!(check_template("{{upload_id}}", &["upload_id"]).is_ok());
    }

    #[test]
    fn a_sized_body_repeats_whole_characters_to_the_size() {
        assert_eq!(sized("abc", Some(7)), "abcabca");
        assert_eq!(sized("abc", Some(2)), "ab");
        assert_eq!(sized("abc", None), "abc");
        assert_eq!(sized("", Some(5)), "");
        // Characters, not bytes: é is two bytes in UTF-8.
        assert_eq!(sized("é-", Some(5)), "é-é-é");
        let part = sized("corsprobe part one. ", Some(5 << 20));
        assert_eq!(part.len(), 5 << 20);
        assert!(part.ends_with("corsprobe part one. ".split_at((5 << 20) % 20).0));
    }

    const TWO_STEPS: &str = r#"
[[step]]
name = "second"
method = "OPTIONS"
key = "a.txt"
WHEN
headers = { Origin = "http://a", Access-Control-Request-Method = "GET" }
expect = [ { fetch = "allowed" } ]
"#;

    fn with_second(when: &str) -> String {
        GOOD.replace("[[step]]\nmethod", "[[step]]\nname = \"first\"\nmethod")
            + &TWO_STEPS.replace("WHEN", when)
    }

    #[test]
    fn a_conditional_step_names_an_earlier_step_and_a_status() {
        let (_r, suites, fixtures, file) = setup(
            "when",
            &with_second("when = { step = \"first\", status = \"4xx\" }"),
        );
        let s = load(&file, &suites, &fixtures).unwrap();
        let when = s.steps[1].when.as_ref().unwrap();
        assert!(when.holds(Some(403)) && !when.holds(Some(200)) && !when.holds(None));
        assert!(
            when.unmet("second", Some(200))
                .contains("`first` answers 4xx, and it answered 200")
        );
        let e = error_for(
            "when-later",
            &with_second("when = { step = \"second\", status = 400 }"),
        );
        assert!(e.contains("names no earlier step"), "{e}");
        let e = error_for(
            "when-status",
            &with_second("when = { step = \"first\", status = \"9xx\" }"),
        );
        assert!(e.contains("`when`") && e.contains("9xx"), "{e}");
    }

    #[test]
    fn vary_judges_origin_only() {
        let e = error_for(
            "vary",
            &GOOD.replace(
                "{ status = 200, level = \"reference\" }",
                "{ vary = \"accept\" }",
            ),
        );
        assert!(e.contains("`vary` judges Origin only"), "{e}");
    }
}

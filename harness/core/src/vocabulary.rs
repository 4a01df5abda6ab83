//! The words every layer shares: dialects, addressing, signing modes, check levels, browsers
//! and page origins. Plain data; nothing here knows how a request is sent or a browser driven.

use serde::{Deserialize, Serialize};

/// The API family a target speaks: how requests are signed and CORS is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// Amazon S3 and S3-compatible stores (SigV4).
    S3,
    /// Alibaba Cloud OSS (OSS V1 or V4 signatures, `ResponseVary`).
    Oss,
}

impl Dialect {
    /// The name used in files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::S3 => "s3",
            Dialect::Oss => "oss",
        }
    }

    /// The vendor whose behaviour `reference` checks compare against.
    pub fn reference_vendor(self) -> &'static str {
        match self {
            Dialect::S3 => "AWS S3",
            Dialect::Oss => "Alibaba Cloud OSS",
        }
    }
}

/// Which OSS signature a target uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum OssSignature {
    /// HMAC-SHA1 `OSS AccessKeyId:Signature`.
    V1,
    /// `OSS4-HMAC-SHA256`.
    #[default]
    V4,
}

/// How bucket names appear in URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Addressing {
    /// `http://endpoint/bucket/key`.
    #[default]
    Path,
    /// `http://bucket.endpoint/key`.
    Virtual,
}

/// How a request is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Signing {
    /// Anonymous: what a browser sends for a preflight.
    #[default]
    None,
    /// Signed in the `Authorization` header.
    Header,
    /// Signed in the query string, valid for five minutes.
    Presign,
    /// Signed in the header with a wrong secret: the store must refuse it.
    BadSignature,
    /// Presigned an hour ago for one minute: expired.
    ExpiredPresign,
    /// Presigned with a wrong secret: what a page holding a broken link sends.
    BadPresign,
    /// Signed in the header for an access key the store does not know: it must refuse it.
    UnknownKey,
}

/// A form upload (POST Object with a signed policy), honest or forged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Form {
    /// Policy and signature as the vendor documents them.
    #[default]
    Valid,
    /// The policy signed with a wrong secret.
    ForgedSignature,
    /// A form field the policy does not name (`x-amz-meta-extra` / `x-oss-meta-extra`).
    ExtraField,
    /// A policy whose expiration passed an hour ago.
    ExpiredPolicy,
}

/// How bad a failed check is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// A deviation from the dialect's reference vendor (AWS S3 for s3); not called broken.
    Reference,
    /// An interoperability, cache or security hazard.
    Should,
    /// Breaks browsers: the Fetch standard's requirement is not met.
    Must,
}

impl Level {
    /// The name used in files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Level::Reference => "reference",
            Level::Should => "should",
            Level::Must => "must",
        }
    }
}

/// A browser corsprobe can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BrowserKind {
    /// Chromium through chromedriver.
    Chromium,
    /// Firefox ESR through geckodriver.
    Firefox,
    /// WebKitGTK's MiniBrowser through WebKitWebDriver: Safari's engine.
    Webkit,
    /// Chromium with the Fetch standard's rule it does not enforce yet switched on
    /// (`--enable-features=CorsNonWildcardRequestHeadersSupport`: `*` does not cover Authorization).
    ChromiumStandard,
    /// Firefox with the same rule switched on
    /// (`network.cors_preflight.authorization_covered_by_wildcard = false`).
    FirefoxStandard,
}

impl BrowserKind {
    /// The browsers users have, in report order: what `--browser` defaults to.
    pub const ALL: [BrowserKind; 3] = [
        BrowserKind::Chromium,
        BrowserKind::Firefox,
        BrowserKind::Webkit,
    ];

    /// Every browser `--browser` can name, those with the standard's rules switched on too.
    pub const EVERY: [BrowserKind; 5] = [
        BrowserKind::Chromium,
        BrowserKind::Firefox,
        BrowserKind::Webkit,
        BrowserKind::ChromiumStandard,
        BrowserKind::FirefoxStandard,
    ];

    /// The browser's name in options, scenario files and reports.
    pub fn name(self) -> &'static str {
        match self {
            BrowserKind::Chromium => "chromium",
            BrowserKind::Firefox => "firefox",
            BrowserKind::Webkit => "webkit",
            BrowserKind::ChromiumStandard => "chromium-standard",
            BrowserKind::FirefoxStandard => "firefox-standard",
        }
    }

    /// Finds a browser by name.
    pub fn parse(name: &str) -> Option<BrowserKind> {
        Self::EVERY.into_iter().find(|b| b.name() == name)
    }

    /// The browser engine it runs: Chromium, Firefox or WebKit.
    pub fn engine(self) -> BrowserKind {
        match self {
            BrowserKind::Webkit => BrowserKind::Webkit,
            BrowserKind::Chromium | BrowserKind::ChromiumStandard => BrowserKind::Chromium,
            BrowserKind::Firefox | BrowserKind::FirefoxStandard => BrowserKind::Firefox,
        }
    }

    /// True when the standard's rules browsers do not enforce yet are switched on.
    pub fn standard(self) -> bool {
        self != self.engine()
    }
}

/// The page origins a browser step can use, by name, each with the loopback address it is
/// served on: `a` and `a2` are one site on two ports, `b` is another site.
pub const PAGE_ORIGINS: [(&str, &str); 3] =
    [("a", "127.0.0.1"), ("a2", "127.0.0.1"), ("b", "127.0.0.2")];

/// The page opened as a local file (`file://`), as the seed guide runs its GET example: its
/// origin is opaque, so the browser sends `Origin: null`.
pub const FILE_ORIGIN: &str = "file";

/// How an opaque origin (a file page's) is serialized, in `Origin` and in `location.origin`.
pub const OPAQUE_ORIGIN: &str = "null";

/// Names of the page origins a browser step can use.
pub const ORIGINS: [&str; 4] = [
    PAGE_ORIGINS[0].0,
    PAGE_ORIGINS[1].0,
    PAGE_ORIGINS[2].0,
    FILE_ORIGIN,
];

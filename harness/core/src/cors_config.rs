//! The typed bucket CORS configuration, shared by every dialect, and its XML form.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// A bucket's whole CORS configuration: an ordered list of rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "CORSConfiguration")]
pub struct CorsConfiguration {
    /// The rules, in the order the store evaluates them (first match wins).
    #[serde(rename = "CORSRule", default)]
    pub rules: Vec<CorsRule>,
    /// OSS only: send `Vary: Origin` on every response.
    #[serde(
        rename = "ResponseVary",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub response_vary: Option<bool>,
}

/// One `CORSRule`. Every list may be empty so that invalid documents can be expressed too.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsRule {
    /// Optional rule identifier.
    #[serde(rename = "ID", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Origins the rule applies to; each may hold one `*`.
    #[serde(rename = "AllowedOrigin", default)]
    pub allowed_origins: Vec<String>,
    /// Methods the rule allows.
    #[serde(rename = "AllowedMethod", default)]
    pub allowed_methods: Vec<String>,
    /// Request headers a preflight may name.
    #[serde(rename = "AllowedHeader", default)]
    pub allowed_headers: Vec<String>,
    /// Response headers the page may read.
    #[serde(rename = "ExposeHeader", default)]
    pub expose_headers: Vec<String>,
    /// How long a browser may cache the preflight.
    #[serde(
        rename = "MaxAgeSeconds",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub max_age_seconds: Option<u32>,
}

impl CorsConfiguration {
    /// Parses a `CORSConfiguration` XML document.
    pub fn from_xml(xml: &str) -> Result<Self, String> {
        // serde ignores the root element's name, so an error document would parse as "no rules".
        match crate::xml::root_name(xml).as_deref() {
            Some("CORSConfiguration") => {}
            Some(other) => {
                return Err(format!(
                    "root element is <{other}>, not <CORSConfiguration>"
                ));
            }
            None => return Err("not an XML document".to_string()),
        }
        quick_xml::de::from_str(xml).map_err(|e| format!("not a CORSConfiguration document: {e}"))
    }

    /// Serialises the configuration as the request body of PutBucketCors.
    pub fn to_xml(&self) -> String {
        // Serialising plain strings and numbers cannot fail.
        let body = quick_xml::se::to_string(self).expect("CORS model serialises");
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}")
    }

    /// Reads a fixture file, naming the file in the error.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        Self::from_xml(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The `{{...}}` names used in AllowedOrigin, e.g. `page_a` (browser scenarios' page origins).
    pub fn origin_templates(&self) -> Vec<String> {
        let mut names = Vec::new();
        for origin in self.rules.iter().flat_map(|r| &r.allowed_origins) {
            crate::template::fill(origin, |name| {
                names.push(name.to_string());
                None
            });
        }
        names
    }

    /// The rules with `{{name}}` in AllowedOrigin replaced by the value of `name`.
    pub fn with_origins(&self, vars: &[(String, String)]) -> CorsConfiguration {
        let mut out = self.clone();
        for origin in out
            .rules
            .iter_mut()
            .flat_map(|r| r.allowed_origins.iter_mut())
        {
            *origin = crate::template::fill(origin, |name| {
                vars.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
            });
        }
        out
    }

    /// Equal as a store applies them: rule order matters, order inside a rule's lists does not.
    pub fn same_rules(&self, other: &CorsConfiguration) -> bool {
        fn sorted(v: &[String]) -> Vec<&String> {
            let mut v: Vec<&String> = v.iter().collect();
            v.sort();
            v
        }
        self.response_vary == other.response_vary
            && self.rules.len() == other.rules.len()
            && self.rules.iter().zip(&other.rules).all(|(a, b)| {
                a.id == b.id
                    && a.max_age_seconds == b.max_age_seconds
                    && sorted(&a.allowed_origins) == sorted(&b.allowed_origins)
                    && sorted(&a.allowed_methods) == sorted(&b.allowed_methods)
                    && sorted(&a.allowed_headers) == sorted(&b.allowed_headers)
                    && sorted(&a.expose_headers) == sorted(&b.expose_headers)
            })
    }

    /// A compact one-line description, used as the "actual" of a failed comparison.
    pub fn summary(&self) -> String {
        if self.rules.is_empty() {
            return "no rules".to_string();
        }
        let rules: Vec<String> = self
            .rules
            .iter()
            .map(|r| {
                let mut s = format!(
                    "{} from {}",
                    r.allowed_methods.join(","),
                    r.allowed_origins.join(",")
                );
                if !r.allowed_headers.is_empty() {
                    s.push_str(&format!(" headers {}", r.allowed_headers.join(",")));
                }
                if !r.expose_headers.is_empty() {
                    s.push_str(&format!(" expose {}", r.expose_headers.join(",")));
                }
                if let Some(age) = r.max_age_seconds {
                    s.push_str(&format!(" max-age {age}"));
                }
                s
            })
            .collect();
        format!("{} rule(s): {}", rules.len(), rules.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_xml() {
        let cfg = CorsConfiguration {
            rules: vec![
                CorsRule {
                    id: Some("first".into()),
                    allowed_origins: vec![
                        "http://www.example.com".into(),
                        "https://*.a.com".into(),
                    ],
                    allowed_methods: vec!["GET".into(), "PUT".into()],
                    allowed_headers: vec!["x-amz-*".into()],
                    expose_headers: vec!["ETag".into()],
                    max_age_seconds: Some(3000),
                },
                CorsRule {
                    allowed_origins: vec!["*".into()],
                    allowed_methods: vec!["HEAD".into()],
                    ..Default::default()
                },
            ],
            response_vary: None,
        };
        let xml = cfg.to_xml();
        assert!(
            xml.contains("<AllowedOrigin>https://*.a.com</AllowedOrigin>"),
            "{xml}"
        );
        assert!(
            !xml.contains("ResponseVary"),
            "S3 documents carry no ResponseVary: {xml}"
        );
        assert_eq!(CorsConfiguration::from_xml(&xml).unwrap(), cfg);
    }

    #[test]
    fn parses_a_store_response_with_namespace_and_rule_order() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin>
    <AllowedHeader>X-Amz-Meta-A</AllowedHeader><MaxAgeSeconds>10</MaxAgeSeconds></CORSRule>
  <CORSRule><AllowedMethod>PUT</AllowedMethod><AllowedOrigin>http://b</AllowedOrigin></CORSRule>
</CORSConfiguration>"#;
        let cfg = CorsConfiguration::from_xml(xml).unwrap();
        assert_eq!(cfg.rules.len(), 2);
        assert_eq!(cfg.rules[0].allowed_headers, vec!["X-Amz-Meta-A"]);
        assert_eq!(cfg.rules[0].max_age_seconds, Some(10));
        assert_eq!(cfg.rules[1].allowed_origins, vec!["http://b"]);
    }

    #[test]
    fn empty_and_invalid_documents_are_expressible() {
        let empty = CorsConfiguration::default();
        assert_eq!(CorsConfiguration::from_xml(&empty.to_xml()).unwrap(), empty);
        let no_origin = CorsConfiguration {
            rules: vec![CorsRule {
                allowed_methods: vec!["GET".into()],
                ..Default::default()
            }],
            response_vary: None,
        };
        assert!(!no_origin.to_xml().contains("AllowedOrigin"));
    }

    #[test]
    fn same_rules_ignores_order_inside_a_rule_but_not_rule_order_or_case() {
        let a = CorsConfiguration::from_xml("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>b</AllowedHeader><AllowedHeader>a</AllowedHeader></CORSRule><CORSRule><AllowedOrigin>x</AllowedOrigin><AllowedMethod>PUT</AllowedMethod></CORSRule></CORSConfiguration>").unwrap();
        let mut b = a.clone();
        b.rules[0].allowed_headers.reverse();
        assert!(a.same_rules(&b));
        b.rules.reverse();
        assert!(!a.same_rules(&b), "rule order decides which rule answers");
        let mut c = a.clone();
        c.rules[0].allowed_headers[0] = "B".into();
        assert!(!a.same_rules(&c), "case is kept");
        let mut d = a.clone();
        d.rules[1].max_age_seconds = Some(1);
        assert!(!a.same_rules(&d));
    }

    #[test]
    fn rejects_other_documents() {
        assert!(CorsConfiguration::from_xml("<Error><Code>x</Code></Error>").is_err());
        assert!(CorsConfiguration::from_xml("not xml").is_err());
    }

    #[test]
    fn response_vary_is_kept_for_oss() {
        let xml = "<CORSConfiguration><ResponseVary>true</ResponseVary></CORSConfiguration>";
        let cfg = CorsConfiguration::from_xml(xml).unwrap();
        assert_eq!(cfg.response_vary, Some(true));
        assert!(cfg.to_xml().contains("<ResponseVary>true</ResponseVary>"));
    }
}

#[cfg(test)]
mod template_tests {
    use super::*;

    #[test]
    fn page_origins_are_filled_in_and_listed() {
        let cfg = CorsConfiguration::from_xml(
            "<CORSConfiguration><CORSRule><AllowedOrigin>{{page_a}}</AllowedOrigin><AllowedOrigin>{{ page_a2 }}</AllowedOrigin><AllowedOrigin>http://x</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
        )
        .unwrap();
        assert_eq!(cfg.origin_templates(), vec!["page_a", "page_a2"]);
        let filled = cfg.with_origins(&[("page_a2".into(), "http://127.0.0.1:1".into())]);
        assert_eq!(
            filled.rules[0].allowed_origins,
            vec!["{{page_a}}", "http://127.0.0.1:1", "http://x"]
        );
    }
}

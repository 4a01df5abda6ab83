//! Small readers for the XML documents stores send back (errors, listings), and the one
//! request document built by hand (the key list of a multi-object delete).

use quick_xml::Reader;
use quick_xml::events::Event;

/// The name of the document's root element, if the text is XML.
pub fn root_name(xml: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                return Some(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// The text of every element with the given local name, in document order.
pub fn element_texts(xml: &str, name: &str) -> Vec<String> {
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    let mut inside = false;
    let mut text = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if e.local_name().as_ref() == name.as_bytes() => {
                inside = true;
                text.clear();
            }
            Ok(Event::Text(t)) if inside => {
                text.push_str(&String::from_utf8_lossy(t.as_ref()));
            }
            Ok(Event::GeneralRef(r)) if inside => {
                let entity = String::from_utf8_lossy(r.as_ref()).into_owned();
                text.push_str(match entity.as_str() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "",
                });
            }
            Ok(Event::End(e)) if inside && e.local_name().as_ref() == name.as_bytes() => {
                inside = false;
                out.push(std::mem::take(&mut text));
            }
            Ok(Event::Eof) | Err(_) => return out,
            Ok(_) => {}
        }
    }
}

/// The `<Code>` and `<Message>` of an S3/OSS `<Error>` document.
pub fn error_code_and_message(xml: &str) -> Option<(String, String)> {
    if root_name(xml).as_deref() != Some("Error") {
        return None;
    }
    let code = element_texts(xml, "Code").into_iter().next()?;
    let message = element_texts(xml, "Message")
        .into_iter()
        .next()
        .unwrap_or_default();
    Some((code, message))
}

/// The body of DeleteObjects (OSS: DeleteMultipleObjects), quiet: the store answers only the
/// keys it could not delete.
pub fn delete_request(keys: &[&str]) -> String {
    let objects: String = keys
        .iter()
        .map(|k| {
            format!(
                "<Object><Key>{}</Key></Object>",
                quick_xml::escape::escape(*k)
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete><Quiet>true</Quiet>{objects}</Delete>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_error_documents() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessForbidden</Code><Message>CORSResponse: a &amp; b</Message></Error>"#;
        assert_eq!(
            error_code_and_message(xml),
            Some(("AccessForbidden".into(), "CORSResponse: a & b".into()))
        );
        assert_eq!(error_code_and_message("<ListBucketResult/>"), None);
        assert_eq!(error_code_and_message("plain text"), None);
    }

    #[test]
    fn a_delete_request_lists_each_key_escaped() {
        let body = delete_request(&["p/a&b.txt", "c<d"]);
        assert_eq!(root_name(&body).as_deref(), Some("Delete"));
        assert_eq!(element_texts(&body, "Key"), vec!["p/a&b.txt", "c<d"]);
        assert_eq!(element_texts(&body, "Quiet"), vec!["true"]);
        assert!(body.contains("a&amp;b") && !body.contains("a&b"));
    }

    #[test]
    fn lists_repeated_elements() {
        let xml = "<L><Contents><Key>a b</Key></Contents><Contents><Key>c</Key></Contents></L>";
        assert_eq!(element_texts(xml, "Key"), vec!["a b", "c"]);
        assert_eq!(root_name(xml).as_deref(), Some("L"));
    }
}

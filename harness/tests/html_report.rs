//! The HTML report in a real browser: it renders, the legend is there, and a cell's link opens
//! that cell's detail page.

use corsprobe::browser::driver::Browser;
use corsprobe::report::{html, matrix::Matrix, record::RunRecord};
use fantoccini::Locator;
use std::path::Path;

/// The text of the first element matching a CSS selector.
async fn text(c: &fantoccini::Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_renders_and_its_cells_open_their_pages_in_chromium() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/sample-run.json");
    let record: RunRecord =
        serde_json::from_str(&std::fs::read_to_string(&sample).unwrap()).unwrap();
    let dir = std::env::temp_dir().join(format!("corsprobe-html-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let browsers = sample.with_file_name("sample-browser-run.json");
    let browsers: RunRecord =
        serde_json::from_str(&std::fs::read_to_string(browsers).unwrap()).unwrap();
    html::write_report(&dir, &Matrix::new(vec![record, browsers])).unwrap();

    let browser = Browser::chromium()
        .await
        .expect("Chromium starts (scripts/install.sh installs it)");
    let c = browser.client();
    let index = format!("file://{}/index.html", dir.display());
    c.goto(&index).await.unwrap();
    assert_eq!(c.title().await.unwrap(), "corsprobe compatibility matrix");
    let legend = c
        .find(Locator::Id("legend"))
        .await
        .expect("the legend heading renders");
    assert_eq!(legend.text().await.unwrap(), "Legend");
    let rows = c.find_all(Locator::Css("td.v")).await.unwrap();
    assert!(
        rows.len() >= 8 + 6,
        "legend rows and one cell per scenario: {}",
        rows.len()
    );

    let link = c
        .find(Locator::Css("td.v a[href*='decides-rule']"))
        .await
        .expect("a cell links to its page");
    assert_eq!(link.text().await.unwrap(), "XFAIL");
    link.click().await.unwrap();
    let url = c.current_url().await.unwrap();
    assert!(
        url.as_str()
            .ends_with("cells/0/preflight__method__decides-rule.html"),
        "{url}"
    );
    let heading = text(c, "h1").await;
    assert!(
        heading.starts_with("Preflight for PUT when rule 1 allows GET"),
        "{heading}"
    );
    let body = text(c, "body").await;
    assert!(
        body.contains("Requirement") && body.contains("Checks") && body.contains("Snapshot"),
        "{body}"
    );
    c.find(Locator::LinkText("← matrix"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(c.current_url().await.unwrap().as_str(), index);

    // A browser column's cell shows what the page saw beside what reached the store.
    c.find(Locator::Css(
        "td.v a[href='cells/2/browser__signature-bad.html']",
    ))
    .await
    .expect("the Firefox column links its cells")
    .click()
    .await
    .unwrap();
    let table = text(c, "table").await;
    assert!(
        table.contains("network-error") && table.contains("1 request(s), 0 preflight(s)"),
        "{table}"
    );
    let heading = text(c, "h2").await;
    assert_eq!(heading, "What the page saw in firefox");
    println!("checked in {} {}", browser.name, browser.version);
    browser.close().await;
}

//! Opens the report in headless Chromium and checks that every image loads and the page logs
//! no console error; also takes a 1280-px-wide screenshot of the top of the page.
//!
//! The report is built from the fixture workdir, or, when `TIMBRAL_REPORT_HTML` names an
//! existing `index.html` (for example after `timbral run`), that report is checked instead.
//! `TIMBRAL_SCREENSHOT=path` keeps a copy of the screenshot and `TIMBRAL_FIXTURE_DIR=dir`
//! keeps the fixture workdir with its report. The test is skipped, with a
//! message, only when no Chromium binary is found (`apt-get install chromium`).

mod common;

use std::path::PathBuf;

use common::chromium::{console_lines, file_url, find_chromium, run as chromium, CANDIDATES};
use common::{images, png_size, Fixture};
use timbral_report::{write_report, ReportOptions};

/// Reports the load state of every image and any error event on the `<body>` element, where
/// `--dump-dom` shows it.
const PROBE: &str = r#"<script>
window.addEventListener('error', function (e) {
  var what = e.message || (e.target && (e.target.src || e.target.tagName)) || 'error';
  document.body.setAttribute('data-error', String(what));
}, true);
window.addEventListener('load', function () {
  var all = Array.prototype.slice.call(document.images);
  var ok = all.filter(function (i) { return i.complete && i.naturalWidth > 0; });
  document.body.setAttribute('data-images', ok.length + '/' + all.length);
});
</script>
</body>"#;

#[test]
fn report_opens_in_headless_chromium_with_every_image_loaded() {
    let Some(binary) = find_chromium() else {
        println!("SKIPPED: no Chromium found (tried $TIMBRAL_CHROMIUM and {CANDIDATES:?} on PATH); `apt-get install chromium` to run the browser check");
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let index = match std::env::var_os("TIMBRAL_REPORT_HTML") {
        Some(path) => PathBuf::from(path),
        None => {
            // TIMBRAL_FIXTURE_DIR keeps the fixture workdir and its report for a look by hand.
            let dir = std::env::var_os("TIMBRAL_FIXTURE_DIR").map(PathBuf::from).unwrap_or_else(|| scratch.path().join("work"));
            let workdir = common::build(&dir, Fixture { manifest: true, ..Fixture::default() });
            write_report(&workdir, &ReportOptions::default()).unwrap().index
        }
    };
    let index = index.canonicalize().unwrap();
    let html = std::fs::read_to_string(&index).unwrap();
    let expected = images(&html).len();
    assert!(expected > 0, "the report has no images");

    // The probe page sits next to index.html so that relative image links resolve the same way.
    let probe = index.with_file_name("browser-check.html");
    std::fs::write(&probe, html.replace("</body>", PROBE)).unwrap();
    let profile = scratch.path().join("profile");
    let (dom, stderr) = chromium(&binary, &profile, &["--virtual-time-budget=10000".into(), "--dump-dom".into()], &file_url(&probe, ""));
    std::fs::remove_file(&probe).unwrap();
    assert!(dom.contains("</html>"), "chromium printed no DOM; stderr:\n{stderr}");
    let wanted = format!("data-images=\"{expected}/{expected}\"");
    assert!(dom.contains(&wanted), "not every image loaded (want {wanted}): {}", dom.lines().find(|l| l.contains("<body")).unwrap_or(""));
    let body = dom.lines().find(|l| l.contains("<body")).unwrap_or("");
    assert!(!body.contains("data-error"), "the page raised an error event: {body}");
    assert!(console_lines(&stderr).is_empty(), "console messages: {:?}", console_lines(&stderr));

    // The unmodified page: no console output either, and a screenshot of its top.
    let shot = scratch.path().join("screenshot-top.png");
    let (_, stderr) = chromium(
        &binary,
        &profile,
        &["--window-size=1280,1100".into(), format!("--screenshot={}", shot.display())],
        &file_url(&index, ""),
    );
    assert!(console_lines(&stderr).is_empty(), "console messages: {:?}", console_lines(&stderr));
    assert_eq!(png_size(&shot).0, 1280, "screenshot width");
    if let Some(keep) = std::env::var_os("TIMBRAL_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
}

//! `reports/explorer.html`: every song of the map in one self-contained page, drawn with
//! WebGL by our own script (`explorer.js`), with hover, search, recommendations on click and
//! the colourings of the report. The data rides along as gzipped binary arrays in base64
//! (`payload.rs`), decoded by the browser's `DecompressionStream`; a small JSON header, with
//! `<`, `>` and `&` escaped, describes it. The page sets every catalogue string with
//! `textContent`, never as markup, and fetches nothing.

mod data;
mod payload;

use std::path::PathBuf;

use timbral_core::io::write_bytes_atomic;
use timbral_core::Result;

use crate::html::escape;
use crate::sections::Ctx;

const SCRIPT: &str = include_str!("explorer.js");
const STYLE: &str = include_str!("explorer.css");

/// What the explorer run wrote.
#[derive(Debug, Clone)]
pub struct ExplorerSummary {
    /// `reports/explorer.html`.
    pub path: PathBuf,
    /// Songs on the page (0 when there is no map; `notice` says why).
    pub songs: usize,
    pub notice: Option<String>,
}

/// Writes `explorer.html` next to `index.html`. Missing inputs make a page that says why.
pub(crate) fn write_explorer(ctx: &Ctx) -> Result<ExplorerSummary> {
    let path = ctx.inputs.workdir().reports_dir().join("explorer.html");
    let (page, songs, notice) = match data::build(ctx) {
        Ok(explorer) => {
            let songs = explorer.songs;
            let (base64, directory) = explorer.payload.encode().map_err(|e| timbral_core::Error::io(&path, e))?;
            let mut meta = explorer.meta;
            meta["arrays"] = directory;
            (page(&script_json(&meta), &base64), songs, None)
        }
        Err(why) => (notice_page(&why), 0, Some(why)),
    };
    write_bytes_atomic(&path, page.as_bytes())?;
    Ok(ExplorerSummary { path, songs, notice })
}

/// JSON that cannot end its `<script>` element or open a comment there: `<`, `>` and `&`
/// only occur inside strings, where `\u` escapes keep their meaning.
fn script_json(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

const TITLE: &str = "timbral: catalogue explorer";

fn head() -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{TITLE}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header><h1>{TITLE}</h1><a href=\"index.html\">the report</a></header>\n"
    )
}

fn page(meta: &str, base64: &str) -> String {
    format!(
        r#"{head}<main id="explorer">
<aside>
<label>Colour by <select id="colouring"></select></label>
<ul id="legend"></ul>
<label>Search <input id="search" type="search" placeholder="title or artist" autocomplete="off"></label>
<p id="search-count"></p>
<ol id="search-results"></ol>
<div id="detail"></div>
<h3>About this map</h3>
<p id="reading" class="reading"></p>
<ul id="notes"></ul>
</aside>
<div id="map"><canvas id="points"></canvas><canvas id="marks"></canvas><div id="tooltip" hidden></div><p id="status">Loading the catalogue…</p></div>
</main>
<pre id="selftest" hidden></pre>
<script type="application/json" id="explorer-meta">{meta}</script>
<script type="application/octet-stream" id="explorer-data">{base64}</script>
<script>{SCRIPT}</script>
</body>
</html>
"#,
        head = head()
    )
}

fn notice_page(why: &str) -> String {
    format!("{}<main><p class=\"notice\">{}</p></main>\n</body>\n</html>\n", head(), escape(why))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_its_element() {
        let value = serde_json::json!({ "title": "</script><img src=x onerror=alert(1)><!--&" });
        let text = script_json(&value);
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'), "{text}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), value);
    }
}

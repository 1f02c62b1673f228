//! Client-credentials of the Spotify Web API. The values never reach a log or an error
//! message: `Debug` is redacted by hand and file errors report only a line number.

use std::fmt;
use std::path::Path;

use timbral_core::{Error, Result};

pub const ID_VAR: &str = "SPOTIFY_CLIENT_ID";
pub const SECRET_VAR: &str = "SPOTIFY_CLIENT_SECRET";

/// A client id and secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    client_id: String,
    client_secret: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &"<redacted>")
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

#[derive(serde::Deserialize)]
struct FileCredentials {
    #[serde(alias = "SPOTIFY_CLIENT_ID")]
    client_id: Option<String>,
    #[serde(alias = "SPOTIFY_CLIENT_SECRET")]
    client_secret: Option<String>,
}

impl Credentials {
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Credentials { client_id: client_id.into(), client_secret: client_secret.into() }
    }

    pub(crate) fn client_id(&self) -> &str {
        &self.client_id
    }

    pub(crate) fn client_secret(&self) -> &str {
        &self.client_secret
    }

    /// `SPOTIFY_CLIENT_ID` and `SPOTIFY_CLIENT_SECRET` from the environment, else `client_id`
    /// and `client_secret` from the TOML file `config`.
    pub fn load(config: Option<&Path>) -> Result<Credentials> {
        let var = |name: &str| std::env::var(name).ok().filter(|v: &String| !v.trim().is_empty());
        if let (Some(id), Some(secret)) = (var(ID_VAR), var(SECRET_VAR)) {
            return Ok(Credentials::new(id.trim(), secret.trim()));
        }
        let Some(path) = config else {
            return Err(Error::InvalidParameter {
                name: "credentials",
                why: format!(
                    "Spotify credentials missing: set {ID_VAR} and {SECRET_VAR}, or pass --credentials FILE \
                     (TOML with client_id and client_secret)"
                ),
            });
        };
        Self::from_file(path)
    }

    fn from_file(path: &Path) -> Result<Credentials> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        // toml's own message quotes the offending line, which may hold the secret.
        let parsed: FileCredentials = toml::from_str(&text).map_err(|e| {
            let line = e.span().map_or(0, |s| text[..s.start.min(text.len())].lines().count().max(1));
            Error::bad_input(path, format!("not a TOML credentials file (error at line {line})"))
        })?;
        let field = |value: Option<String>, name: &str| {
            value
                .filter(|v| !v.trim().is_empty())
                .map(|v| v.trim().to_string())
                .ok_or_else(|| Error::bad_input(path, format!("missing `{name}`")))
        };
        Ok(Credentials::new(
            field(parsed.client_id, "client_id")?,
            field(parsed.client_secret, "client_secret")?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_both_values() {
        let c = Credentials::new("my-id-123", "my-secret-456");
        let shown = format!("{c:?} {c:#?}");
        assert!(!shown.contains("my-id-123") && !shown.contains("my-secret-456"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn file_errors_never_quote_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spotify.toml");
        std::fs::write(&path, "client_id = \"abc\"\nclient_secret = \"s3cr3t-value\n").unwrap();
        let err = Credentials::from_file(&path).unwrap_err().to_string();
        assert!(err.contains("spotify.toml") && !err.contains("s3cr3t"), "{err}");
        std::fs::write(&path, "client_id = \"abc\"\n").unwrap();
        let err = Credentials::from_file(&path).unwrap_err().to_string();
        assert!(err.contains("client_secret"), "{err}");
        std::fs::write(&path, "client_id = \"abc\"\nclient_secret = \"xyz\"\n").unwrap();
        assert_eq!(Credentials::from_file(&path).unwrap(), Credentials::new("abc", "xyz"));
    }
}

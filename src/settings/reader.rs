//! Reads settings from a map of environment variables, collecting every problem instead of
//! stopping at the first, so one start-up reports all of them.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use url::Url;

use super::catalog;
use super::secret::Secret;

/// A problem with one setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingError {
    /// The setting's name.
    pub setting: &'static str,
    /// What is wrong and what it accepts. Never contains a secret value.
    pub problem: String,
}

impl fmt::Display for SettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.setting, self.problem)
    }
}

/// Every problem found in the settings, reported together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SettingsErrors(pub Vec<SettingError>);

impl fmt::Display for SettingsErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} invalid setting(s):", self.0.len())?;
        for error in &self.0 {
            write!(f, "\n  - {error}")?;
        }
        Ok(())
    }
}

/// The prefix an app setting keeps when App Service could not resolve a Key Vault reference.
const KEY_VAULT_REFERENCE: &str = "@Microsoft.KeyVault(";

const UNRESOLVED: &str = "is an unresolved Key Vault reference";

/// Typed access to the variables, recording problems as it goes.
pub struct Reader<'a> {
    vars: &'a BTreeMap<String, String>,
    errors: Vec<SettingError>,
}

impl<'a> Reader<'a> {
    pub fn new(vars: &'a BTreeMap<String, String>) -> Self {
        Self {
            vars,
            errors: Vec::new(),
        }
    }

    /// Records a problem with `setting`.
    pub fn error(&mut self, setting: &'static str, problem: impl Into<String>) {
        // After "unresolved Key Vault reference", any other complaint about the same setting
        // ("is required", "is not a PEM key") is a consequence, and only noise.
        let unresolved = self
            .errors
            .iter()
            .any(|e| e.setting == setting && e.problem.starts_with(UNRESOLVED));
        if unresolved {
            return;
        }
        self.errors.push(SettingError {
            setting,
            problem: problem.into(),
        });
    }

    /// The problems, if any.
    pub fn finish(self) -> Result<(), SettingsErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(SettingsErrors(self.errors))
        }
    }

    /// The trimmed value of `name`; `None` when unset or blank. An unresolved Key Vault
    /// reference is recorded as a problem and reads as unset.
    pub fn get(&mut self, name: &'static str) -> Option<String> {
        let value = self.vars.get(name)?.trim();
        if value.is_empty() {
            return None;
        }
        // App Service writes the prefix as documented, but people type it in any case.
        let unresolved = value
            .get(..KEY_VAULT_REFERENCE.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(KEY_VAULT_REFERENCE));
        if unresolved {
            self.error(
                name,
                format!(
                    "{UNRESOLVED} (the value still reads `@Microsoft.KeyVault(...)`); grant the \
                     app's identity Get on the secret and check the reference"
                ),
            );
            return None;
        }
        Some(value.to_owned())
    }

    /// Like [`Reader::get`], wrapped so the value cannot be printed.
    pub fn secret(&mut self, name: &'static str) -> Option<Secret> {
        self.get(name).map(Secret::new)
    }

    /// A value that must be present.
    pub fn required(&mut self, name: &'static str, accepts: &str) -> Option<String> {
        let value = self.get(name);
        if value.is_none() && !self.key_vault_failed(name) {
            self.error(name, format!("is required: {accepts}"));
        }
        value
    }

    /// A value parsed with `FromStr`, `default` when unset, checked against `range`.
    pub fn number<T>(
        &mut self,
        name: &'static str,
        default: T,
        range: std::ops::RangeInclusive<T>,
    ) -> T
    where
        T: FromStr + PartialOrd + Copy + fmt::Display,
    {
        let Some(raw) = self.get(name) else {
            return default;
        };
        match raw.parse::<T>() {
            Ok(value) if range.contains(&value) => value,
            _ => {
                let shown = self.shown(name, &raw);
                self.error(
                    name,
                    format!(
                        "{shown} is not a whole number from {} to {}",
                        range.start(),
                        range.end()
                    ),
                );
                default
            }
        }
    }

    /// One of a fixed set of words (case-insensitive), `default` when unset.
    pub fn choice<T: Copy>(&mut self, name: &'static str, default: T, choices: &[(&str, T)]) -> T {
        let Some(raw) = self.get(name) else {
            return default;
        };
        if let Some((_, value)) = choices
            .iter()
            .find(|(word, _)| word.eq_ignore_ascii_case(&raw))
        {
            return *value;
        }
        let words: Vec<String> = choices.iter().map(|(w, _)| format!("`{w}`")).collect();
        let shown = self.shown(name, &raw);
        self.error(name, format!("{shown} is not one of {}", words.join(", ")));
        default
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`), `default` when unset.
    pub fn flag(&mut self, name: &'static str, default: bool) -> bool {
        self.choice(
            name,
            default,
            &[
                ("true", true),
                ("false", false),
                ("1", true),
                ("0", false),
                ("yes", true),
                ("no", false),
            ],
        )
    }

    /// An http(s) URL with no query or fragment, returned without a trailing `/`. Plain `http`
    /// is accepted only for loopback hosts (the emulator and test fakes) unless
    /// `allow_plain_http` is set: elsewhere it would send tokens in clear.
    pub fn base_url(
        &mut self,
        name: &'static str,
        default: &str,
        allow_plain_http: bool,
    ) -> Option<Url> {
        let raw = self.get(name).unwrap_or_else(|| default.to_owned());
        let url = match Url::parse(&raw) {
            Ok(url) => url,
            Err(e) => {
                self.error(name, format!("{} is not a URL ({e})", quote(&raw)));
                return None;
            }
        };
        let loopback = matches!(
            url.host_str(),
            Some("127.0.0.1" | "localhost" | "[::1]" | "::1")
        );
        let problem = match url.scheme() {
            "https" => None,
            "http" if loopback || allow_plain_http => None,
            "http" => Some("uses plain http to a non-loopback host; use https"),
            _ => Some("must be an http(s) URL"),
        }
        .or_else(|| url.query().map(|_| "must not carry a query string"))
        .or_else(|| url.fragment().map(|_| "must not carry a fragment"))
        .or_else(|| url.host_str().is_none().then_some("has no host"))
        .or_else(|| {
            // The client would send them as Basic credentials instead of its bearer token,
            // and they would show wherever the URL is printed.
            (!url.username().is_empty() || url.password().is_some())
                .then_some("must not carry a user name or password")
        });
        if let Some(problem) = problem {
            let shown = if url.username().is_empty() && url.password().is_none() {
                raw
            } else {
                let mut without = url.clone();
                let _ = without.set_username("");
                let _ = without.set_password(None);
                without.to_string()
            };
            self.error(name, format!("{} {problem}", quote(&shown)));
            return None;
        }
        let trimmed = url.as_str().trim_end_matches('/').to_owned();
        Url::parse(&trimmed).ok()
    }

    /// A comma-separated list, trimmed, blanks dropped; `None` when unset.
    pub fn list(&mut self, name: &'static str) -> Option<Vec<String>> {
        self.get(name).map(|raw| {
            raw.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(str::to_owned)
                .collect()
        })
    }

    /// The value as it may appear in an error: quoted, shortened, or hidden when secret.
    pub fn shown(&self, name: &str, value: &str) -> String {
        if catalog::is_secret(name) {
            return "the value".to_owned();
        }
        quote(value)
    }

    /// Whether a problem was already recorded for one of `names`.
    pub fn has_errors_for(&self, names: &[&str]) -> bool {
        self.errors.iter().any(|e| names.contains(&e.setting))
    }

    fn key_vault_failed(&self, name: &str) -> bool {
        self.has_errors_for(&[name])
    }
}

/// A non-secret value quoted for a message, cut at 60 characters: a pasted blob must not turn
/// one error into pages of output.
pub fn quote(value: &str) -> String {
    let short: String = value.chars().take(60).collect();
    if short.len() < value.len() {
        format!("`{short}…`")
    } else {
        format!("`{short}`")
    }
}

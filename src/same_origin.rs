//! Whether a URL an API handed us (a pagination link) may receive our credentials.
//!
//! A plain string prefix test is not enough: `https://api.github.com.evil.example/...` starts
//! with `https://api.github.com`. The link must have the base URL's scheme, host and port, and
//! its path must be under the base URL's path (GHES serves the API under `/api/v3`).

use url::Url;

/// Whether `link` is on the same origin as `base` and under its path.
pub fn is_under(base: &str, link: &str) -> bool {
    let (Ok(base), Ok(link)) = (Url::parse(base), Url::parse(link)) else {
        return false;
    };
    let same_origin = base.scheme() == link.scheme()
        && base.host_str() == link.host_str()
        && base.port_or_known_default() == link.port_or_known_default();
    let base_path = base.path().trim_end_matches('/');
    let under = link.path() == base_path
        || link.path().starts_with(&format!("{base_path}/"))
        || base_path.is_empty();
    same_origin && under && link.username().is_empty() && link.password().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_links_on_the_base_origin_and_path_may_receive_credentials() {
        let cases = [
            (
                "https://api.github.com",
                "https://api.github.com/repos/o/r/actions/runs?page=2",
                true,
            ),
            (
                "https://api.github.com",
                "https://api.github.com.evil.example/repos?page=2",
                false,
            ),
            (
                "https://api.github.com",
                "http://api.github.com/repos?page=2",
                false,
            ),
            (
                "https://api.github.com",
                "https://api.github.com:8443/repos",
                false,
            ),
            (
                "https://api.github.com",
                "https://user:pw@api.github.com/repos",
                false,
            ),
            (
                "https://ghe.example.com/api/v3",
                "https://ghe.example.com/api/v3/repos?page=2",
                true,
            ),
            (
                "https://ghe.example.com/api/v3",
                "https://ghe.example.com/api/v30/repos",
                false,
            ),
            (
                "https://ghe.example.com/api/v3",
                "https://ghe.example.com/other",
                false,
            ),
            (
                "http://127.0.0.1:1808",
                "http://127.0.0.1:18080/orgs/o/actions/runners",
                false,
            ),
            (
                "http://127.0.0.1:1808",
                "http://127.0.0.1:1808/orgs/o/actions/runners",
                true,
            ),
            (
                "https://management.azure.com",
                "https://management.azure.com/subscriptions/s?$skiptoken=x",
                true,
            ),
            ("https://api.github.com", "not a url", false),
        ];
        for (base, link, expected) in cases {
            assert_eq!(is_under(base, link), expected, "{base} {link}");
        }
    }
}

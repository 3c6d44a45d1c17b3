//! GitHub's page-number pagination: `per_page` (default 30, at most 100) and `page`, with an
//! RFC 5988 `Link` header of absolute URLs (`next`, `last`, and `prev`, `first` past page 1).

use url::form_urlencoded;

/// Page size when the request names none.
pub const DEFAULT_PER_PAGE: usize = 30;

/// GitHub's largest page.
pub const MAX_PER_PAGE: usize = 100;

/// One page of a list and the `Link` header that goes with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// The `Link` header value; `None` when everything fits on one page.
    pub link: Option<String>,
}

/// Cuts `all` into the page the query asks for. `base` is the emulator's root URL (no
/// trailing slash), `path` the request path, `query` its raw query string.
pub fn paginate<T>(all: Vec<T>, base: &str, path: &str, query: Option<&str>) -> Page<T> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let number = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .filter(|n| *n > 0)
    };
    let per_page = number("per_page")
        .unwrap_or(DEFAULT_PER_PAGE)
        .min(MAX_PER_PAGE);
    let page = number("page").unwrap_or(1);
    let last = all.len().div_ceil(per_page).max(1);

    let link = (last > 1).then(|| {
        let url = |n: usize| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (k, v) in pairs.iter().filter(|(k, _)| k != "page") {
                query.append_pair(k, v);
            }
            query.append_pair("page", &n.to_string());
            format!("<{base}{path}?{}>", query.finish())
        };
        let mut rels = Vec::new();
        if page > 1 {
            rels.push(format!("{}; rel=\"prev\"", url((page - 1).min(last))));
        }
        if page < last {
            rels.push(format!("{}; rel=\"next\"", url(page + 1)));
            rels.push(format!("{}; rel=\"last\"", url(last)));
        }
        if page > 1 {
            rels.push(format!("{}; rel=\"first\"", url(1)));
        }
        rels.join(", ")
    });
    let items = all
        .into_iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .collect();
    Page { items, link }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://127.0.0.1:1";

    #[test]
    fn pages_follow_per_page_and_page() {
        let cases: &[(&str, Option<&str>, Vec<u32>)] = &[
            ("the default page size is 30", None, (0..30).collect()),
            (
                "per_page picks the size",
                Some("per_page=10&page=2"),
                (10..20).collect(),
            ),
            (
                "per_page is capped at 100",
                Some("per_page=500"),
                (0..100).collect(),
            ),
            (
                "the last page holds the rest",
                Some("per_page=100&page=2"),
                (100..150).collect(),
            ),
            (
                "a page past the end is empty",
                Some("per_page=100&page=3"),
                vec![],
            ),
        ];
        for (name, query, expected) in cases {
            let page = paginate((0..150).collect(), BASE, "/x", *query);
            assert_eq!(&page.items, expected, "{name}");
        }
    }

    #[test]
    fn the_link_header_names_next_and_last_with_absolute_urls_keeping_the_query() {
        let page = paginate(
            (0..250).collect::<Vec<u32>>(),
            BASE,
            "/repos/o/r/actions/runs",
            Some("status=queued&per_page=100"),
        );
        assert_eq!(
            page.link.as_deref(),
            Some(
                "<http://127.0.0.1:1/repos/o/r/actions/runs?status=queued&per_page=100&page=2>; rel=\"next\", \
                 <http://127.0.0.1:1/repos/o/r/actions/runs?status=queued&per_page=100&page=3>; rel=\"last\""
            )
        );
        let middle = paginate(
            (0..250).collect::<Vec<u32>>(),
            BASE,
            "/x",
            Some("per_page=100&page=2"),
        );
        let link = middle.link.unwrap();
        assert!(link.contains("page=1>; rel=\"prev\""));
        assert!(link.contains("page=3>; rel=\"next\""));
        assert!(link.contains("page=1>; rel=\"first\""));
    }

    #[test]
    fn a_single_page_has_no_link_header() {
        assert_eq!(paginate(vec![1, 2, 3], BASE, "/x", None).link, None);
    }
}

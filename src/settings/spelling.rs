//! Warnings for environment variables that look like a misspelt setting of ours.
//!
//! An app setting named `RUNNER_LABEL` or `GITHUB_APIURL` is silently ignored by a program that
//! reads `RUNNER_LABELS` and `GITHUB_API_URL`; the pool then runs on defaults and nobody knows
//! why. Comparing every variable with our names catches that at start-up.

use super::catalog::SETTINGS;

/// The setting `name` probably meant, when `name` is not ours but close to one of ours.
pub fn probable_misspelling(name: &str) -> Option<&'static str> {
    if SETTINGS.iter().any(|s| s.name == name) {
        return None;
    }
    let candidate = normalise(name);
    // Short names are too easily close to something by chance (`HOME`, `PATH`).
    if candidate.len() < 6 {
        return None;
    }
    SETTINGS
        .iter()
        .map(|s| (s.name, distance(&candidate, &normalise(s.name))))
        .filter(|(ours, d)| *d <= allowed_distance(ours))
        .min_by_key(|(_, d)| *d)
        .map(|(ours, _)| ours)
}

/// Case, `_` and `-` are not part of what makes two names different.
fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// One edit for ordinary names, two for long ones.
fn allowed_distance(name: &str) -> usize {
    if name.len() >= 14 { 2 } else { 1 }
}

/// Levenshtein distance between two ASCII strings.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_close_to_ours_are_flagged_with_the_right_one() {
        let cases = [
            ("GITHUB_APIURL", Some("GITHUB_API_URL")),
            ("RUNNER_LABEL", Some("RUNNER_LABELS")),
            ("github_owner", Some("GITHUB_OWNER")),
            ("MAX_EXECUTION", Some("MAX_EXECUTIONS")),
            ("ACA_JOBNAME", Some("ACA_JOB_NAME")),
            ("GITHUB_APP_PRIVATEKEY", Some("GITHUB_APP_PRIVATE_KEY")),
            ("AZURE_SUBSCRIPTON_ID", Some("AZURE_SUBSCRIPTION_ID")),
        ];
        for (name, expected) in cases {
            assert_eq!(probable_misspelling(name), expected, "{name}");
        }
    }

    #[test]
    fn our_own_names_and_unrelated_variables_are_not_flagged() {
        for name in [
            "GITHUB_API_URL",
            "RUNNER_LABELS",
            "PATH",
            "HOME",
            "WEBSITE_SITE_NAME",
            "FUNCTIONS_CUSTOMHANDLER_PORT",
            "AzureWebJobsStorage",
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
            "GITHUB_ACTIONS",
        ] {
            assert_eq!(probable_misspelling(name), None, "{name}");
        }
    }
}

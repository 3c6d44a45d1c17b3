use std::collections::BTreeMap;
use std::sync::OnceLock;

use base64::Engine;

use super::*;

/// One generated key for all tests: RSA generation is slow.
fn test_key() -> &'static str {
    static KEY: OnceLock<String> = OnceLock::new();
    KEY.get_or_init(|| crate::github::keygen::generate_key_pair(&mut rand::rng()).0)
}

fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut vars: BTreeMap<String, String> = [
        ("GITHUB_OWNER", "octo-org"),
        ("GITHUB_APP_ID", "12345"),
        (
            "AZURE_SUBSCRIPTION_ID",
            "00000000-0000-0000-0000-000000000000",
        ),
        ("AZURE_RESOURCE_GROUP", "rg"),
        ("ACA_JOB_NAME", "runners"),
        ("IDENTITY_ENDPOINT", "http://127.0.0.1:41000/msi/token"),
        ("IDENTITY_HEADER", "identity-secret"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    vars.insert("GITHUB_APP_PRIVATE_KEY".into(), test_key().to_owned());
    for (k, v) in pairs {
        if v.is_empty() {
            vars.remove(*k);
        } else {
            vars.insert((*k).to_owned(), (*v).to_owned());
        }
    }
    vars
}

fn errors(pairs: &[(&str, &str)]) -> Vec<String> {
    match Settings::from_vars(&vars(pairs)) {
        Ok(_) => Vec::new(),
        Err(SettingsErrors(errors)) => errors.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn minimal_app_settings_give_the_documented_defaults() {
    let loaded = Settings::from_vars(&vars(&[])).unwrap();
    let s = loaded.settings;
    assert_eq!(s.github.owner, "octo-org");
    assert_eq!(s.github.repos, None);
    assert_eq!(s.github.scope, RunnerScope::Org);
    assert_eq!(s.github.api_url.as_str(), "https://api.github.com/");
    assert!(matches!(
        s.github.auth,
        GithubAuth::App {
            installation_id: None,
            ..
        }
    ));
    assert_eq!(s.pool.labels, vec!["self-hosted", "linux", "x64"]);
    assert_eq!(s.pool.group_id, 1);
    assert_eq!(s.pool.name_prefix, "runners");
    assert_eq!(s.pool.boot_grace, Duration::seconds(300));
    assert_eq!(s.pool.registration, Registration::Jit);
    assert_eq!(s.pool.jitconfig_env, "ACTIONS_RUNNER_INPUT_JITCONFIG");
    assert_eq!(
        (s.pool.max_executions, s.pool.max_starts_per_tick),
        (10, 10)
    );
    assert_eq!(s.azure.arm_url.as_str(), "https://management.azure.com/");
    assert!(matches!(
        s.azure.credential,
        AzureCredential::ManagedIdentity {
            client_id: None,
            ..
        }
    ));
    assert!(!s.dry_run);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn every_problem_is_reported_at_once() {
    let errors = errors(&[
        ("GITHUB_OWNER", ""),
        ("ACA_JOB_NAME", ""),
        ("MAX_EXECUTIONS", "many"),
        ("GITHUB_RUNNER_SCOPE", "enterprise"),
        ("GITHUB_API_URL", "http://github.example.com"),
    ]);
    assert_eq!(errors.len(), 5, "{errors:#?}");
    assert!(
        errors[0].starts_with("GITHUB_OWNER: is required"),
        "{errors:#?}"
    );
    let all = errors.join("\n");
    assert!(all.contains("ACA_JOB_NAME: is required"), "{all}");
    assert!(
        all.contains("MAX_EXECUTIONS: `many` is not a whole number from 0 to 1000"),
        "{all}"
    );
    assert!(
        all.contains("GITHUB_RUNNER_SCOPE: `enterprise` is not one of `org`, `repo`"),
        "{all}"
    );
    assert!(
        all.contains("GITHUB_API_URL: `http://github.example.com` uses plain http"),
        "{all}"
    );
}

#[test]
fn an_unresolved_key_vault_reference_is_named_as_such() {
    let reference = "@Microsoft.KeyVault(SecretUri=https://vault.vault.azure.net/secrets/key/)";
    let errors = errors(&[("GITHUB_APP_PRIVATE_KEY", reference)]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with("GITHUB_APP_PRIVATE_KEY: is an unresolved Key Vault reference"),
        "{}",
        errors[0]
    );
    assert!(
        errors[0].contains("grant the app's identity Get on the secret"),
        "{}",
        errors[0]
    );
    assert!(!errors[0].contains("vault.azure.net"), "{}", errors[0]);
}

#[test]
fn a_misspelt_setting_gets_a_warning_naming_the_right_one() {
    let loaded = Settings::from_vars(&vars(&[
        ("GITHUB_APIURL", "https://ghe.example.com/api/v3"),
        ("RUNNER_LABEL", "gpu"),
    ]))
    .unwrap();
    assert_eq!(
        loaded.warnings,
        vec![
            "GITHUB_APIURL is not a setting of aca-runner-scaler; did you mean GITHUB_API_URL?",
            "RUNNER_LABEL is not a setting of aca-runner-scaler; did you mean RUNNER_LABELS?",
        ]
    );
}

#[test]
fn a_bad_private_key_is_rejected_without_echoing_it() {
    let errors = errors(&[("GITHUB_APP_PRIVATE_KEY", "not-a-key-SECRETVALUE")]);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("GITHUB_APP_PRIVATE_KEY: is not a PEM private key"),
        "{}",
        errors[0]
    );
    assert!(!errors[0].contains("SECRETVALUE"));

    let broken_pem = "-----BEGIN RSA PRIVATE KEY-----\nSECRETVALUE\n-----END RSA PRIVATE KEY-----";
    let errors = self::errors(&[("GITHUB_APP_PRIVATE_KEY", broken_pem)]);
    assert!(
        errors[0].contains("not a valid RSA private key"),
        "{}",
        errors[0]
    );
    assert!(!errors[0].contains("SECRETVALUE"));
}

#[test]
fn a_private_key_pasted_on_one_line_or_in_base64_is_accepted() {
    let one_line = test_key().replace('\n', "\\n");
    assert!(errors(&[("GITHUB_APP_PRIVATE_KEY", &one_line)]).is_empty());
    let encoded = base64::engine::general_purpose::STANDARD.encode(test_key());
    assert!(errors(&[("GITHUB_APP_PRIVATE_KEY", &encoded)]).is_empty());
}

#[test]
fn credentials_must_be_one_kind_and_complete() {
    let both = errors(&[("GITHUB_TOKEN", "ghp_x")]);
    assert_eq!(both.len(), 1);
    assert!(both[0].contains("not both"), "{}", both[0]);

    let neither = errors(&[("GITHUB_APP_ID", ""), ("GITHUB_APP_PRIVATE_KEY", "")]);
    assert_eq!(neither.len(), 1);
    assert!(
        neither[0].contains("no GitHub credentials"),
        "{}",
        neither[0]
    );

    let no_key = errors(&[("GITHUB_APP_PRIVATE_KEY", "")]);
    assert!(
        no_key[0].starts_with("GITHUB_APP_PRIVATE_KEY: is required"),
        "{}",
        no_key[0]
    );

    let no_azure = errors(&[("IDENTITY_ENDPOINT", ""), ("IDENTITY_HEADER", "")]);
    assert_eq!(no_azure.len(), 1);
    assert!(
        no_azure[0].contains("no Azure credential"),
        "{}",
        no_azure[0]
    );

    let half_sp = errors(&[("AZURE_TENANT_ID", "t")]);
    let all = half_sp.join("\n");
    assert!(all.contains("AZURE_CLIENT_ID: is required"), "{all}");
    assert!(all.contains("AZURE_CLIENT_SECRET: is required"), "{all}");
}

#[test]
fn token_auth_and_service_principal_are_read() {
    let loaded = Settings::from_vars(&vars(&[
        ("GITHUB_APP_ID", ""),
        ("GITHUB_APP_PRIVATE_KEY", ""),
        ("GITHUB_TOKEN", "ghp_secret"),
        ("AZURE_TENANT_ID", "tenant"),
        ("AZURE_CLIENT_ID", "client"),
        ("AZURE_CLIENT_SECRET", "shh"),
        ("GITHUB_REPOS", "api, octo-org/web ,"),
        ("RUNNER_LABELS", "Linux, X64, linux"),
        ("RUNNER_NAME_PREFIX", "ci"),
        ("DRY_RUN", "true"),
    ]))
    .unwrap();
    let s = loaded.settings;
    assert!(matches!(&s.github.auth, GithubAuth::Token(t) if t.expose() == "ghp_secret"));
    assert!(
        matches!(&s.azure.credential, AzureCredential::ClientSecret { tenant_id, .. } if tenant_id == "tenant")
    );
    assert_eq!(
        s.github.repos,
        Some(vec!["api".to_owned(), "web".to_owned()])
    );
    assert_eq!(s.pool.labels, vec!["linux", "x64"]);
    assert_eq!(s.pool.name_prefix, "ci");
    assert!(s.dry_run);
    assert!(!format!("{s:?}").contains("ghp_secret"));
    assert!(!format!("{s:?}").contains("shh"));
}

#[test]
fn repositories_of_another_owner_and_bad_names_are_rejected() {
    let errors = errors(&[("GITHUB_REPOS", "other/api,we b")]);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors[0].contains("`other/api` belongs to another owner"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].contains("`we b` is not a repository name"),
        "{}",
        errors[1]
    );
}

#[test]
fn a_warm_schedule_is_read_and_its_problems_name_the_rule_and_field() {
    let rule = r#"[{"start": "0 8 * * 1-5", "end": "0 18 * * 1-5", "timezone": "Europe/Paris", "idle": 2}]"#;
    let loaded = Settings::from_vars(&vars(&[("WARM_SCHEDULE", rule)])).unwrap();
    assert_eq!(loaded.settings.warm.rules().len(), 1);

    let errors = errors(&[(
        "WARM_SCHEDULE",
        r#"[{"start": "0 8 * *", "end": "0 18 * * 1-5", "timezone": "Europe/Pari", "idle": 20}]"#,
    )]);
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(
        errors
            .iter()
            .all(|e| e.starts_with("WARM_SCHEDULE: rule 1")),
        "{errors:#?}"
    );
    let all = errors.join("\n");
    assert!(all.contains("start"), "{all}");
    assert!(all.contains("Europe/Pari"), "{all}");
    assert!(
        all.contains("20") && all.contains("MAX_EXECUTIONS"),
        "{all}"
    );

    let repo_scope = self::errors(&[("WARM_SCHEDULE", rule), ("GITHUB_RUNNER_SCOPE", "repo")]);
    assert_eq!(repo_scope.len(), 1);
    assert!(
        repo_scope[0].contains("needs GITHUB_RUNNER_SCOPE=org"),
        "{}",
        repo_scope[0]
    );
}

#[test]
fn odd_values_are_rejected_and_long_ones_are_not_echoed_whole() {
    let long = "x".repeat(5000);
    let errors = errors(&[
        ("GITHUB_REPOS", ".."),
        ("RUNNER_LABELS", "linux x64"),
        ("AZURE_TENANT_ID", "../../x?y=1#"),
        ("AZURE_CLIENT_ID", "c"),
        ("AZURE_CLIENT_SECRET", "s"),
        ("ACA_JOB_NAME", &format!("{long}!")),
        ("AZURE_RESOURCE_MANAGER_AUDIENCE", "not a url"),
    ]);
    let all = errors.join("\n");
    assert!(
        all.contains("GITHUB_REPOS: `..` is not a repository name"),
        "{all}"
    );
    assert!(
        all.contains("RUNNER_LABELS: `linux x64` is not a label"),
        "{all}"
    );
    assert!(
        all.contains("AZURE_TENANT_ID: `../../x?y=1#` is not a tenant id"),
        "{all}"
    );
    assert!(all.contains("AZURE_RESOURCE_MANAGER_AUDIENCE"), "{all}");
    assert!(all.contains("ACA_JOB_NAME: `xxxx"), "{all}");
    assert!(
        all.len() < 2000,
        "a long value is cut: {} characters",
        all.len()
    );
}

#[test]
fn a_key_vault_reference_in_any_case_is_recognised() {
    let errors = errors(&[(
        "GITHUB_APP_PRIVATE_KEY",
        "@microsoft.keyvault(VaultName=v;SecretName=k)",
    )]);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].contains("unresolved Key Vault reference"),
        "{}",
        errors[0]
    );
}

#[test]
fn risky_or_useless_settings_get_warnings() {
    let loaded = Settings::from_vars(&vars(&[
        ("RUNNER_REGISTRATION", "token"),
        ("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us"),
    ]))
    .unwrap();
    let all = loaded.warnings.join("\n");
    assert!(
        all.contains("AZURE_AUTHORITY_HOST is set but unused"),
        "{all}"
    );
    assert!(all.contains("RUNNER_REGISTRATION is `token`"), "{all}");
}

#[test]
fn a_url_with_credentials_is_rejected_without_echoing_them() {
    let errors = errors(&[(
        "GITHUB_API_URL",
        "https://user:SECRETPW@ghe.example.com/api/v3",
    )]);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].contains("must not carry a user name or password"),
        "{}",
        errors[0]
    );
    assert!(!errors[0].contains("SECRETPW"), "{}", errors[0]);
}

//! Queue names: checked offline, made from `name_prefix` and the create's
//! idempotency token when none is given, and that prefix found again in a
//! name read with nothing recorded (an adopted leftover, an import).

/// Characters a generated name adds after the prefix (Terraform's unique
/// suffix is as long).
const SUFFIX_LEN: usize = 26;

/// Without `name`, a name is made of `name_prefix` (or `cairn-`) and the
/// create's idempotency token, so a create retried after a crash asks for
/// the same name, and a replacement (a new token) gets a new one. A FIFO
/// queue's name ends in `.fifo`.
pub fn generated(prefix: Option<&str>, token: &str, fifo: bool) -> String {
    let prefix = prefix.unwrap_or("cairn-");
    let suffix: String = token
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(SUFFIX_LEN)
        .collect();
    format!("{prefix}{suffix}{}", if fifo { ".fifo" } else { "" })
}

/// The user's prefix of a name `generated` made; `None` for a chosen name
/// and for the default prefix (whose configuration has no `name_prefix`).
pub fn prefix_of_generated(name: &str) -> Option<&str> {
    let stem = name.strip_suffix(".fifo").unwrap_or(name);
    let cut = stem.len().checked_sub(SUFFIX_LEN)?;
    let (prefix, suffix) = (stem.get(..cut)?, stem.get(cut..)?);
    let generated = suffix
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
    (generated && !prefix.is_empty() && prefix != "cairn-").then_some(prefix)
}

/// What is wrong with a queue name, if anything: 1 to 80 letters, digits,
/// `-` and `_`, where a FIFO queue's ends in `.fifo` (counted).
pub fn problem(name: &str, fifo: bool) -> Option<String> {
    let stem = if fifo {
        match name.strip_suffix(".fifo") {
            Some(s) => s,
            None => {
                return Some(format!(
                    "a FIFO queue's name ends with `.fifo`: `{name}` does not"
                ))
            }
        }
    } else {
        if name.ends_with(".fifo") {
            return Some(format!(
                "`{name}` ends with `.fifo`, which only a FIFO queue's name may (set `fifo_queue = true`)"
            ));
        }
        name
    };
    if stem.is_empty() || name.len() > 80 {
        return Some(format!(
            "a queue name has 1 to 80 characters, `{name}` has {}",
            name.len()
        ));
    }
    if !stem
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Some(format!(
            "`{name}`: a queue name has only letters, digits, `-` and `_`"
        ));
    }
    None
}

/// The queue name of a queue URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`).
pub fn of_url(url: &str) -> &str {
    url.trim_end_matches('/').rsplit('/').next().unwrap_or(url)
}

/// `(account, name)` of a queue ARN (`arn:aws:sqs:<region>:<account>:<name>`).
pub fn of_arn(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let account = parts.nth(4)?;
    let name = parts.next()?;
    Some((account, name))
}

/// Whether `url` is the URL of the queue `account`/`name`.
pub fn url_is(url: &str, account: &str, name: &str) -> bool {
    let mut segments = url.trim_end_matches('/').rsplit('/');
    segments.next() == Some(name) && segments.next() == Some(account)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "2f1e6c52-7a4c-4c1e-9d7e-0d8a3f1b2c3d";

    #[test]
    fn generated_names_are_stable_and_their_prefix_is_found_again() {
        let a = generated(Some("jobs-dlq-"), TOKEN, false);
        assert_eq!(a, generated(Some("jobs-dlq-"), TOKEN, false));
        assert_eq!(prefix_of_generated(&a), Some("jobs-dlq-"));
        assert!(problem(&a, false).is_none(), "{a}");
        let fifo = generated(Some("orders-"), TOKEN, true);
        assert!(fifo.ends_with(".fifo"));
        assert_eq!(prefix_of_generated(&fifo), Some("orders-"));
        assert!(problem(&fifo, true).is_none());
        assert_eq!(prefix_of_generated(&generated(None, TOKEN, false)), None);
        assert_eq!(prefix_of_generated("restartix-staging-jobs-dlq"), None);
    }

    #[test]
    fn names_are_checked_offline() {
        assert!(problem("jobs-dlq", false).is_none());
        assert!(problem("jobs.fifo", true).is_none());
        assert!(problem("jobs", true).is_some());
        assert!(problem("jobs.fifo", false).is_some());
        assert!(problem("has space", false).is_some());
        assert!(problem(".fifo", true).is_some());
        assert!(problem(&"a".repeat(81), false).is_some());
        assert!(problem(&"a".repeat(80), false).is_none());
    }

    #[test]
    fn urls_and_arns_name_the_same_queue() {
        let url = "https://sqs.eu-west-2.amazonaws.com/123456789012/jobs-dlq";
        assert_eq!(of_url(url), "jobs-dlq");
        let (account, name) = of_arn("arn:aws:sqs:eu-west-2:123456789012:jobs-dlq").unwrap();
        assert!(url_is(url, account, name));
        assert!(!url_is(url, "999999999999", name));
    }
}

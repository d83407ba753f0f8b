//! "Did you mean ...?" suggestions by edit distance.

/// The closest candidate within a distance that still looks like a typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    let candidates: Vec<&str> = candidates.into_iter().collect();
    // A truncated name (`kms_key` for `kms_key_id`) is a typo too.
    if word.len() >= 4 {
        if let Some(c) = candidates.iter().find(|c| c.starts_with(word)) {
            return Some(c);
        }
    }
    candidates
        .into_iter()
        .map(|c| (distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// A hint naming the suggestion, or listing the valid names when few.
pub fn hint<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let all: Vec<&str> = candidates.into_iter().collect();
    if let Some(s) = suggest(word, all.iter().copied()) {
        return Some(format!("did you mean `{s}`?"));
    }
    if !all.is_empty() && all.len() <= 8 {
        return Some(format!(
            "expected one of: {}",
            all.iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    None
}

/// Edit distance counting a swap of two neighbours as one edit (the most
/// common typo: `aws_vcp` for `aws_vpc`).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            suggest("cidr_blok", ["cidr_block", "tags"]),
            Some("cidr_block")
        );
        assert_eq!(
            suggest("aws_vcp", ["aws_eip", "aws_vpc", "aws_subnet"]),
            Some("aws_vpc"),
            "a swap is one edit"
        );
        assert_eq!(suggest("zzzzzz", ["cidr_block"]), None);
    }
}

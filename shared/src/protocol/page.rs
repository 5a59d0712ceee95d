//! Cursor paging of ordered lists, so that every answer fits one 1 MiB frame.
//! The cursor is the key of the last item of the previous page.

use crate::error::WireError;

/// One page of `all` after the item whose key is `after`, at most `limit`
/// long, with the cursor of the next page (None on the last). `what` names
/// the list in the error for an unknown cursor.
pub fn page<T: Clone>(
    all: &[T],
    key: impl Fn(&T) -> &str,
    after: Option<&str>,
    limit: u32,
    what: &str,
) -> Result<(Vec<T>, Option<String>), WireError> {
    let start = match after {
        Some(cursor) => all
            .iter()
            .position(|t| key(t) == cursor)
            .map(|i| i + 1)
            .ok_or_else(|| {
                WireError::validation(format!("`after` does not name an item of this {what} list"))
                    .with_field("after")
            })?,
        None => 0,
    };
    let end = start.saturating_add(limit as usize).min(all.len());
    let items = all.get(start..end).map(<[T]>::to_vec).unwrap_or_default();
    let next = match items.last() {
        Some(last) if end < all.len() => Some(key(last).to_string()),
        _ => None,
    };
    Ok((items, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_everything_once() {
        let all: Vec<String> = (0..7).map(|i| format!("k{i}")).collect();
        fn key(s: &String) -> &str {
            s
        }
        let (p1, n1) = page(&all, key, None, 3, "t").unwrap();
        let (p2, n2) = page(&all, key, n1.as_deref(), 3, "t").unwrap();
        let (p3, n3) = page(&all, key, n2.as_deref(), 3, "t").unwrap();
        assert_eq!([p1, p2, p3].concat(), all);
        assert_eq!(n3, None);
        assert_eq!(page(&all, key, None, 0, "t").unwrap(), (vec![], None));
        assert!(page(&all, key, Some("nope"), 3, "t").is_err());
    }
}

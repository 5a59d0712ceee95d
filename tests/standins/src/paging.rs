//! `page`/`per_page` handling shared by the stand-ins' list endpoints.

/// The page a list request asked for, clamped as the real APIs clamp.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Paging {
    /// 1-based page number.
    pub page: usize,
    /// Items per page, at least 1.
    pub per_page: usize,
}

/// The value of the first query parameter named `key`.
pub(crate) fn param<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

impl Paging {
    /// From the query's `page` and `per_page`: unparsable or missing values
    /// get `default`, `per_page` is clamped to `1..=max`, `page` to at least 1.
    pub(crate) fn from_query(query: &[(String, String)], default: usize, max: usize) -> Self {
        let max = max.max(1);
        let per_page = param(query, "per_page")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(default)
            .clamp(1, max);
        let page = param(query, "page")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(1)
            .max(1);
        Self { page, per_page }
    }

    /// The items on this page (empty past the last page).
    pub(crate) fn window<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = (self.page - 1).saturating_mul(self.per_page);
        let end = start.saturating_add(self.per_page).min(items.len());
        items.get(start..end).unwrap_or(&[])
    }

    /// Number of pages for `total` items; an empty list has one (empty) page.
    pub(crate) fn pages(&self, total: usize) -> usize {
        total.div_ceil(self.per_page).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn clamps_and_windows() {
        let p = Paging::from_query(&q(&[("page", "2"), ("per_page", "500")]), 100, 2);
        assert_eq!((p.page, p.per_page), (2, 2));
        assert_eq!(p.window(&[1, 2, 3]), &[3]);
        assert_eq!(p.pages(3), 2);
        assert_eq!(p.pages(0), 1);
        let p = Paging::from_query(&q(&[("page", "x")]), 20, 200);
        assert_eq!((p.page, p.per_page), (1, 20));
        assert!(Paging::from_query(&q(&[("page", "9")]), 20, 200)
            .window(&[1])
            .is_empty());
    }
}

//! Problems the core found in a workflow, shown where they are: under the
//! input of their node and field, and, for a template, at their offset. A
//! byte offset means nothing to a person, so it is turned into a line and a
//! character of the text as typed, and that line is shown again with a
//! caret under the spot.

use maud::{html, Markup};
use shared::protocol::workflow::WorkflowIssue;

/// A problem as shown under its input.
pub(super) struct Problem {
    pub(super) message: String,
    /// The text's line around the offset and a caret line under it.
    pub(super) caret: Option<(String, String)>,
}

/// Where byte `offset` falls in `text`: 1-based line, 1-based character
/// in that line, and the line's text around it with a caret line.
fn locate(text: &str, offset: u64) -> (usize, usize, String, String) {
    let mut at = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_no = before.matches('\n').count() + 1;
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let line: Vec<char> = text[line_start..line_end]
        .trim_end_matches('\r')
        .chars()
        .collect();
    let col = text[line_start..at].chars().count();
    // A window of the line, so a long URL or body still shows the spot.
    let from = col.saturating_sub(48);
    let to = (col + 32).min(line.len());
    let mut shown: String = line[from..to.max(from)].iter().collect();
    let mut pad = col - from;
    if from > 0 {
        shown.insert(0, '…');
        pad += 1;
    }
    if to < line.len() {
        shown.push('…');
    }
    (line_no, col + 1, shown, format!("{}^", " ".repeat(pad)))
}

pub(super) fn problem(issue: &WorkflowIssue, text: Option<&str>) -> Problem {
    match (issue.offset, text) {
        (Some(o), Some(t)) => {
            let (line, ch, shown, caret) = locate(t, o);
            let message = if t.contains('\n') {
                format!("at line {line}, character {ch}: {}", issue.message)
            } else {
                format!("at character {ch}: {}", issue.message)
            };
            Problem {
                message,
                caret: Some((shown, caret)),
            }
        }
        (Some(o), None) => Problem {
            message: format!("at byte {o}: {}", issue.message),
            caret: None,
        },
        (None, _) => Problem {
            message: issue.message.clone(),
            caret: None,
        },
    }
}

/// The problems of node `node` (by name; `None`: the workflow) at `field`.
pub(super) fn at<'a>(
    issues: &'a [WorkflowIssue],
    node: Option<&'a str>,
    field: &'a str,
) -> impl Iterator<Item = &'a WorkflowIssue> + 'a {
    issues
        .iter()
        .filter(move |i| i.node.as_deref() == node && i.field == field)
}

/// The error lines (and caret) of an input.
pub(super) fn problems(id: &str, key: &str, list: &[Problem]) -> Markup {
    html! {
        @for (k, p) in list.iter().enumerate() {
            div.error-at id={(id) "-error" @if k > 0 { "-" (k) }} data-error-for=(key) {
                p.error { (p.message) }
                @if let Some((shown, caret)) = &p.caret {
                    pre.caret aria-hidden="true" data-caret { (shown) "\n" span { (caret) } }
                }
            }
        }
    }
}

pub(super) fn described(id: &str, hint: bool, n: usize) -> Option<String> {
    let mut d: Vec<String> = Vec::new();
    if hint {
        d.push(format!("{id}-hint"));
    }
    for k in 0..n {
        d.push(if k == 0 {
            format!("{id}-error")
        } else {
            format!("{id}-error-{k}")
        });
    }
    (!d.is_empty()).then(|| d.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offset_becomes_a_character_and_a_caret() {
        let (line, ch, shown, caret) = locate("https://h/{{secrets.nope.value}}", 10);
        assert_eq!((line, ch), (1, 11));
        assert_eq!(shown.find('{'), Some(10));
        assert_eq!(caret, format!("{}^", " ".repeat(10)));
        // multi-byte text and a second line
        let (line, ch, shown, caret) = locate("é\nab{{x}}", 5);
        assert_eq!((line, ch), (2, 3));
        assert_eq!(shown, "ab{{x}}");
        assert_eq!(caret, "  ^");
        // an offset past the end or inside a character does not panic
        let _ = locate("é", 1);
        let _ = locate("", 99);
    }
}

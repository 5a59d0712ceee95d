//! One mechanism for every form whose inputs depend on a type chosen first
//! (a secret's type, a DNS provider's type; later ACME accounts,
//! certificates, workflows): the page renders only the chosen type's
//! inputs, on the server.
//!
//! * Without a type, the add page is a chooser: one link per type with a
//!   one-line description (`?type=…`, a GET that carries nothing typed).
//! * The form starts with the type `<select>` and a "Change type" button
//!   that posts the form with [`RERENDER_FIELD`] set. The handler sees
//!   [`wants_rerender`], drops every secret input unread, and renders the
//!   form again for the new type with the non-secret inputs kept. With
//!   JavaScript the select does the same on `change` (after disabling the
//!   secret inputs, so their values are not even sent) and swaps the new
//!   form in place, keeping focus on the select; without it the button
//!   does, as a normal POST.
//!
//! A form type implements [`FormType`]; the page calls [`chooser`] and
//! [`type_select`], the handler [`wants_rerender`].

use maud::{html, Markup};

use super::forms::FormData;

/// Form field that asks for the form to be rendered again, not saved.
pub const RERENDER_FIELD: &str = "_rerender";

/// A closed set of types, each with its own inputs.
pub trait FormType: Copy + Eq + Sized + 'static {
    /// Every type, in the order offered.
    fn all() -> &'static [Self];
    /// The value in forms and URLs.
    fn value(self) -> &'static str;
    /// People-facing name.
    fn label(self) -> &'static str;
    /// One line saying what the type is for (shown in the chooser).
    fn blurb(self) -> &'static str;

    /// The type whose value is `v`.
    fn from_value(v: &str) -> Option<Self> {
        Self::all().iter().copied().find(|t| t.value() == v)
    }
}

/// True when the form was posted to change its type, not to be saved.
pub fn wants_rerender(form: &FormData) -> bool {
    form.text(RERENDER_FIELD).is_some()
}

/// The chooser shown before any type is picked: one link per type.
pub fn chooser<T: FormType>(path: &str, heading: &str) -> Markup {
    html! {
        section.card aria-labelledby="h-choose" {
            h2 #h-choose { (heading) }
            ul.chooser data-chooser {
                @for t in T::all() {
                    li {
                        a href={(path) "?type=" (t.value())} data-type=(t.value()) {
                            strong { (t.label()) }
                            span.small.muted { (t.blurb()) }
                        }
                    }
                }
            }
        }
    }
}

/// The type `<select>` at the top of a typed form, with its "Change type"
/// button (the way to re-render without JavaScript).
pub fn type_select<T: FormType>(
    id: &str,
    name: &str,
    label: &str,
    chosen: T,
    error: Option<&str>,
) -> Markup {
    let hint_id = format!("{id}-hint");
    let err_id = format!("{id}-error");
    let described = match error {
        Some(_) => format!("{hint_id} {err_id}"),
        None => hint_id.clone(),
    };
    html! {
        div.field.type-choice data-field=(name) {
            label for=(id) { (label) }
            div.inline {
                select id=(id) name=(name) data-rerender aria-describedby=(described)
                    aria-invalid=[error.map(|_| "true")] autofocus[error.is_some()] {
                    @for t in T::all() {
                        option value=(t.value()) selected[*t == chosen] { (t.label()) }
                    }
                }
                button.secondary type="submit" name=(RERENDER_FIELD) value="1" formnovalidate
                    data-rerender-button { "Change type" }
            }
            p.hint id=(hint_id) { (chosen.blurb()) " Changing the type shows its fields; values typed into secret fields are cleared." }
            @if let Some(e) = error { p.error id=(err_id) data-error-for=(name) { (e) } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::protocol::dns::ProviderType;
    use shared::protocol::secrets::SecretType;

    fn round_trip<T: FormType + std::fmt::Debug>() {
        for t in T::all() {
            assert_eq!(T::from_value(t.value()), Some(*t));
            assert!(!t.label().is_empty() && !t.blurb().is_empty(), "{t:?}");
        }
        assert_eq!(T::from_value("nope"), None);
    }

    #[test]
    fn types_round_trip() {
        round_trip::<SecretType>();
        round_trip::<ProviderType>();
        round_trip::<crate::web::forms::acme::Directory>();
    }

    #[test]
    fn rerender_is_a_form_field() {
        assert!(wants_rerender(&FormData::parse(b"_rerender=1&type=x")));
        assert!(!wants_rerender(&FormData::parse(b"type=x")));
    }

    #[test]
    fn the_select_offers_every_type_and_a_button() {
        let m = type_select("t", "type", "Type", SecretType::Oauth, Some("bad")).into_string();
        for t in SecretType::ALL {
            assert!(m.contains(&format!("value=\"{}\"", t.as_str())));
        }
        assert!(m.contains("name=\"_rerender\""));
        assert!(m.contains("aria-describedby=\"t-hint t-error\""));
        let c = chooser::<ProviderType>("/providers/new", "Pick").into_string();
        assert!(c.contains("/providers/new?type=route53"));
    }
}

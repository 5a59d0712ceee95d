//! `template_validate`: format check plus existence of every referenced secret
//! and field, answered with references only (never values).

use shared::error::{WireError, WireResult};
use shared::protocol::secrets::{SecretSelector, TemplateReference};

use crate::secrets::store::SecretStore;
use crate::secrets::template;

/// Validates `text` against the store's secrets.
pub fn validate(store: &mut SecretStore, text: &str) -> WireResult<Vec<TemplateReference>> {
    let refs = template::references(text).map_err(WireError::from)?;
    for r in &refs {
        let meta = store
            .get_meta(&SecretSelector::Name(r.name.clone()))
            .map_err(|_| {
                WireError::not_found(format!("secret `{}` does not exist", r.name))
                    .with_offset(r.offset)
            })?;
        if !meta.fields.iter().any(|f| f == &r.field) {
            return Err(WireError::not_found(format!(
                "secret `{}` has no field `{}`",
                r.name, r.field
            ))
            .with_offset(r.offset));
        }
    }
    Ok(refs)
}

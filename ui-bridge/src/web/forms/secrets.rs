//! Secret forms → `secret_create` / `secret_update` arguments.
//!
//! Data inputs are named `data.<type>.<field>` (every type's inputs are in
//! the page; only the chosen type's are read), custom rows
//! `custom.<n>.name` / `custom.<n>.value`. Empty inputs are left out, so a
//! missing required field is reported by the core next to that field.

use shared::error::WireError;
use shared::protocol::secrets::{
    ExternalSource, NewSecret, SecretData, SecretKind, SecretType, SecretUpdate,
};

use super::{split_list, FormData};
use crate::web::fields::{secret_fields, MAX_CUSTOM_ROWS};

/// Name of the input carrying `field` of type `t`.
pub fn data_input(t: SecretType, field: &str) -> String {
    format!("data.{}.{field}", t.as_str())
}

/// The secret type the form chose.
pub fn chosen_type(form: &FormData) -> Result<SecretType, WireError> {
    let t = form.text("type").unwrap_or_default();
    SecretType::parse(t).ok_or_else(|| WireError::validation("choose a type").with_field("type"))
}

/// The kind the form chose (`generic` when absent).
pub fn chosen_kind(form: &FormData) -> Result<SecretKind, WireError> {
    match form.nonblank("kind") {
        None => Ok(SecretKind::Generic),
        Some(k) => SecretKind::parse(k)
            .ok_or_else(|| WireError::validation("unknown kind").with_field("kind")),
    }
}

/// The data of type `t` from the form (values moved out of it).
pub fn data(form: &mut FormData, t: SecretType) -> Result<SecretData, WireError> {
    let mut data = SecretData::new();
    if t == SecretType::Custom {
        for i in 0..MAX_CUSTOM_ROWS {
            let name = form
                .nonblank(&format!("custom.{i}.name"))
                .map(str::to_string);
            let value = form.take(&format!("custom.{i}.value"));
            match (name, value) {
                (Some(n), Some(v)) => {
                    data.insert(n, v);
                }
                (Some(n), None) => {
                    return Err(WireError::validation("is blank").with_field(format!("data.{n}")))
                }
                (None, Some(_)) => {
                    return Err(
                        WireError::validation("a value needs a field name").with_field("data")
                    )
                }
                (None, None) => {}
            }
        }
        return Ok(data);
    }
    for field in secret_fields(t) {
        if let Some(v) = form.take(&data_input(t, field.key)) {
            data.insert(field.key.to_string(), v);
        }
    }
    Ok(data)
}

/// `secret_create` from the add form.
pub fn create(form: &mut FormData) -> Result<NewSecret, WireError> {
    let secret_type = chosen_type(form)?;
    let kind = chosen_kind(form)?;
    let external = form.nonblank("external_path").map(|p| ExternalSource {
        path: p.to_string(),
    });
    let data = data(form, secret_type)?;
    Ok(NewSecret {
        name: form.text("name").unwrap_or_default().trim().to_string(),
        secret_type,
        kind,
        data,
        label: form.text("label").map(str::to_string),
        description: form.text("description").map(str::to_string),
        tags: split_list(form.text("tags").unwrap_or_default()),
        owner: None,
        external,
        binding: None,
        allowed_hosts: hosts(form),
    })
}

/// The `allowed_hosts` input: host names or IP literals separated by
/// commas, spaces or new lines; `None` when blank (no list, or unchanged).
pub fn hosts(form: &FormData) -> Option<Vec<String>> {
    let list = split_list(form.text(HOSTS_INPUT).unwrap_or_default());
    (!list.is_empty()).then_some(list)
}

/// Name of the `allowedHosts` input.
pub const HOSTS_INPUT: &str = "allowed_hosts";

/// `secret_update` of the metadata (label, description, tags).
pub fn metadata(form: &FormData) -> SecretUpdate {
    SecretUpdate {
        data: None,
        label: Some(form.text("label").unwrap_or_default().to_string()),
        description: Some(form.text("description").unwrap_or_default().to_string()),
        tags: Some(split_list(form.text("tags").unwrap_or_default())),
        binding: None,
        allowed_hosts: None,
    }
}

/// `secret_update` replacing the value of a secret of type `t`.
pub fn value(form: &mut FormData, t: SecretType) -> Result<SecretUpdate, WireError> {
    Ok(SecretUpdate {
        allowed_hosts: hosts(form),
        data: Some(data(form, t)?),
        ..SecretUpdate::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_reads_only_the_chosen_type() {
        let mut f = FormData::parse(
            b"name=n1&type=basic_auth&kind=generic&tags=a,b&data.basic_auth.username=u&data.basic_auth.password=p&data.api_key.value=zz",
        );
        let s = create(&mut f).unwrap();
        assert_eq!(s.secret_type, SecretType::BasicAuth);
        assert_eq!(s.data.len(), 2);
        assert_eq!(s.tags, vec!["a", "b"]);
        assert!(s.owner.is_none());
        assert!(s.allowed_hosts.is_none());
    }

    #[test]
    fn allowed_hosts_split_on_commas_and_new_lines() {
        let mut f = FormData::parse(
            b"name=n&type=api_key&data.api_key.value=v&allowed_hosts=api.example.com,+127.0.0.1%0D%0A%0D%0A%5B::1%5D",
        );
        let s = create(&mut f).unwrap();
        assert_eq!(
            s.allowed_hosts,
            Some(vec![
                "api.example.com".into(),
                "127.0.0.1".into(),
                "[::1]".into()
            ])
        );
        let mut f = FormData::parse(b"data.api_key.value=v&allowed_hosts=a.example");
        let u = value(&mut f, SecretType::ApiKey).unwrap();
        assert_eq!(u.allowed_hosts, Some(vec!["a.example".into()]));
        assert!(u.data.is_some());
    }

    #[test]
    fn custom_rows() {
        let mut f = FormData::parse(
            b"name=c&type=custom&custom.0.name=host&custom.0.value=h&custom.1.name=&custom.1.value=",
        );
        let s = create(&mut f).unwrap();
        assert_eq!(s.data.keys().collect::<Vec<_>>(), vec!["host"]);
        let mut f = FormData::parse(b"name=c&type=custom&custom.0.value=v");
        assert_eq!(create(&mut f).unwrap_err().field.as_deref(), Some("data"));
    }

    #[test]
    fn bad_type_points_at_the_type() {
        let mut f = FormData::parse(b"name=x&type=nope");
        assert_eq!(create(&mut f).unwrap_err().field.as_deref(), Some("type"));
    }
}

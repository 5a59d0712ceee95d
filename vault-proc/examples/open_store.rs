//! Opens the secret store of a data dir with the platform keyring: the child
//! half of the migration crash test (`tests/real_keyring.rs`), which runs it
//! with `SSLBOARD_FAILPOINT` set so that it aborts between two steps.
//! Usage: `open_store DATA_DIR KEYRING_SERVICE` (neither is a secret).

use vault_proc::secrets::masterkey::keyring::KeyringSource;
use vault_proc::secrets::store::SecretStore;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(service)) = (args.next(), args.next()) else {
        eprintln!("usage: open_store DATA_DIR KEYRING_SERVICE");
        std::process::exit(2);
    };
    let source = match KeyringSource::platform(&service) {
        Ok(s) => Box::new(s),
        Err(e) => {
            eprintln!("open_store: keyring: {e}");
            std::process::exit(1);
        }
    };
    match SecretStore::open(std::path::Path::new(&dir), source) {
        Ok(_) => {}
        Err(e) => {
            eprintln!("open_store: {e}");
            std::process::exit(1);
        }
    }
}

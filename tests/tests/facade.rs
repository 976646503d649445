//! The facade's choices that are not per-backend cases: memory databases, URL forms.

use nerve::model::NewCompany;
use nerve::{Error, StoreOptions};

#[test]
fn memory_database_gets_its_schema_and_keeps_its_data() {
    let options = StoreOptions {
        password: nerve::PasswordParams::INSECURE_FOR_TESTS,
        ..Default::default()
    };
    // The default policy (Require) migrates a memory database, which is always new.
    let store = nerve::connect_with("sqlite::memory:", &options).expect("memory store");
    assert!(store.capabilities().in_memory);
    let c = store
        .companies()
        .create(&NewCompany {
            name: "M".into(),
            domain: None,
        })
        .unwrap();
    assert_eq!(store.companies().get(c.id).unwrap().name, "M");
    assert!(store.schema_status().unwrap().pending.is_empty());
}

#[test]
fn separate_operations_on_a_memory_database_are_refused() {
    assert!(matches!(
        nerve::migrate("sqlite::memory:"),
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(
        nerve::schema_status("sqlite::memory:"),
        Err(Error::Unsupported { .. })
    ));
}

#[test]
fn every_backend_is_compiled_into_the_test_build() {
    assert_eq!(nerve::compiled_backends(), nerve::Backend::ALL.to_vec());
}

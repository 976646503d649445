//! Every committed input of every fuzz target — its corpus (`fuzz/corpus/<target>/`) and the
//! inputs of failures found and fixed (`fuzz/regressions/<target>/`, never minimized away) —
//! run through the target's properties: what the fuzzer once found stays fixed, on the stable
//! toolchain, in the test command.

use std::path::Path;

#[test]
fn every_corpus_input_keeps_its_target_properties() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut counts = Vec::new();
    for (name, target) in nerve_fuzz::TARGETS {
        let dir = root.join("corpus").join(name);
        let mut inputs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("a corpus entry").path())
            .collect();
        assert!(
            !inputs.is_empty(),
            "{}: an empty corpus tests nothing",
            dir.display()
        );
        if let Ok(regressions) = std::fs::read_dir(root.join("regressions").join(name)) {
            inputs.extend(regressions.map(|e| e.expect("a regression input").path()));
        }
        inputs.sort();
        for input in &inputs {
            let data = std::fs::read(input).expect("read the input");
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name}: {} fails", input.display());
        }
        counts.push(format!("{name} {}", inputs.len()));
    }
    println!("fuzz corpora replayed: {}", counts.join(", "));
}

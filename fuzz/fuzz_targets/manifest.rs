#![no_main]
//! See `nerve_fuzz::manifest`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| nerve_fuzz::manifest(data));

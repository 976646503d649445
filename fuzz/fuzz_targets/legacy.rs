#![no_main]
//! See `nerve_fuzz::legacy`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| nerve_fuzz::legacy(data));

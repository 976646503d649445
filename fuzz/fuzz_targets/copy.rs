#![no_main]
//! See `nerve_fuzz::copy`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| nerve_fuzz::copy(data));

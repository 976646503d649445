#![no_main]
//! See `nerve_fuzz::age`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| nerve_fuzz::age(data));

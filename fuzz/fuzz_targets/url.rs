#![no_main]
//! See `nerve_fuzz::url`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| nerve_fuzz::url(data));

//! The lexer and parser on any text: a syntax tree or a diagnostic, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Err(d) = kql_syntax::parse(text) {
        // Rendering indexes into the text by the diagnostic's span.
        let _ = d.render(text, "fuzz");
    }
});

//! The binder and planner (down to DataFusion's physical plan) on any text, against a fixed
//! catalog: the reference hunt's two tables. A plan or a diagnostic, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

thread_local! {
    static SESSION: kql::Session = {
        let mut s = kql::Session::new();
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/phish");
        if let Err(e) = s.load_dir(&data) {
            panic!("the fuzz catalog does not load: {e}");
        }
        s.set_now(1_700_000_000_000_000_000);
        s
    };
}

fuzz_target!(|text: &str| {
    SESSION.with(|s| {
        if let Err(d) = s.check(text) {
            let _ = d.render(text, "fuzz");
        }
    });
});

//! `kql convert`: the loaded tables as typed Parquet files.

use crate::EXIT_USAGE;
use crate::args::ConvertArgs;
use crate::run::loaded_session;

pub async fn convert(a: ConvertArgs) -> u8 {
    let session = match loaded_session(&a.inputs, &[]) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let names = session.loaded_table_names();
    if names.is_empty() {
        eprintln!("error: no tables to convert (give --data or --table)");
        return EXIT_USAGE;
    }
    if let Err(e) = std::fs::create_dir_all(&a.to) {
        eprintln!("error: {}: {e}", a.to.display());
        return EXIT_USAGE;
    }
    for name in names {
        let path = a.to.join(format!("{name}.parquet"));
        match session.write_parquet(&name, &path).await {
            Ok(rows) => eprintln!("{name}: {rows} rows written to {}", path.display()),
            Err(e) => {
                eprintln!("error: {name}: {e}");
                return EXIT_USAGE;
            }
        }
    }
    0
}

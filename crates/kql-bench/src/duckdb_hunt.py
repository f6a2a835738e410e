# Runs the reference hunt's DuckDB SQL (argv[2], with {DIR} for the data folder argv[1])
# and fetches every row, as the benchmark's DuckDB measurement.
import sys

import duckdb

sql = open(sys.argv[2]).read().replace("{DIR}", sys.argv[1])
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
rows = con.execute(sql).fetchall()
print(f"duckdb: {len(rows)} rows", file=sys.stderr)

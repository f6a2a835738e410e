//! Grid cells: geohash (written here), S2 (the `s2` crate) and H3 (the `h3o` crate) tokens
//! of points, and the cells' centers, polygons, neighbors and hierarchy.

use super::shapes::{number, point, point_json, polygon_json};
use super::sphere::Ll;
use h3o::{CellIndex, LatLng, Resolution};
use s2::cellid::CellID;
use serde_json::Value;

const GEOHASH: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

/// An optional integer argument with its default; None when given but not an integer.
fn level(v: Option<&Value>, default: i64) -> Option<i64> {
    match v {
        None => Some(default),
        Some(v) => number(v).filter(|x| x.fract() == 0.0).map(|x| x as i64),
    }
}

fn geohash(ll: Ll, len: usize) -> String {
    let (mut lng, mut lat) = ((-180.0, 180.0), (-90.0, 90.0));
    let mut out = String::with_capacity(len);
    let (mut bits, mut value, mut even) = (0, 0usize, true);
    while out.len() < len {
        let (range, x) = if even {
            (&mut lng, ll.0)
        } else {
            (&mut lat, ll.1)
        };
        let mid = (range.0 + range.1) / 2.0;
        value <<= 1;
        if x >= mid {
            value |= 1;
            range.0 = mid;
        } else {
            range.1 = mid;
        }
        even = !even;
        bits += 1;
        if bits == 5 {
            out.push(GEOHASH[value] as char);
            (bits, value) = (0, 0);
        }
    }
    out
}

/// The longitude and latitude ranges of a geohash cell.
fn geohash_box(hash: &str) -> Option<((f64, f64), (f64, f64))> {
    if hash.is_empty() || hash.len() > 18 {
        return None;
    }
    let (mut lng, mut lat) = ((-180.0, 180.0), (-90.0, 90.0));
    let mut even = true;
    for ch in hash.bytes() {
        let v = GEOHASH.iter().position(|&c| c == ch)?;
        for bit in (0..5).rev() {
            let range = if even { &mut lng } else { &mut lat };
            let mid = (range.0 + range.1) / 2.0;
            if v >> bit & 1 == 1 {
                range.0 = mid;
            } else {
                range.1 = mid;
            }
            even = !even;
        }
    }
    Some((lng, lat))
}

/// The eight cells around a geohash cell, in the order Kusto's examples list them; cells
/// beyond a pole are left out and longitudes wrap.
fn geohash_neighbors(hash: &str) -> Option<Value> {
    let ((w, e), (s, n)) = geohash_box(hash)?;
    let (dx, dy) = (e - w, n - s);
    let (cx, cy) = ((w + e) / 2.0, (s + n) / 2.0);
    let offsets = [
        (-1, -1),
        (-1, 1),
        (1, -1),
        (0, 1),
        (-1, 0),
        (1, 1),
        (1, 0),
        (0, -1),
    ];
    Some(Value::Array(
        offsets
            .iter()
            .filter_map(|&(i, j)| {
                let lat = cy + f64::from(j) * dy;
                let lng = (cx + f64::from(i) * dx + 540.0).rem_euclid(360.0) - 180.0;
                (-90.0..=90.0)
                    .contains(&lat)
                    .then(|| Value::from(geohash((lng, lat), hash.len())))
            })
            .collect(),
    ))
}

fn s2_cell(token: &str) -> Option<CellID> {
    if token.is_empty() || token.len() > 16 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let id = CellID::from_token(token);
    id.is_valid().then_some(id)
}

fn s2_ll(p: &s2::point::Point) -> Ll {
    let ll = s2::latlng::LatLng::from(p);
    (ll.lng.deg(), ll.lat.deg())
}

/// The eight neighbors of an S2 cell, in the order Kusto's examples list them (S2's own
/// order with the last moved first and the left and right neighbors swapped).
fn s2_neighbors(id: CellID) -> Value {
    let all = id.all_neighbors(id.level());
    let order: Vec<usize> = if all.len() == 8 {
        vec![7, 0, 1, 2, 3, 5, 4, 6]
    } else {
        (0..all.len()).collect()
    };
    Value::Array(
        order
            .iter()
            .map(|&i| Value::from(all[i].to_token()))
            .collect(),
    )
}

fn h3_cell(v: &Value) -> Option<CellIndex> {
    v.as_str()?.parse().ok()
}

fn resolution(r: i64) -> Option<Resolution> {
    Resolution::try_from(u8::try_from(r).ok()?).ok()
}

fn h3_ll(ll: LatLng) -> Ll {
    (ll.lng(), ll.lat())
}

fn tokens(cells: impl IntoIterator<Item = CellIndex>) -> Value {
    Value::Array(
        cells
            .into_iter()
            .map(|c| Value::from(c.to_string()))
            .collect(),
    )
}

/// The cell operations; None is a null result.
pub fn apply(op: &str, v: &[Value]) -> Option<Value> {
    let arg = |i: usize| v.get(i).unwrap_or(&Value::Null);
    Some(match op {
        "geo_point_to_geohash" => {
            let ll = point(arg(0), arg(1))?;
            let len = level(v.get(2), 5).filter(|l| (1..=18).contains(l))?;
            Value::from(geohash(ll, len as usize))
        }
        "geo_geohash_to_central_point" => {
            let ((w, e), (s, n)) = geohash_box(arg(0).as_str()?)?;
            point_json(((w + e) / 2.0, (s + n) / 2.0))
        }
        "geo_geohash_to_polygon" => {
            let ((w, e), (s, n)) = geohash_box(arg(0).as_str()?)?;
            polygon_json(&[vec![(w, s), (e, s), (e, n), (w, n)]])
        }
        "geo_geohash_neighbors" => geohash_neighbors(arg(0).as_str()?)?,
        "geo_point_to_s2cell" => {
            let (lng, lat) = point(arg(0), arg(1))?;
            let lvl = level(v.get(2), 11).filter(|l| (0..=30).contains(l))?;
            let id = CellID::from(s2::latlng::LatLng::from_degrees(lat, lng));
            Value::from(id.parent(lvl as u64).to_token())
        }
        "geo_s2cell_to_central_point" => {
            let cell = s2::cell::Cell::from(&s2_cell(arg(0).as_str()?)?);
            point_json(s2_ll(&cell.center()))
        }
        "geo_s2cell_to_polygon" => {
            let cell = s2::cell::Cell::from(&s2_cell(arg(0).as_str()?)?);
            polygon_json(&[cell.vertices().iter().map(s2_ll).collect()])
        }
        "geo_s2cell_neighbors" => s2_neighbors(s2_cell(arg(0).as_str()?)?),
        "geo_point_to_h3cell" => {
            let (lng, lat) = point(arg(0), arg(1))?;
            let res = resolution(level(v.get(2), 6)?)?;
            Value::from(LatLng::new(lat, lng).ok()?.to_cell(res).to_string())
        }
        "geo_h3cell_to_central_point" => point_json(h3_ll(LatLng::from(h3_cell(arg(0))?))),
        "geo_h3cell_to_polygon" => {
            let ring: Vec<Ll> = h3_cell(arg(0))?
                .boundary()
                .iter()
                .map(|&p| h3_ll(p))
                .collect();
            polygon_json(&[ring])
        }
        "geo_h3cell_level" => Value::from(u8::from(h3_cell(arg(0))?.resolution())),
        "geo_h3cell_parent" => {
            let cell = h3_cell(arg(0))?;
            let own = i64::from(u8::from(cell.resolution()));
            let res = resolution(level(v.get(1), own - 1)?)?;
            Value::from(cell.parent(res)?.to_string())
        }
        "geo_h3cell_children" => {
            let cell = h3_cell(arg(0))?;
            let own = i64::from(u8::from(cell.resolution()));
            let res = level(v.get(1), own + 1).filter(|r| (own..=own + 5).contains(r))?;
            tokens(cell.children(resolution(res)?))
        }
        "geo_h3cell_neighbors" => {
            let cell = h3_cell(arg(0))?;
            tokens(
                cell.grid_disk::<Vec<_>>(1)
                    .into_iter()
                    .filter(|&c| c != cell),
            )
        }
        "geo_h3cell_rings" => {
            let cell = h3_cell(arg(0))?;
            let k = level(Some(arg(1)), 0).filter(|k| (0..=142).contains(k))? as u32;
            let mut rings = vec![Vec::new(); k as usize + 1];
            for (c, d) in cell.grid_disk_distances::<Vec<_>>(k) {
                rings[d as usize].push(Value::from(c.to_string()));
            }
            Value::Array(rings.into_iter().map(Value::Array).collect())
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tokens_match_the_documented_cells() {
        let call = |op: &str, v: &[Value]| apply(op, v).unwrap();
        let (lng, lat) = (json!(-80.195829), json!(25.802215));
        assert_eq!(
            call(
                "geo_point_to_geohash",
                &[lng.clone(), lat.clone(), json!(8)]
            ),
            "dhwfz15h"
        );
        assert_eq!(call("geo_point_to_s2cell", &[lng, lat, json!(8)]), "88d9b");
        let (lng, lat) = (json!(-74.04450446039874), json!(40.689250859314974));
        assert_eq!(
            call("geo_point_to_h3cell", &[lng, lat, json!(6)]),
            "862a1072fffffff"
        );
        assert_eq!(
            call("geo_geohash_neighbors", &[json!("sunny")]),
            json!([
                "sunnt", "sunpj", "sunnx", "sunpn", "sunnv", "sunpp", "sunnz", "sunnw"
            ])
        );
        assert_eq!(
            call("geo_s2cell_neighbors", &[json!("89c259")]),
            json!([
                "89c25d", "89c2f9", "89c251", "89c257", "89c25f", "89c25b", "89c2f7", "89c2f5"
            ])
        );
        assert!(apply("geo_s2cell_to_central_point", &[json!("a")]).is_none());
        assert!(apply("geo_h3cell_parent", &[json!("862a1072fffffff"), json!(15)]).is_none());
        assert_eq!(
            call("geo_h3cell_parent", &[json!("862a1072fffffff"), json!(1)]),
            "812a3ffffffffff"
        );
    }
}

//! GeoJSON in and out: reading points, lines and polygons as Kusto validates them, and
//! writing results back as GeoJSON values.

use super::sphere::{Ll, V3, to_v3};
use serde_json::{Value, json};

/// A number argument (JSON numbers, and numeric text as Kusto converts it).
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|x| x.is_finite())
}

/// A longitude and latitude in their valid ranges.
pub fn valid(lng: f64, lat: f64) -> Option<Ll> {
    ((-180.0..=180.0).contains(&lng) && (-90.0..=90.0).contains(&lat)).then_some((lng, lat))
}

/// A point given as two arguments.
pub fn point(lng: &Value, lat: &Value) -> Option<Ll> {
    valid(number(lng)?, number(lat)?)
}

fn coordinate(v: &Value) -> Option<Ll> {
    match v.as_array()?.as_slice() {
        [lng, lat, ..] => valid(lng.as_f64()?, lat.as_f64()?),
        _ => None,
    }
}

fn coordinates(v: &Value) -> Option<Vec<Ll>> {
    v.as_array()?.iter().map(coordinate).collect()
}

fn typed<'a>(v: &'a Value, kind: &str) -> Option<&'a Value> {
    (v.get("type")?.as_str()? == kind).then_some(())?;
    v.get("coordinates")
}

fn line(v: &Value) -> Option<Vec<Ll>> {
    coordinates(v).filter(|l| l.len() >= 2)
}

/// A LineString or MultiLineString: its lines, each of two points or more.
pub fn lines(v: &Value) -> Option<Vec<Vec<Ll>>> {
    if let Some(c) = typed(v, "LineString") {
        return Some(vec![line(c)?]);
    }
    let many: Vec<Vec<Ll>> = typed(v, "MultiLineString")?
        .as_array()?
        .iter()
        .map(line)
        .collect::<Option<_>>()?;
    (!many.is_empty()).then_some(many)
}

/// A closed ring of at least three distinct vertices, returned without its closing vertex.
fn ring(v: &Value) -> Option<Vec<Ll>> {
    let mut r = coordinates(v)?;
    if r.len() < 4 || r.first() != r.last() {
        return None;
    }
    r.pop();
    let mut distinct: Vec<Ll> = Vec::new();
    for p in &r {
        if !distinct.contains(p) {
            distinct.push(*p);
        }
    }
    (distinct.len() >= 3).then_some(r)
}

fn polygon(v: &Value) -> Option<Vec<Vec<Ll>>> {
    let rings: Vec<Vec<Ll>> = v.as_array()?.iter().map(ring).collect::<Option<_>>()?;
    (!rings.is_empty()).then_some(rings)
}

/// A Polygon or MultiPolygon: its polygons, each a shell and its holes.
pub fn polygons(v: &Value) -> Option<Vec<Vec<Vec<Ll>>>> {
    if let Some(c) = typed(v, "Polygon") {
        return Some(vec![polygon(c)?]);
    }
    let many: Vec<Vec<Vec<Ll>>> = typed(v, "MultiPolygon")?
        .as_array()?
        .iter()
        .map(polygon)
        .collect::<Option<_>>()?;
    (!many.is_empty()).then_some(many)
}

/// Polygons with their rings as points of the sphere.
pub fn sphere_polygons(polygons: &[Vec<Vec<Ll>>]) -> Vec<Vec<Vec<V3>>> {
    polygons
        .iter()
        .map(|p| {
            p.iter()
                .map(|r| r.iter().map(|&c| to_v3(c)).collect())
                .collect()
        })
        .collect()
}

/// A coordinate as Kusto prints geo results: whole numbers without a fraction.
pub fn ordinate(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() <= 1e15 {
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

pub fn position((lng, lat): Ll) -> Value {
    json!([ordinate(lng), ordinate(lat)])
}

pub fn point_json(ll: Ll) -> Value {
    json!({"type": "Point", "coordinates": position(ll)})
}

pub fn coordinates_json(line: &[Ll]) -> Value {
    Value::Array(line.iter().map(|&ll| position(ll)).collect())
}

/// One line as a LineString, several as a MultiLineString, none as an empty collection.
pub fn lines_json(lines: &[Vec<Ll>]) -> Value {
    match lines {
        [] => empty_collection(),
        [one] => json!({"type": "LineString", "coordinates": coordinates_json(one)}),
        many => json!({
            "type": "MultiLineString",
            "coordinates": many.iter().map(|l| coordinates_json(l)).collect::<Vec<_>>(),
        }),
    }
}

/// Rings (without their closing vertex) as a Polygon.
pub fn polygon_json(rings: &[Vec<Ll>]) -> Value {
    let closed: Vec<Value> = rings
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.extend(r.first().copied());
            coordinates_json(&r)
        })
        .collect();
    json!({"type": "Polygon", "coordinates": closed})
}

/// One polygon as a Polygon, several as a MultiPolygon.
pub fn polygons_json(polygons: &[Vec<Vec<Ll>>]) -> Value {
    match polygons {
        [one] => polygon_json(one),
        many => json!({
            "type": "MultiPolygon",
            "coordinates": many.iter().map(|p| polygon_json(p)["coordinates"].clone()).collect::<Vec<_>>(),
        }),
    }
}

pub fn empty_collection() -> Value {
    json!({"type": "GeometryCollection", "geometries": []})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_validated_as_kusto_documents() {
        assert!(lines(&json!({"type": "LineString", "coordinates": [[1, 1]]})).is_none());
        assert!(lines(&json!({"type": "LineString", "coordinates": [[1, 1], [2, 2]]})).is_some());
        assert!(lines(&json!({"type": "LineString", "coordinates": [[300, 1], [2, 2]]})).is_none());
        let degenerate =
            json!({"type": "Polygon", "coordinates": [[[0, 0], [10, 10], [10, 10], [0, 0]]]});
        assert!(polygons(&degenerate).is_none());
        let open = json!({"type": "Polygon", "coordinates": [[[0, 0], [10, 10], [10, 0], [1, 1]]]});
        assert!(polygons(&open).is_none());
        let ok = json!({"type": "Polygon", "coordinates": [[[0, 0], [10, 10], [10, 0], [0, 0]]]});
        assert_eq!(polygons(&ok).unwrap()[0][0].len(), 3);
        assert!(polygons(&json!({"type": "Polygon"})).is_none());
    }
}

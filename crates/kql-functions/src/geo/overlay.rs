//! Where shapes meet: the `geo_intersects_*` tests, and the intersection of two lines or of
//! a line with a polygon.

use super::measure::{contains, edges as line_edges, ring_edges};
use super::shapes::{
    empty_collection, lines, lines_json, point_json, polygons, position, sphere_polygons,
};
use super::sphere::{Ll, V3, angle, crossing, interpolate, to_ll, to_v3};
use serde_json::{Value, json};

type Edge = (V3, V3);

fn any_crossing(a: &[Edge], b: &[Edge]) -> bool {
    a.iter()
        .any(|&(p, q)| b.iter().any(|&(r, s)| crossing(p, q, r, s).is_some()))
}

/// The points where two lines cross, without repeats.
fn crossing_points(a: &[Edge], b: &[Edge]) -> Vec<V3> {
    let mut out: Vec<V3> = Vec::new();
    for &(p, q) in a {
        for &(r, s) in b {
            if let Some(x) = crossing(p, q, r, s)
                && !out.iter().any(|&y| angle(x, y) < 1e-12)
            {
                out.push(x);
            }
        }
    }
    out
}

/// The parts of lines inside polygons: each edge is cut where it crosses a ring, and the
/// pieces whose middle is inside are chained.
fn clip(lines: &[Vec<Ll>], polys: &[Vec<Vec<V3>>]) -> Vec<Vec<Ll>> {
    let rings = ring_edges(polys);
    let mut out: Vec<Vec<Ll>> = Vec::new();
    for line in lines {
        let mut current: Vec<Ll> = Vec::new();
        for w in line.windows(2) {
            let (a, b) = (to_v3(w[0]), to_v3(w[1]));
            let mut cuts: Vec<(f64, V3)> = rings
                .iter()
                .filter_map(|&(r, s)| crossing(a, b, r, s))
                .map(|x| (angle(a, x), x))
                .collect();
            cuts.sort_by(|x, y| x.0.total_cmp(&y.0));
            let mut stops = vec![(0.0, a, w[0])];
            stops.extend(cuts.into_iter().map(|(d, x)| (d, x, to_ll(x))));
            stops.push((angle(a, b), b, w[1]));
            for pair in stops.windows(2) {
                let ((d0, x0, l0), (d1, x1, l1)) = (pair[0], pair[1]);
                if d1 - d0 < 1e-15 {
                    continue;
                }
                if contains(polys, interpolate(x0, x1, 0.5)) {
                    if current.is_empty() {
                        current.push(l0);
                    }
                    current.push(l1);
                } else if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
        }
        if !current.is_empty() {
            out.push(current);
        }
    }
    out
}

/// The overlay operations; None is a null result.
pub fn apply(op: &str, v: &[Value]) -> Option<Value> {
    let arg = |i: usize| v.get(i).unwrap_or(&Value::Null);
    Some(match op {
        "geo_intersects_2lines" => {
            let (a, b) = (line_edges(&lines(arg(0))?), line_edges(&lines(arg(1))?));
            Value::from(any_crossing(&a, &b))
        }
        "geo_intersects_line_with_polygon" => {
            let line = lines(arg(0))?;
            let polys = sphere_polygons(&polygons(arg(1))?);
            let inside = line.iter().flatten().any(|&p| contains(&polys, to_v3(p)));
            Value::from(inside || any_crossing(&line_edges(&line), &ring_edges(&polys)))
        }
        "geo_intersects_2polygons" => {
            let a = sphere_polygons(&polygons(arg(0))?);
            let b = sphere_polygons(&polygons(arg(1))?);
            let vertex_in = |x: &[Vec<Vec<V3>>], y: &[Vec<Vec<V3>>]| {
                x.iter().flatten().flatten().any(|&p| contains(y, p))
            };
            Value::from(
                vertex_in(&a, &b)
                    || vertex_in(&b, &a)
                    || any_crossing(&ring_edges(&a), &ring_edges(&b)),
            )
        }
        "geo_intersection_2lines" => {
            let (la, lb) = (lines(arg(0))?, lines(arg(1))?);
            let same_line = la == lb || {
                let mut reversed: Vec<Vec<Ll>> = lb.iter().rev().cloned().collect();
                reversed.iter_mut().for_each(|l| l.reverse());
                la == reversed
            };
            if same_line {
                return Some(lines_json(&la));
            }
            let points = crossing_points(&line_edges(&la), &line_edges(&lb));
            match points.as_slice() {
                [] => empty_collection(),
                [one] => point_json(to_ll(*one)),
                many => json!({
                    "type": "MultiPoint",
                    "coordinates": many.iter().map(|&p| position(to_ll(p))).collect::<Vec<_>>(),
                }),
            }
        }
        "geo_intersection_line_with_polygon" => {
            let line = lines(arg(0))?;
            let polys = sphere_polygons(&polygons(arg(1))?);
            lines_json(&clip(&line, &polys))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_cut_by_polygons() {
        let line = json!({"type":"LineString","coordinates":[[-73.985195,40.788275],[-73.974552,40.779761]]});
        let polygon = json!({"type":"Polygon","coordinates":[[[-73.9712905883789,40.78580561168767],[-73.98004531860352,40.775276834803655],[-73.97000312805176,40.77852663535664],[-73.9712905883789,40.78580561168767]]]});
        let cut = apply(
            "geo_intersection_line_with_polygon",
            &[line.clone(), polygon.clone()],
        )
        .unwrap();
        assert_eq!(cut["type"], "LineString");
        let start = cut["coordinates"][0][0].as_f64().unwrap();
        assert!((start + 73.975_611_956_578_19).abs() < 1e-9, "{start}");
        assert_eq!(
            apply("geo_intersects_line_with_polygon", &[line, polygon]),
            Some(json!(true))
        );
    }
}

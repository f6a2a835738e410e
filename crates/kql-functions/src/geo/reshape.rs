//! Changing a shape's vertices: densifying planar edges into geodesic chains and
//! simplifying lines and polygons by a distance tolerance.

use super::shapes::{lines, lines_json, number, polygons, polygons_json};
use super::sphere::{EARTH_RADIUS, Ll, angle, closest_on_edge, to_v3};
use serde_json::Value;

/// The distance in meters from a point to the geodesic between two others.
fn off_edge(p: Ll, a: Ll, b: Ll) -> f64 {
    let (p, a, b) = (to_v3(p), to_v3(a), to_v3(b));
    angle(p, closest_on_edge(p, a, b)) * EARTH_RADIUS
}

/// The points after `a` up to `b` of a planar edge halved until each part's planar middle
/// lies within `tolerance` meters of its geodesic.
fn densify_edge(a: Ll, b: Ll, tolerance: f64, depth: u32, out: &mut Vec<Ll>) {
    let mid = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
    if depth < 24 && off_edge(mid, a, b) > tolerance {
        densify_edge(a, mid, tolerance, depth + 1, out);
        densify_edge(mid, b, tolerance, depth + 1, out);
    } else {
        out.push(b);
    }
}

fn densify(points: &[Ll], tolerance: f64) -> Vec<Ll> {
    let mut out = vec![points[0]];
    for w in points.windows(2) {
        densify_edge(w[0], w[1], tolerance, 0, &mut out);
    }
    out
}

/// Douglas-Peucker with geodesic distances: the indexes of the points kept.
fn simplify(points: &[Ll], tolerance: f64) -> Vec<usize> {
    fn split(points: &[Ll], from: usize, to: usize, tolerance: f64, keep: &mut Vec<usize>) {
        let far = (from + 1..to)
            .map(|i| (i, off_edge(points[i], points[from], points[to])))
            .max_by(|x, y| x.1.total_cmp(&y.1));
        if let Some((i, d)) = far
            && d > tolerance
        {
            split(points, from, i, tolerance, keep);
            keep.push(i);
            split(points, i, to, tolerance, keep);
        }
    }
    let mut keep = vec![0];
    split(points, 0, points.len() - 1, tolerance, &mut keep);
    keep.push(points.len() - 1);
    keep
}

fn tolerance(v: Option<&Value>, range: std::ops::RangeInclusive<f64>) -> Option<f64> {
    match v {
        None => Some(10.0),
        Some(v) => number(v).filter(|t| range.contains(t)),
    }
}

/// The reshaping operations; None is a null result.
pub fn apply(op: &str, v: &[Value]) -> Option<Value> {
    let arg = |i: usize| v.get(i).unwrap_or(&Value::Null);
    Some(match op {
        "geo_line_densify" => {
            let t = tolerance(v.get(1), 0.1..=10_000.0)?;
            let dense: Vec<Vec<Ll>> = lines(arg(0))?.iter().map(|l| densify(l, t)).collect();
            lines_json(&dense)
        }
        "geo_polygon_densify" => {
            let t = tolerance(v.get(1), 0.1..=10_000.0)?;
            let dense: Vec<Vec<Vec<Ll>>> = polygons(arg(0))?
                .iter()
                .map(|rings| {
                    rings
                        .iter()
                        .map(|r| {
                            let mut closed = r.clone();
                            closed.push(r[0]);
                            let mut d = densify(&closed, t);
                            d.pop();
                            d
                        })
                        .collect()
                })
                .collect();
            polygons_json(&dense)
        }
        "geo_line_simplify" => {
            let t = tolerance(v.get(1), 0.0..=7_800_000.0)?;
            let simple: Vec<Vec<Ll>> = lines(arg(0))?
                .iter()
                .map(|l| {
                    simplify(l, t)
                        .into_iter()
                        .map(|i| l[i])
                        .collect::<Vec<Ll>>()
                })
                .filter(|l| {
                    let (a, b) = (to_v3(l[0]), to_v3(l[l.len() - 1]));
                    l.len() > 2 || angle(a, b) * EARTH_RADIUS >= t
                })
                .collect();
            if simple.is_empty() {
                return None;
            }
            lines_json(&simple)
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn planar_edges_are_halved_until_close_to_their_geodesic() {
        let line = json!({"type":"LineString","coordinates":[[50, 50], [51, 51]]});
        let dense = apply("geo_line_densify", &[line]).unwrap();
        assert_eq!(dense["coordinates"].as_array().unwrap().len(), 9);
        let short = json!({"type":"LineString","coordinates":[[-73.949247, 40.796860],[-73.973017, 40.764323]]});
        let same = apply("geo_line_densify", std::slice::from_ref(&short)).unwrap();
        assert_eq!(same["coordinates"].as_array().unwrap().len(), 2);
        assert!(apply("geo_line_densify", &[short, json!(0)]).is_none());
    }
}

//! Measurements on the spherical Earth: distances, directions, lengths, areas, centroids,
//! closest points and containment.

use super::shapes::{lines, point, point_json, polygons, sphere_polygons};
use super::sphere::{
    EARTH_RADIUS, Ll, V3, add, angle, closest_on_edge, degenerate, edge_centroid, interpolate,
    ring_area, ring_centroid, ring_contains, scale, to_ll, to_v3, unit,
};
use serde_json::Value;
use std::f64::consts::{PI, TAU};

/// The direction from `a` to `b`, clockwise from north, in [0, 2π).
fn azimuth(a: Ll, b: Ll) -> Option<f64> {
    if degenerate(to_v3(a), to_v3(b)) {
        return None;
    }
    let (l1, p1, l2, p2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let dl = l2 - l1;
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    Some(y.atan2(x).rem_euclid(TAU))
}

fn points(v: &[Value]) -> Option<Vec<Ll>> {
    v.chunks(2).map(|c| point(c.first()?, c.get(1)?)).collect()
}

/// The edges of lines, as pairs of sphere points.
pub fn edges(lines: &[Vec<Ll>]) -> Vec<(V3, V3)> {
    lines
        .iter()
        .flat_map(|l| l.windows(2).map(|w| (to_v3(w[0]), to_v3(w[1]))))
        .collect()
}

/// The edges of every ring of polygons, closing each ring.
pub fn ring_edges(polygons: &[Vec<Vec<V3>>]) -> Vec<(V3, V3)> {
    polygons
        .iter()
        .flatten()
        .flat_map(|r| (0..r.len()).map(move |i| (r[i], r[(i + 1) % r.len()])))
        .collect()
}

/// Whether polygons (shells with holes) contain a point.
pub fn contains(polygons: &[Vec<Vec<V3>>], p: V3) -> bool {
    polygons
        .iter()
        .any(|rings| ring_contains(&rings[0], p) && !rings[1..].iter().any(|h| ring_contains(h, p)))
}

/// The point of the edges closest to `p`.
fn closest(edges: &[(V3, V3)], p: V3) -> Option<V3> {
    edges
        .iter()
        .map(|&(a, b)| closest_on_edge(p, a, b))
        .min_by(|x, y| angle(p, *x).total_cmp(&angle(p, *y)))
}

/// A ring's area and centroid sum, oriented to enclose the smaller region.
fn oriented(ring: &[V3]) -> (f64, V3) {
    let (area, centroid) = (ring_area(ring), ring_centroid(ring));
    if area < 0.0 {
        (-area, scale(centroid, -1.0))
    } else {
        (area, centroid)
    }
}

/// The area of polygons (shells less holes), in square meters.
fn area(polygons: &[Vec<Vec<V3>>]) -> f64 {
    let ring = |r: &[V3]| {
        let a = oriented(r).0;
        if a > 2.0 * PI { 4.0 * PI - a } else { a }
    };
    polygons
        .iter()
        .map(|rings| ring(&rings[0]) - rings[1..].iter().map(|h| ring(h)).sum::<f64>())
        .sum::<f64>()
        * EARTH_RADIUS
        * EARTH_RADIUS
}

fn length(edges: &[(V3, V3)]) -> f64 {
    edges.iter().map(|&(a, b)| angle(a, b)).sum::<f64>() * EARTH_RADIUS
}

/// A LineString's single line.
fn single_line(v: &Value) -> Option<Vec<Ll>> {
    (v.get("type")?.as_str()? == "LineString").then_some(())?;
    lines(v)?.pop()
}

/// The point a fraction of the way along a line, by length.
fn along(line: &[Ll], fraction: f64) -> Option<Ll> {
    let edges = edges(&[line.to_vec()]);
    let mut left = fraction * edges.iter().map(|&(a, b)| angle(a, b)).sum::<f64>();
    for &(a, b) in &edges {
        let step = angle(a, b);
        if left <= step && step > 0.0 {
            return Some(to_ll(interpolate(a, b, left / step)));
        }
        left -= step;
    }
    line.last().copied()
}

/// How far along a line, as a fraction of its length, its point closest to `p` lies.
fn locate(line: &[Ll], p: V3) -> Option<f64> {
    let edges = edges(&[line.to_vec()]);
    let total: f64 = edges.iter().map(|&(a, b)| angle(a, b)).sum();
    let (mut best, mut at, mut before) = (f64::INFINITY, 0.0, 0.0);
    for &(a, b) in &edges {
        let c = closest_on_edge(p, a, b);
        if angle(p, c) < best {
            (best, at) = (angle(p, c), before + angle(a, c));
        }
        before += angle(a, b);
    }
    (total > 0.0).then(|| at / total)
}

/// The measuring operations; None is a null result.
pub fn apply(op: &str, v: &[Value]) -> Option<Value> {
    let arg = |i: usize| v.get(i).unwrap_or(&Value::Null);
    Some(match op {
        "geo_distance_2points" => {
            let p = points(v.get(..4)?)?;
            Value::from(angle(to_v3(p[0]), to_v3(p[1])) * EARTH_RADIUS)
        }
        "geo_point_in_circle" => {
            let p = points(v.get(..4)?)?;
            let radius = super::shapes::number(arg(4)).filter(|r| *r >= 0.0)?;
            Value::from(angle(to_v3(p[0]), to_v3(p[1])) * EARTH_RADIUS <= radius)
        }
        "geo_azimuth" => {
            let p = points(v.get(..4)?)?;
            Value::from(azimuth(p[0], p[1])?)
        }
        "geo_angle" => {
            let p = points(v.get(..6)?)?;
            let (back, on) = (azimuth(p[1], p[0])?, azimuth(p[1], p[2])?);
            Value::from((on - back).rem_euclid(TAU))
        }
        "geo_distance_point_to_line" | "geo_closest_point_on_line" => {
            let p = to_v3(point(arg(0), arg(1))?);
            let c = closest(&edges(&lines(arg(2))?), p)?;
            if op == "geo_closest_point_on_line" {
                point_json(to_ll(c))
            } else {
                Value::from(angle(p, c) * EARTH_RADIUS)
            }
        }
        "geo_distance_point_to_polygon" | "geo_closest_point_on_polygon" => {
            let ll = point(arg(0), arg(1))?;
            let polys = sphere_polygons(&polygons(arg(2))?);
            let p = to_v3(ll);
            let c = if contains(&polys, p) {
                p
            } else {
                closest(&ring_edges(&polys), p)?
            };
            if op == "geo_closest_point_on_polygon" {
                point_json(if c == p { ll } else { to_ll(c) })
            } else {
                Value::from(angle(p, c) * EARTH_RADIUS)
            }
        }
        "geo_point_in_polygon" => {
            let p = to_v3(point(arg(0), arg(1))?);
            Value::from(contains(&sphere_polygons(&polygons(arg(2))?), p))
        }
        "geo_line_length" => Value::from(length(&edges(&lines(arg(0))?))),
        "geo_polygon_perimeter" => {
            Value::from(length(&ring_edges(&sphere_polygons(&polygons(arg(0))?))))
        }
        "geo_polygon_area" => Value::from(area(&sphere_polygons(&polygons(arg(0))?))),
        "geo_line_centroid" => {
            let sum = edges(&lines(arg(0))?)
                .into_iter()
                .fold([0.0; 3], |acc, (a, b)| add(acc, edge_centroid(a, b)));
            point_json(to_ll(unit(sum)?))
        }
        "geo_polygon_centroid" => {
            let polys = sphere_polygons(&polygons(arg(0))?);
            let sum = polys.iter().fold([0.0; 3], |acc, rings| {
                let shell = add(acc, oriented(&rings[0]).1);
                rings[1..]
                    .iter()
                    .fold(shell, |acc, h| add(acc, scale(oriented(h).1, -1.0)))
            });
            point_json(to_ll(unit(sum)?))
        }
        "geo_line_interpolate_point" => {
            let fraction = super::shapes::number(arg(1)).filter(|f| (0.0..=1.0).contains(f))?;
            point_json(along(&single_line(arg(0))?, fraction)?)
        }
        "geo_line_locate_point" => {
            let p = to_v3(point(arg(1), arg(2))?);
            Value::from(locate(&single_line(arg(0))?, p)?)
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn real(op: &str, v: &[Value]) -> f64 {
        apply(op, v).and_then(|x| x.as_f64()).unwrap()
    }

    #[test]
    fn directions_match_the_documented_values() {
        let az = real("geo_azimuth", &[json!(5), json!(10), json!(10), json!(-40)]);
        assert!((az - 3.054_599_397_964_49).abs() < 1e-12, "{az}");
        let args: Vec<Value> = [0, 10, 0, 5, 3, -10].iter().map(|x| json!(x)).collect();
        let a = real("geo_angle", &args);
        assert!((a - 2.944_938_434_068_82).abs() < 1e-12, "{a}");
        assert!(apply("geo_azimuth", &[json!(5), json!(10), json!(5), json!(10)]).is_none());
    }

    #[test]
    fn areas_and_lengths_match_the_documented_values() {
        let park = json!({"type":"Polygon","coordinates":[[[-73.9495,40.7969],[-73.95807266235352,40.80068603561921],[-73.98201942443848,40.76825672305777],[-73.97317886352539,40.76455136505513],[-73.9495,40.7969]]]});
        let a = real("geo_polygon_area", std::slice::from_ref(&park));
        assert!((a / 3_475_207.283_466_06 - 1.0).abs() < 1e-9, "{a}");
        let c = apply("geo_polygon_centroid", &[park]).unwrap();
        let lng = c["coordinates"][0].as_f64().unwrap();
        assert!((lng + 73.965_735_689_907_62).abs() < 1e-9, "{lng}");
        let line = json!({"type":"LineString","coordinates":[[-73.95807266235352,40.800426144169315],[-73.94966125488281,40.79691751000055],[-73.97317886352539,40.764486356930334]]});
        let l = real("geo_line_length", &[line]);
        assert!((l - 4_922.480_169_920_81).abs() < 1e-6, "{l}");
    }
}

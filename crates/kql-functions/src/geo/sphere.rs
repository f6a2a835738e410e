//! Geometry on the unit sphere, as Kusto measures it: points are unit vectors, edges are
//! geodesics (great-circle arcs), and lengths and areas scale by the S2 Earth radius.

/// A longitude and a latitude, in degrees.
pub type Ll = (f64, f64);

/// A point of the unit sphere.
pub type V3 = [f64; 3];

/// The radius of Kusto's spherical Earth, in meters (S2's `S2Earth::RadiusMeters`).
pub const EARTH_RADIUS: f64 = 6_371_010.0;

pub fn to_v3((lng, lat): Ll) -> V3 {
    let (lng, lat) = (lng.to_radians(), lat.to_radians());
    [lat.cos() * lng.cos(), lat.cos() * lng.sin(), lat.sin()]
}

pub fn to_ll(v: V3) -> Ll {
    let lat = v[2].atan2((v[0] * v[0] + v[1] * v[1]).sqrt());
    (v[1].atan2(v[0]).to_degrees(), lat.to_degrees())
}

pub fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

pub fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

pub fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub fn scale(a: V3, k: f64) -> V3 {
    [a[0] * k, a[1] * k, a[2] * k]
}

pub fn norm(a: V3) -> f64 {
    dot(a, a).sqrt()
}

/// The vector scaled to length 1; None for the zero vector.
pub fn unit(a: V3) -> Option<V3> {
    let n = norm(a);
    (n > 0.0 && n.is_finite()).then(|| scale(a, 1.0 / n))
}

/// The angle between two points, accurate for small and large angles alike.
pub fn angle(a: V3, b: V3) -> f64 {
    norm(cross(a, b)).atan2(dot(a, b))
}

/// Whether two points are the same or opposite (no unique geodesic joins them).
pub fn degenerate(a: V3, b: V3) -> bool {
    norm(cross(a, b)) < 1e-15
}

/// The point a fraction `t` of the way along the geodesic from `a` to `b`.
pub fn interpolate(a: V3, b: V3, t: f64) -> V3 {
    let theta = angle(a, b);
    if theta == 0.0 {
        return a;
    }
    let (wa, wb) = (((1.0 - t) * theta).sin(), (t * theta).sin());
    unit(add(scale(a, wa), scale(b, wb))).unwrap_or(a)
}

/// The point of the arc `a`-`b` closest to `p`.
pub fn closest_on_edge(p: V3, a: V3, b: V3) -> V3 {
    let Some(n) = unit(cross(a, b)) else {
        return a;
    };
    let along = sub(p, scale(n, dot(p, n)));
    if let Some(c) = unit(along)
        && dot(cross(a, c), n) >= 0.0
        && dot(cross(c, b), n) >= 0.0
    {
        return c;
    }
    if angle(p, a) <= angle(p, b) { a } else { b }
}

/// Whether `p`, known to lie on the great circle of the arc `a`-`b`, lies on the arc.
fn on_arc(p: V3, a: V3, b: V3, n: V3) -> bool {
    dot(cross(a, p), n) >= -1e-15 && dot(cross(p, b), n) >= -1e-15
}

/// Where the arcs `a`-`b` and `c`-`d` meet: one point, or None. Arcs on one great
/// circle meet where an end of one lies on the other.
pub fn crossing(a: V3, b: V3, c: V3, d: V3) -> Option<V3> {
    let (n1, n2) = (cross(a, b), cross(c, d));
    match unit(cross(n1, n2)) {
        Some(x) if norm(cross(n1, n2)) > 1e-15 * norm(n1) * norm(n2) => [x, scale(x, -1.0)]
            .into_iter()
            .find(|&x| on_arc(x, a, b, n1) && on_arc(x, c, d, n2)),
        _ => [c, d, a, b]
            .into_iter()
            .find(|&x| dot(x, n1).abs() < 1e-15 && on_arc(x, a, b, n1) && on_arc(x, c, d, n2)),
    }
}

/// The signed area of the triangle `a`, `b`, `c` (positive when counterclockwise).
fn triangle_area(a: V3, b: V3, c: V3) -> f64 {
    let det = dot(a, cross(sub(b, a), sub(c, a)));
    2.0 * det.atan2(1.0 + dot(a, b) + dot(b, c) + dot(c, a))
}

/// The signed area of a ring (without its closing vertex), fanned from its first vertex.
pub fn ring_area(ring: &[V3]) -> f64 {
    (1..ring.len().saturating_sub(1))
        .map(|i| triangle_area(ring[0], ring[i], ring[i + 1]))
        .sum()
}

/// The triangle's centroid times its signed area (S2's `TrueCentroid`).
fn triangle_centroid(a: V3, b: V3, c: V3) -> V3 {
    let ratio = |x: f64| if x == 0.0 { 1.0 } else { x / x.sin() };
    let (ra, rb, rc) = (ratio(angle(b, c)), ratio(angle(c, a)), ratio(angle(a, b)));
    let x = [a[0], b[0] - a[0], c[0] - a[0]];
    let y = [a[1], b[1] - a[1], c[1] - a[1]];
    let z = [a[2], b[2] - a[2], c[2] - a[2]];
    let r = [ra, rb - ra, rc - ra];
    scale(
        [
            dot(cross(y, z), r),
            dot(cross(z, x), r),
            dot(cross(x, y), r),
        ],
        0.5,
    )
}

/// A ring's centroid times its signed area.
pub fn ring_centroid(ring: &[V3]) -> V3 {
    (1..ring.len().saturating_sub(1)).fold([0.0; 3], |acc, i| {
        add(acc, triangle_centroid(ring[0], ring[i], ring[i + 1]))
    })
}

/// An edge's centroid times its length (S2's `TrueCentroid` of an edge).
pub fn edge_centroid(a: V3, b: V3) -> V3 {
    let (sum, diff) = (add(a, b), sub(a, b));
    let cos2 = dot(sum, sum);
    if cos2 == 0.0 {
        return [0.0; 3];
    }
    scale(sum, (dot(diff, diff) / cos2).sqrt())
}

/// Whether `p` lies inside the smaller region a ring bounds. The ring is projected
/// gnomonically about its center, where geodesics are straight lines.
pub fn ring_contains(ring: &[V3], p: V3) -> bool {
    let Some(center) = unit(ring.iter().fold([0.0; 3], |acc, &v| add(acc, v))) else {
        return false;
    };
    if dot(p, center) <= 0.0 {
        return false;
    }
    let u = unit(cross(
        if center[2].abs() < 0.9 {
            [0.0, 0.0, 1.0]
        } else {
            [1.0, 0.0, 0.0]
        },
        center,
    ))
    .unwrap_or([1.0, 0.0, 0.0]);
    let w = cross(center, u);
    let plane = |v: V3| {
        let k = dot(v, center);
        (dot(v, u) / k, dot(v, w) / k)
    };
    let (px, py) = plane(p);
    let points: Vec<(f64, f64)> = ring.iter().map(|&v| plane(v)).collect();
    let mut inside = false;
    for i in 0..points.len() {
        let (x1, y1) = points[i];
        let (x2, y2) = points[(i + 1) % points.len()];
        if (y1 > py) != (y2 > py) && px < x1 + (py - y1) / (y2 - y1) * (x2 - x1) {
            inside = !inside;
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_use_the_s2_earth_radius() {
        let (a, b) = (
            to_v3((-122.407628, 47.578557)),
            to_v3((-118.275287, 34.019056)),
        );
        let d = angle(a, b) * EARTH_RADIUS;
        assert!((d - 1_546_754.351_973_81).abs() < 1e-6, "{d}");
    }

    #[test]
    fn arcs_cross_once_and_rings_contain_their_inside() {
        let (a, b) = (to_v3((0.0, 0.0)), to_v3((2.0, 2.0)));
        let (c, d) = (to_v3((0.0, 2.0)), to_v3((2.0, 0.0)));
        let x = to_ll(crossing(a, b, c, d).unwrap());
        assert!((x.0 - 1.0).abs() < 1e-9 && x.1 > 1.0);
        assert!(crossing(a, c, b, d).is_none());
        let ring: Vec<V3> = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]
            .into_iter()
            .map(to_v3)
            .collect();
        assert!(ring_contains(&ring, to_v3((5.0, 5.0))));
        assert!(!ring_contains(&ring, to_v3((15.0, 5.0))));
        assert!(!ring_contains(&ring, to_v3((-175.0, -5.0))));
        assert!(ring_area(&ring) > 0.0);
    }
}

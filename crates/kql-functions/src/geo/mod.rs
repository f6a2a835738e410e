//! Kusto's geospatial functions (`geo_*`), computed on a sphere of S2's Earth radius with
//! geodesic edges. They run as operations of the `kql_json_op` UDF: arguments arrive as
//! JSON values and a null result is a `None`.

mod cells;
mod measure;
mod overlay;
mod reshape;
mod shapes;
mod sphere;
mod wkt;

use crate::scalars_dynamic::op;
use crate::table::{FunctionSpec, scalar_fn as d};
use kql_types::KType;
use serde_json::Value;

/// A table entry that runs the geo operation of the same name.
macro_rules! geo {
    ($name:literal, $min:expr, $max:expr, $ty:ident, $doc:literal) => {
        d!($name, $min, $max, |_, a| op($name, a, KType::$ty), $doc)
    };
}

/// One geo operation on one row's values; None is a null result (also for unknown names).
pub fn apply(name: &str, v: &[Value]) -> Option<Value> {
    if name == "geo_from_wkt" {
        return wkt::from_wkt(v.first()?.as_str()?);
    }
    measure::apply(name, v)
        .or_else(|| cells::apply(name, v))
        .or_else(|| overlay::apply(name, v))
        .or_else(|| reshape::apply(name, v))
}

/// Whether a `kql_json_op` operation name is a geo function.
pub fn is_geo(name: &str) -> bool {
    GEO.iter().any(|f| f.name == name)
}

pub static GEO: &[FunctionSpec] = &[
    geo!(
        "geo_distance_2points",
        4,
        4,
        Real,
        "The shortest distance in meters between two points on Earth."
    ),
    geo!(
        "geo_point_in_circle",
        5,
        5,
        Bool,
        "Whether a point lies within a circle (center and radius in meters)."
    ),
    geo!(
        "geo_azimuth",
        4,
        4,
        Real,
        "The direction in radians from the first point to the second, clockwise from north."
    ),
    geo!(
        "geo_angle",
        6,
        6,
        Real,
        "The angle in radians at the second point, clockwise from the first line to the second."
    ),
    geo!(
        "geo_distance_point_to_line",
        3,
        3,
        Real,
        "The shortest distance in meters from a point to a line or multiline."
    ),
    geo!(
        "geo_closest_point_on_line",
        3,
        3,
        Dynamic,
        "The point of a line or multiline closest to a point."
    ),
    geo!(
        "geo_distance_point_to_polygon",
        3,
        3,
        Real,
        "The shortest distance in meters from a point to a polygon (0 inside)."
    ),
    geo!(
        "geo_closest_point_on_polygon",
        3,
        3,
        Dynamic,
        "The point of a polygon closest to a point (the point itself inside)."
    ),
    geo!(
        "geo_point_in_polygon",
        3,
        3,
        Bool,
        "Whether a point lies inside a polygon or multipolygon."
    ),
    geo!(
        "geo_line_length",
        1,
        1,
        Real,
        "The length in meters of a line or multiline."
    ),
    geo!(
        "geo_polygon_perimeter",
        1,
        1,
        Real,
        "The length in meters of a polygon's rings."
    ),
    geo!(
        "geo_polygon_area",
        1,
        1,
        Real,
        "The area in square meters of a polygon or multipolygon."
    ),
    geo!(
        "geo_line_centroid",
        1,
        1,
        Dynamic,
        "The centroid of a line or multiline, as a GeoJSON point."
    ),
    geo!(
        "geo_polygon_centroid",
        1,
        1,
        Dynamic,
        "The centroid of a polygon or multipolygon, as a GeoJSON point."
    ),
    geo!(
        "geo_line_interpolate_point",
        2,
        2,
        Dynamic,
        "The point a fraction (0 to 1) of a line's length along it."
    ),
    geo!(
        "geo_line_locate_point",
        3,
        3,
        Real,
        "How far along a line (0 to 1) its point closest to a given point lies."
    ),
    geo!(
        "geo_point_to_geohash",
        2,
        3,
        String,
        "The geohash of a point (accuracy 1 to 18, 5 by default)."
    ),
    geo!(
        "geo_geohash_to_central_point",
        1,
        1,
        Dynamic,
        "The center of a geohash cell, as a GeoJSON point."
    ),
    geo!(
        "geo_geohash_to_polygon",
        1,
        1,
        Dynamic,
        "A geohash cell as a GeoJSON polygon."
    ),
    geo!(
        "geo_geohash_neighbors",
        1,
        1,
        Dynamic,
        "The eight geohash cells around a cell."
    ),
    geo!(
        "geo_point_to_s2cell",
        2,
        3,
        String,
        "The S2 cell token of a point (level 0 to 30, 11 by default)."
    ),
    geo!(
        "geo_s2cell_to_central_point",
        1,
        1,
        Dynamic,
        "The center of an S2 cell, as a GeoJSON point."
    ),
    geo!(
        "geo_s2cell_to_polygon",
        1,
        1,
        Dynamic,
        "An S2 cell as a GeoJSON polygon."
    ),
    geo!(
        "geo_s2cell_neighbors",
        1,
        1,
        Dynamic,
        "The S2 cells around a cell."
    ),
    geo!(
        "geo_point_to_h3cell",
        2,
        3,
        String,
        "The H3 cell of a point (resolution 0 to 15, 6 by default)."
    ),
    geo!(
        "geo_h3cell_to_central_point",
        1,
        1,
        Dynamic,
        "The center of an H3 cell, as a GeoJSON point."
    ),
    geo!(
        "geo_h3cell_to_polygon",
        1,
        1,
        Dynamic,
        "An H3 cell as a GeoJSON polygon."
    ),
    geo!(
        "geo_h3cell_level",
        1,
        1,
        Int,
        "The resolution of an H3 cell."
    ),
    geo!(
        "geo_h3cell_parent",
        1,
        2,
        String,
        "The parent of an H3 cell (one level up by default)."
    ),
    geo!(
        "geo_h3cell_children",
        1,
        2,
        Dynamic,
        "The children of an H3 cell (one level down by default, at most five)."
    ),
    geo!(
        "geo_h3cell_neighbors",
        1,
        1,
        Dynamic,
        "The H3 cells around a cell."
    ),
    geo!(
        "geo_h3cell_rings",
        2,
        2,
        Dynamic,
        "The rings of H3 cells around a cell, up to a distance."
    ),
    geo!(
        "geo_from_wkt",
        1,
        1,
        Dynamic,
        "A Well-Known Text geometry as GeoJSON."
    ),
    geo!(
        "geo_intersects_2lines",
        2,
        2,
        Bool,
        "Whether two lines or multilines meet."
    ),
    geo!(
        "geo_intersects_line_with_polygon",
        2,
        2,
        Bool,
        "Whether a line or multiline meets a polygon or multipolygon."
    ),
    geo!(
        "geo_intersects_2polygons",
        2,
        2,
        Bool,
        "Whether two polygons or multipolygons meet."
    ),
    geo!(
        "geo_intersection_2lines",
        2,
        2,
        Dynamic,
        "Where two lines meet: points, the shared line, or an empty collection."
    ),
    geo!(
        "geo_intersection_line_with_polygon",
        2,
        2,
        Dynamic,
        "The parts of a line inside a polygon."
    ),
    geo!(
        "geo_line_densify",
        1,
        3,
        Dynamic,
        "A line whose planar edges are split into geodesic chains within a tolerance (10 m)."
    ),
    geo!(
        "geo_polygon_densify",
        1,
        3,
        Dynamic,
        "A polygon whose planar edges are split into geodesic chains within a tolerance (10 m)."
    ),
    geo!(
        "geo_line_simplify",
        1,
        2,
        Dynamic,
        "A line with the vertices closer than a tolerance (10 m) to its shape removed."
    ),
];

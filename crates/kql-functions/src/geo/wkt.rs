//! `geo_from_wkt`: Well-Known Text geometries as GeoJSON.

use serde_json::{Map, Value, json};

struct Reader<'a> {
    text: &'a str,
}

impl<'a> Reader<'a> {
    fn skip(&mut self) {
        self.text = self.text.trim_start();
    }

    fn eat(&mut self, c: char) -> Option<()> {
        self.skip();
        self.text = self.text.strip_prefix(c)?;
        Some(())
    }

    fn peek(&mut self, c: char) -> bool {
        self.skip();
        self.text.starts_with(c)
    }

    fn word(&mut self) -> &'a str {
        self.skip();
        let end = self
            .text
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(self.text.len());
        let (w, rest) = self.text.split_at(end);
        self.text = rest;
        w
    }

    fn number(&mut self) -> Option<f64> {
        self.skip();
        let end = self
            .text
            .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
            .unwrap_or(self.text.len());
        let (n, rest) = self.text.split_at(end);
        self.text = rest;
        n.parse().ok().filter(|x: &f64| x.is_finite())
    }

    /// `x y`: a position (a third ordinate is read and dropped).
    fn position(&mut self) -> Option<Value> {
        let (x, y) = (self.number()?, self.number()?);
        if !self.peek(',') && !self.peek(')') {
            self.number()?;
        }
        super::shapes::valid(x, y).map(super::shapes::position)
    }

    /// `( item, item, ... )`.
    fn list(&mut self, item: fn(&mut Self) -> Option<Value>) -> Option<Value> {
        self.eat('(')?;
        let mut out = vec![item(self)?];
        while self.peek(',') {
            self.eat(',')?;
            out.push(item(self)?);
        }
        self.eat(')')?;
        Some(Value::Array(out))
    }

    fn positions(&mut self) -> Option<Value> {
        self.list(Self::position)
    }

    fn rings(&mut self) -> Option<Value> {
        self.list(Self::positions)
    }

    /// A MULTIPOINT member: `x y` or `(x y)`.
    fn point_member(&mut self) -> Option<Value> {
        if self.peek('(') {
            self.eat('(')?;
            let p = self.position()?;
            self.eat(')')?;
            Some(p)
        } else {
            self.position()
        }
    }

    fn geometry(&mut self) -> Option<Value> {
        let kind = self.word().to_ascii_uppercase();
        let (name, coordinates) = match kind.as_str() {
            "POINT" => {
                self.eat('(')?;
                let p = self.position()?;
                self.eat(')')?;
                ("Point", p)
            }
            "LINESTRING" => ("LineString", self.positions()?),
            "POLYGON" => ("Polygon", self.rings()?),
            "MULTIPOINT" => ("MultiPoint", self.list(Self::point_member)?),
            "MULTILINESTRING" => ("MultiLineString", self.rings()?),
            "MULTIPOLYGON" => ("MultiPolygon", self.list(Self::rings)?),
            "GEOMETRYCOLLECTION" => {
                let all = self.list(Self::geometry)?;
                return Some(json!({"type": "GeometryCollection", "geometries": all}));
            }
            _ => return None,
        };
        let mut bag = Map::new();
        bag.insert("type".into(), Value::from(name));
        bag.insert("coordinates".into(), coordinates);
        Some(Value::Object(bag))
    }
}

/// The GeoJSON of a WKT text; None when the text is not a valid geometry.
pub fn from_wkt(text: &str) -> Option<Value> {
    let mut r = Reader { text };
    let g = r.geometry()?;
    r.skip();
    r.text.is_empty().then_some(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wkt_becomes_geojson() {
        assert_eq!(
            from_wkt("POINT (1 2)").unwrap(),
            json!({"type": "Point", "coordinates": [1, 2]})
        );
        assert_eq!(
            from_wkt("MULTIPOLYGON (((0 0, 2 0, 2 2, 0 0)),((10 10, 12 10, 12 12, 10 10)))")
                .unwrap()["coordinates"][1][0][2],
            json!([12, 12])
        );
        assert_eq!(
            from_wkt("MULTIPOINT ((1 1), 2 2)").unwrap()["coordinates"],
            json!([[1, 1], [2, 2]])
        );
        assert!(from_wkt("LINESTRING").is_none());
        assert!(from_wkt("POINT (1 2) x").is_none());
        assert!(from_wkt("POINT (200 2)").is_none());
    }
}

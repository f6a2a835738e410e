//! `convert_angle`, `convert_energy`, `convert_force`, `convert_length`, `convert_mass`,
//! `convert_speed`, `convert_temperature`, `convert_volume`: a value from one unit to another,
//! units named as Kusto names them (`Meter`, `Foot`, `DegreeCelsius`, ...). An unknown unit
//! gives null.

use crate::coerce::{cast_to, to_text};
use crate::typed::Typed;
use crate::udf::{KqlUdf, strings};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Builder};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::Result;
use datafusion::logical_expr::{ScalarUDF, lit};
use kql_types::KType;
use std::sync::{Arc, LazyLock};

/// `kql_convert(family, value, from, to)`.
static CONVERT: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| KqlUdf::new_udf("kql_convert", DataType::Float64, body));

pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![CONVERT.clone()]
}

/// The binding of `convert_<family>(value, from, to)`.
pub fn bind(family: &str, args: Vec<Typed>) -> Result<Typed, String> {
    let [value, from, to] =
        <[Typed; 3]>::try_from(args).map_err(|_| "takes a value, a unit and a unit")?;
    if !value.ty.is_numeric() {
        return Err(format!("expected a number, got {}", value.ty));
    }
    let e = CONVERT.call(vec![
        lit(family.to_string()),
        cast_to(value, KType::Real).expr,
        to_text(&from),
        to_text(&to),
    ]);
    Ok(Typed::new(e, KType::Real))
}

fn body(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let family = strings(args, 0)?.get(0).unwrap_or("").to_string();
    let values = args[1].as_primitive::<Float64Type>();
    let (from, to) = (strings(args, 2)?, strings(args, 3)?);
    let mut out = Float64Builder::with_capacity(rows);
    for r in 0..rows {
        let converted = match (values.is_valid(r), from.get(r), to.get(r)) {
            (true, Some(f), Some(t)) => convert(&family, values.value(r), f, t),
            _ => None,
        };
        out.append_option(converted);
    }
    Ok(Arc::new(out.finish()))
}

fn convert(family: &str, value: f64, from: &str, to: &str) -> Option<f64> {
    if family == "temperature" {
        return kelvin_to(to, kelvin_from(from, value)?);
    }
    let table = match family {
        "angle" => ANGLE,
        "energy" => ENERGY,
        "force" => FORCE,
        "length" => LENGTH,
        "mass" => MASS,
        "speed" => SPEED,
        "volume" => VOLUME,
        _ => return None,
    };
    let factor = |unit: &str| {
        table
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(unit))
            .map(|(_, f)| *f)
    };
    Some(value * factor(from)? / factor(to)?)
}

fn kelvin_from(unit: &str, v: f64) -> Option<f64> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "kelvin" => v,
        "degreecelsius" => v + 273.15,
        "degreefahrenheit" => (v + 459.67) * 5.0 / 9.0,
        "degreerankine" => v * 5.0 / 9.0,
        "millidegreecelsius" => v / 1000.0 + 273.15,
        _ => return None,
    })
}

fn kelvin_to(unit: &str, k: f64) -> Option<f64> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "kelvin" => k,
        "degreecelsius" => k - 273.15,
        "degreefahrenheit" => k * 9.0 / 5.0 - 459.67,
        "degreerankine" => k * 9.0 / 5.0,
        "millidegreecelsius" => (k - 273.15) * 1000.0,
        _ => return None,
    })
}

const PI: f64 = std::f64::consts::PI;

/// Units in radians.
const ANGLE: &[(&str, f64)] = &[
    ("Radian", 1.0),
    ("Milliradian", 1e-3),
    ("Degree", PI / 180.0),
    ("Arcminute", PI / 10_800.0),
    ("Arcsecond", PI / 648_000.0),
    ("Gradian", PI / 200.0),
    ("Revolution", 2.0 * PI),
    ("NatoMil", 2.0 * PI / 6400.0),
];

/// Units in joules.
const ENERGY: &[(&str, f64)] = &[
    ("Joule", 1.0),
    ("Kilojoule", 1e3),
    ("Megajoule", 1e6),
    ("Gigajoule", 1e9),
    ("Millijoule", 1e-3),
    ("Calorie", 4.184),
    ("Kilocalorie", 4184.0),
    ("BritishThermalUnit", 1055.05585262),
    ("WattHour", 3600.0),
    ("KilowattHour", 3.6e6),
    ("MegawattHour", 3.6e9),
    ("ElectronVolt", 1.602_176_634e-19),
    ("Erg", 1e-7),
    ("FootPound", 1.355_817_948_331_400_4),
];

/// Units in newtons.
const FORCE: &[(&str, f64)] = &[
    ("Newton", 1.0),
    ("Decanewton", 10.0),
    ("Kilonewton", 1e3),
    ("Meganewton", 1e6),
    ("Millinewton", 1e-3),
    ("Micronewton", 1e-6),
    ("Dyn", 1e-5),
    ("KilogramForce", 9.806_65),
    ("TonneForce", 9_806.65),
    ("PoundForce", 4.448_221_615_260_5),
    ("KilopoundForce", 4_448.221_615_260_5),
    ("OunceForce", 0.278_013_850_953_781_2),
    ("Poundal", 0.138_254_954_376),
];

/// Units in meters.
const LENGTH: &[(&str, f64)] = &[
    ("Meter", 1.0),
    ("Kilometer", 1e3),
    ("Hectometer", 1e2),
    ("Decameter", 1e1),
    ("Decimeter", 1e-1),
    ("Centimeter", 1e-2),
    ("Millimeter", 1e-3),
    ("Micrometer", 1e-6),
    ("Nanometer", 1e-9),
    ("Foot", 0.3048),
    ("Inch", 0.0254),
    ("Yard", 0.9144),
    ("Mile", 1609.344),
    ("NauticalMile", 1852.0),
    ("Mil", 2.54e-5),
    ("LightYear", 9.460_730_472_580_8e15),
    ("AstronomicalUnit", 1.495_978_707e11),
];

/// Units in kilograms.
const MASS: &[(&str, f64)] = &[
    ("Kilogram", 1.0),
    ("Gram", 1e-3),
    ("Milligram", 1e-6),
    ("Microgram", 1e-9),
    ("Tonne", 1e3),
    ("Pound", 0.453_592_37),
    ("Ounce", 0.028_349_523_125),
    ("Stone", 6.350_293_18),
    ("ShortTon", 907.184_74),
    ("LongTon", 1_016.046_908_8),
    ("Grain", 6.479_891e-5),
];

/// Units in meters per second.
const SPEED: &[(&str, f64)] = &[
    ("MeterPerSecond", 1.0),
    ("MeterPerMinute", 1.0 / 60.0),
    ("MeterPerHour", 1.0 / 3600.0),
    ("KilometerPerSecond", 1e3),
    ("KilometerPerMinute", 1e3 / 60.0),
    ("KilometerPerHour", 1e3 / 3600.0),
    ("CentimeterPerSecond", 1e-2),
    ("CentimeterPerMinute", 1e-2 / 60.0),
    ("CentimeterPerHour", 1e-2 / 3600.0),
    ("MillimeterPerSecond", 1e-3),
    ("MillimeterPerHour", 1e-3 / 3600.0),
    ("FootPerSecond", 0.3048),
    ("FootPerMinute", 0.3048 / 60.0),
    ("FootPerHour", 0.3048 / 3600.0),
    ("InchPerSecond", 0.0254),
    ("MilePerHour", 1609.344 / 3600.0),
    ("Knot", 1852.0 / 3600.0),
    ("YardPerSecond", 0.9144),
];

/// Units in cubic meters.
const VOLUME: &[(&str, f64)] = &[
    ("CubicMeter", 1.0),
    ("CubicKilometer", 1e9),
    ("CubicDecimeter", 1e-3),
    ("CubicCentimeter", 1e-6),
    ("CubicMillimeter", 1e-9),
    ("Liter", 1e-3),
    ("Deciliter", 1e-4),
    ("Centiliter", 1e-5),
    ("Milliliter", 1e-6),
    ("Hectoliter", 1e-1),
    ("CubicFoot", 0.028_316_846_592),
    ("CubicInch", 1.638_706_4e-5),
    ("CubicYard", 0.764_554_857_984),
    ("AcreFoot", 1_233.481_837_547_52),
    ("UsGallon", 0.003_785_411_784),
    ("ImperialGallon", 0.004_546_09),
    ("UsQuart", 9.463_529_46e-4),
    ("UsPint", 4.731_764_73e-4),
    ("UsOunce", 2.957_352_956_25e-5),
    ("ImperialOunce", 2.841_306_25e-5),
    ("OilBarrel", 0.158_987_294_928),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
    }

    #[test]
    fn documented_conversions() {
        assert!(close(
            convert("angle", 1.2, "Degree", "Arcminute").unwrap(),
            72.0
        ));
        assert!(close(
            convert("length", 1.2, "Meter", "Foot").unwrap(),
            3.937_007_874_015_75
        ));
        assert!(close(
            convert("mass", 1.2, "Kilogram", "Pound").unwrap(),
            2.645_547_146_218_53
        ));
        assert!(close(
            convert("speed", 1.2, "MeterPerSecond", "CentimeterPerHour").unwrap(),
            432_000.0
        ));
        assert!(close(
            convert("temperature", 1.2, "Kelvin", "DegreeCelsius").unwrap(),
            -271.95
        ));
        assert_eq!(convert("length", 1.0, "Meter", "Parsec"), None);
    }
}

//! Just enough of Kubernetes' `resource.Quantity` for replica interpretation: parse a quantity
//! string, read it as an integer the way Go's `Value()` / `MilliValue()` do (rounding up), and
//! print integers back in the canonical form Go's `Quantity.String()` gives, so that the
//! `resourceRequest` in a binding reads exactly as Karmada would write it (`100m`, `128Mi`,
//! `1000000000`).

use std::fmt;

/// A quantity string that is not a valid Kubernetes quantity, or is too large to handle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid quantity {quantity:?}: {reason}")]
pub struct QuantityError {
    /// The string that was given.
    pub quantity: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// A parsed quantity: `mantissa * 10^exp10 * 2^exp2`, with a sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    negative: bool,
    mantissa: u128,
    exp10: i32,
    exp2: u32,
}

/// Mantissas are kept below this so that scaling never overflows `i128`.
const MANTISSA_LIMIT: u128 = 10u128.pow(24);

impl Quantity {
    /// Parses `<signedNumber><suffix>` as Kubernetes does: binary suffixes `Ki`..`Ei`, decimal
    /// suffixes `n`, `u`, `m`, ``, `k`, `M`, `G`, `T`, `P`, `E`, or a decimal exponent `e<n>` /
    /// `E<n>`.
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        let err = |reason| QuantityError {
            quantity: s.to_owned(),
            reason,
        };
        let bytes = s.as_bytes();
        let mut i = 0;
        let mut negative = false;
        if let Some(&c) = bytes.first()
            && (c == b'+' || c == b'-')
        {
            negative = c == b'-';
            i = 1;
        }
        let mut mantissa: u128 = 0;
        let mut exp10: i32 = 0;
        let mut digits = 0;
        let mut seen_point = false;
        while i < bytes.len() {
            let c = bytes[i];
            if c.is_ascii_digit() {
                digits += 1;
                if mantissa < MANTISSA_LIMIT {
                    mantissa = mantissa * 10 + u128::from(c - b'0');
                    if seen_point {
                        exp10 -= 1;
                    }
                } else if !seen_point {
                    // Too many significant digits: drop precision, keep magnitude.
                    exp10 += 1;
                }
            } else if c == b'.' && !seen_point {
                seen_point = true;
            } else {
                break;
            }
            i += 1;
        }
        if digits == 0 {
            return Err(err("no digits"));
        }
        let suffix = &s[i..];
        let mut exp2 = 0;
        match suffix {
            "" => {}
            "n" => exp10 -= 9,
            "u" => exp10 -= 6,
            "m" => exp10 -= 3,
            "k" => exp10 += 3,
            "M" => exp10 += 6,
            "G" => exp10 += 9,
            "T" => exp10 += 12,
            "P" => exp10 += 15,
            "E" => exp10 += 18,
            "Ki" => exp2 = 10,
            "Mi" => exp2 = 20,
            "Gi" => exp2 = 30,
            "Ti" => exp2 = 40,
            "Pi" => exp2 = 50,
            "Ei" => exp2 = 60,
            _ => {
                let exponent = suffix
                    .strip_prefix(['e', 'E'])
                    .ok_or_else(|| err("unknown suffix"))?;
                let exponent: i32 = exponent
                    .parse()
                    .map_err(|_| err("invalid decimal exponent"))?;
                if !(-100..=100).contains(&exponent) {
                    return Err(err("decimal exponent out of range"));
                }
                exp10 += exponent;
            }
        }
        Ok(Quantity {
            negative: negative && mantissa != 0,
            mantissa,
            exp10,
            exp2,
        })
    }

    /// The value multiplied by `10^scale`, rounded up to an integer (Go's `ScaledValue`, which
    /// rounds away from zero for positive numbers).
    fn scaled(&self, scale: i32) -> Option<i64> {
        let mut value = i128::try_from(self.mantissa).ok()?;
        value = value.checked_mul(1i128.checked_shl(self.exp2)?)?;
        let exp = self.exp10 + scale;
        if exp >= 0 {
            value = value.checked_mul(10i128.checked_pow(u32::try_from(exp).ok()?)?)?;
        } else {
            let divisor = 10i128.checked_pow(u32::try_from(-exp).ok()?);
            value = match divisor {
                Some(d) => (value + d - 1) / d,
                // Smaller than any representable unit: rounds up to one unit.
                None => i128::from(value > 0),
            };
        }
        if self.negative {
            value = -value;
        }
        i64::try_from(value).ok()
    }

    /// The value rounded up to an integer (Go's `Value()`), e.g. bytes of memory.
    pub fn value(&self) -> Option<i64> {
        self.scaled(0)
    }

    /// The value in thousandths rounded up (Go's `MilliValue()`), e.g. millicores of CPU.
    pub fn milli_value(&self) -> Option<i64> {
        self.scaled(3)
    }
}

impl fmt::Display for QuantityFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            QuantityFormat::DecimalMilli(milli) => f.write_str(&format_decimal(milli, -3)),
            QuantityFormat::Decimal(value) => f.write_str(&format_decimal(value, 0)),
            QuantityFormat::Binary(value) => f.write_str(&format_binary(value)),
        }
    }
}

/// An integer quantity and the format Go would print it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantityFormat {
    /// Thousandths, printed in decimal SI (`resource.NewMilliQuantity(v, DecimalSI)`).
    DecimalMilli(i64),
    /// An integer printed in decimal SI (`resource.NewQuantity(v, DecimalSI)`).
    Decimal(i64),
    /// An integer printed in binary SI (`resource.NewQuantity(v, BinarySI)`).
    Binary(i64),
}

/// `value * 10^exponent` in canonical decimal SI: the largest exponent that is a multiple of
/// three and keeps the mantissa an integer, with its suffix.
fn format_decimal(value: i64, exponent: i32) -> String {
    if value == 0 {
        return "0".to_owned();
    }
    let mut value = value;
    let mut exponent = exponent;
    while value % 1000 == 0 && exponent < 18 {
        value /= 1000;
        exponent += 3;
    }
    let suffix = match exponent {
        -9 => "n",
        -6 => "u",
        -3 => "m",
        3 => "k",
        6 => "M",
        9 => "G",
        12 => "T",
        15 => "P",
        18 => "E",
        _ => "",
    };
    format!("{value}{suffix}")
}

/// An integer in canonical binary SI: below 1024 (or not a multiple of 1024) it is printed as
/// decimal SI, otherwise with the largest power-of-1024 suffix that divides it.
fn format_binary(value: i64) -> String {
    if value.abs() < 1024 {
        return format_decimal(value, 0);
    }
    const SUFFIXES: [&str; 7] = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    let mut value = value;
    let mut power = 0;
    while value.abs() >= 1024 && value % 1024 == 0 && power < 6 {
        value /= 1024;
        power += 1;
    }
    format!("{value}{}", SUFFIXES[power])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_scales_like_go() {
        struct Case {
            name: &'static str,
            input: &'static str,
            value: Option<i64>,
            milli: Option<i64>,
        }
        let cases = [
            Case {
                name: "millicores",
                input: "100m",
                value: Some(1),
                milli: Some(100),
            },
            Case {
                name: "fraction",
                input: "0.5",
                value: Some(1),
                milli: Some(500),
            },
            Case {
                name: "leading point",
                input: ".25",
                value: Some(1),
                milli: Some(250),
            },
            Case {
                name: "whole cores",
                input: "2",
                value: Some(2),
                milli: Some(2000),
            },
            Case {
                name: "mebibytes",
                input: "128Mi",
                value: Some(134_217_728),
                milli: Some(134_217_728_000),
            },
            Case {
                name: "fractional binary",
                input: "1.5Gi",
                value: Some(1_610_612_736),
                milli: Some(1_610_612_736_000),
            },
            Case {
                name: "gigabytes",
                input: "1G",
                value: Some(1_000_000_000),
                milli: Some(1_000_000_000_000),
            },
            Case {
                name: "decimal exponent",
                input: "1e3",
                value: Some(1000),
                milli: Some(1_000_000),
            },
            Case {
                name: "upper exponent",
                input: "2E2",
                value: Some(200),
                milli: Some(200_000),
            },
            Case {
                name: "exa suffix",
                input: "1E",
                value: Some(1_000_000_000_000_000_000),
                milli: None,
            },
            Case {
                name: "sub-milli rounds up",
                input: "1u",
                value: Some(1),
                milli: Some(1),
            },
            Case {
                name: "nano rounds up",
                input: "1500n",
                value: Some(1),
                milli: Some(1),
            },
            Case {
                name: "explicit plus",
                input: "+3k",
                value: Some(3000),
                milli: Some(3_000_000),
            },
            Case {
                name: "zero",
                input: "0",
                value: Some(0),
                milli: Some(0),
            },
        ];
        for case in cases {
            let q = Quantity::parse(case.input).unwrap_or_else(|e| panic!("{}: {e}", case.name));
            assert_eq!(q.value(), case.value, "{}: value", case.name);
            assert_eq!(q.milli_value(), case.milli, "{}: milli", case.name);
        }
    }

    #[test]
    fn rejects_malformed_quantities() {
        for input in ["", "m", "abc", "1x", "1Ki2", "1e", "1.2.3", "--1"] {
            assert!(
                Quantity::parse(input).is_err(),
                "{input:?} should be rejected"
            );
        }
    }

    #[test]
    fn prints_canonical_forms() {
        struct Case {
            name: &'static str,
            quantity: QuantityFormat,
            want: &'static str,
        }
        let cases = [
            Case {
                name: "millicores",
                quantity: QuantityFormat::DecimalMilli(100),
                want: "100m",
            },
            Case {
                name: "one and a half cores",
                quantity: QuantityFormat::DecimalMilli(1500),
                want: "1500m",
            },
            Case {
                name: "whole cores",
                quantity: QuantityFormat::DecimalMilli(2000),
                want: "2",
            },
            Case {
                name: "thousands of cores",
                quantity: QuantityFormat::DecimalMilli(5_000_000),
                want: "5k",
            },
            Case {
                name: "zero",
                quantity: QuantityFormat::DecimalMilli(0),
                want: "0",
            },
            Case {
                name: "mebibytes",
                quantity: QuantityFormat::Binary(134_217_728),
                want: "128Mi",
            },
            Case {
                name: "kibibytes",
                quantity: QuantityFormat::Binary(3072),
                want: "3Ki",
            },
            Case {
                name: "not a power of 1024",
                quantity: QuantityFormat::Binary(1_000_000_000),
                want: "1000000000",
            },
            Case {
                name: "small binary prints decimal",
                quantity: QuantityFormat::Binary(1000),
                want: "1k",
            },
            Case {
                name: "odd bytes",
                quantity: QuantityFormat::Binary(1536),
                want: "1536",
            },
            Case {
                name: "pods",
                quantity: QuantityFormat::Decimal(110),
                want: "110",
            },
            Case {
                name: "decimal thousands",
                quantity: QuantityFormat::Decimal(1_500_000),
                want: "1500k",
            },
        ];
        for case in cases {
            assert_eq!(case.quantity.to_string(), case.want, "{}", case.name);
        }
    }
}

//! Kubernetes resource quantities (`"1500m"`, `"4Gi"`, `"1e3"`, `"0.5"`): parsing and the integer
//! views the replica estimator needs (`Value()`, `MilliValue()`).
//!
//! The grammar and the rounding follow `k8s.io/apimachinery/pkg/api/resource` exactly, because a
//! cluster's `resourceSummary` is written by Kubernetes-speaking code and the estimator must agree
//! with Karmada on every replica:
//!
//! * `[+-]digits[.digits]` followed by a decimal SI suffix (`n u m "" k M G T P E`), a binary SI
//!   suffix (`Ki Mi Gi Ti Pi Ei`) or a decimal exponent (`e3`, `E-2`). Oddities of the Go scanner
//!   are kept: `"1."`, `".5"`, `"+"`, `"-"` and `"."` parse (the last three as zero).
//! * Values are held exactly in nano-units. Kubernetes rounds a value with finer digits *up* (away
//!   from zero) to the next nano-unit "so that if you ask for some resources you get some", and so
//!   do we.
//! * [`Quantity::value`] and [`Quantity::milli_value`] round up (away from zero), like Go's
//!   `Value()` / `MilliValue()`.
//!
//! Where Go overflows silently we saturate instead: magnitudes are capped at 2^63−1 units (the cap
//! Kubernetes applies to binary-SI values; larger decimal values overflow `Value()` in Go anyway),
//! and the integer views saturate at `i64::MAX`. Mantissas longer than [`MAX_DIGITS`] significant
//! digits are rejected rather than parsed slowly.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest mantissa (significant digits) accepted. Real quantities have a handful of digits;
/// the limit only keeps parsing time bounded on hostile input.
pub const MAX_DIGITS: usize = 512;

const NANOS_PER_UNIT: i128 = 1_000_000_000;
const NANOS_PER_MILLI: i128 = 1_000_000;
/// The largest magnitude, in nano-units: (2^63 − 1) units.
const CAP_NANOS: i128 = i64::MAX as i128 * NANOS_PER_UNIT;

/// Why a string is not a quantity. The texts follow apimachinery's errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// Empty string, or characters after the suffix (e.g. `"1 "`, `"1e3.5"`).
    #[error(
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {0:?}"
    )]
    Format(String),
    /// The suffix is not one Kubernetes knows (e.g. `"1ki"`, `"1e"`).
    #[error("unable to parse quantity's suffix: {0:?}")]
    Suffix(String),
    /// More significant digits than [`MAX_DIGITS`].
    #[error("quantity {0:?} has more than {MAX_DIGITS} significant digits")]
    TooManyDigits(String),
}

/// An exact Kubernetes quantity, stored in nano-units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity {
    nanos: i128,
}

impl Quantity {
    /// Zero.
    pub const ZERO: Quantity = Quantity { nanos: 0 };

    /// Parses the Kubernetes quantity syntax.
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        parse(s)
    }

    /// A whole number of units (`"5"`).
    pub fn from_units(units: i64) -> Quantity {
        Quantity {
            nanos: i128::from(units) * NANOS_PER_UNIT,
        }
    }

    /// A number of milli-units (`"1500m"`).
    pub fn from_millis(millis: i64) -> Quantity {
        Quantity {
            nanos: i128::from(millis) * NANOS_PER_MILLI,
        }
    }

    /// The exact value in nano-units.
    pub fn nanos(self) -> i128 {
        self.nanos
    }

    /// `ceil(q)` rounding away from zero, as Go's `Quantity.Value()`; saturates at the `i64`
    /// bounds.
    pub fn value(self) -> i64 {
        scaled(self.nanos, NANOS_PER_UNIT)
    }

    /// `ceil(q * 1000)` rounding away from zero, as Go's `Quantity.MilliValue()`; saturates at the
    /// `i64` bounds.
    pub fn milli_value(self) -> i64 {
        scaled(self.nanos, NANOS_PER_MILLI)
    }

    /// True for zero.
    pub fn is_zero(self) -> bool {
        self.nanos == 0
    }
}

/// Divides rounding away from zero and saturates to `i64`.
///
/// `per` is 10^9 or 10^6. 128-bit division is a slow library call and this runs for every
/// cluster of every binding, so realistic magnitudes take a 64-bit path: `per = 2^k * odd`,
/// shift the 2^k out first and the rest fits in `i64` for values below 2^(63+k) nano-units.
fn scaled(nanos: i128, per: i128) -> i64 {
    let (shift, odd) = if per == NANOS_PER_UNIT {
        (9, 1_953_125i64)
    } else {
        (6, 15_625i64)
    };
    let magnitude = nanos.unsigned_abs();
    if let Ok(high) = i64::try_from(magnitude >> shift) {
        let low = (magnitude & ((1 << shift) - 1)) as i64;
        let (q, r) = (high / odd, high % odd);
        let q = if r == 0 && low == 0 { q } else { q + 1 };
        return if nanos < 0 { -q } else { q };
    }
    let q = nanos / per;
    let q = if nanos % per == 0 {
        q
    } else if nanos > 0 {
        q + 1
    } else {
        q - 1
    };
    i64::try_from(q).unwrap_or(if q > 0 { i64::MAX } else { i64::MIN })
}

impl std::ops::Sub for Quantity {
    type Output = Quantity;

    /// Exact: magnitudes are capped far below `i128`'s range.
    fn sub(self, other: Quantity) -> Quantity {
        Quantity {
            nanos: self.nanos - other.nanos,
        }
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

impl fmt::Display for Quantity {
    /// A short exact form that parses back to the same value: whole units when possible, else
    /// `m`, `u` or `n` suffixed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.nanos;
        if n % NANOS_PER_UNIT == 0 {
            write!(f, "{}", n / NANOS_PER_UNIT)
        } else if n % NANOS_PER_MILLI == 0 {
            write!(f, "{}m", n / NANOS_PER_MILLI)
        } else if n % 1000 == 0 {
            write!(f, "{}u", n / 1000)
        } else {
            write!(f, "{n}n")
        }
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    /// Accepts a string or, as apimachinery's `UnmarshalJSON` does, a bare JSON number.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct QuantityVisitor;
        impl Visitor<'_> for QuantityVisitor {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Kubernetes quantity such as \"500m\" or \"4Gi\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Quantity, E> {
                parse(v).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Quantity, E> {
                Ok(Quantity::from_units(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Quantity, E> {
                Ok(Quantity {
                    nanos: (i128::from(v) * NANOS_PER_UNIT).min(CAP_NANOS),
                })
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Quantity, E> {
                // `{:e}` prints the shortest digits that round-trip, in a syntax the quantity
                // grammar accepts (`1.5e3`), so the float is read as the decimal it was written as.
                parse(&format!("{v:e}")).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(QuantityVisitor)
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/// What a suffix means: `value * 10^dec * 2^bin`.
struct Suffix {
    dec: i64,
    bin: u32,
}

fn interpret_suffix(s: &str) -> Option<Suffix> {
    let dec = |dec| Some(Suffix { dec, bin: 0 });
    let bin = |bin| Some(Suffix { dec: 0, bin });
    match s {
        "" => dec(0),
        "n" => dec(-9),
        "u" => dec(-6),
        "m" => dec(-3),
        "k" => dec(3),
        "M" => dec(6),
        "G" => dec(9),
        "T" => dec(12),
        "P" => dec(15),
        "E" => dec(18),
        "Ki" => bin(10),
        "Mi" => bin(20),
        "Gi" => bin(30),
        "Ti" => bin(40),
        "Pi" => bin(50),
        "Ei" => bin(60),
        _ => {
            let rest = s.strip_prefix(['e', 'E'])?;
            if rest.is_empty() {
                return None;
            }
            let parsed = parse_go_int64(rest)?;
            // Go converts the parsed int64 exponent with `int32(parsed)`, which wraps; keep
            // that so absurd exponents mean what they mean to Kubernetes.
            #[allow(clippy::cast_possible_truncation)]
            dec(i64::from(parsed as i32))
        }
    }
}

/// `strconv.ParseInt(s, 10, 64)`: optional sign, then at least one ASCII digit, no overflow.
fn parse_go_int64(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok()
}

fn is_suffix_letter(b: u8) -> bool {
    b"eEinumkKMGTP".contains(&b)
}

/// The pieces of a quantity string, as apimachinery's `parseQuantityString` splits it.
struct Parts<'a> {
    negative: bool,
    /// Integer digits with leading zeros removed (may be empty).
    num: &'a str,
    /// Fraction digits (may be empty).
    denom: &'a str,
    suffix: &'a str,
}

fn split(s: &str) -> Result<Parts<'_>, QuantityError> {
    let b = s.as_bytes();
    let end = b.len();
    let mut pos = 0;
    let mut negative = false;
    match b.first() {
        Some(b'-') => {
            negative = true;
            pos = 1;
        }
        Some(b'+') => pos = 1,
        _ => {}
    }
    let zero = |negative| Parts {
        negative,
        num: "",
        denom: "",
        suffix: "",
    };
    while pos < end && b[pos] == b'0' {
        pos += 1;
    }
    if pos >= end {
        // Only a sign and zeros: Go returns "0" here without looking further.
        return Ok(zero(negative));
    }
    let num_start = pos;
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    let num = &s[num_start..pos];
    let mut denom = "";
    if pos < end && b[pos] == b'.' {
        pos += 1;
        let denom_start = pos;
        while pos < end && b[pos].is_ascii_digit() {
            pos += 1;
        }
        denom = &s[denom_start..pos];
    }
    let suffix_start = pos;
    while pos < end && is_suffix_letter(b[pos]) {
        pos += 1;
    }
    if pos < end && (b[pos] == b'+' || b[pos] == b'-') {
        pos += 1;
    }
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos < end {
        return Err(QuantityError::Format(s.to_string()));
    }
    Ok(Parts {
        negative,
        num,
        denom,
        suffix: &s[suffix_start..],
    })
}

fn parse(s: &str) -> Result<Quantity, QuantityError> {
    if s.is_empty() {
        return Err(QuantityError::Format(String::new()));
    }
    let parts = split(s)?;
    let suffix =
        interpret_suffix(parts.suffix).ok_or_else(|| QuantityError::Suffix(s.to_string()))?;

    // The mantissa's significant digits and the power of ten they are scaled by, in nano-units.
    let all: Vec<u8> = parts
        .num
        .bytes()
        .chain(parts.denom.bytes())
        .map(|c| c - b'0')
        .collect();
    let first = all.iter().position(|&d| d != 0);
    let Some(first) = first else {
        return Ok(Quantity::ZERO);
    };
    let last = all.iter().rposition(|&d| d != 0).unwrap_or(first);
    let digits = &all[first..=last];
    if digits.len() > MAX_DIGITS {
        return Err(QuantityError::TooManyDigits(s.to_string()));
    }
    let trailing_zeros = (all.len() - 1 - last) as i64;
    let exp10 = suffix.dec - parts.denom.len() as i64 + 9 + trailing_zeros;
    let d = digits.len() as i64;

    // |value| >= 10^(d-1+exp10); 10^28 nano-units is already above the cap.
    let magnitude = if d - 1 + exp10 >= 28 {
        CAP_NANOS
    } else {
        let mut big = BigUint::from_digits(digits);
        for _ in 0..suffix.bin / 10 {
            big.mul_small(1024);
        }
        if exp10 >= 0 {
            for _ in 0..exp10 {
                big.mul_small(10);
            }
            big.to_i128().map_or(CAP_NANOS, |v| v.min(CAP_NANOS))
        } else {
            let m = -exp10;
            // digits * 2^bin < 10^(d + 19): dividing by 10^m with m that large leaves a non-zero
            // value below one nano-unit, which rounds up to one.
            if m >= d + 19 {
                1
            } else {
                let mut inexact = false;
                for _ in 0..m {
                    inexact |= big.div_small(10) != 0;
                }
                let q = big.to_i128().map_or(CAP_NANOS, |v| v.min(CAP_NANOS));
                if inexact { (q + 1).min(CAP_NANOS) } else { q }
            }
        }
    };
    Ok(Quantity {
        nanos: if parts.negative {
            -magnitude
        } else {
            magnitude
        },
    })
}

/// Just enough arbitrary-precision arithmetic to scale a long mantissa exactly: little-endian
/// base-2^32 limbs.
struct BigUint {
    limbs: Vec<u32>,
}

impl BigUint {
    fn from_digits(digits: &[u8]) -> BigUint {
        let mut big = BigUint { limbs: Vec::new() };
        for &digit in digits {
            big.mul_small(10);
            big.add_small(u32::from(digit));
        }
        big
    }

    fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for limb in &mut self.limbs {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
    }

    fn add_small(&mut self, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.limbs {
            if carry == 0 {
                return;
            }
            let v = u64::from(*limb) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
    }

    /// Divides in place and returns the remainder.
    fn div_small(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.limbs.iter_mut().rev() {
            let v = (rem << 32) | u64::from(*limb);
            *limb = (v / u64::from(d)) as u32;
            rem = v % u64::from(d);
        }
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
        rem as u32
    }

    fn to_i128(&self) -> Option<i128> {
        let mut v: u128 = 0;
        for &limb in self.limbs.iter().rev() {
            if v >> 96 != 0 {
                return None;
            }
            v = (v << 32) | u128::from(limb);
        }
        i128::try_from(v).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Case {
        input: &'static str,
        nanos: Option<i128>,
    }

    const UNIT: i128 = NANOS_PER_UNIT;

    #[test]
    fn parse_table() {
        let cases = [
            Case {
                input: "0",
                nanos: Some(0),
            },
            Case {
                input: "1500m",
                nanos: Some(1_500_000_000),
            },
            Case {
                input: "2",
                nanos: Some(2 * UNIT),
            },
            Case {
                input: "4Gi",
                nanos: Some(4 * (1 << 30) * UNIT),
            },
            Case {
                input: "128974848",
                nanos: Some(128_974_848 * UNIT),
            },
            Case {
                input: "1e3",
                nanos: Some(1000 * UNIT),
            },
            Case {
                input: "1E3",
                nanos: Some(1000 * UNIT),
            },
            Case {
                input: "1e+3",
                nanos: Some(1000 * UNIT),
            },
            Case {
                input: "1e-3",
                nanos: Some(1_000_000),
            },
            Case {
                input: "0.5",
                nanos: Some(500_000_000),
            },
            Case {
                input: ".5",
                nanos: Some(500_000_000),
            },
            Case {
                input: "1.",
                nanos: Some(UNIT),
            },
            Case {
                input: "-1.5",
                nanos: Some(-1_500_000_000),
            },
            Case {
                input: "+7",
                nanos: Some(7 * UNIT),
            },
            Case {
                input: "1.5Gi",
                nanos: Some(1_610_612_736 * UNIT),
            },
            Case {
                input: "0.1Ki",
                nanos: Some(102_400_000_000),
            },
            Case {
                input: "129e6",
                nanos: Some(129_000_000 * UNIT),
            },
            Case {
                input: "123Mi",
                nanos: Some(123 * (1 << 20) * UNIT),
            },
            Case {
                input: "1k",
                nanos: Some(1000 * UNIT),
            },
            Case {
                input: "1M",
                nanos: Some(1_000_000 * UNIT),
            },
            Case {
                input: "1E",
                nanos: Some(1_000_000_000_000_000_000 * UNIT),
            },
            Case {
                input: "100u",
                nanos: Some(100_000),
            },
            Case {
                input: "7n",
                nanos: Some(7),
            },
            Case {
                input: "0001.000",
                nanos: Some(UNIT),
            },
            // Finer than a nano-unit rounds away from zero, like Kubernetes.
            Case {
                input: "1.0000000001",
                nanos: Some(UNIT + 1),
            },
            Case {
                input: "-1.0000000001",
                nanos: Some(-UNIT - 1),
            },
            Case {
                input: "1e-20",
                nanos: Some(1),
            },
            Case {
                input: "0.1n",
                nanos: Some(1),
            },
            // The Go scanner's oddities.
            Case {
                input: "+",
                nanos: Some(0),
            },
            Case {
                input: "-",
                nanos: Some(0),
            },
            Case {
                input: ".",
                nanos: Some(0),
            },
            Case {
                input: "000",
                nanos: Some(0),
            },
            // Capped at 2^63-1 units.
            Case {
                input: "16Ei",
                nanos: Some(CAP_NANOS),
            },
            Case {
                input: "1e100",
                nanos: Some(CAP_NANOS),
            },
            Case {
                input: "-1e100",
                nanos: Some(-CAP_NANOS),
            },
            // Errors.
            Case {
                input: "",
                nanos: None,
            },
            Case {
                input: "1 ",
                nanos: None,
            },
            Case {
                input: " 1",
                nanos: None,
            },
            Case {
                input: "1ki",
                nanos: None,
            },
            Case {
                input: "1e",
                nanos: None,
            },
            Case {
                input: "1e3.5",
                nanos: None,
            },
            Case {
                input: "1Mi3",
                nanos: None,
            },
            Case {
                input: "abc",
                nanos: None,
            },
            Case {
                input: "1.2.3",
                nanos: None,
            },
            Case {
                input: "--1",
                nanos: None,
            },
            Case {
                input: "0x10",
                nanos: None,
            },
        ];
        for case in cases {
            let got = Quantity::parse(case.input).ok().map(Quantity::nanos);
            assert_eq!(got, case.nanos, "case {:?}", case.input);
        }
    }

    #[test]
    fn value_and_milli_value_round_away_from_zero() {
        struct Case {
            input: &'static str,
            value: i64,
            milli: i64,
        }
        let cases = [
            Case {
                input: "1500m",
                value: 2,
                milli: 1500,
            },
            Case {
                input: "0.0001",
                value: 1,
                milli: 1,
            },
            Case {
                input: "2",
                value: 2,
                milli: 2000,
            },
            Case {
                input: "-1500m",
                value: -2,
                milli: -1500,
            },
            Case {
                input: "0",
                value: 0,
                milli: 0,
            },
            Case {
                input: "4Gi",
                value: 4 << 30,
                milli: (4i64 << 30) * 1000,
            },
            Case {
                input: "8Ei",
                value: i64::MAX,
                milli: i64::MAX,
            },
        ];
        for case in cases {
            let q = Quantity::parse(case.input).expect(case.input);
            assert_eq!(q.value(), case.value, "value of {}", case.input);
            assert_eq!(q.milli_value(), case.milli, "milli value of {}", case.input);
        }
    }

    #[test]
    fn subtraction_is_exact() {
        let a = Quantity::parse("4").unwrap();
        let b = Quantity::parse("1500m").unwrap();
        let c = Quantity::parse("2500m").unwrap();
        assert!((a - b - c).is_zero());
        assert_eq!((b - a).milli_value(), -2500);
    }

    #[test]
    fn display_round_trips() {
        for s in ["0", "2", "1500m", "100u", "7n", "-3", "-250m"] {
            let q = Quantity::parse(s).unwrap();
            assert_eq!(q.to_string(), s);
            assert_eq!(Quantity::parse(&q.to_string()).unwrap(), q);
        }
    }

    #[test]
    fn serde_accepts_strings_and_numbers() {
        let q: Quantity = serde_json::from_str("\"250m\"").unwrap();
        assert_eq!(q, Quantity::from_millis(250));
        let q: Quantity = serde_json::from_str("3").unwrap();
        assert_eq!(q, Quantity::from_units(3));
        let q: Quantity = serde_json::from_str("0.5").unwrap();
        assert_eq!(q, Quantity::from_millis(500));
        assert_eq!(serde_json::to_string(&q).unwrap(), "\"500m\"");
        assert!(serde_json::from_str::<Quantity>("\"1ki\"").is_err());
    }

    #[test]
    fn long_mantissas_are_exact_or_rejected() {
        let long = format!("0.{}1", "0".repeat(200));
        assert_eq!(Quantity::parse(&long).unwrap().nanos(), 1);
        let exact = format!("1.{}", "0".repeat(300));
        assert_eq!(Quantity::parse(&exact).unwrap().nanos(), UNIT);
        let too_long = "1".repeat(MAX_DIGITS + 1);
        assert!(matches!(
            Quantity::parse(&format!("0.{too_long}")),
            Err(QuantityError::TooManyDigits(_))
        ));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = Quantity::parse(&s);
        }

        #[test]
        fn integer_views_match_plain_division(n in proptest::prop_oneof![
            proptest::num::i128::ANY,
            -(1i128 << 75)..(1i128 << 75),
            -10_000_000_000i128..10_000_000_000i128,
        ]) {
            let n = n % (CAP_NANOS + 1);
            let plain = |per: i128| -> i64 {
                let q = n / per;
                let q = if n % per == 0 { q } else if n > 0 { q + 1 } else { q - 1 };
                i64::try_from(q).unwrap_or(if q > 0 { i64::MAX } else { i64::MIN })
            };
            let q = Quantity { nanos: n };
            proptest::prop_assert_eq!(q.value(), plain(NANOS_PER_UNIT));
            proptest::prop_assert_eq!(q.milli_value(), plain(NANOS_PER_MILLI));
        }

        #[test]
        fn milli_integers_round_trip(m in -1_000_000_000_000i64..1_000_000_000_000i64) {
            let q = Quantity::parse(&format!("{m}m")).unwrap();
            proptest::prop_assert_eq!(q.milli_value(), m);
        }
    }
}

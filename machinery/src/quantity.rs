//! Kubernetes resource quantities (`k8s.io/apimachinery/pkg/api/resource.Quantity`): `"1500m"`,
//! `"4Gi"`, `"1e3"`, `"0.5"`. The one implementation the workspace uses: the scheduler's replica
//! estimator, the detector's replica requirements and kind validation all read quantities here,
//! because they must agree with Kubernetes (and Karmada) on every digit.
//!
//! * **Grammar**: `[+-]digits[.digits]` followed by a decimal SI suffix (`n u m "" k M G T P E`),
//!   a binary SI suffix (`Ki Mi Gi Ti Pi Ei`) or a decimal exponent (`e3`, `E-2`, `e+6`).
//!   [`Quantity::parse`] is apimachinery's `ParseQuantity` including the oddities of its scanner:
//!   `"1."`, `".5"`, `"+"`, `"-"`, `"."` and a bare suffix such as `"m"` parse (the last four as
//!   zero), and the errors are its three (format, numeric, suffix).
//! * **Exactness**: the value is held exactly in nano-units. Like Kubernetes, a value with finer
//!   digits is rounded *up* (away from zero) to the next nano-unit "so that if you ask for some
//!   resources you get some" (`"0.1n"` is `1n`). Comparison, [`Ord`], addition, subtraction and
//!   multiplication by an integer are exact.
//! * **Format**: a quantity remembers the family it was written in ([`Format`]: binary SI,
//!   decimal SI or decimal exponent) and [`Display`](fmt::Display) prints kube's canonical form in
//!   that family (`Quantity.CanonicalizeBytes`): `"1000m"` → `"1"`, `"1024Mi"` → `"1Gi"`,
//!   `"1.5Gi"` → `"1536Mi"`, `"0.5"` → `"500m"`, `"12e6"` → `"12e6"`. Serde reads and writes that
//!   string (and, as `UnmarshalJSON` does, reads bare JSON numbers and ignores surrounding
//!   whitespace).
//! * **Integer views**: [`Quantity::value`] and [`Quantity::milli_value`] round up (away from
//!   zero) like Go's `Value()` / `MilliValue()` and saturate at the `i64` bounds where Go overflows
//!   silently; [`Quantity::checked_value`] and [`Quantity::checked_milli_value`] report overflow.
//!
//! Where this differs from apimachinery, deliberately:
//!
//! * Equality, ordering and hashing compare values only (kube's `Cmp` / `Equal`): `"1Ki"` equals
//!   `"1024"` although they print differently.
//! * Decimal quantities are unbounded in Go (`inf.Dec`); here every magnitude saturates at
//!   10^29 units, far beyond any real resource amount. Binary SI quantities are capped at
//!   2^63−1 units when parsed, exactly as Kubernetes caps them (`"8Ei"` parses as 2^63−1).
//! * Go's `String()` returns the parsed text verbatim when it is already canonical, which keeps
//!   an explicit `+` or an upper-case exponent (`"+5k"`, `"1E3"`); [`Display`](fmt::Display)
//!   always prints the canonical form (`"5k"`, `"1e3"`).
//! * Binary SI output stops at `Ei` (`"1024Ei"`), where Go emits a wrong number for 2^70 and up.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::iter::Sum;
use std::ops::{Add, AddAssign, Mul, MulAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

const NANOS_PER_UNIT: i128 = 1_000_000_000;
const NANOS_PER_MILLI: i128 = 1_000_000;
/// Kubernetes' cap on a parsed binary SI quantity (`maxAllowed`): 2^63−1 units, in nano-units.
const MAX_BINARY_NANOS: i128 = i64::MAX as i128 * NANOS_PER_UNIT;
/// Every magnitude saturates here: 10^29 units, in nano-units.
const MAX_NANOS: i128 = 10i128.pow(38);
/// Digits this far below a nano-unit cannot change the rounded value, even scaled by 2^60
/// (`Ei`); they only make it inexact. Must be at least 60.
const SUB_NANO_DIGITS: i64 = 64;

/// The suffix family a quantity was written in, and is printed in (apimachinery's `Format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Format {
    /// `12e6`, `5e-3`: a decimal exponent.
    DecimalExponent,
    /// `12Mi` (12 × 2^20): binary SI suffixes.
    BinarySi,
    /// `12M` (12 × 10^6), `500m`: decimal SI suffixes.
    #[default]
    DecimalSi,
}

/// Why a string is not a quantity: apimachinery's three parse errors, with the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuantityError {
    /// `ErrFormatWrong`: empty, or not `number` + `suffix` (e.g. `"1 "`, `"1e3.5"`, `"abc"`).
    Format(String),
    /// `ErrNumeric`: a suffix with no number that the scanner cannot read as zero (`"e-10"`).
    Numeric(String),
    /// `ErrSuffix`: a suffix Kubernetes does not know (`"1ki"`, `"1e"`, `"1Ki2"`).
    Suffix(String),
}

impl QuantityError {
    /// Kubernetes' error text, without the input (what kube-apiserver prints in a validation
    /// error).
    pub fn message(&self) -> &'static str {
        match self {
            QuantityError::Format(_) => {
                "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
            }
            QuantityError::Numeric(_) => "unable to parse numeric part of quantity",
            QuantityError::Suffix(_) => "unable to parse quantity's suffix",
        }
    }

    /// The text that did not parse.
    pub fn input(&self) -> &str {
        match self {
            QuantityError::Format(s) | QuantityError::Numeric(s) | QuantityError::Suffix(s) => s,
        }
    }
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {:?}", self.message(), self.input())
    }
}

impl std::error::Error for QuantityError {}

/// An exact Kubernetes quantity: a value in nano-units and the [`Format`] it prints in.
///
/// Equality, ordering and hashing look at the value only.
#[derive(Clone, Copy, Debug, Default)]
pub struct Quantity {
    nanos: i128,
    format: Format,
}

impl Quantity {
    /// Zero (decimal SI).
    pub const ZERO: Quantity = Quantity {
        nanos: 0,
        format: Format::DecimalSi,
    };

    /// Parses the Kubernetes quantity syntax, as `resource.ParseQuantity` does.
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        parse(s)
    }

    /// Parses a quantity as it appears in a JSON string, as `Quantity.UnmarshalJSON` does:
    /// surrounding whitespace is ignored.
    pub fn from_json_str(s: &str) -> Result<Quantity, QuantityError> {
        parse(s.trim())
    }

    /// A quantity from a JSON value, as `Quantity.UnmarshalJSON` reads it: a string (see
    /// [`Quantity::from_json_str`]) or a bare number. Anything else is a format error.
    pub fn from_json(value: &Value) -> Result<Quantity, QuantityError> {
        match value {
            Value::String(s) => Quantity::from_json_str(s),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Ok(Quantity::new(i, Format::DecimalSi))
                } else if let Some(u) = n.as_u64() {
                    Ok(Quantity::from_nanos(
                        i128::from(u) * NANOS_PER_UNIT,
                        Format::DecimalSi,
                    ))
                } else {
                    Quantity::from_f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            other => Err(QuantityError::Format(other.to_string())),
        }
    }

    /// A JSON float read as the decimal it was written as: Rust prints the shortest digits that
    /// round-trip, in plain decimal notation the grammar accepts.
    fn from_f64(v: f64) -> Result<Quantity, QuantityError> {
        parse(&format!("{v}"))
    }

    /// `value` units (`resource.NewQuantity(value, format)`).
    pub fn new(value: i64, format: Format) -> Quantity {
        Quantity {
            nanos: i128::from(value) * NANOS_PER_UNIT,
            format,
        }
    }

    /// `value` thousandths (`resource.NewMilliQuantity(value, format)`).
    pub fn new_milli(value: i64, format: Format) -> Quantity {
        Quantity {
            nanos: i128::from(value) * NANOS_PER_MILLI,
            format,
        }
    }

    /// `nanos` nano-units, saturated at the magnitude limit.
    pub fn from_nanos(nanos: i128, format: Format) -> Quantity {
        Quantity {
            nanos: nanos.clamp(-MAX_NANOS, MAX_NANOS),
            format,
        }
    }

    /// A whole number of units in decimal SI (`"5"`).
    pub fn from_units(units: i64) -> Quantity {
        Quantity::new(units, Format::DecimalSi)
    }

    /// A number of milli-units in decimal SI (`"1500m"`).
    pub fn from_millis(millis: i64) -> Quantity {
        Quantity::new_milli(millis, Format::DecimalSi)
    }

    /// The exact value in nano-units.
    pub fn nanos(self) -> i128 {
        self.nanos
    }

    /// The format the quantity prints in.
    pub fn format(self) -> Format {
        self.format
    }

    /// The same value, printed in `format`.
    #[must_use]
    pub fn with_format(self, format: Format) -> Quantity {
        Quantity { format, ..self }
    }

    /// True for zero.
    pub fn is_zero(self) -> bool {
        self.nanos == 0
    }

    /// True below zero.
    pub fn is_negative(self) -> bool {
        self.nanos < 0
    }

    /// −1, 0 or 1 (Go's `Sign()`).
    pub fn signum(self) -> i32 {
        match self.nanos.cmp(&0) {
            Ordering::Less => -1,
            Ordering::Equal => 0,
            Ordering::Greater => 1,
        }
    }

    /// True for a whole number of units.
    pub fn is_integer(self) -> bool {
        self.nanos % NANOS_PER_UNIT == 0
    }

    /// The value rounded up, away from zero, to an integer (Go's `Value()`); saturates at the
    /// `i64` bounds.
    pub fn value(self) -> i64 {
        scaled(self.nanos, NANOS_PER_UNIT)
    }

    /// The value in thousandths rounded up, away from zero (Go's `MilliValue()`); saturates at
    /// the `i64` bounds.
    pub fn milli_value(self) -> i64 {
        scaled(self.nanos, NANOS_PER_MILLI)
    }

    /// [`Quantity::value`], or `None` where it does not fit an `i64` (where Go overflows).
    pub fn checked_value(self) -> Option<i64> {
        i64::try_from(div_away_from_zero(self.nanos, NANOS_PER_UNIT)).ok()
    }

    /// [`Quantity::milli_value`], or `None` where it does not fit an `i64`.
    pub fn checked_milli_value(self) -> Option<i64> {
        i64::try_from(div_away_from_zero(self.nanos, NANOS_PER_MILLI)).ok()
    }

    /// The value as a float, possibly inexact (Go's `AsApproximateFloat64()`).
    pub fn as_f64(self) -> f64 {
        // Exact up to 2^53 nano-units; beyond, one rounding in each step.
        self.nanos as f64 / NANOS_PER_UNIT as f64
    }
}

/// `n / per` rounded away from zero.
fn div_away_from_zero(n: i128, per: i128) -> i128 {
    let q = n / per;
    if n % per == 0 {
        q
    } else if n > 0 {
        q + 1
    } else {
        q - 1
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
    let q = div_away_from_zero(nanos, per);
    i64::try_from(q).unwrap_or(if q > 0 { i64::MAX } else { i64::MIN })
}

// ---------------------------------------------------------------------------------------------
// Comparison and arithmetic
// ---------------------------------------------------------------------------------------------

impl PartialEq for Quantity {
    fn eq(&self, other: &Quantity) -> bool {
        self.nanos == other.nanos
    }
}

impl Eq for Quantity {}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Quantity) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Quantity) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl Hash for Quantity {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.nanos.hash(state);
    }
}

impl Add for Quantity {
    type Output = Quantity;

    /// Exact (saturating at the magnitude limit). The result keeps the left side's format, or
    /// takes the right side's when the left is zero, like Go's `Add`.
    fn add(self, other: Quantity) -> Quantity {
        let format = if self.is_zero() {
            other.format
        } else {
            self.format
        };
        Quantity::from_nanos(self.nanos.saturating_add(other.nanos), format)
    }
}

impl Sub for Quantity {
    type Output = Quantity;

    /// Exact (saturating at the magnitude limit); formats as for [`Add`].
    fn sub(self, other: Quantity) -> Quantity {
        let format = if self.is_zero() {
            other.format
        } else {
            self.format
        };
        Quantity::from_nanos(self.nanos.saturating_sub(other.nanos), format)
    }
}

impl Mul<i64> for Quantity {
    type Output = Quantity;

    /// Exact (saturating at the magnitude limit); keeps the format, like Go's `Mul`.
    fn mul(self, factor: i64) -> Quantity {
        let nanos = self.nanos.checked_mul(i128::from(factor)).unwrap_or(
            if (self.nanos < 0) == (factor < 0) {
                MAX_NANOS
            } else {
                -MAX_NANOS
            },
        );
        Quantity::from_nanos(nanos, self.format)
    }
}

impl Neg for Quantity {
    type Output = Quantity;

    fn neg(self) -> Quantity {
        Quantity {
            nanos: -self.nanos,
            format: self.format,
        }
    }
}

impl AddAssign for Quantity {
    fn add_assign(&mut self, other: Quantity) {
        *self = *self + other;
    }
}

impl SubAssign for Quantity {
    fn sub_assign(&mut self, other: Quantity) {
        *self = *self - other;
    }
}

impl MulAssign<i64> for Quantity {
    fn mul_assign(&mut self, factor: i64) {
        *self = *self * factor;
    }
}

impl Sum for Quantity {
    fn sum<I: Iterator<Item = Quantity>>(iter: I) -> Quantity {
        iter.fold(Quantity::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Quantity> for Quantity {
    fn sum<I: Iterator<Item = &'a Quantity>>(iter: I) -> Quantity {
        iter.copied().sum()
    }
}

// ---------------------------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------------------------

impl fmt::Display for Quantity {
    /// Kubernetes' canonical form (`Quantity.CanonicalizeBytes`): the largest suffix of the
    /// quantity's format that leaves an integer mantissa. Binary SI values below 1024 in
    /// magnitude, or with a fractional part, print in decimal SI; decimal SI exponents beyond `E`
    /// print as `e21`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.nanos;
        if n == 0 {
            return f.write_str("0");
        }
        let sign = if n < 0 { "-" } else { "" };
        let magnitude = n.unsigned_abs();
        let unit = NANOS_PER_UNIT as u128;
        if self.format == Format::BinarySi
            && magnitude >= 1024 * unit
            && magnitude.is_multiple_of(unit)
        {
            const SUFFIXES: [&str; 7] = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
            let mut whole = magnitude / unit;
            let mut power = 0;
            while power < 6 && whole.is_multiple_of(1024) {
                whole /= 1024;
                power += 1;
            }
            return write!(f, "{sign}{whole}{}", SUFFIXES[power]);
        }
        // Decimal: move the factors of ten into the exponent, then lower the exponent to a
        // multiple of three (`AsCanonicalBytes`).
        let mut mantissa = magnitude;
        let mut exponent: i32 = -9;
        while mantissa.is_multiple_of(10) {
            mantissa /= 10;
            exponent += 1;
        }
        while exponent.rem_euclid(3) != 0 {
            mantissa *= 10;
            exponent -= 1;
        }
        let si = match exponent {
            -9 => Some("n"),
            -6 => Some("u"),
            -3 => Some("m"),
            0 => Some(""),
            3 => Some("k"),
            6 => Some("M"),
            9 => Some("G"),
            12 => Some("T"),
            15 => Some("P"),
            18 => Some("E"),
            _ => None,
        };
        match (self.format, si) {
            (Format::DecimalExponent, _) | (_, None) if exponent != 0 => {
                write!(f, "{sign}{mantissa}e{exponent}")
            }
            (_, suffix) => write!(f, "{sign}{mantissa}{}", suffix.unwrap_or("")),
        }
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(s: &str) -> Result<Quantity, QuantityError> {
        parse(s)
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    /// Accepts a string (surrounding whitespace ignored) or, as apimachinery's `UnmarshalJSON`
    /// does, a bare number.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Quantity, D::Error> {
        struct QuantityVisitor;
        impl Visitor<'_> for QuantityVisitor {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Kubernetes quantity such as \"500m\" or \"4Gi\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Quantity, E> {
                Quantity::from_json_str(v).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Quantity, E> {
                Ok(Quantity::new(v, Format::DecimalSi))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Quantity, E> {
                Ok(Quantity::from_nanos(
                    i128::from(v) * NANOS_PER_UNIT,
                    Format::DecimalSi,
                ))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Quantity, E> {
                Quantity::from_f64(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(QuantityVisitor)
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/// What a suffix means: `value * 10^dec * 2^bin`, and the format it selects.
struct Suffix {
    dec: i64,
    bin: u32,
    format: Format,
}

/// apimachinery's suffixer: the SI tables first, then `e`/`E` and a Go `int64`.
fn interpret_suffix(s: &str) -> Option<Suffix> {
    let dec = |dec| {
        Some(Suffix {
            dec,
            bin: 0,
            format: Format::DecimalSi,
        })
    };
    let bin = |bin| {
        Some(Suffix {
            dec: 0,
            bin,
            format: Format::BinarySi,
        })
    };
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
            // Go converts the parsed int64 exponent with `int32(parsed)`, which wraps; keep
            // that so absurd exponents mean what they mean to Kubernetes.
            let wrapped = parse_go_int64(rest)? as i32;
            Some(Suffix {
                dec: i64::from(wrapped),
                bin: 0,
                format: Format::DecimalExponent,
            })
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
    /// Whether the number (before the suffix) has any digit at all, leading zeros included.
    has_digit: bool,
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
    let zeros_start = pos;
    while pos < end && b[pos] == b'0' {
        pos += 1;
    }
    if pos >= end {
        // Only a sign and zeros: Go returns "0" here without looking further.
        return Ok(Parts {
            negative,
            num: "",
            denom: "",
            suffix: "",
            has_digit: true,
        });
    }
    let mut has_digit = pos > zeros_start;
    let num_start = pos;
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    let num = &s[num_start..pos];
    has_digit |= !num.is_empty();
    let mut denom = "";
    if pos < end && b[pos] == b'.' {
        pos += 1;
        let denom_start = pos;
        while pos < end && b[pos].is_ascii_digit() {
            pos += 1;
        }
        denom = &s[denom_start..pos];
        has_digit |= !denom.is_empty();
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
        has_digit,
    })
}

fn parse(s: &str) -> Result<Quantity, QuantityError> {
    if s.is_empty() {
        return Err(QuantityError::Format(String::new()));
    }
    let parts = split(s)?;
    let suffix =
        interpret_suffix(parts.suffix).ok_or_else(|| QuantityError::Suffix(s.to_string()))?;
    if !parts.has_digit {
        // With no digit at all, Go reads zero on its int64 fast path, but its `inf.Dec` slow
        // path fails on the digitless text. The slow path is taken for decimal exponents below
        // nano and for binary suffixes from `Pi` up (their precision estimate goes negative).
        let fast = match suffix.format {
            Format::BinarySi => suffix.bin <= 40,
            Format::DecimalSi | Format::DecimalExponent => suffix.dec >= -9,
        };
        if !fast {
            return Err(QuantityError::Numeric(s.to_string()));
        }
    }
    let mut magnitude = magnitude(parts.num, parts.denom, suffix.dec, suffix.bin);
    let mut format = suffix.format;
    if format == Format::BinarySi {
        // Kubernetes caps binary quantities, and prints a fraction of one in decimal SI.
        magnitude = magnitude.min(MAX_BINARY_NANOS);
        if magnitude > 0 && magnitude < NANOS_PER_UNIT {
            format = Format::DecimalSi;
        }
    }
    Ok(Quantity {
        nanos: if parts.negative {
            -magnitude
        } else {
            magnitude
        },
        format,
    })
}

/// `num.denom * 10^dec * 2^bin` in nano-units, rounded up to the next nano-unit and saturated at
/// [`MAX_NANOS`].
fn magnitude(num: &str, denom: &str, dec: i64, bin: u32) -> i128 {
    let digit = |i: usize| {
        if i < num.len() {
            num.as_bytes()[i] - b'0'
        } else {
            denom.as_bytes()[i - num.len()] - b'0'
        }
    };
    let total = num.len() + denom.len();
    let Some(first) = (0..total).find(|&i| digit(i) != 0) else {
        return 0;
    };
    let last = (first..total)
        .rev()
        .find(|&i| digit(i) != 0)
        .unwrap_or(first);
    let significant = (last - first + 1) as i64;
    // The power of ten of the last significant digit, in nano-units.
    let mut exp10 = dec - denom.len() as i64 + 9 + (total - 1 - last) as i64;
    // The value is at least 10^(significant - 1 + exp10).
    if significant - 1 + exp10 >= 38 {
        return MAX_NANOS;
    }
    // Digits more than SUB_NANO_DIGITS below a nano-unit are dropped: with `x` the kept digits
    // as an integer and `r` < 1 the dropped ones, the value is (x + r) * 2^bin / 10^K, and with
    // K >= bin that is (x + r) / D for an integer D, whose floor is floor(x / D). They only make
    // the value inexact (the last significant digit is non-zero).
    let mut end = last + 1;
    let mut inexact = false;
    if exp10 < -SUB_NANO_DIGITS {
        let drop = (-SUB_NANO_DIGITS - exp10) as usize;
        if drop >= end - first {
            // Less than one nano-unit even scaled by 2^60: rounds up to one.
            return 1;
        }
        end -= drop;
        exp10 = -SUB_NANO_DIGITS;
        inexact = true;
    }
    let mut big = BigUint::default();
    for i in first..end {
        big.mul_small(10);
        big.add_small(u32::from(digit(i)));
    }
    for _ in 0..bin / 10 {
        big.mul_small(1024);
    }
    let saturate = |big: &BigUint| big.to_i128().map_or(MAX_NANOS, |v| v.min(MAX_NANOS));
    if exp10 >= 0 {
        for _ in 0..exp10 {
            big.mul_small(10);
        }
        return saturate(&big);
    }
    for _ in 0..-exp10 {
        inexact |= big.div_small(10) != 0;
    }
    let q = saturate(&big);
    if inexact { (q + 1).min(MAX_NANOS) } else { q }
}

/// Just enough fixed-size arbitrary precision to scale a mantissa exactly: little-endian base-2^32
/// limbs. Parsing needs at most about 400 bits (103 digits times 2^60); anything that would not
/// fit is flagged and reads as too large.
#[derive(Default)]
struct BigUint {
    limbs: [u32; 16],
    len: usize,
    overflow: bool,
}

impl BigUint {
    fn push(&mut self, limb: u32) {
        if self.len < self.limbs.len() {
            self.limbs[self.len] = limb;
            self.len += 1;
        } else {
            self.overflow = true;
        }
    }

    fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for limb in &mut self.limbs[..self.len] {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.push(carry as u32);
        }
    }

    fn add_small(&mut self, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.limbs[..self.len] {
            if carry == 0 {
                return;
            }
            let v = u64::from(*limb) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.push(carry as u32);
        }
    }

    /// Divides in place and returns the remainder.
    fn div_small(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.limbs[..self.len].iter_mut().rev() {
            let v = (rem << 32) | u64::from(*limb);
            *limb = (v / u64::from(d)) as u32;
            rem = v % u64::from(d);
        }
        while self.len > 0 && self.limbs[self.len - 1] == 0 {
            self.len -= 1;
        }
        rem as u32
    }

    fn to_i128(&self) -> Option<i128> {
        if self.overflow {
            return None;
        }
        let mut v: u128 = 0;
        for &limb in self.limbs[..self.len].iter().rev() {
            if v >> 96 != 0 {
                return None;
            }
            v = (v << 32) | u128::from(limb);
        }
        i128::try_from(v).ok()
    }
}

#[cfg(test)]
#[path = "quantity_tests.rs"]
mod tests;

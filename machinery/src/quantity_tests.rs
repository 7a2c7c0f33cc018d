use super::*;

use proptest::strategy::Strategy as _;
use serde_json::json;

const UNIT: i128 = NANOS_PER_UNIT;

fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Parsing: exact values (from the scheduler's estimator tests)
// ---------------------------------------------------------------------------------------------

#[test]
fn parse_table() {
    struct Case {
        input: &'static str,
        nanos: Option<i128>,
    }
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
        Case {
            input: "0.000000000001Ki",
            nanos: Some(2),
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
        Case {
            input: "m",
            nanos: Some(0),
        },
        Case {
            input: "-.Ki",
            nanos: Some(0),
        },
        Case {
            input: "Ti",
            nanos: Some(0),
        },
        // Binary quantities are capped at 2^63-1 units, like Kubernetes caps them.
        Case {
            input: "16Ei",
            nanos: Some(MAX_BINARY_NANOS),
        },
        Case {
            input: "9223372036854775807Ki",
            nanos: Some(MAX_BINARY_NANOS),
        },
        // Decimal quantities keep their value beyond 2^63 units ...
        Case {
            input: "18446744073709551616",
            nanos: Some(18_446_744_073_709_551_616 * UNIT),
        },
        Case {
            input: "1e21",
            nanos: Some(10i128.pow(30)),
        },
        // ... and saturate at 10^29 units.
        Case {
            input: "1e100",
            nanos: Some(MAX_NANOS),
        },
        Case {
            input: "-1e100",
            nanos: Some(-MAX_NANOS),
        },
        Case {
            input: "1e2147483647",
            nanos: Some(MAX_NANOS),
        },
        // The exponent wraps to 32 bits as in Go: 2^32 + 3 is 3.
        Case {
            input: "1e4294967299",
            nanos: Some(1000 * UNIT),
        },
        Case {
            input: "1e-2147483648",
            nanos: Some(1),
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
        Case {
            input: "1e99999999999999999999",
            nanos: None,
        },
    ];
    for case in cases {
        let got = Quantity::parse(case.input).ok().map(Quantity::nanos);
        assert_eq!(got, case.nanos, "case {:?}", case.input);
    }
}

#[test]
fn errors_are_kubes_three() {
    struct Case {
        input: &'static str,
        want: fn(String) -> QuantityError,
    }
    let cases = [
        Case {
            input: "",
            want: QuantityError::Format,
        },
        Case {
            input: "abc",
            want: QuantityError::Format,
        },
        Case {
            input: "1.2.3",
            want: QuantityError::Format,
        },
        Case {
            input: "1 ",
            want: QuantityError::Format,
        },
        Case {
            input: "1+1.0M",
            want: QuantityError::Format,
        },
        Case {
            input: "1.1.M",
            want: QuantityError::Format,
        },
        Case {
            input: "1ki",
            want: QuantityError::Suffix,
        },
        Case {
            input: "0.1mi",
            want: QuantityError::Suffix,
        },
        Case {
            input: "0.1am",
            want: QuantityError::Format,
        },
        Case {
            input: ".5i",
            want: QuantityError::Suffix,
        },
        Case {
            input: "-3.01e-",
            want: QuantityError::Suffix,
        },
        Case {
            input: "1Ki2",
            want: QuantityError::Suffix,
        },
        Case {
            input: "1e",
            want: QuantityError::Suffix,
        },
        // No digit at all: zero on Go's fast path, a numeric error on its slow path.
        Case {
            input: "e-10",
            want: QuantityError::Numeric,
        },
        Case {
            input: "-.e-10",
            want: QuantityError::Numeric,
        },
        Case {
            input: "Pi",
            want: QuantityError::Numeric,
        },
        Case {
            input: "-Ei",
            want: QuantityError::Numeric,
        },
    ];
    for case in cases {
        let err = Quantity::parse(case.input).expect_err(case.input);
        assert_eq!(err, (case.want)(case.input.to_string()), "{:?}", case.input);
    }
    let err = Quantity::parse("1ki").unwrap_err();
    assert_eq!(err.message(), "unable to parse quantity's suffix");
    assert_eq!(
        err.to_string(),
        "unable to parse quantity's suffix: \"1ki\""
    );
    assert_eq!(
        Quantity::parse("x").unwrap_err().message(),
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    );
    // A digit anywhere (even a stripped leading zero) makes the slow path read a number.
    assert_eq!(q("0e-10"), Quantity::ZERO);
    assert_eq!(q("0Ei"), Quantity::ZERO);
}

#[test]
fn formats_follow_the_suffix() {
    let cases = [
        ("0", Format::DecimalSi),
        ("5n", Format::DecimalSi),
        ("8k", Format::DecimalSi),
        ("1E", Format::DecimalSi),
        ("0Ki", Format::BinarySi),
        ("1Ki", Format::BinarySi),
        ("0.5Mi", Format::BinarySi),
        ("100.035Ki", Format::BinarySi),
        ("1e3", Format::DecimalExponent),
        ("1E-3", Format::DecimalExponent),
        ("0.5e0", Format::DecimalExponent),
        // A binary fraction of one unit becomes decimal.
        ("0.000000000001Ki", Format::DecimalSi),
        ("0.0001Ki", Format::DecimalSi),
        ("0.001Ki", Format::BinarySi),
    ];
    for (input, format) in cases {
        assert_eq!(q(input).format(), format, "{input}");
    }
}

// ---------------------------------------------------------------------------------------------
// Integer views (scheduler estimator and detector tests)
// ---------------------------------------------------------------------------------------------

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
        Case {
            input: "-1e100",
            value: i64::MIN,
            milli: i64::MIN,
        },
    ];
    for case in cases {
        let q = q(case.input);
        assert_eq!(q.value(), case.value, "value of {}", case.input);
        assert_eq!(q.milli_value(), case.milli, "milli value of {}", case.input);
    }
}

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
        Case {
            name: "negative rounds away from zero",
            input: "-1500m",
            value: Some(-2),
            milli: Some(-1500),
        },
        Case {
            name: "binary cap is exactly i64::MAX",
            input: "8Ei",
            value: Some(i64::MAX),
            milli: None,
        },
        Case {
            name: "decimal beyond i64",
            input: "1e19",
            value: None,
            milli: None,
        },
        Case {
            name: "saturated",
            input: "1e100",
            value: None,
            milli: None,
        },
    ];
    for case in cases {
        let q = Quantity::parse(case.input).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(q.checked_value(), case.value, "{}: value", case.name);
        assert_eq!(q.checked_milli_value(), case.milli, "{}: milli", case.name);
        if let Some(v) = case.value {
            assert_eq!(q.value(), v, "{}: saturating value", case.name);
        }
        if let Some(m) = case.milli {
            assert_eq!(q.milli_value(), m, "{}: saturating milli", case.name);
        }
    }
}

#[test]
fn rejects_malformed_quantities() {
    for input in ["", "abc", "1x", "1Ki2", "1e", "1.2.3", "--1", "1K", "1Qi"] {
        assert!(
            Quantity::parse(input).is_err(),
            "{input:?} should be rejected"
        );
    }
    // Kubernetes' scanner reads a bare suffix or a bare point as zero; so do we.
    for input in ["m", "."] {
        assert_eq!(Quantity::parse(input), Ok(Quantity::ZERO), "{input:?}");
    }
}

#[test]
fn as_f64_approximates() {
    assert_eq!(q("1500m").as_f64(), 1.5);
    assert_eq!(q("-2Ki").as_f64(), -2048.0);
    assert_eq!(q("0").as_f64(), 0.0);
    assert_eq!(q("1n").as_f64(), 1e-9);
    assert!((q("1e21").as_f64() - 1e21).abs() < 1e6);
}

// ---------------------------------------------------------------------------------------------
// Printing: kube's canonical form
// ---------------------------------------------------------------------------------------------

#[test]
fn quantities_parse_compare_and_print_like_kube() {
    let cases = [
        ("1000m", "1"),
        ("1500m", "1500m"),
        ("0.5", "500m"),
        ("2000", "2k"),
        ("1200", "1200"),
        ("1024Mi", "1Gi"),
        ("1536Mi", "1536Mi"),
        ("1.5Gi", "1536Mi"),
        ("512", "512"),
        ("1e3", "1e3"),
        ("100n", "100n"),
        ("0.1n", "1n"),
        ("-2", "-2"),
        ("0", "0"),
        ("+5k", "5k"),
        ("1E", "1E"),
    ];
    for (input, canonical) in cases {
        assert_eq!(q(input).to_string(), canonical, "canonical form of {input}");
    }
    for bad in ["", "abc", "1.2.3", "1K", "1Qi", "--1", "1e"] {
        assert!(Quantity::parse(bad).is_err(), "{bad:?} should not parse");
    }
    assert!(q("1500m") > q("1"));
    assert!(q("1Gi") > q("1G"));
    assert!(q("128Mi") < q("1Gi"));
    assert_eq!(q("1Ki").nanos(), q("1024").nanos());
    assert_eq!(Quantity::from_json(&json!(2)), Ok(q("2")));
}

/// `TestQuantityParseEmit` and `TestQuantityString` of apimachinery.
#[test]
fn prints_like_apimachinery() {
    let parsed = [
        ("1Ki", "1Ki"),
        ("1Mi", "1Mi"),
        ("1Gi", "1Gi"),
        ("1024Mi", "1Gi"),
        ("1000M", "1G"),
        (".001Ki", "1024m"),
        (".000001Ki", "1024u"),
        (".000000001Ki", "1024n"),
        (".000000000001Ki", "2n"),
        ("1024Ki", "1Mi"),
        ("300Mi", "300Mi"),
        ("307200Ki", "300Mi"),
        ("1025024Mi", "1001Gi"),
        ("1024Gi", "1Ti"),
        ("5000m", "5"),
        ("0.5", "500m"),
        ("0.001T", "1G"),
        ("1000u", "1m"),
        ("1.08", "1080m"),
        ("1080000000n", "1080m"),
        ("1000E", "1e21"),
        ("5000E", "5e21"),
        ("1000000E", "1e24"),
        ("1234567M", "1234567M"),
        ("1025", "1025"),
        ("3k", "3k"),
        (".001e12", "1e9"),
        ("0.001e0", "1e-3"),
        ("1000e-12", "1e-9"),
        ("80e-3", "80e-3"),
        ("300e6", "300e6"),
        ("00", "0"),
        ("0e6", "0"),
        ("0Ki", "0"),
        ("108e-8", "1080e-9"),
        ("0.00000108", "1080n"),
        ("1.5e0", "1500e-3"),
        ("12e6", "12e6"),
        ("1.01E", "1010P"),
        ("100.035Ki", "102435840m"),
        ("1.5Ki", "1536"),
        ("0.5Ki", "512"),
        ("1e21", "1e21"),
        ("18446744073709551616", "18446744073709551616"),
        ("16Ei", "9223372036854775807"),
        ("1e100", "100e27"),
    ];
    for (input, want) in parsed {
        assert_eq!(q(input).to_string(), want, "{input}");
        let negative = Quantity::parse(&format!("-{input}")).unwrap();
        if !negative.is_zero() {
            assert_eq!(negative.to_string(), format!("-{want}"), "-{input}");
        }
    }
}

/// `TestMilliNewSet`, `TestNewSet` and the detector's Karmada formatting.
#[test]
fn prints_constructed_quantities() {
    struct Case {
        name: &'static str,
        quantity: Quantity,
        want: &'static str,
    }
    let cases = [
        Case {
            name: "millicores",
            quantity: Quantity::new_milli(100, Format::DecimalSi),
            want: "100m",
        },
        Case {
            name: "one and a half cores",
            quantity: Quantity::new_milli(1500, Format::DecimalSi),
            want: "1500m",
        },
        Case {
            name: "whole cores",
            quantity: Quantity::new_milli(2000, Format::DecimalSi),
            want: "2",
        },
        Case {
            name: "thousands of cores",
            quantity: Quantity::new_milli(5_000_000, Format::DecimalSi),
            want: "5k",
        },
        Case {
            name: "zero",
            quantity: Quantity::new_milli(0, Format::DecimalSi),
            want: "0",
        },
        Case {
            name: "mebibytes",
            quantity: Quantity::new(134_217_728, Format::BinarySi),
            want: "128Mi",
        },
        Case {
            name: "kibibytes",
            quantity: Quantity::new(3072, Format::BinarySi),
            want: "3Ki",
        },
        Case {
            name: "not a power of 1024",
            quantity: Quantity::new(1_000_000_000, Format::BinarySi),
            want: "1000000000",
        },
        Case {
            name: "small binary prints decimal",
            quantity: Quantity::new(1000, Format::BinarySi),
            want: "1k",
        },
        Case {
            name: "odd bytes",
            quantity: Quantity::new(1536, Format::BinarySi),
            want: "1536",
        },
        Case {
            name: "pods",
            quantity: Quantity::new(110, Format::DecimalSi),
            want: "110",
        },
        Case {
            name: "decimal thousands",
            quantity: Quantity::new(1_500_000, Format::DecimalSi),
            want: "1500k",
        },
        Case {
            name: "milli in binary changes format",
            quantity: Quantity::new_milli(1024, Format::BinarySi),
            want: "1024m",
        },
        Case {
            name: "milli mebi in binary changes format",
            quantity: Quantity::new_milli(1024 * 1024, Format::BinarySi),
            want: "1048576m",
        },
        Case {
            name: "decimal 1234k",
            quantity: Quantity::new(1_234_000, Format::DecimalSi),
            want: "1234k",
        },
        Case {
            name: "exponent",
            quantity: Quantity::new(1_000_000, Format::DecimalExponent),
            want: "1e6",
        },
        Case {
            name: "milli exponent",
            quantity: Quantity::new_milli(1_000_000, Format::DecimalExponent),
            want: "1e3",
        },
        Case {
            name: "binary beyond Ei",
            quantity: Quantity::from_nanos((1i128 << 70) * UNIT, Format::BinarySi),
            want: "1024Ei",
        },
        Case {
            name: "negative binary",
            quantity: Quantity::new(-2048, Format::BinarySi),
            want: "-2Ki",
        },
        Case {
            name: "negative binary just inside decimal",
            quantity: Quantity::new(-1023, Format::BinarySi),
            want: "-1023",
        },
        Case {
            name: "minimum i64",
            quantity: Quantity::new(i64::MIN, Format::DecimalSi),
            want: "-9223372036854775808",
        },
    ];
    for case in cases {
        assert_eq!(case.quantity.to_string(), case.want, "{}", case.name);
    }
}

#[test]
fn display_round_trips() {
    for s in ["0", "2", "1500m", "100u", "7n", "-3", "-250m"] {
        let q = q(s);
        assert_eq!(q.to_string(), s);
        assert_eq!(Quantity::parse(&q.to_string()).unwrap(), q);
    }
}

// ---------------------------------------------------------------------------------------------
// Comparison and arithmetic
// ---------------------------------------------------------------------------------------------

#[test]
fn equality_and_order_ignore_the_format() {
    assert_eq!(q("1Ki"), q("1024"));
    assert_eq!(q("1e3"), q("1k"));
    assert_ne!(q("1Ki").to_string(), q("1024").to_string());
    let mut sorted = [q("1Gi"), q("1G"), q("-1"), q("500m"), q("1e-9")];
    sorted.sort();
    let printed: Vec<String> = sorted.iter().map(Quantity::to_string).collect();
    assert_eq!(printed, ["-1", "1e-9", "500m", "1G", "1Gi"]);
    let set: std::collections::HashSet<Quantity> =
        [q("1Ki"), q("1024"), q("1.024k")].into_iter().collect();
    assert_eq!(set.len(), 1);
    assert_eq!(q("-2").signum(), -1);
    assert_eq!(q("0").signum(), 0);
    assert_eq!(q("1n").signum(), 1);
}

#[test]
fn subtraction_is_exact() {
    let a = q("4");
    let b = q("1500m");
    let c = q("2500m");
    assert!((a - b - c).is_zero());
    assert_eq!((b - a).milli_value(), -2500);
}

/// `TestAdd`, `TestSub`, `TestMul`, `TestQuantityAddZeroPreservesSuffix` and
/// `TestQuantitySubZeroPreservesSuffix` of apimachinery.
#[test]
fn arithmetic_keeps_the_format_like_go() {
    let dec = |v| Quantity::new(v, Format::DecimalSi);
    let bin = |v| Quantity::new(v, Format::BinarySi);
    assert_eq!(dec(10) + dec(10), dec(20));
    assert_eq!((dec(10) + bin(1)).format(), Format::DecimalSi);
    assert_eq!((bin(10) + dec(1)).format(), Format::BinarySi);
    assert_eq!((dec(10) - bin(1)).format(), Format::DecimalSi);
    assert_eq!((bin(10) - dec(1)).format(), Format::BinarySi);
    assert_eq!(Quantity::ZERO - dec(50), dec(-50));
    for s in ["100m", "1Gi"] {
        let v = q(s);
        assert_eq!((v + Quantity::ZERO).to_string(), s);
        assert_eq!((Quantity::ZERO + v).to_string(), s);
        assert_eq!((v - Quantity::ZERO).to_string(), s);
        assert_eq!((Quantity::ZERO - v).to_string(), (-v).to_string());
    }
    assert_eq!(q("0.5Ki") + q("0.5Ki"), q("1Ki"));
    assert_eq!((q("0.5Ki") + q("0.5Ki")).to_string(), "1Ki");
    assert_eq!((q("512Mi") + q("512Mi")).to_string(), "1Gi");
    assert_eq!((q("1") + q("500m")).to_string(), "1500m");

    assert_eq!(dec(10) * 10, dec(100));
    assert_eq!((bin(10) * -1).format(), Format::BinarySi);
    assert_eq!(dec(-50) * -50, dec(2500));
    assert_eq!(dec(i64::MAX) * 2, dec(i64::MAX) + dec(i64::MAX));
    assert_eq!((q("1500m") * 3).to_string(), "4500m");
    assert_eq!((q("128Mi") * 8).to_string(), "1Gi");

    let mut total = Quantity::ZERO;
    total += q("1Gi");
    total -= q("512Mi");
    total *= 3;
    assert_eq!(total.to_string(), "1536Mi");
    let sum: Quantity = ["100m", "200m", "0.7"].iter().map(|s| q(s)).sum();
    assert_eq!(sum.to_string(), "1");
    let refs = [q("1Ki"), q("1Ki")];
    assert_eq!(refs.iter().sum::<Quantity>().to_string(), "2Ki");
}

#[test]
fn arithmetic_saturates() {
    let max = q("1e100");
    assert_eq!(max + max, max);
    assert_eq!((-max) - max, -max);
    assert_eq!(max * i64::MAX, max);
    assert_eq!(max * i64::MIN, -max);
    assert_eq!((-max) * -2, max);
    assert_eq!(max - max, Quantity::ZERO);
    // Above the binary cap through arithmetic, like Go's `Add`.
    assert_eq!((q("8Ei") + q("8Ei")).nanos(), 2 * MAX_BINARY_NANOS);
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

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

/// `TestJSONWhitespace` of apimachinery, and the formats numbers read in.
#[test]
fn json_like_unmarshal_json() {
    for (input, want) in [
        (r#"" 1""#, "1"),
        (r#""1 ""#, "1"),
        ("1", "1"),
        (" 1", "1"),
        ("1 ", "1"),
        ("10", "10"),
        ("-1", "-1"),
        (" -1", "-1"),
        ("1.5", "1500m"),
        ("18446744073709551615", "18446744073709551615"),
        (r#""1Gi""#, "1Gi"),
        (r#""\t128Mi\n""#, "128Mi"),
    ] {
        let got: Quantity = serde_json::from_str(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(got.to_string(), want, "{input}");
        let value: Value = serde_json::from_str(input).unwrap();
        let got = Quantity::from_json(&value).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(got.to_string(), want, "{input}");
    }
    for bad in [
        json!(true),
        json!(null),
        json!({"a": 1}),
        json!([1]),
        json!("1 x"),
    ] {
        assert!(Quantity::from_json(&bad).is_err(), "{bad}");
    }
    assert_eq!(
        Quantity::from_json(&json!(true)),
        Err(QuantityError::Format("true".into()))
    );
    assert!(
        Quantity::parse(" 1").is_err(),
        "ParseQuantity itself does not trim"
    );
    let list: std::collections::BTreeMap<String, Quantity> =
        serde_json::from_value(json!({"cpu": "1000m", "memory": "1024Mi", "pods": 110})).unwrap();
    assert_eq!(
        serde_json::to_value(&list).unwrap(),
        json!({"cpu": "1", "memory": "1Gi", "pods": "110"})
    );
}

// ---------------------------------------------------------------------------------------------
// Long and hostile input
// ---------------------------------------------------------------------------------------------

#[test]
fn long_mantissas_are_exact() {
    let long = format!("0.{}1", "0".repeat(200));
    assert_eq!(q(&long).nanos(), 1);
    let exact = format!("1.{}", "0".repeat(300));
    assert_eq!(q(&exact).nanos(), UNIT);
    // Kubernetes accepts any number of digits; the ones far below a nano-unit only round up.
    let ones = "1".repeat(513);
    assert_eq!(q(&format!("0.{ones}")).nanos(), 111_111_112);
    // 2^60 / 9 is 128102389400760775.111...
    assert_eq!(
        q(&format!("0.{ones}Ei")).to_string(),
        "128102389400760775111111112n"
    );
    assert_eq!(q(&ones).nanos(), MAX_NANOS);
    let exact_ei = format!("0.5{}Ei", "0".repeat(400));
    assert_eq!(q(&exact_ei).nanos(), (1i128 << 59) * UNIT);
    assert_eq!(q(&exact_ei).format(), Format::BinarySi);
    let tiny_ei = format!("0.{}1Ei", "0".repeat(80));
    assert_eq!(q(&tiny_ei).nanos(), 1);
}

/// A reference for [`magnitude`]: exact rational arithmetic on small inputs, with the rounding
/// done by `i128` division.
fn reference_nanos(s: &str) -> Option<i128> {
    let parts = split(s).ok()?;
    let suffix = interpret_suffix(parts.suffix)?;
    let digits = format!("{}{}", parts.num, parts.denom);
    let mut numerator: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    numerator = numerator.checked_mul(1i128 << suffix.bin)?;
    let exp = suffix.dec - parts.denom.len() as i64 + 9;
    let magnitude = if exp >= 0 {
        numerator.checked_mul(10i128.checked_pow(u32::try_from(exp).ok()?)?)?
    } else {
        let div = 10i128.checked_pow(u32::try_from(-exp).ok()?)?;
        div_away_from_zero(numerator, div)
    };
    let mut magnitude = magnitude.min(MAX_NANOS);
    if suffix.format == Format::BinarySi {
        magnitude = magnitude.min(MAX_BINARY_NANOS);
    }
    Some(if parts.negative {
        -magnitude
    } else {
        magnitude
    })
}

proptest::proptest! {
    #[test]
    fn never_panics(s in "\\PC{0,40}") {
        let _ = Quantity::parse(&s);
    }

    #[test]
    fn quantity_parsing_never_panics(s in "[-+0-9.eEinumkKMGTP]{0,24}") {
        if let Ok(q) = Quantity::parse(&s) {
            let again = Quantity::parse(&q.to_string());
            proptest::prop_assert!(again.is_ok(), "canonical {} of {s} does not parse", q);
        }
    }

    #[test]
    fn parsing_matches_exact_arithmetic(
        sign in "[-+]?",
        num in "[0-9]{0,12}",
        denom in proptest::option::of("[0-9]{0,14}"),
        suffix in "(|n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|e-?[0-9]{1,2})",
    ) {
        let s = match &denom {
            Some(d) => format!("{sign}{num}.{d}{suffix}"),
            None => format!("{sign}{num}{suffix}"),
        };
        if let (Ok(q), Some(want)) = (Quantity::parse(&s), reference_nanos(&s)) {
            proptest::prop_assert_eq!(q.nanos(), want, "{}", s);
        }
    }

    #[test]
    fn canonical_form_is_a_fixed_point(
        nanos in proptest::prop_oneof![
            -MAX_NANOS..=MAX_NANOS,
            -10_000_000_000_000i128..10_000_000_000_000i128,
            (-1_000_000i128..1_000_000).prop_map(|n| n * 1_000_000_000),
            (-1_000_000i128..1_000_000).prop_map(|n| n << 30),
        ],
        format in proptest::prop_oneof![
            proptest::strategy::Just(Format::DecimalSi),
            proptest::strategy::Just(Format::BinarySi),
            proptest::strategy::Just(Format::DecimalExponent),
        ],
    ) {
        // Binary values above the cap print fine but parse back capped.
        let nanos = if format == Format::BinarySi {
            nanos.clamp(-MAX_BINARY_NANOS, MAX_BINARY_NANOS)
        } else {
            nanos
        };
        let q = Quantity::from_nanos(nanos, format);
        let printed = q.to_string();
        let again = Quantity::parse(&printed).unwrap();
        proptest::prop_assert_eq!(again.nanos(), nanos, "{}", printed);
        // A binary value printed without a binary suffix ("1536") reads back as decimal.
        if format != Format::BinarySi || again.format() == Format::BinarySi {
            proptest::prop_assert_eq!(again.to_string(), printed);
        }
    }

    #[test]
    fn integer_views_match_plain_division(n in proptest::prop_oneof![
        proptest::num::i128::ANY,
        -(1i128 << 75)..(1i128 << 75),
        -10_000_000_000i128..10_000_000_000i128,
    ]) {
        let n = n % (MAX_NANOS + 1);
        let plain = |per: i128| -> i64 {
            let q = n / per;
            let q = if n % per == 0 { q } else if n > 0 { q + 1 } else { q - 1 };
            i64::try_from(q).unwrap_or(if q > 0 { i64::MAX } else { i64::MIN })
        };
        let q = Quantity::from_nanos(n, Format::DecimalSi);
        proptest::prop_assert_eq!(q.value(), plain(NANOS_PER_UNIT));
        proptest::prop_assert_eq!(q.milli_value(), plain(NANOS_PER_MILLI));
        let checked = |per: i128| i64::try_from(div_away_from_zero(n, per)).ok();
        proptest::prop_assert_eq!(q.checked_value(), checked(NANOS_PER_UNIT));
        proptest::prop_assert_eq!(q.checked_milli_value(), checked(NANOS_PER_MILLI));
    }

    #[test]
    fn milli_integers_round_trip(m in -1_000_000_000_000i64..1_000_000_000_000i64) {
        let q = Quantity::parse(&format!("{m}m")).unwrap();
        proptest::prop_assert_eq!(q.milli_value(), m);
        proptest::prop_assert_eq!(q, Quantity::from_millis(m));
    }

    #[test]
    fn addition_is_exact(
        a in -1_000_000_000_000_000_000_000i128..1_000_000_000_000_000_000_000,
        b in -1_000_000_000_000_000_000_000i128..1_000_000_000_000_000_000_000,
    ) {
        let qa = Quantity::from_nanos(a, Format::DecimalSi);
        let qb = Quantity::from_nanos(b, Format::BinarySi);
        proptest::prop_assert_eq!((qa + qb).nanos(), a + b);
        proptest::prop_assert_eq!(qa + qb - qb, qa);
        proptest::prop_assert_eq!(qa.cmp(&qb), a.cmp(&b));
    }
}

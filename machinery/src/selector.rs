//! Label and field selectors: parsing the `labelSelector` / `fieldSelector` query strings and
//! `metav1.LabelSelector` objects, matching them, and printing them back in canonical form.
//!
//! The grammar, the canonical form and the error texts follow `k8s.io/apimachinery/pkg/labels`
//! and `pkg/fields`, because parse errors go back to kubectl users verbatim as 400 BadRequest
//! and clients compare selectors by their string form.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

use crate::validation::{self, FieldError, aggregate_message};

/// Why a selector string or object was rejected. Display gives kube-apiserver's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// A label-selector requirement failed to parse or validate.
    #[error("unable to parse requirement: {0}")]
    Requirement(String),
    /// A label-selector string is malformed between requirements.
    #[error("{0}")]
    Syntax(String),
    /// A `metav1.LabelSelector` object is invalid; each error names its field.
    #[error("{}", aggregate_message(.0))]
    InvalidLabelSelector(Vec<FieldError>),
    /// A field-selector term has no `=`, `==` or `!=`.
    #[error("invalid selector: '{selector}'; can't understand '{term}'")]
    FieldTerm {
        /// The whole selector string.
        selector: String,
        /// The term that could not be split.
        term: String,
    },
    /// A field-selector value has a backslash not followed by `\`, `,` or `=`.
    #[error("invalid field selector: invalid escape sequence: {0}")]
    InvalidEscape(String),
    /// A field-selector value contains a bare `,` or `=`. kube prints the character as its
    /// code point (Go's `%v` of a rune), so we do too.
    #[error("invalid field selector: unescaped character in value: {}", *.0 as u32)]
    UnescapedChar(char),
}

// ---------------------------------------------------------------------------------------------
// Label selectors
// ---------------------------------------------------------------------------------------------

/// A label-selector operator (`selection.Operator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `key=value`
    Equals,
    /// `key==value`, same meaning as `=`, kept so the string round-trips.
    DoubleEquals,
    /// `key!=value`: matches when the label is absent or differs.
    NotEquals,
    /// `key in (a,b)`
    In,
    /// `key notin (a,b)`: matches when the label is absent or not listed.
    NotIn,
    /// `key`
    Exists,
    /// `!key`
    DoesNotExist,
    /// `key>N`: integer comparison; no match if the label is absent or not an integer.
    GreaterThan,
    /// `key<N`
    LessThan,
}

/// One requirement of a label selector: a key, an operator and a sorted set of values.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

impl Requirement {
    /// Builds and validates a requirement like kube's `labels.NewRequirement`: the key must be a
    /// qualified name, `In`/`NotIn` need values, `=`/`==`/`!=` exactly one, `Exists`/
    /// `DoesNotExist` none, `>`/`<` one integer; every value must be a valid label value.
    /// Values are sorted and deduplicated.
    pub fn new(key: &str, operator: Operator, values: Vec<String>) -> Result<Self, SelectorError> {
        let mut values = values;
        values.sort();
        values.dedup();
        let errs = requirement_errors(key, operator, &values, "key", "values");
        if !errs.is_empty() {
            return Err(SelectorError::Requirement(aggregate_message(&errs)));
        }
        Ok(Requirement {
            key: key.to_string(),
            operator,
            values,
        })
    }

    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values, sorted and deduplicated (empty for `Exists`/`DoesNotExist`).
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Whether a label set, given as a lookup function, satisfies this requirement.
    pub fn matches_with<'a>(&self, get: &impl Fn(&str) -> Option<&'a str>) -> bool {
        let has_value = |v: &str| self.values.iter().any(|x| x == v);
        match self.operator {
            Operator::Equals | Operator::DoubleEquals | Operator::In => {
                get(&self.key).is_some_and(has_value)
            }
            Operator::NotEquals | Operator::NotIn => !get(&self.key).is_some_and(has_value),
            Operator::Exists => get(&self.key).is_some(),
            Operator::DoesNotExist => get(&self.key).is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let Some(actual) = get(&self.key).and_then(|v| v.parse::<i64>().ok()) else {
                    return false;
                };
                let Some(bound) = self.values.first().and_then(|v| v.parse::<i64>().ok()) else {
                    return false;
                };
                if self.operator == Operator::GreaterThan {
                    actual > bound
                } else {
                    actual < bound
                }
            }
        }
    }
}

/// Validation shared by the string parser and `metav1.LabelSelector` conversion; the paths
/// differ because kube reports them differently in the two cases.
fn requirement_errors(
    key: &str,
    operator: Operator,
    values: &[String],
    key_path: &str,
    values_path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let key_msgs = validation::is_qualified_name(key);
    if !key_msgs.is_empty() {
        errs.push(FieldError::invalid(key_path, key, &key_msgs.join("; ")));
    }
    let strs: Vec<&str> = values.iter().map(String::as_str).collect();
    match operator {
        Operator::In | Operator::NotIn => {
            if values.is_empty() {
                errs.push(FieldError::invalid_strings(
                    values_path,
                    &strs,
                    "for 'in', 'notin' operators, values set can't be empty",
                ));
            }
        }
        Operator::Equals | Operator::DoubleEquals | Operator::NotEquals => {
            if values.len() != 1 {
                errs.push(FieldError::invalid_strings(
                    values_path,
                    &strs,
                    "exact-match compatibility requires one single value",
                ));
            }
        }
        Operator::Exists | Operator::DoesNotExist => {
            if !values.is_empty() {
                errs.push(FieldError::invalid_strings(
                    values_path,
                    &strs,
                    "values set must be empty for exists and does not exist",
                ));
            }
        }
        Operator::GreaterThan | Operator::LessThan => {
            if values.len() != 1 {
                errs.push(FieldError::invalid_strings(
                    values_path,
                    &strs,
                    "for 'Gt', 'Lt' operators, exactly one value is required",
                ));
            }
            for (i, v) in values.iter().enumerate() {
                if v.parse::<i64>().is_err() {
                    errs.push(FieldError::invalid(
                        &format!("{values_path}[{i}]"),
                        v,
                        "for 'Gt', 'Lt' operators, the value must be an integer",
                    ));
                }
            }
        }
    }
    for (i, v) in values.iter().enumerate() {
        let msgs = validation::is_valid_label_value(v);
        if !msgs.is_empty() {
            errs.push(FieldError::invalid(
                &format!("{values_path}[{i}][{key}]"),
                v,
                &msgs.join("; "),
            ));
        }
    }
    errs
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let (op, parens) = match self.operator {
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
            Operator::Equals => ("=", false),
            Operator::DoubleEquals => ("==", false),
            Operator::NotEquals => ("!=", false),
            Operator::GreaterThan => (">", false),
            Operator::LessThan => ("<", false),
            Operator::In => (" in ", true),
            Operator::NotIn => (" notin ", true),
        };
        f.write_str(op)?;
        if parens {
            write!(f, "({})", self.values.join(","))
        } else {
            f.write_str(&self.values.join(","))
        }
    }
}

/// A parsed label selector: the AND of its requirements, sorted by key.
///
/// The empty selector matches everything; [`LabelSelector::nothing`] (a `null`
/// `metav1.LabelSelector`) matches nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
    nothing: bool,
}

impl LabelSelector {
    /// The selector that matches every object.
    pub fn everything() -> Self {
        Self::default()
    }

    /// The selector that matches no object.
    pub fn nothing() -> Self {
        LabelSelector {
            requirements: Vec::new(),
            nothing: true,
        }
    }

    /// Builds a selector from requirements, sorting them by key as kube does.
    pub fn from_requirements(mut requirements: Vec<Requirement>) -> Self {
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        LabelSelector {
            requirements,
            nothing: false,
        }
    }

    /// Parses the label-selector string syntax (`labelSelector=` query parameter, `kubectl -l`).
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        let items = lex(s);
        let requirements = Parser { items, pos: 0 }.parse()?;
        Ok(Self::from_requirements(requirements))
    }

    /// Converts a `metav1.LabelSelector` object (`matchLabels`, `matchExpressions`). `null`
    /// gives [`LabelSelector::nothing`], `{}` gives [`LabelSelector::everything`]; invalid
    /// input is reported with the offending field, e.g. `matchExpressions[0].values`.
    pub fn from_label_selector_json(v: &Value) -> Result<Self, SelectorError> {
        if v.is_null() {
            return Ok(Self::nothing());
        }
        let errs = validation::validate_label_selector(v, "");
        if !errs.is_empty() {
            return Err(SelectorError::InvalidLabelSelector(errs));
        }
        let mut requirements = Vec::new();
        if let Some(ml) = v.get("matchLabels").and_then(Value::as_object) {
            for (k, val) in ml {
                let val = val.as_str().unwrap_or_default().to_string();
                requirements.push(Requirement::new(k, Operator::Equals, vec![val])?);
            }
        }
        if let Some(exprs) = v.get("matchExpressions").and_then(Value::as_array) {
            for expr in exprs {
                let key = expr.get("key").and_then(Value::as_str).unwrap_or_default();
                let op = match expr.get("operator").and_then(Value::as_str) {
                    Some("In") => Operator::In,
                    Some("NotIn") => Operator::NotIn,
                    Some("Exists") => Operator::Exists,
                    Some("DoesNotExist") => Operator::DoesNotExist,
                    // validate_label_selector already rejected anything else.
                    other => {
                        return Err(SelectorError::Syntax(format!(
                            "{:?} is not a valid label selector operator",
                            other.unwrap_or_default()
                        )));
                    }
                };
                let values = expr
                    .get("values")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                requirements.push(Requirement::new(key, op, values)?);
            }
        }
        Ok(Self::from_requirements(requirements))
    }

    /// The requirements, sorted by key.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// True for the match-everything selector (no requirements).
    pub fn is_empty(&self) -> bool {
        !self.nothing && self.requirements.is_empty()
    }

    /// True for the match-nothing selector.
    pub fn is_nothing(&self) -> bool {
        self.nothing
    }

    /// Whether a label set, given as a lookup function, matches.
    pub fn matches_with<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> bool {
        !self.nothing && self.requirements.iter().all(|r| r.matches_with(&get))
    }

    /// Whether a JSON label map (`metadata.labels`) matches. Non-string values cannot occur in
    /// a valid object and are treated as absent.
    pub fn matches(&self, labels: &Map<String, Value>) -> bool {
        self.matches_with(|k| labels.get(k).and_then(Value::as_str))
    }

    /// Whether a typed label map matches.
    pub fn matches_btree(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matches_with(|k| labels.get(k).map(String::as_str))
    }

    /// Whether an object's `metadata.labels` match (no labels is the empty set).
    pub fn matches_object(&self, obj: &Value) -> bool {
        let labels = obj
            .get("metadata")
            .and_then(|m| m.get("labels"))
            .and_then(Value::as_object);
        self.matches_with(|k| labels.and_then(|l| l.get(k)).and_then(Value::as_str))
    }
}

/// Free-function form of [`LabelSelector::from_label_selector_json`].
pub fn from_label_selector_json(v: &Value) -> Result<LabelSelector, SelectorError> {
    LabelSelector::from_label_selector_json(v)
}

impl fmt::Display for LabelSelector {
    /// The canonical string: requirements sorted by key, joined by `,`, values sorted. The
    /// nothing selector prints as the empty string, as in kube.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

impl FromStr for LabelSelector {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

// --- lexer -------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

#[derive(Debug, Clone)]
struct Item {
    tok: Tok,
    lit: String,
}

fn is_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_special(c: char) -> bool {
    matches!(c, '=' | '!' | '(' | ')' | ',' | '>' | '<')
}

fn keyword(s: &str) -> Option<Tok> {
    Some(match s {
        ")" => Tok::ClosedPar,
        "," => Tok::Comma,
        "!" => Tok::DoesNotExist,
        "==" => Tok::DoubleEquals,
        "=" => Tok::Equals,
        ">" => Tok::GreaterThan,
        "in" => Tok::In,
        "<" => Tok::LessThan,
        "!=" => Tok::NotEquals,
        "notin" => Tok::NotIn,
        "(" => Tok::OpenPar,
        _ => return None,
    })
}

/// Splits the input into tokens exactly like kube's lexer: runs of special characters are
/// matched greedily to the longest operator, everything else up to whitespace or a special
/// character is an identifier (or the keywords `in` / `notin`). Always ends with EndOfString.
fn lex(s: &str) -> Vec<Item> {
    let chars: Vec<char> = s.chars().collect();
    let mut items = Vec::new();
    let mut i = 0;
    loop {
        while i < chars.len() && is_whitespace(chars[i]) {
            i += 1;
        }
        if i >= chars.len() {
            items.push(Item {
                tok: Tok::EndOfString,
                lit: String::new(),
            });
            return items;
        }
        if is_special(chars[i]) {
            let mut buf = String::new();
            let mut last: Option<(Tok, String)> = None;
            while i < chars.len() && is_special(chars[i]) {
                buf.push(chars[i]);
                if let Some(t) = keyword(&buf) {
                    last = Some((t, buf.clone()));
                    i += 1;
                } else if last.is_some() {
                    break;
                } else {
                    i += 1;
                }
            }
            // Every single special character is a token, so `last` is always set here.
            let (tok, lit) = last.unwrap_or((Tok::Identifier, buf));
            items.push(Item { tok, lit });
        } else {
            let start = i;
            while i < chars.len() && !is_special(chars[i]) && !is_whitespace(chars[i]) {
                i += 1;
            }
            let lit: String = chars[start..i].iter().collect();
            let tok = match keyword(&lit) {
                Some(t @ (Tok::In | Tok::NotIn)) => t,
                _ => Tok::Identifier,
            };
            items.push(Item { tok, lit });
        }
    }
}

// --- parser ------------------------------------------------------------------------------------

/// Whether `in`/`notin` are read as operators (after a key) or as plain words (keys, values).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    Values,
}

struct Parser {
    items: Vec<Item>,
    pos: usize,
}

impl Parser {
    fn peek_item(&self) -> (Tok, &str) {
        match self.items.get(self.pos) {
            Some(it) => (it.tok, it.lit.as_str()),
            None => (Tok::EndOfString, ""),
        }
    }

    fn lookahead(&self, ctx: Context) -> (Tok, String) {
        let (tok, lit) = self.peek_item();
        let tok = match (ctx, tok) {
            (Context::Values, Tok::In | Tok::NotIn) => Tok::Identifier,
            _ => tok,
        };
        (tok, lit.to_string())
    }

    fn consume(&mut self, ctx: Context) -> (Tok, String) {
        let r = self.lookahead(ctx);
        if self.pos < self.items.len() {
            self.pos += 1;
        }
        r
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, SelectorError> {
        let mut reqs = Vec::new();
        loop {
            let (tok, lit) = self.lookahead(Context::Values);
            match tok {
                Tok::Identifier | Tok::DoesNotExist => {
                    let r = self
                        .parse_requirement()
                        .map_err(SelectorError::Requirement)?;
                    reqs.push(r);
                    let (t, l) = self.consume(Context::Values);
                    match t {
                        Tok::EndOfString => return Ok(reqs),
                        Tok::Comma => {
                            let (t2, l2) = self.lookahead(Context::Values);
                            if t2 != Tok::Identifier && t2 != Tok::DoesNotExist {
                                return Err(SelectorError::Syntax(format!(
                                    "found '{l2}', expected: identifier after ','"
                                )));
                            }
                        }
                        _ => {
                            return Err(SelectorError::Syntax(format!(
                                "found '{l}', expected: ',' or 'end of string'"
                            )));
                        }
                    }
                }
                Tok::EndOfString => return Ok(reqs),
                _ => {
                    return Err(SelectorError::Syntax(format!(
                        "found '{lit}', expected: !, identifier, or 'end of string'"
                    )));
                }
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, String> {
        let (key, op) = self.parse_key_and_infer_operator()?;
        if let Some(op @ (Operator::Exists | Operator::DoesNotExist)) = op {
            return build_requirement(&key, op, Vec::new());
        }
        let op = self.parse_operator()?;
        let values = match op {
            Operator::In | Operator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        build_requirement(&key, op, values)
    }

    fn parse_key_and_infer_operator(&mut self) -> Result<(String, Option<Operator>), String> {
        let mut op = None;
        let (mut tok, mut lit) = self.consume(Context::Values);
        if tok == Tok::DoesNotExist {
            op = Some(Operator::DoesNotExist);
            (tok, lit) = self.consume(Context::Values);
        }
        if tok != Tok::Identifier {
            return Err(format!("found '{lit}', expected: identifier"));
        }
        let msgs = validation::is_qualified_name(&lit);
        if !msgs.is_empty() {
            // kube parses without a field path, so its error prints the nil path as `<nil>`.
            return Err(FieldError::invalid("<nil>", &lit, &msgs.join("; ")).to_string());
        }
        let (next, _) = self.lookahead(Context::Values);
        if (next == Tok::EndOfString || next == Tok::Comma) && op.is_none() {
            op = Some(Operator::Exists);
        }
        Ok((lit, op))
    }

    fn parse_operator(&mut self) -> Result<Operator, String> {
        let (tok, lit) = self.consume(Context::KeyAndOperator);
        Ok(match tok {
            Tok::In => Operator::In,
            Tok::Equals => Operator::Equals,
            Tok::DoubleEquals => Operator::DoubleEquals,
            Tok::GreaterThan => Operator::GreaterThan,
            Tok::LessThan => Operator::LessThan,
            Tok::NotIn => Operator::NotIn,
            Tok::NotEquals => Operator::NotEquals,
            _ => {
                return Err(format!(
                    "found '{lit}', expected: in, notin, =, ==, !=, gt, lt"
                ));
            }
        })
    }

    fn parse_values(&mut self) -> Result<Vec<String>, String> {
        let (tok, lit) = self.consume(Context::Values);
        if tok != Tok::OpenPar {
            return Err(format!("found '{lit}' expected: '('"));
        }
        let (tok, lit) = self.lookahead(Context::Values);
        match tok {
            Tok::Identifier | Tok::Comma => {
                let values = self.parse_identifiers_list()?;
                let (tok, _) = self.consume(Context::Values);
                if tok != Tok::ClosedPar {
                    // kube reports the token seen before the list here; keep its wording.
                    return Err(format!("found '{lit}', expected: ')'"));
                }
                Ok(values)
            }
            Tok::ClosedPar => {
                // `()` is the set holding the empty value.
                self.consume(Context::Values);
                Ok(vec![String::new()])
            }
            _ => Err(format!("found '{lit}', expected: ',', ')' or identifier")),
        }
    }

    fn parse_identifiers_list(&mut self) -> Result<Vec<String>, String> {
        let mut values: Vec<String> = Vec::new();
        loop {
            let (tok, lit) = self.consume(Context::Values);
            match tok {
                Tok::Identifier => {
                    values.push(lit);
                    let (t2, l2) = self.lookahead(Context::Values);
                    match t2 {
                        Tok::Comma => continue,
                        Tok::ClosedPar => return Ok(values),
                        _ => return Err(format!("found '{l2}', expected: ',' or ')'")),
                    }
                }
                Tok::Comma => {
                    // Empty positions (`(,a)`, `(a,)`, `(a,,b)`) mean the empty value.
                    if values.is_empty() {
                        values.push(String::new());
                    }
                    let (t2, _) = self.lookahead(Context::Values);
                    if t2 == Tok::ClosedPar {
                        values.push(String::new());
                        return Ok(values);
                    }
                    if t2 == Tok::Comma {
                        self.consume(Context::Values);
                        values.push(String::new());
                    }
                }
                _ => return Err(format!("found '{lit}', expected: ',', or identifier")),
            }
        }
    }

    fn parse_exact_value(&mut self) -> Result<Vec<String>, String> {
        let (tok, _) = self.lookahead(Context::Values);
        if tok == Tok::EndOfString || tok == Tok::Comma {
            return Ok(vec![String::new()]);
        }
        let (tok, lit) = self.consume(Context::Values);
        if tok == Tok::Identifier {
            Ok(vec![lit])
        } else {
            Err(format!("found '{lit}', expected: identifier"))
        }
    }
}

fn build_requirement(key: &str, op: Operator, values: Vec<String>) -> Result<Requirement, String> {
    Requirement::new(key, op, values).map_err(|e| match e {
        SelectorError::Requirement(m) => m,
        other => other.to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// Field selectors
// ---------------------------------------------------------------------------------------------

/// A field-selector operator. `==` parses as [`FieldOperator::Equals`], as in kube.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldOperator {
    /// `field=value` or `field==value`
    Equals,
    /// `field!=value`
    NotEquals,
}

impl FieldOperator {
    /// The operator as written in canonical form.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldOperator::Equals => "=",
            FieldOperator::NotEquals => "!=",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FieldTerm {
    field: String,
    op: FieldOperator,
    value: String,
}

/// A parsed field selector: the AND of `field=value` / `field!=value` terms.
///
/// Field names are not checked here: which fields a kind supports is the server's business
/// (kube answers `field label not supported: x` for others).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FieldSelector {
    terms: Vec<FieldTerm>,
}

impl FieldSelector {
    /// Parses the `fieldSelector` syntax: comma-separated `f=v`, `f==v`, `f!=v`; in values `\,`,
    /// `\=` and `\\` stand for the literal characters. Empty terms are skipped; whitespace is
    /// significant, as in kube.
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        let mut terms = Vec::new();
        for part in split_terms(s) {
            if part.is_empty() {
                continue;
            }
            let Some((field, op, raw)) = split_term(part) else {
                return Err(SelectorError::FieldTerm {
                    selector: s.to_string(),
                    term: part.to_string(),
                });
            };
            terms.push(FieldTerm {
                field: field.to_string(),
                op,
                value: unescape_value(raw)?,
            });
        }
        // kube sorts terms so equal selectors print equally; sorting the canonical form keeps
        // print→parse→print stable.
        terms.sort_by_key(term_string);
        Ok(FieldSelector { terms })
    }

    /// The terms as `(field, operator, unescaped value)`, in canonical order.
    pub fn requirements(&self) -> Vec<(&str, FieldOperator, &str)> {
        self.terms
            .iter()
            .map(|t| (t.field.as_str(), t.op, t.value.as_str()))
            .collect()
    }

    /// True when there are no terms (matches everything).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether an object matches; `get` returns the object's value for a field path such as
    /// `metadata.name`. A missing field compares as the empty string, as in kube.
    pub fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.terms.iter().all(|t| {
            let actual = get(&t.field).unwrap_or_default();
            match t.op {
                FieldOperator::Equals => actual == t.value,
                FieldOperator::NotEquals => actual != t.value,
            }
        })
    }

    /// The value that `field` must equal, if some term requires it (kube's
    /// `RequiresExactMatch`), so the server can turn `metadata.name=x` into a point lookup.
    pub fn exact_match(&self, field: &str) -> Option<&str> {
        self.terms
            .iter()
            .find(|t| t.field == field && t.op == FieldOperator::Equals)
            .map(|t| t.value.as_str())
    }
}

impl fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.terms.iter().map(term_string).collect();
        f.write_str(&parts.join(","))
    }
}

impl FromStr for FieldSelector {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

fn term_string(t: &FieldTerm) -> String {
    format!("{}{}{}", t.field, t.op.as_str(), escape_value(&t.value))
}

/// Escapes a value for a field selector: `\` first, then `,` and `=`.
pub fn escape_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Splits on commas that are not backslash-escaped; escapes stay in the terms.
fn split_terms(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut in_slash = false;
    for (i, c) in s.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(&s[start..i]);
            start = i + 1;
        }
    }
    terms.push(&s[start..]);
    terms
}

/// Splits a term at the first operator; the field part has no escaping, so the first `!=`,
/// `==` or `=` wins.
fn split_term(term: &str) -> Option<(&str, FieldOperator, &str)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        for (op, kind) in [
            ("!=", FieldOperator::NotEquals),
            ("==", FieldOperator::Equals),
            ("=", FieldOperator::Equals),
        ] {
            if let Some(value) = rest.strip_prefix(op) {
                return Some((&term[..i], kind, value));
            }
        }
    }
    None
}

fn unescape_value(s: &str) -> Result<String, SelectorError> {
    let mut out = String::with_capacity(s.len());
    let mut in_slash = false;
    for c in s.chars() {
        if in_slash {
            if matches!(c, '\\' | ',' | '=') {
                out.push(c);
            } else {
                return Err(SelectorError::InvalidEscape(format!("\\{c}")));
            }
            in_slash = false;
            continue;
        }
        match c {
            '\\' => in_slash = true,
            ',' | '=' => return Err(SelectorError::UnescapedChar(c)),
            c => out.push(c),
        }
    }
    if in_slash {
        return Err(SelectorError::InvalidEscape("\\".to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    struct Case {
        name: &'static str,
        input: &'static str,
        labels: Value,
        /// `Ok(matches)` or `Err(message)`.
        want: Result<bool, &'static str>,
    }

    fn case(
        name: &'static str,
        input: &'static str,
        labels: Value,
        want: Result<bool, &'static str>,
    ) -> Case {
        Case {
            name,
            input,
            labels,
            want,
        }
    }

    #[test]
    fn label_selector_parse_and_match() {
        let web = json!({"app": "web", "tier": "fe", "replicas": "3", "empty": ""});
        let cases = vec![
            case("empty selector", "", web.clone(), Ok(true)),
            case("whitespace only", "  \t", web.clone(), Ok(true)),
            case("equals", "app=web", web.clone(), Ok(true)),
            case("equals mismatch", "app=db", web.clone(), Ok(false)),
            case("double equals", "app==web", web.clone(), Ok(true)),
            case("not equals", "app!=db", web.clone(), Ok(true)),
            case(
                "not equals matches absent",
                "zone!=a",
                web.clone(),
                Ok(true),
            ),
            case("not equals same", "app!=web", web.clone(), Ok(false)),
            case("in", "tier in (fe, be)", web.clone(), Ok(true)),
            case("in absent", "zone in (a)", web.clone(), Ok(false)),
            case("notin", "tier notin (be)", web.clone(), Ok(true)),
            case("notin listed", "tier notin (fe,be)", web.clone(), Ok(false)),
            case("notin absent", "zone notin (a)", web.clone(), Ok(true)),
            case("exists", "app", web.clone(), Ok(true)),
            case("exists absent", "zone", web.clone(), Ok(false)),
            case("does not exist", "!zone", web.clone(), Ok(true)),
            case("does not exist present", "!app", web.clone(), Ok(false)),
            case("gt", "replicas>2", web.clone(), Ok(true)),
            case("lt", "replicas<2", web.clone(), Ok(false)),
            case("gt non-integer label", "app>1", web.clone(), Ok(false)),
            case("and", "app=web,tier in (fe),!zone", web.clone(), Ok(true)),
            case("and one fails", "app=web,tier=be", web.clone(), Ok(false)),
            case(
                "spaces everywhere",
                " app = web , tier notin ( be , x ) ",
                web.clone(),
                Ok(true),
            ),
            case("empty value", "empty=", web.clone(), Ok(true)),
            case("empty in-set", "empty in ()", web.clone(), Ok(true)),
            case(
                "leading comma in set",
                "empty in (,x)",
                web.clone(),
                Ok(true),
            ),
            case(
                "prefixed key",
                "app.kubernetes.io/name=web",
                json!({"app.kubernetes.io/name": "web"}),
                Ok(true),
            ),
            case(
                "keyword as key",
                "in in (notin)",
                json!({"in": "notin"}),
                Ok(true),
            ),
            case("no labels", "app", json!({}), Ok(false)),
            case(
                "missing operator",
                "app web",
                web.clone(),
                Err(
                    "unable to parse requirement: found 'web', expected: in, notin, =, ==, !=, gt, lt",
                ),
            ),
            case(
                "in without parens",
                "app in fe",
                web.clone(),
                Err("unable to parse requirement: found 'fe' expected: '('"),
            ),
            case(
                "unclosed set",
                "app in (a",
                web.clone(),
                Err("unable to parse requirement: found '', expected: ',' or ')'"),
            ),
            case(
                "operator in set",
                "app in (=)",
                web.clone(),
                Err("unable to parse requirement: found '=', expected: ',', ')' or identifier"),
            ),
            case(
                "trailing comma",
                "app=web,",
                web.clone(),
                Err("found '', expected: identifier after ','"),
            ),
            case(
                "leading paren",
                "(app)",
                web.clone(),
                Err("found '(', expected: !, identifier, or 'end of string'"),
            ),
            case(
                "garbage after requirement",
                "!app=web",
                web.clone(),
                Err("found '=', expected: ',' or 'end of string'"),
            ),
            case(
                "double bang",
                "!!app",
                web.clone(),
                Err("unable to parse requirement: found '!', expected: identifier"),
            ),
            case(
                "bad key",
                "-app=web",
                web.clone(),
                Err(
                    "unable to parse requirement: <nil>: Invalid value: \"-app\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName' or 'my.name' or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
                ),
            ),
            case(
                "bad value",
                "app=web-",
                web.clone(),
                Err(
                    "unable to parse requirement: values[0][app]: Invalid value: \"web-\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue' or 'my_value' or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                ),
            ),
            case(
                "gt needs integer",
                "replicas>x",
                web.clone(),
                Err(
                    "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer",
                ),
            ),
            case(
                "key too long",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=x",
                web.clone(),
                Err(
                    "unable to parse requirement: <nil>: Invalid value: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": name part must be no more than 63 characters",
                ),
            ),
        ];
        for c in cases {
            let labels = c.labels.as_object().cloned().unwrap_or_default();
            match (LabelSelector::parse(c.input), c.want) {
                (Ok(sel), Ok(want)) => {
                    assert_eq!(sel.matches(&labels), want, "case {}: {sel}", c.name);
                    let btree: BTreeMap<String, String> = labels
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect();
                    assert_eq!(sel.matches_btree(&btree), want, "case {} (btree)", c.name);
                    let reparsed = LabelSelector::parse(&sel.to_string());
                    assert_eq!(reparsed.as_ref(), Ok(&sel), "case {}: round trip", c.name);
                }
                (Err(e), Err(want)) => assert_eq!(e.to_string(), want, "case {}", c.name),
                (got, want) => panic!("case {}: got {got:?}, want {want:?}", c.name),
            }
        }
    }

    #[test]
    fn label_selector_canonical_string() {
        let cases = [
            (
                "sorted by key, values sorted",
                "tier in (b,a),app=web",
                "app=web,tier in (a,b)",
            ),
            ("spacing normalised", " !zone ,  app ", "app,!zone"),
            ("double equals kept", "a==b", "a==b"),
            ("notin", "a notin ( y , x , x )", "a notin (x,y)"),
            ("empty value in set", "a in (x,)", "a in (,x)"),
            ("gt", "a > 5", "a>5"),
        ];
        for (name, input, want) in cases {
            let sel = LabelSelector::parse(input).unwrap_or_else(|e| panic!("case {name}: {e}"));
            assert_eq!(sel.to_string(), want, "case {name}");
        }
        assert!(LabelSelector::parse("").is_ok_and(|s| s.is_empty()));
        assert!(!LabelSelector::parse("a").is_ok_and(|s| s.is_empty()));
    }

    #[test]
    fn label_selector_from_json() {
        struct JsonCase {
            name: &'static str,
            input: Value,
            want: Result<&'static str, &'static str>,
        }
        let cases = vec![
            JsonCase {
                name: "labels and expressions",
                input: json!({"matchLabels": {"app": "web"}, "matchExpressions": [
                    {"key": "tier", "operator": "In", "values": ["fe", "be"]},
                    {"key": "zone", "operator": "DoesNotExist"},
                    {"key": "env", "operator": "NotIn", "values": ["dev"]},
                    {"key": "team", "operator": "Exists"}]}),
                want: Ok("app=web,env notin (dev),team,tier in (be,fe),!zone"),
            },
            JsonCase {
                name: "empty object is everything",
                input: json!({}),
                want: Ok(""),
            },
            JsonCase {
                name: "In without values",
                input: json!({"matchExpressions": [{"key": "a", "operator": "In"}]}),
                want: Err(
                    "matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
                ),
            },
            JsonCase {
                name: "NotIn with empty values",
                input: json!({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": []}]}),
                want: Err(
                    "matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
                ),
            },
            JsonCase {
                name: "Exists with values",
                input: json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}),
                want: Err(
                    "matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                ),
            },
            JsonCase {
                name: "unknown operator",
                input: json!({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]}),
                want: Err(
                    "matchExpressions[0].operator: Invalid value: \"Gt\": not a valid selector operator",
                ),
            },
            JsonCase {
                name: "bad matchLabels value",
                input: json!({"matchLabels": {"app": "-x"}}),
                want: Err(
                    "matchLabels: Invalid value: \"-x\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue' or 'my_value' or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                ),
            },
            JsonCase {
                name: "not an object",
                input: json!("app=web"),
                want: Err("Invalid value: \"app=web\": must be an object"),
            },
        ];
        for c in cases {
            let got = LabelSelector::from_label_selector_json(&c.input);
            match (got, c.want) {
                (Ok(sel), Ok(want)) => assert_eq!(sel.to_string(), want, "case {}", c.name),
                (Err(e), Err(want)) => assert_eq!(e.to_string(), want, "case {}", c.name),
                (got, want) => panic!("case {}: got {got:?}, want {want:?}", c.name),
            }
        }
        let nothing = from_label_selector_json(&Value::Null).expect("null is valid");
        assert!(nothing.is_nothing() && !nothing.is_empty());
        assert!(!nothing.matches(&Map::new()));
        let obj = json!({"metadata": {"labels": {"app": "web"}}});
        let sel = LabelSelector::parse("app=web").expect("valid");
        assert!(sel.matches_object(&obj));
        assert!(!sel.matches_object(&json!({"metadata": {}})));
    }

    struct FieldCase {
        name: &'static str,
        input: &'static str,
        fields: &'static [(&'static str, &'static str)],
        want: Result<bool, &'static str>,
    }

    #[test]
    fn field_selector_parse_and_match() {
        const POD: &[(&str, &str)] = &[
            ("metadata.name", "web"),
            ("metadata.namespace", "default"),
            ("status.phase", "Running"),
            ("spec.nodeName", "a,b=c\\d"),
        ];
        let cases = vec![
            FieldCase {
                name: "empty",
                input: "",
                fields: POD,
                want: Ok(true),
            },
            FieldCase {
                name: "equals",
                input: "metadata.name=web",
                fields: POD,
                want: Ok(true),
            },
            FieldCase {
                name: "double equals",
                input: "metadata.name==web",
                fields: POD,
                want: Ok(true),
            },
            FieldCase {
                name: "not equals",
                input: "status.phase!=Running",
                fields: POD,
                want: Ok(false),
            },
            FieldCase {
                name: "and",
                input: "metadata.name=web,metadata.namespace=default",
                fields: POD,
                want: Ok(true),
            },
            FieldCase {
                name: "and mismatch",
                input: "metadata.name=web,metadata.namespace=kube-system",
                fields: POD,
                want: Ok(false),
            },
            FieldCase {
                name: "missing field is empty",
                input: "spec.other=",
                fields: POD,
                want: Ok(true),
            },
            FieldCase {
                name: "missing field not equals",
                input: "spec.other!=x",
                fields: POD,
                want: Ok(true),
            },
            FieldCase {
                name: "escaped value",
                input: r"spec.nodeName=a\,b\=c\\d",
                fields: POD,
                want: Ok(true),
            },
            FieldCase {
                name: "empty terms skipped",
                input: "metadata.name=web,,",
                fields: POD,
                want: Ok(true),
            },
            FieldCase {
                name: "no operator",
                input: "metadata.name",
                fields: POD,
                want: Err("invalid selector: 'metadata.name'; can't understand 'metadata.name'"),
            },
            FieldCase {
                name: "bad escape",
                input: r"a=b\c",
                fields: POD,
                want: Err(r"invalid field selector: invalid escape sequence: \c"),
            },
            FieldCase {
                name: "trailing backslash",
                input: "a=b\\",
                fields: POD,
                want: Err(r"invalid field selector: invalid escape sequence: \"),
            },
            FieldCase {
                name: "unescaped equals",
                input: "a=b=c",
                fields: POD,
                want: Err("invalid field selector: unescaped character in value: 61"),
            },
        ];
        for c in cases {
            let get = |f: &str| {
                c.fields
                    .iter()
                    .find(|(k, _)| *k == f)
                    .map(|(_, v)| v.to_string())
            };
            match (FieldSelector::parse(c.input), c.want) {
                (Ok(sel), Ok(want)) => {
                    assert_eq!(sel.matches(get), want, "case {}", c.name);
                    assert_eq!(
                        FieldSelector::parse(&sel.to_string()).as_ref(),
                        Ok(&sel),
                        "case {}: round trip",
                        c.name
                    );
                }
                (Err(e), Err(want)) => assert_eq!(e.to_string(), want, "case {}", c.name),
                (got, want) => panic!("case {}: got {got:?}, want {want:?}", c.name),
            }
        }
    }

    #[test]
    fn field_selector_accessors() {
        let sel = FieldSelector::parse("status.phase!=Failed,metadata.name==web").expect("valid");
        assert_eq!(sel.exact_match("metadata.name"), Some("web"));
        assert_eq!(sel.exact_match("status.phase"), None);
        assert_eq!(
            sel.requirements(),
            vec![
                ("metadata.name", FieldOperator::Equals, "web"),
                ("status.phase", FieldOperator::NotEquals, "Failed"),
            ]
        );
        assert_eq!(sel.to_string(), "metadata.name=web,status.phase!=Failed");
        assert!(FieldSelector::parse("").is_ok_and(|s| s.is_empty()));
    }

    fn key_strategy() -> impl Strategy<Value = String> {
        let name = "[A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?";
        let prefix = proptest::option::of("[a-z0-9]{1,5}(\\.[a-z0-9]{1,5}){0,2}");
        (prefix, name).prop_map(|(p, n)| match p {
            Some(p) => format!("{p}/{n}"),
            None => n,
        })
    }

    fn value_strategy() -> impl Strategy<Value = String> {
        "([A-Za-z0-9]([-A-Za-z0-9_.]{0,8}[A-Za-z0-9])?)?"
    }

    fn requirement_strategy() -> impl Strategy<Value = Requirement> {
        let ops = prop_oneof![
            Just(Operator::Equals),
            Just(Operator::DoubleEquals),
            Just(Operator::NotEquals),
            Just(Operator::In),
            Just(Operator::NotIn),
            Just(Operator::Exists),
            Just(Operator::DoesNotExist),
            Just(Operator::GreaterThan),
            Just(Operator::LessThan),
        ];
        (
            key_strategy(),
            ops,
            proptest::collection::vec(value_strategy(), 1..4),
            any::<i32>().prop_map(|n| n.unsigned_abs().to_string()),
        )
            .prop_map(|(key, op, mut values, number)| {
                match op {
                    Operator::Exists | Operator::DoesNotExist => values.clear(),
                    Operator::GreaterThan | Operator::LessThan => values = vec![number],
                    Operator::In | Operator::NotIn => {}
                    _ => values.truncate(1),
                }
                Requirement::new(&key, op, values).expect("generated requirement is valid")
            })
    }

    proptest! {
        #[test]
        fn label_selector_display_round_trips(reqs in proptest::collection::vec(requirement_strategy(), 0..5)) {
            let sel = LabelSelector::from_requirements(reqs);
            let printed = sel.to_string();
            let parsed = LabelSelector::parse(&printed);
            prop_assert_eq!(parsed.as_ref(), Ok(&sel), "printed {:?}", printed);
        }

        #[test]
        fn label_selector_parse_never_panics(s in "\\PC{0,40}") {
            if let Ok(sel) = LabelSelector::parse(&s) {
                let printed = sel.to_string();
                prop_assert_eq!(LabelSelector::parse(&printed), Ok(sel));
            }
        }

        /// Random strings rarely parse; sequences of the grammar's own tokens reach every branch
        /// of the parser, and whatever parses must print back to itself.
        #[test]
        fn label_selector_token_soup(tokens in proptest::collection::vec(prop_oneof![
            Just("a"), Just("b.c/d"), Just("in"), Just("notin"), Just("="), Just("=="),
            Just("!="), Just("!"), Just("("), Just(")"), Just(","), Just(" "), Just("<"),
            Just(">"), Just("1"), Just("-x"), Just("")
        ], 0..12)) {
            let s: String = tokens.concat();
            if let Ok(sel) = LabelSelector::parse(&s) {
                let printed = sel.to_string();
                let reparsed = LabelSelector::parse(&printed);
                prop_assert_eq!(reparsed.as_ref(), Ok(&sel), "input {:?}", s);
            }
        }

        #[test]
        fn field_selector_round_trips(terms in proptest::collection::vec(("[a-z.]{1,12}", any::<bool>(), "\\PC{0,10}"), 0..4)) {
            let sel = FieldSelector {
                terms: {
                    let mut t: Vec<FieldTerm> = terms.into_iter().map(|(field, ne, value)| FieldTerm {
                        field,
                        op: if ne { FieldOperator::NotEquals } else { FieldOperator::Equals },
                        value,
                    }).collect();
                    t.sort_by_key(term_string);
                    t
                },
            };
            let parsed = FieldSelector::parse(&sel.to_string());
            prop_assert_eq!(parsed.as_ref(), Ok(&sel));
        }

        #[test]
        fn field_selector_parse_never_panics(s in "\\PC{0,40}") {
            let _ = FieldSelector::parse(&s);
        }
    }
}

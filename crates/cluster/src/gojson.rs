//! A JSON writer producing exactly what Go's `json.MarshalIndent(v, "", " ")` produces, so files
//! round-trip byte for byte with Charon: one-space indentation, fields in struct order, and Go's
//! string escaping (`<`, `>`, `&`, U+2028 and U+2029 escaped).

/// A JSON value with ordered object fields.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum GoJson {
    /// `null`
    Null,
    /// `true`/`false`
    Bool(bool),
    /// A number, already formatted.
    Num(String),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<GoJson>),
    /// An object, fields in output order.
    Obj(Vec<(&'static str, GoJson)>),
}

impl GoJson {
    /// A string value.
    pub(crate) fn str(s: impl Into<String>) -> Self {
        GoJson::Str(s.into())
    }

    /// An unsigned number.
    pub(crate) fn u64(n: u64) -> Self {
        GoJson::Num(n.to_string())
    }

    /// Renders like Go's `json.MarshalIndent(v, "", " ")`, without a trailing newline.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out
    }

    fn write(&self, out: &mut String, depth: usize) {
        match self {
            GoJson::Null => out.push_str("null"),
            GoJson::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            GoJson::Num(n) => out.push_str(n),
            GoJson::Str(s) => write_go_string(out, s),
            GoJson::Arr(items) => {
                if items.is_empty() {
                    out.push_str("[]");
                    return;
                }
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, depth + 1);
                    item.write(out, depth + 1);
                }
                newline(out, depth);
                out.push(']');
            }
            GoJson::Obj(fields) => {
                if fields.is_empty() {
                    out.push_str("{}");
                    return;
                }
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, depth + 1);
                    write_go_string(out, key);
                    out.push_str(": ");
                    value.write(out, depth + 1);
                }
                newline(out, depth);
                out.push('}');
            }
        }
    }
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push(' ');
    }
}

/// Writes `s` as a quoted JSON string escaped the way Go's encoding/json escapes it.
fn write_go_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{0}'..='\u{1f}' => {
                let b = c as u32 as u8;
                out.push_str("\\u00");
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 0xf) as usize] as char);
            }
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_go_marshal_indent() {
        let v = GoJson::Obj(vec![
            ("a", GoJson::Arr(vec![GoJson::u64(1), GoJson::Null])),
            ("b", GoJson::Arr(vec![])),
            ("c", GoJson::Obj(vec![("d", GoJson::Bool(true))])),
        ]);
        assert_eq!(
            v.render(),
            "{\n \"a\": [\n  1,\n  null\n ],\n \"b\": [],\n \"c\": {\n  \"d\": true\n }\n}"
        );
    }

    #[test]
    fn escapes_like_go() {
        let v = GoJson::str("a<b>&\"\\\n\u{1}\u{2028}é");
        assert_eq!(
            v.render(),
            "\"a\\u003cb\\u003e\\u0026\\\"\\\\\\n\\u0001\\u2028é\""
        );
    }
}

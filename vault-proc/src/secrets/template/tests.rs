//! Table-driven tests of the template grammar.

use super::*;

type Expect = Result<&'static [(&'static str, &'static str, usize)], usize>;

fn long(n: usize) -> String {
    "n".repeat(n)
}

#[test]
fn grammar_table() {
    let name128 = format!("{{{{secrets.{}.f}}}}", long(128));
    let name129 = format!("{{{{secrets.{}.f}}}}", long(129));
    let cases: Vec<(&str, Expect)> = vec![
        // valid
        ("", Ok(&[])),
        ("plain text, no references", Ok(&[])),
        ("{{secrets.a.b}}", Ok(&[("a", "b", 0)])),
        ("x {{secrets.cf.token}} y", Ok(&[("cf", "token", 2)])),
        (
            "{{secrets.a.b}}{{secrets.c.d}}",
            Ok(&[("a", "b", 0), ("c", "d", 15)]),
        ),
        ("{{secrets._a-1.F_2-x}}", Ok(&[("_a-1", "F_2-x", 0)])),
        (
            "{{secrets.basicAuth.username}}:{{secrets.basicAuth.password}}",
            Ok(&[("basicAuth", "username", 0), ("basicAuth", "password", 31)]),
        ),
        ("{{other}}", Ok(&[])),
        ("{{ other }}", Ok(&[])),
        ("}} {{", Ok(&[])),
        ("a{{b", Ok(&[])),
        ("{{secret.a.b}}", Ok(&[])),
        ("{{{secrets.a.b}}}", Ok(&[("a", "b", 1)])),
        ("{{secrets.a.b}}}", Ok(&[("a", "b", 0)])),
        ("{{ {{secrets.a.b}}", Ok(&[("a", "b", 3)])),
        (
            "h\u{e9}llo {{secrets.a.b}} w\u{f6}rld \u{1f512}",
            Ok(&[("a", "b", 7)]),
        ),
        // invalid: unterminated, empty and extra parts
        ("{{secrets", Err(9)),
        ("{{secrets.a", Err(11)),
        ("{{secrets.a.b", Err(13)),
        ("{{secrets.a.b}", Err(14)),
        ("{{secrets}}", Err(9)),
        ("{{secrets.}}", Err(10)),
        ("{{secrets..b}}", Err(10)),
        ("{{secrets.a}}", Err(11)),
        ("{{secrets.a.}}", Err(12)),
        ("{{secrets.a.b.c}}", Err(13)),
        ("{{secretsauce}}", Err(9)),
        // invalid: whitespace inside the braces, wrong case
        ("{{ secrets.a.b }}", Err(2)),
        ("{{\tsecrets.a.b}}", Err(2)),
        ("{{secrets .a.b}}", Err(9)),
        ("{{secrets.a .b}}", Err(11)),
        ("{{secrets.a.b }}", Err(13)),
        ("{{Secrets.a.b}}", Err(2)),
        ("{{SECRETS.a.b}}", Err(2)),
        // invalid: nesting, bad characters, unicode
        ("{{secrets.{{secrets.a.b}}.c}}", Err(10)),
        ("{{secrets.a.{{secrets.b.c}}}}", Err(12)),
        ("{{secrets.9a.b}}", Err(10)),
        ("{{secrets.a/b.c}}", Err(11)),
        ("{{secrets.a-b.c d}}", Err(15)),
        ("{{secrets.n\u{e4}m\u{e9}.x}}", Err(11)),
        ("{{secrets.\u{e9}.b}}", Err(10)),
        ("ok {{secrets.a.b}} then {{secrets.c", Err(35)),
        (&name128, Ok(&[])), // checked separately below
        (&name129, Err(138)),
    ];
    assert!(cases.len() >= 30);
    for (input, expect) in cases {
        let got = references(input);
        match (expect, got) {
            (Ok(_), Ok(_)) if input == name128 => {}
            (Ok(want), Ok(refs)) => {
                let refs: Vec<(&str, &str, usize)> = refs
                    .iter()
                    .map(|r| (r.name.as_str(), r.field.as_str(), r.offset as usize))
                    .collect();
                assert_eq!(refs, want, "input {input:?}");
            }
            (Err(off), Err(e)) => assert_eq!(e.offset(), Some(off), "input {input:?}: {e}"),
            (want, got) => panic!("input {input:?}: expected {want:?}, got {got:?}"),
        }
    }
    assert_eq!(references(&name128).map(|r| r.len()), Ok(1));
}

#[test]
fn segments_keep_text_byte_for_byte() -> Result<(), TemplateError> {
    let input = "a }} {{x}} {{secrets.cf.token}} \u{1f512}";
    let segs = parse(input)?;
    assert_eq!(segs.len(), 3);
    assert_eq!(segs[0], Segment::Text("a }} {{x}} "));
    assert!(matches!(
        segs[1],
        Segment::Reference(Reference {
            name: "cf",
            field: "token",
            offset: 11,
            len: 20
        })
    ));
    assert_eq!(segs[2], Segment::Text(" \u{1f512}"));
    Ok(())
}

#[test]
fn errors_say_what_was_expected_and_found() {
    let e = parse("{{secrets.a.b.c}}").err();
    let msg = e.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        msg.contains("byte 13") && msg.contains("exactly two parts") && msg.contains("`.`"),
        "{msg}"
    );
    let msg = parse("{{secrets.a")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(msg.contains("end of input"), "{msg}");
    let msg = parse("{{ secrets.a.b}}")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(msg.contains("whitespace"), "{msg}");
}

#[test]
fn wire_error_carries_the_offset() {
    let w = parse("{{secrets..b}}").err().map(WireError::from);
    assert_eq!(w.as_ref().map(|w| w.code.as_str()), Some("validation"));
    assert_eq!(w.and_then(|w| w.offset), Some(10));
}

#[test]
fn one_mib_limit() {
    let ok = "x".repeat(MAX_TEMPLATE_BYTES);
    assert!(parse(&ok).is_ok());
    let too_big = "x".repeat(MAX_TEMPLATE_BYTES + 1);
    assert_eq!(
        parse(&too_big).err(),
        Some(TemplateError::TooLarge {
            len: MAX_TEMPLATE_BYTES + 1,
            limit: MAX_TEMPLATE_BYTES
        })
    );
}

#[test]
fn adversarial_inputs_parse_in_linear_time() -> Result<(), TemplateError> {
    let start = std::time::Instant::now();
    let braces = "{".repeat(MAX_TEMPLATE_BYTES);
    assert!(parse(&braces)?.len() == 1);
    let opens = "{{ ".repeat(MAX_TEMPLATE_BYTES / 3);
    assert!(parse(&opens)?.len() == 1);
    let refs = "{{secrets.a.b}}".repeat(MAX_TEMPLATE_BYTES / 15);
    assert_eq!(references(&refs)?.len(), MAX_TEMPLATE_BYTES / 15);
    let spaces = format!("{{{{{}", " ".repeat(MAX_TEMPLATE_BYTES - 2));
    assert!(parse(&spaces)?.len() == 1);
    // Quadratic behaviour on 1 MiB would take minutes; linear takes well under this.
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
    Ok(())
}

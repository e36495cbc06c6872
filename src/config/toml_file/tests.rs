use super::*;
use crate::config::validate::{validate as lint, Level};

fn no_env(_: &str) -> Option<String> {
    None
}

fn parse_ok(text: &str) -> Document {
    parse("c.toml", text, &no_env).unwrap_or_else(|e| panic!("{e}"))
}

fn value(doc: &Document, section: &str, key: &str) -> Typed {
    let s = doc.sections.iter().find(|s| s.id.as_deref() == Some(section) || s.kind == section).unwrap();
    s.entries.iter().find(|e| e.key == key).unwrap().value.clone()
}

#[test]
fn typed_strings_become_typed_values() {
    let doc = parse_ok(
        r#"
[DATA_NODE.a]
i = "1000:int"
f = "1.5:float"
b = "True:bool"
d = "2024-01-31T08:00:00:datetime"
t = "1d2h3m4s:timedelta"
s = "SCENARIO:SCOPE"
q = "DAILY:FREQUENCY"
r = "b:SECTION"
fn = "algos.algo.f:function"
c = "pkg.Cls:class"
url = "http://example.com"
note = "note:todo"
l = ["x:SECTION", "2:int"]
"#,
    );
    assert_eq!(value(&doc, "a", "i"), Typed::Int(1000));
    assert_eq!(value(&doc, "a", "f"), Typed::Float(1.5));
    assert_eq!(value(&doc, "a", "b"), Typed::Bool(true));
    assert_eq!(value(&doc, "a", "d"), Typed::Datetime("2024-01-31T08:00:00".into()));
    assert_eq!(value(&doc, "a", "t"), Typed::Timedelta(93_784.0));
    assert_eq!(value(&doc, "a", "s"), Typed::Scope("SCENARIO".into()));
    assert_eq!(value(&doc, "a", "q"), Typed::Frequency("DAILY".into()));
    assert_eq!(value(&doc, "a", "r"), Typed::Section("b".into()));
    assert_eq!(value(&doc, "a", "fn"), Typed::Function("algos.algo.f".into()));
    assert_eq!(value(&doc, "a", "c"), Typed::Class("pkg.Cls".into()));
    assert_eq!(value(&doc, "a", "url"), Typed::Str("http://example.com".into()));
    assert_eq!(value(&doc, "a", "note"), Typed::Str("note:todo".into()));
    assert_eq!(value(&doc, "a", "l"), Typed::List(vec![Typed::Section("x".into()), Typed::Int(2)]));
}

#[test]
fn env_templates_resolve_and_are_written_back() {
    let env = |v: &str| (v == "PORT").then(|| "8080".to_string());
    let doc = parse("c.toml", "[JOB]\nmax_nb_of_workers = \"ENV[PORT]:int\"\n", &env).unwrap();
    assert_eq!(value(&doc, "JOB", "max_nb_of_workers"), Typed::Int(8080));
    assert!(write(&doc).contains("\"ENV[PORT]:int\""));
    let err = parse("c.toml", "[JOB]\n\nmode = \"ENV[MODE]\"\n", &no_env).unwrap_err();
    assert_eq!((err.line, err.column), (3, 8));
    assert!(err.message.contains("environment variable MODE is not set"), "{err}");
}

#[test]
fn file_errors_name_file_line_and_column() {
    let err = parse("conf/c.toml", "[TASK.t]\nskippable = \"abc:bool\"\n", &no_env).unwrap_err();
    assert_eq!((err.file.as_str(), err.line, err.column), ("conf/c.toml", 2, 13));
    assert!(err.to_string().starts_with("conf/c.toml:2:13: skippable: \"abc\" is not a boolean"), "{err}");
    let err = parse("c.toml", "[DATA_NODE.a]\nx = \"abc:int\"\n", &no_env).unwrap_err();
    assert!(err.message.contains("\"abc\" is not an integer"), "{err}");
    let err = parse("c.toml", "[DATA_NODE.a]\nx = \"12:intt\"\n", &no_env).unwrap_err();
    assert!(err.message.contains("unknown type :intt (did you mean int?)"), "{err}");
    let err = parse("c.toml", "[DATA_NODE.a]\nx = = 3\n", &no_env).unwrap_err();
    assert_eq!(err.line, 2);
    assert!(err.message.starts_with("invalid TOML"), "{err}");
}

#[test]
fn write_then_parse_is_the_same_document() {
    let text = r#"
[TAIPY]
[JOB]
mode = "standalone"
max_nb_of_workers = "2:int"
[DATA_NODE.a]
default_data = "1e-7:float"
name = "looks:int:str"
period = "1d0.5s:timedelta"
[TASK.t]
function = "m.f:function"
inputs = ["a:SECTION"]
outputs = []
skippable = "False:bool"
[SCENARIO.s]
tasks = ["t:SECTION"]
[SCENARIO.s.sequences]
seq = ["t:SECTION"]
"#;
    let doc = parse_ok(text);
    let again = parse_ok(&write(&doc));
    let strip = |d: &Document| {
        let mut d = d.clone();
        for s in &mut d.sections {
            s.line = None;
            for e in &mut s.entries {
                (e.line, e.column) = (None, None);
                if let Typed::Table(sub) = &mut e.value {
                    sub.iter_mut().for_each(|x| (x.line, x.column) = (None, None));
                }
            }
        }
        d
    };
    assert_eq!(strip(&doc), strip(&again));
}

#[test]
fn timedelta_format_reads_back() {
    for seconds in [0.0, 1.0, 59.5, 3_600.0, 93_784.0, 90_061.25] {
        assert_eq!(parse_timedelta(&format_timedelta(seconds)), Some(seconds), "{seconds}");
    }
    assert_eq!(parse_timedelta("2h1d"), None);
    assert_eq!(parse_timedelta("5x"), None);
}

fn errors(text: &str) -> Vec<String> {
    lint(&parse_ok(text))
        .into_iter()
        .filter(|i| i.level == Level::Error)
        .map(|i| format!("{}:{} [{}] {}", i.line.unwrap_or(0), i.key.unwrap_or_default(), i.section, i.message))
        .collect()
}

#[test]
fn lint_rules_name_the_culprit() {
    let e = errors("[DATA_NODES.a]\n");
    assert!(e[0].contains("unknown section [DATA_NODES] (did you mean DATA_NODE?)"), "{e:?}");
    let e = errors("[DATA_NODE.a]\ndefault_dta = 3\n");
    assert!(
        e[0].starts_with("2:default_dta [DATA_NODE.a] unknown key \"default_dta\" (did you mean default_data?)"),
        "{e:?}"
    );
    let e = errors("[DATA_NODE.a]\nstorage_type = \"parqet\"\n");
    assert!(e[0].contains("unknown storage_type \"parqet\" (did you mean parquet?)"), "{e:?}");
    let e = errors("[DATA_NODE.a]\nstorage_type = \"csv\"\ndefault_data = \"3:int\"\n");
    assert!(e[0].contains("default_data of a csv data node must be a table"), "{e:?}");
    let e = errors("[DATA_NODE.a]\n[TASK.t]\nfunction = \"m.f:function\"\ninputs = [\"a:SECTION\", \"b:SECTION\"]\n");
    assert!(e[0].contains("inputs \"b\" is not a [DATA_NODE.b] section"), "{e:?}");
    let e = errors(
        "[DATA_NODE.a]\n[TASK.t]\nfunction = \"m.f:function\"\ninputs = [\"a:SECTION\"]\noutputs = [\"a:SECTION\"]\n",
    );
    assert!(e[0].contains("data node \"a\" is both an input and an output"), "{e:?}");
    let cycle = "[DATA_NODE.a]\n[DATA_NODE.b]\n[TASK.t]\nfunction = \"m.f:function\"\ninputs = [\"a:SECTION\"]\n\
                 outputs = [\"b:SECTION\"]\n[TASK.u]\nfunction = \"m.g:function\"\ninputs = [\"b:SECTION\"]\noutputs = [\"a:SECTION\"]\n";
    let e = errors(cycle);
    assert!(e.iter().any(|m| m.contains("cycle through tasks \"t\", \"u\" and data nodes \"a\", \"b\"")), "{e:?}");
    let twice = "[DATA_NODE.a]\n[TASK.t]\nfunction = \"m.f:function\"\noutputs = [\"a:SECTION\"]\n[TASK.u]\n\
                 function = \"m.g:function\"\noutputs = [\"a:SECTION\"]\n[SCENARIO.s]\ntasks = [\"t:SECTION\", \"u:SECTION\"]\n";
    let e = errors(twice);
    assert!(e[0].contains("data node \"a\" is written by more than one task (\"t\" and \"u\")"), "{e:?}");
    let e = errors("[SCENARIO.s]\ntasks = [\"nope:SECTION\"]\n");
    assert!(e[0].contains("task \"nope\" is not a [TASK.nope] section"), "{e:?}");
    let e = errors("[JOB]\nmode = \"standalon\"\n");
    assert!(e[0].contains("(did you mean standalone?)"), "{e:?}");
    let warnings = lint(&parse_ok("[DATA_NODE.a]\nowner = \"me\"\n"));
    assert_eq!(warnings[0].level, Level::Warning, "a custom property is allowed");
}

#[test]
fn database_and_generic_nodes_name_what_they_miss() {
    let e = errors("[DATA_NODE.sales]\nstorage_type = \"sql_table\"\ndb_engine = \"postgresql\"\ndb_name = \"shop\"\n");
    assert!(e.iter().any(|m| m.contains("a sql_table data node needs table_name")), "{e:?}");
    assert!(e.iter().any(|m| m.contains("a sql_table data node on postgresql needs db_username")), "{e:?}");
    let e = errors("[DATA_NODE.sales]\nstorage_type = \"sql_table\"\ndb_engine = \"sqlit\"\ntable_name = \"t\"\n");
    assert!(e.iter().any(|m| m.contains("unknown db_engine \"sqlit\" (did you mean sqlite?)")), "{e:?}");
    let e = errors("[DATA_NODE.g]\nstorage_type = \"generic\"\n");
    assert!(e[0].contains("a generic data node needs a read_fct or a write_fct"), "{e:?}");
    let fine =
        "[DATA_NODE.s]\nstorage_type = \"sql_table\"\ndb_engine = \"sqlite\"\ndb_name = \"shop\"\ntable_name = \"t\"\n";
    assert!(errors(fine).is_empty(), "{:?}", errors(fine));
}

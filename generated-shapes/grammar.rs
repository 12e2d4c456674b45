//! A small grammar of function shapes, and a seeded generator of cases.
//!
//! Each case is one function `f(x: u8, s: &str)`, written twice: plain, and
//! under `#[traced(…)]` with options drawn at random. Its shape (a plain
//! function, an `async fn`, a function returning `impl Future`, a boxed
//! future, `impl Fn(&u8)` or a boxed closure), its return type and its body
//! (statements, then a tail) are drawn from the rules below. Every rule
//! writes code that compiles without a warning whatever the other rules
//! drew, so that any failure is the macro's.
//!
//! Used by `build.rs`; the cases are run by `tests/same_behaviour.rs`.

use std::fmt::Write as _;

/// Generates `count` cases from `seed`, as the text of a Rust file.
pub fn generate(seed: u64, count: usize) -> String {
    let mut out = String::new();
    let mut table = String::new();
    for index in 0..count {
        let case_seed = seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(index as u64);
        let case = Case::draw(&mut Rng(case_seed));
        let _ = write!(out, "{}", case.module(index));
        let _ = writeln!(table, "    &case_{index}::CASE,");
    }
    let _ = write!(
        out,
        "\n/// Every generated case.\npub static CASES: &[&Case] = &[\n{table}];\n"
    );
    out
}

/// SplitMix64: small, seeded, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A constant for expressions: 1 to 20.
    fn constant(&mut self) -> u64 {
        1 + self.below(20)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// How the function delivers its value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Sync,
    Async,
    ImplFuture,
    BoxedFuture,
    ImplFn,
    BoxedFn,
}

impl Shape {
    fn is_closure(self) -> bool {
        matches!(self, Shape::ImplFn | Shape::BoxedFn)
    }
}

/// The type of the value the caller finally gets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ret {
    U8,
    Unit,
    Option,
    /// `Result<u8, String>`
    Text,
    /// `Result<u8, crate::Error>`, converted from `String` and `ParseIntError`
    Error,
    /// `Result<u8, crate::Full<&str>>`: an error that borrows
    Borrowed,
}

impl Ret {
    fn type_name(self) -> &'static str {
        match self {
            Ret::U8 => "u8",
            Ret::Unit => "()",
            Ret::Option => "Option<u8>",
            Ret::Text => "Result<u8, String>",
            Ret::Error => "Result<u8, crate::Error>",
            Ret::Borrowed => "Result<u8, crate::Full<&'a str>>",
        }
    }

    fn is_result(self) -> bool {
        matches!(self, Ret::Text | Ret::Error | Ret::Borrowed)
    }

    /// A value of this type made from the `u8` expression `e`: a success
    /// or, where the type has one, a failure.
    fn value(self, rng: &mut Rng, e: &str) -> String {
        let fail = rng.chance(40);
        match (self, fail) {
            (Ret::U8, _) => e.to_owned(),
            (Ret::Unit, _) => format!("crate::consume({e})"),
            (Ret::Option, false) => format!("Some({e})"),
            // `None` once the value passes 55: the value is still used.
            (Ret::Option, true) => format!("({e}).checked_add(200)"),
            (_, false) => format!("Ok({e})"),
            (Ret::Text, true) => format!("Err(format!(\"failed at {{}}\", {e}))"),
            (Ret::Error, true) if rng.chance(50) => {
                format!("Err(crate::Error::Message(format!(\"failed at {{}}\", {e})))")
            }
            (Ret::Error, true) => format!("Err(format!(\"converted at {{}}\", {e}).into())"),
            (Ret::Borrowed, true) => {
                format!("Err(crate::Full(&s[..s.len().min(usize::from({e}))]))")
            }
        }
    }
}

/// Where statements run: what they may do to leave.
#[derive(Clone, Copy)]
struct Scope {
    ret: Ret,
    /// `return` and `?` leave the function (or the closure or async block
    /// that holds them) with a value of `ret`.
    may_exit: bool,
    /// `.await` is allowed.
    in_async: bool,
}

impl Scope {
    /// A body whose exits leave with a value of `ret`.
    fn body(ret: Ret) -> Self {
        Scope {
            ret,
            may_exit: true,
            in_async: false,
        }
    }

    /// The body of an `async fn` or block.
    fn async_body(ret: Ret) -> Self {
        Scope {
            in_async: true,
            ..Scope::body(ret)
        }
    }

    /// The statements of a function returning a future or a closure,
    /// before it: no exit can return a value of `ret` from there.
    fn outer(ret: Ret) -> Self {
        Scope {
            may_exit: false,
            ..Scope::body(ret)
        }
    }
}

struct Case {
    shape: Shape,
    ret: Ret,
    options: Vec<&'static str>,
    signature: String,
    body: String,
}

impl Case {
    fn draw(rng: &mut Rng) -> Case {
        let shape = rng.pick(&[
            Shape::Sync,
            Shape::Sync,
            Shape::Sync,
            Shape::Async,
            Shape::ImplFuture,
            Shape::BoxedFuture,
            Shape::ImplFn,
            Shape::BoxedFn,
        ]);
        let ret = rng.pick(&[
            Ret::U8,
            Ret::Unit,
            Ret::Option,
            Ret::Text,
            Ret::Text,
            Ret::Error,
            Ret::Error,
            Ret::Borrowed,
        ]);
        let options = draw_options(rng, shape);
        let mut body = Body::new(rng);
        let (signature, text) = body.function(shape, ret);
        Case {
            shape,
            ret,
            options,
            signature,
            body: text,
        }
    }

    /// `mod case_N { plain, traced, and how to run them }`.
    fn module(&self, index: usize) -> String {
        let plain = format!("{} {{\n{}}}\n", self.signature, self.body);
        let traced = format!(
            "#[otel_runtime::traced({})]\n{plain}",
            self.options.join(", ")
        );
        let call = match self.shape {
            Shape::Sync => "f(x, s)",
            Shape::Async | Shape::ImplFuture | Shape::BoxedFuture => {
                "::futures::executor::block_on(f(x, s))"
            }
            Shape::ImplFn | Shape::BoxedFn => "f(x, s)(&x)",
        };
        let records_outcome = !self.shape.is_closure();
        let err_off = self.options.contains(&"err(off)");
        let skip_s = self.options.contains(&"skip(s)");
        let ret = self.options.contains(&"ret");
        let source = traced.replace('\\', "\\\\").replace('"', "\\\"");
        format!(
            "
mod case_{index} {{
    #[allow(unused_imports)]
    use super::*;
    pub mod plain {{
        #[allow(unused_imports)]
        use super::*;
        {plain}
    }}
    pub mod traced {{
        #[allow(unused_imports)]
        use super::*;
        {traced}
    }}
    fn run(traced: bool, x: u8, s: &str) -> String {{
        if traced {{
            use self::traced::f;
            format!(\"{{:?}}\", {call})
        }} else {{
            use self::plain::f;
            format!(\"{{:?}}\", {call})
        }}
    }}
    pub static CASE: Case = Case {{
        index: {index},
        run,
        returns_result: {returns_result},
        records_outcome: {records_outcome},
        err_off: {err_off},
        ret: {ret},
        skip_s: {skip_s},
        source: \"{source}\",
    }};
}}
",
            returns_result = self.ret.is_result(),
        )
    }
}

fn draw_options(rng: &mut Rng, shape: Shape) -> Vec<&'static str> {
    let mut options = Vec::new();
    // `ret` is refused on `impl Fn` (its type is hidden).
    if shape != Shape::ImplFn && rng.chance(20) {
        options.push("ret");
    }
    match rng.below(10) {
        0 => options.push("err(Debug)"),
        1 => options.push("err(off)"),
        _ => {}
    }
    if rng.chance(15) {
        options.push("skip(s)");
    }
    options
}

/// Writes one body: statements over a chain of `u8` variables, each made
/// from the one before (so that every variable is used), then a tail.
struct Body<'r> {
    rng: &'r mut Rng,
    /// The variable the next statement starts from.
    last: String,
    /// Names already taken in this function.
    counter: usize,
}

impl<'r> Body<'r> {
    fn new(rng: &'r mut Rng) -> Self {
        Body {
            rng,
            last: "x".to_owned(),
            counter: 0,
        }
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}{}", self.counter)
    }

    /// The signature and the body of `f`. Its first statement starts the
    /// chain of variables from both arguments, so that each is used.
    fn function(&mut self, shape: Shape, ret: Ret) -> (String, String) {
        let start = self.bind("x ^ (s.len() as u8)".to_owned());
        let (signature, body) = self.shaped(shape, ret);
        (signature, format!("{start}\n{body}"))
    }

    fn shaped(&mut self, shape: Shape, ret: Ret) -> (String, String) {
        let ty = ret.type_name();
        let head = "pub fn f<'a>(x: u8, s: &'a str)";
        match shape {
            Shape::Sync => (format!("{head} -> {ty}"), self.block_body(Scope::body(ret))),
            Shape::Async => (
                format!("pub async fn f<'a>(x: u8, s: &'a str) -> {ty}"),
                self.block_body(Scope::async_body(ret)),
            ),
            Shape::ImplFuture => {
                let outer = self.statements(Scope::outer(ret));
                let tail = self.gated(|body| body.async_block(ret));
                (
                    format!("{head} -> impl ::std::future::Future<Output = {ty}> + 'a"),
                    format!("{outer}{tail}\n"),
                )
            }
            Shape::BoxedFuture => {
                let outer = self
                    .outer_returning(ret, |value| format!("Box::pin(async move {{ {value} }})"));
                let tail = self.async_block(ret);
                (
                    format!(
                        "{head} -> ::std::pin::Pin<Box<dyn ::std::future::Future<Output = {ty}> + Send + 'a>>"
                    ),
                    format!("{outer}Box::pin({tail})\n"),
                )
            }
            Shape::ImplFn => {
                let outer = self.statements(Scope::outer(ret));
                let closure = self.closure(ret);
                (
                    format!("{head} -> impl Fn(&u8) -> {ty} + 'a"),
                    format!("{outer}{closure}\n"),
                )
            }
            Shape::BoxedFn => {
                let outer =
                    self.outer_returning(ret, |value| format!("Box::new(move |_| {value})"));
                let closure = self.closure(ret);
                (
                    format!("{head} -> Box<dyn Fn(&u8) -> {ty} + 'a>"),
                    format!("{outer}Box::new({closure})\n"),
                )
            }
        }
    }

    /// The statements of a function that returns a boxed future or
    /// closure, and maybe an early `return` of one made by `boxed`.
    fn outer_returning(&mut self, ret: Ret, boxed: impl Fn(&str) -> String) -> String {
        let mut outer = self.statements(Scope::outer(ret));
        if self.rng.chance(50) {
            let cond = self.condition();
            let value = self.value_of(ret, &self.last.clone());
            let _ = writeln!(outer, "if {cond} {{ return {}; }}", boxed(&value));
        }
        outer
    }

    /// Statements, then a tail (or a last `return`).
    fn block_body(&mut self, scope: Scope) -> String {
        let stmts = self.statements(scope);
        let tail = self.tail(scope);
        format!("{stmts}{tail}\n")
    }

    /// `async move { … }` whose output is `ret`.
    fn async_block(&mut self, ret: Ret) -> String {
        let saved = self.last.clone();
        let body = self.block_body(Scope::async_body(ret));
        self.last = saved;
        format!("async move {{\n{body}}}")
    }

    /// `move |y| { … }`: a closure whose argument type comes from the
    /// return type alone.
    fn closure(&mut self, ret: Ret) -> String {
        let saved = self.last.clone();
        let start = self.fresh("c");
        self.last = start.clone();
        let body = self.block_body(Scope::body(ret));
        self.last = saved.clone();
        format!("move |y| {{\nlet {start}: u8 = {saved} ^ *y;\n{body}}}")
    }

    /// `#[cfg(all())] { a } #[cfg(any())] { b }`, in either order: one of
    /// two blocks survives configuration.
    fn gated(&mut self, mut block: impl FnMut(&mut Self) -> String) -> String {
        let kept = block(self);
        let dropped = block(self);
        if self.rng.chance(50) {
            format!("#[cfg(all())]\n{{ {kept} }}\n#[cfg(any())]\n{{ {dropped} }}")
        } else {
            format!("#[cfg(any())]\n{{ {dropped} }}\n#[cfg(all())]\n{{ {kept} }}")
        }
    }

    fn statements(&mut self, scope: Scope) -> String {
        let count = self.rng.below(5);
        let mut out = String::new();
        for _ in 0..count {
            out.push_str(&self.statement(scope));
            out.push('\n');
        }
        out
    }

    /// A value of `ret` from an expression of the last variable.
    fn value(&mut self, ret: Ret) -> String {
        let e = self.expr();
        self.value_of(ret, &e)
    }

    fn value_of(&mut self, ret: Ret, e: &str) -> String {
        ret.value(self.rng, e)
    }

    /// A `u8` expression of the last variable.
    fn expr(&mut self) -> String {
        let p = self.last.clone();
        self.expr_of(&p)
    }

    fn expr_of(&mut self, p: &str) -> String {
        let k = self.rng.constant();
        match self.rng.below(7) {
            0 => format!("{p}.wrapping_add({k})"),
            1 => format!("{p}.wrapping_mul({k})"),
            2 => format!("{p} / {k}"),
            3 => format!("{p} ^ {k}"),
            4 => format!("{p} % {k}"),
            5 => format!("{p}.rotate_left({})", k % 8),
            _ => format!("(s.len() as u8) ^ {p}"),
        }
    }

    /// A condition on the last variable.
    fn condition(&mut self) -> String {
        let p = self.last.clone();
        self.condition_of(&p)
    }

    fn condition_of(&mut self, p: &str) -> String {
        let k = self.rng.constant();
        match self.rng.below(4) {
            0 => format!("{p} > {}", k * 10),
            1 => format!("{p} % {k} == 0"),
            2 => format!("{p} < {k}"),
            _ => format!("{p} == {}", k * 7),
        }
    }

    /// `let n: u8 = <expr>;` and the chain moves on to `n`.
    fn bind(&mut self, value: String) -> String {
        let name = self.fresh("v");
        self.last = name.clone();
        format!("let {name}: u8 = {value};")
    }

    fn statement(&mut self, scope: Scope) -> String {
        let ret = scope.ret;
        loop {
            let choice = self.rng.below(16);
            let exits = matches!(choice, 2..=5 | 9);
            if exits && !scope.may_exit {
                continue;
            }
            return match choice {
                0 | 1 => {
                    let e = self.expr();
                    self.bind(e)
                }
                2 => {
                    let cond = self.condition();
                    let value = self.value_of(ret, &self.last.clone());
                    format!("if {cond} {{ return {value}; }}")
                }
                3 => {
                    let Some(tried) = self.question(ret) else {
                        continue;
                    };
                    self.bind(tried)
                }
                4 => {
                    let cond = self.condition();
                    let kept = self.value_of(ret, &self.last.clone());
                    let dropped = self.value_of(ret, "0");
                    format!(
                        "#[cfg(all())]\nif {cond} {{ return {kept}; }}\n#[cfg(any())]\nif {cond} {{ return {dropped}; }}"
                    )
                }
                5 => {
                    let k = self.rng.constant();
                    let name = self.fresh("v");
                    let value = self.value_of(ret, &self.last.clone());
                    let p = self.last.clone();
                    self.last = name.clone();
                    format!("let Some({name}) = {p}.checked_sub({k}) else {{ return {value}; }};")
                }
                6 => {
                    let kept = self.expr();
                    let dropped = self.expr();
                    let name = self.fresh("v");
                    self.last = name.clone();
                    format!(
                        "#[cfg(all())]\nlet {name}: u8 = {kept};\n#[cfg(any())]\nlet {name}: u8 = {dropped};"
                    )
                }
                7 => {
                    let cond = self.condition_of("y");
                    let e = self.expr_of("y");
                    let k = self.rng.constant();
                    let c = self.fresh("closure");
                    let p = self.last.clone();
                    let bound = self.bind(format!("{c}({p}).unwrap_or({k})"));
                    format!(
                        "let {c} = |y: u8| -> Option<u8> {{ if {cond} {{ return None; }} Some({e}) }};\n{bound}"
                    )
                }
                8 => {
                    let label = self.fresh("'l");
                    let cond = self.condition();
                    let a = self.expr();
                    let b = self.expr();
                    self.bind(format!(
                        "{label}: {{ if {cond} {{ break {label} {a}; }} {b} }}"
                    ))
                }
                9 => {
                    let cond = self.condition();
                    let value = self.value_of(ret, &self.last.clone());
                    let e = self.expr();
                    self.bind(format!(
                        "match {cond} {{ true => return {value}, false => {e} }}"
                    ))
                }
                10 => {
                    let i = self.fresh("i");
                    let p = self.last.clone();
                    let bound = self.bind(format!(
                        "loop {{ {i} += 1; if {i} > {p} % 4 {{ break {i}.wrapping_add({p}); }} }}"
                    ));
                    format!("let mut {i}: u8 = 0;\n{bound}")
                }
                11 => {
                    let p = self.last.clone();
                    let a = self.expr();
                    let b = self.expr();
                    self.bind(format!(
                        "match {p} % 3 {{ 0 => {a}, 1 => {b}, _ => {{ if {p} > 250 {{ panic!(\"big {{}}\", {p}) }} {p} }} }}"
                    ))
                }
                12 => {
                    let p = self.last.clone();
                    format!("assert!({p} != 77, \"{p} is 77\");")
                }
                13 => {
                    let helper = self.fresh("helper");
                    let k = self.rng.constant();
                    let p = self.last.clone();
                    let bound = self.bind(format!("{helper}({p})"));
                    format!("fn {helper}(y: u8) -> u8 {{ y.wrapping_mul({k}) }}\n{bound}")
                }
                14 => {
                    // Glob imports in the body shadow `Result`, `Error` and
                    // more: the body itself names everything by `crate::`.
                    "#[allow(unused_imports)]\nuse ::std::io::*;".to_owned()
                }
                _ => {
                    let e = self.expr();
                    if scope.in_async {
                        self.bind(format!("crate::later({e}).await"))
                    } else {
                        let p = self.last.clone();
                        let cond = self.condition();
                        self.bind(format!(
                            "::futures::executor::block_on(async move {{ if {cond} {{ return {p}; }} {e} }})"
                        ))
                    }
                }
            };
        }
    }

    /// `<expr>?`, of a kind the return type accepts.
    fn question(&mut self, ret: Ret) -> Option<String> {
        let e = self.expr();
        Some(match ret {
            Ret::Option => format!("({e}).checked_mul(2)?"),
            Ret::Text if self.rng.chance(50) => format!(
                "match crate::ready({e})? {{ ::std::task::Poll::Ready(v) => v, ::std::task::Poll::Pending => 0 }}"
            ),
            Ret::Text => format!("crate::check({e})?"),
            Ret::Error if self.rng.chance(50) => format!("s.parse::<u8>()? ^ {e}"),
            Ret::Error => format!("crate::check({e})?"),
            Ret::Borrowed => format!("crate::fits(s, {e})?"),
            Ret::U8 | Ret::Unit => return None,
        })
    }

    fn tail(&mut self, scope: Scope) -> String {
        let ret = scope.ret;
        let p = self.last.clone();
        match self.rng.below(10) {
            0 | 1 => self.value_of(ret, &p),
            2 => {
                let cond = self.condition();
                let a = self.value(ret);
                let b = self.value(ret);
                format!("if {cond} {{ {a} }} else {{ {b} }}")
            }
            3 => {
                let a = self.value(ret);
                let b = self.value(ret);
                format!(
                    "match {p} % 3 {{ 0 => {a}, 1 => {b}, _ => {{ if {p} == 254 {{ unreachable!(\"254\") }} {a} }} }}"
                )
            }
            4 => self.gated(|body| body.value(ret)),
            5 => {
                let label = self.fresh("'t");
                let cond = self.condition();
                let a = self.value(ret);
                let b = self.value(ret);
                format!("{label}: {{ if {cond} {{ break {label} {a}; }} {b} }}")
            }
            6 if scope.may_exit => {
                let cond = self.condition();
                let a = self.value(ret);
                let b = self.value(ret);
                format!("loop {{ if {cond} {{ return {a}; }} return {b}; }}")
            }
            7 if scope.may_exit => {
                let a = self.value_of(ret, &p);
                format!("return {a};")
            }
            8 if scope.may_exit => {
                let kept = self.value(ret);
                let dropped = self.value(ret);
                format!("#[cfg(any())]\nreturn {dropped};\n#[cfg(all())]\nreturn {kept};")
            }
            _ => {
                let a = self.value(ret);
                let b = self.value(ret);
                format!("if matches!({p}, 1..=9) {{ {a} }} else {{ {b} }}")
            }
        }
    }
}

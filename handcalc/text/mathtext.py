"""Math in text, written once in a neutral notation and rendered for each output.

The neutral notation is a small subset of Typst's math syntax, so a PDF typesets it as it
is, with real fractions and roots; this module parses it and writes it again as LaTeX
(Markdown, Moodle), Unicode (terminals), ASCII (terminals that cannot show Unicode) or
MathML (web pages and notebooks, which the browser typesets itself; every text escaped):

    neutral                  unicode        ascii                 latex
    S = (Q K^T) / sqrt(d_k)  S = QKᵀ/√d_k   S = QK^T / sqrt(d_k)  S = \\frac{Q K^{T}}{\\sqrt{d_{k}}}
    q dot k, W^O, Z_1        q · k, W^O, Z₁ q . k, W^O, Z_1       q \\cdot k, W^{O}, Z_{1}
    -infinity, x <= y        −∞, x ≤ y      -inf, x <= y          -\\infty, x \\le y

Grammar (as Typst reads it): a formula is a sequence of units separated by spaces; a unit
is an atom with optional subscript ``_x`` and superscript ``^x`` (``x`` an atom or a
parenthesised group, whose parentheses are dropped); ``a / b`` is a fraction of the units
on either side (a parenthesised numerator or denominator loses its parentheses). Atoms:
numbers, single letters (variables), the names in ``SYMBOLS`` and ``FUNCTIONS``, quoted
upright text (``"softmax"``), and operators (``= + - < > <= >= -> != || , ; : ! ' |``).
A multi-letter name that is neither a symbol nor a function is an error here, as in
Typst: write ``d_"model"`` or ``"softmax"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

TARGETS = ("typst", "latex", "unicode", "ascii", "mathml")


class MathSyntaxError(ValueError):
    """Neutral math that this module (and so Typst) would not read as intended."""


# name -> (unicode, ascii, latex)
SYMBOLS: dict[str, tuple[str, str, str]] = {
    "dot": ("·", ".", r"\cdot"),
    "times": ("×", "x", r"\times"),
    "infinity": ("∞", "inf", r"\infty"),
    "oo": ("∞", "inf", r"\infty"),
    "approx": ("≈", "~", r"\approx"),
    "in": ("∈", "in", r"\in"),
    "sum": ("Σ", "sum", r"\sum"),
    "partial": ("∂", "d", r"\partial"),
    "dots": ("…", "...", r"\dots"),
    "alpha": ("α", "alpha", r"\alpha"),
    "beta": ("β", "beta", r"\beta"),
    "gamma": ("γ", "gamma", r"\gamma"),
    "delta": ("δ", "delta", r"\delta"),
    "epsilon": ("ε", "eps", r"\epsilon"),
    "theta": ("θ", "theta", r"\theta"),
    "lambda": ("λ", "lambda", r"\lambda"),
    "mu": ("μ", "mu", r"\mu"),
    "pi": ("π", "pi", r"\pi"),
    "sigma": ("σ", "sigma", r"\sigma"),
    "tau": ("τ", "tau", r"\tau"),
    "phi": ("φ", "phi", r"\phi"),
    "Sigma": ("Σ", "Sigma", r"\Sigma"),
    "Delta": ("Δ", "Delta", r"\Delta"),
}
# functions written name(args): name -> latex
FUNCTIONS: dict[str, str] = {
    "sqrt": r"\sqrt", "exp": r"\exp", "log": r"\log", "ln": r"\ln", "max": r"\max",
    "min": r"\min", "sin": r"\sin", "cos": r"\cos", "floor": "floor", "mod": r"\bmod",
    "abs": "abs", "tilde": r"\tilde", "hat": r"\hat",
}
# operators: text -> (unicode, ascii, latex)
OPERATORS: dict[str, tuple[str, str, str]] = {
    "<=": ("≤", "<=", r"\le"), ">=": ("≥", ">=", r"\ge"), "->": ("→", "->", r"\to"),
    "!=": ("≠", "!=", r"\ne"), "||": ("‖", "||", r"\Vert"), "=": ("=", "=", "="),
    "+": ("+", "+", "+"), "-": ("−", "-", "-"), "<": ("<", "<", "<"), ">": (">", ">", ">"),
    ",": (",", ",", ","), ";": (";", ";", ";"), ":": (":", ":", ":"), "!": ("!", "!", "!"),
    "'": ("′", "'", "'"), "|": ("|", "|", "|"), "...": ("…", "...", r"\dots"),
}
_BINARY = {"<=", ">=", "->", "!=", "=", "+", "-", "<", ">", "||"}
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<str>"[^"\\]*")
  | (?P<name>[A-Za-z]+)
  | (?P<op>\.\.\.|<=|>=|->|!=|\|\||[=+\-<>,;:!'|])
  | (?P<punct>[()\[\]_^/])
""", re.VERBOSE)

# (no capital letters but T: Unicode has no superscript Q, so the projections are written
# one way, W^Q, W^K, W^V, W^O, never W^Q beside Wᴷ)
_SUP = dict(zip("0123456789+-−()=nTikd", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁽⁾⁼ⁿᵀⁱᵏᵈ", strict=True))
_SUB = dict(zip("0123456789+-−()=", "₀₁₂₃₄₅₆₇₈₉₊₋₋₍₎₌", strict=True))
_SPACED_SYMBOLS = {"dot", "times", "approx", "in", "sum"}  # symbols that read as operators


# ---------------------------------------------------------------- the tree

@dataclass(frozen=True)
class Atom:
    kind: str  # var, num, sym, str, op
    text: str


@dataclass(frozen=True)
class Group:
    open: str
    body: tuple[Node, ...]
    close: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Script:
    base: Node
    sub: Node | None
    sup: Node | None


@dataclass(frozen=True)
class Frac:
    num: Node
    den: Node


Node = Atom | Group | Call | Script | Frac


# ---------------------------------------------------------------- parsing

def _tokens(src: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m:
            raise MathSyntaxError(f"unexpected {src[pos]!r} at {pos + 1} in math {src!r}")
        kind = m.lastgroup or ""
        if kind != "space":
            out.append((kind, m.group()))
        pos = m.end()
    return out


MAX_NESTING = 30  # brackets and calls inside one another: a deeper formula is refused


class _Parser:
    def __init__(self, src: str) -> None:
        self.src = src
        self.toks = _tokens(src)
        self.i = 0
        self.depth = 0

    def nested(self, closers: str) -> tuple[Node, ...]:
        """The sequence inside a bracket or a call, at most MAX_NESTING deep (the parser
        and every writer recurse once per level)."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise MathSyntaxError(f"brackets nested more than {MAX_NESTING} deep in math")
        body = self.seq(closers)
        self.depth -= 1
        return body

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise MathSyntaxError(f"math {self.src!r} ends too early")
        self.i += 1
        return tok

    def seq(self, closers: str = "") -> tuple[Node, ...]:
        out: list[Node] = []
        while (tok := self.peek()) is not None and not (tok[0] == "punct" and tok[1] in closers):
            if tok == ("punct", "/"):
                if not out:
                    raise MathSyntaxError(f"a fraction without numerator in {self.src!r}")
                self.take()
                out.append(Frac(_strip(out.pop()), _strip(self.unit())))
            else:
                out.append(self.unit())
        return tuple(out)

    def unit(self) -> Node:
        node = self.atom()
        sub = sup = None
        while (tok := self.peek()) in (("punct", "_"), ("punct", "^")):
            self.take()
            script = _strip(self.atom())
            if tok[1] == "_":
                sub = script
            else:
                sup = script
        return node if sub is None and sup is None else Script(node, sub, sup)

    def atom(self) -> Node:
        kind, text = self.take()
        if kind == "punct" and text in "([":
            body = self.nested(")]")
            close = self.take()[1]
            return Group(text, body, close)
        if kind == "punct":
            raise MathSyntaxError(f"unexpected {text!r} in math {self.src!r}")
        if kind == "name":
            if text in FUNCTIONS and self.peek() == ("punct", "("):
                self.take()
                body = self.nested(")")
                self.take()
                return Call(text, body)
            if len(text) == 1:
                return Atom("var", text)
            if text in SYMBOLS:
                return Atom("sym", text)
            raise MathSyntaxError(f"unknown name {text!r} in math {self.src!r}: quote words "
                                  "(\"softmax\") and put spaces between variables (Q K)")
        if kind == "str":
            return Atom("str", text[1:-1])
        return Atom(kind, text)


def _strip(node: Node) -> Node:
    """A parenthesised group used as a script, numerator or denominator loses its parens."""
    if isinstance(node, Group) and node.open == "(":
        return node.body[0] if len(node.body) == 1 else Group("", node.body, "")
    return node


@lru_cache(maxsize=2048)
def parse(src: str) -> tuple[Node, ...]:
    p = _Parser(src)
    out = p.seq()
    if p.peek() is not None:
        raise MathSyntaxError(f"unbalanced {p.peek()[1]!r} in math {src!r}")  # type: ignore[index]
    return out


# ---------------------------------------------------------------- writing

def _simple(node: Node) -> bool:
    """A node that reads as one unit without parentheses (x, 2, Kᵀ, f(x))."""
    if isinstance(node, Atom):
        return node.kind != "op"
    if isinstance(node, Script):
        return _simple(node.base)
    return isinstance(node, Call) or (isinstance(node, Group) and node.open != "")


def _plain_seq(nodes: tuple[Node, ...], uni: bool) -> str:
    out = ""
    prev: Node | None = None
    for node in nodes:
        text = _plain(node, uni)
        op = node.text if isinstance(node, Atom) and node.kind == "op" else None
        prev_op = prev.text if isinstance(prev, Atom) and prev.kind == "op" else None
        if op == "'":
            out += text  # a prime sticks to what it marks, which stays the neighbour
            continue
        if op == "-" and (prev is None or (prev_op is not None and prev_op in _BINARY | set(
                ",;:("))):
            pass  # a unary minus: no spaces
        elif prev is not None:
            if op is not None:
                if op in _BINARY:
                    text = " " + text + " "
                elif op in ",;:":
                    text = text + " "
            elif isinstance(node, Atom) and node.kind == "sym" and node.text in (
                    _SPACED_SYMBOLS - {"sum"}):
                text = " " + text + " "
            elif prev_op is not None or (isinstance(prev, Atom) and prev.kind == "sym"
                                         and prev.text in _SPACED_SYMBOLS - {"sum"}):
                pass
            elif _glued(prev, node, uni):
                pass
            else:
                out += " "
        elif op is not None and op in ",;:":
            text += " "
        out += text
        prev = node
    return out.replace("  ", " ")


def _glued(prev: Node, node: Node, uni: bool = True) -> bool:
    """Juxtaposed single letters and their scripts join (QKᵀ); anything else gets a space."""
    def letterish(n: Node) -> bool:
        if isinstance(n, Script):
            return letterish(n.base)
        return isinstance(n, Atom) and (n.kind in ("var", "num") or (
            uni and n.kind == "sym" and n.text not in _SPACED_SYMBOLS))
    if isinstance(node, Group) and node.open == "(" and isinstance(prev, Atom) \
            and prev.kind == "str":
        return True  # "softmax"(S)
    if isinstance(node, Group) and node.open in "([" and letterish(prev):
        return True
    if isinstance(node, Call) and node.name == "sqrt" and uni and letterish(prev):
        return True  # 5√2
    return letterish(prev) and letterish(node) and not (
        isinstance(prev, Atom) and prev.kind == "num" and isinstance(node, Atom)
        and node.kind == "num")


def _script_text(node: Node, table: dict[str, str], uni: bool, mark: str) -> str:
    text = _plain(node, uni)
    if uni and all(ch in table for ch in text):
        return "".join(table[ch] for ch in text)
    return mark + (text if _simple(node) and len(text) == 1 else
                   text if isinstance(node, Atom) and node.kind == "str" else f"({text})")


def _plain(node: Node, uni: bool) -> str:
    if isinstance(node, Atom):
        if node.kind == "sym":
            return SYMBOLS[node.text][0 if uni else 1]
        if node.kind == "op":
            return OPERATORS[node.text][0 if uni else 1]
        return node.text
    if isinstance(node, Group):
        return node.open + _plain_seq(node.body, uni) + node.close
    if isinstance(node, Call):
        inner = _plain_seq(node.args, uni)
        if node.name == "sqrt" and uni:
            one = len(node.args) == 1 and _simple(node.args[0])
            return "√" + (inner if one else f"({inner})")
        if node.name == "floor" and uni:
            return f"⌊{inner}⌋"
        if node.name == "abs":
            return f"|{inner}|"
        if node.name in ("tilde", "hat"):
            mark = {"tilde": ("\u0303", "~"), "hat": ("\u0302", "^")}[node.name]
            return inner + mark[0] if uni and len(inner) == 1 else f"{inner}{mark[1]}"
        return f"{node.name}({inner})"
    if isinstance(node, Script):
        base = _plain(node.base, uni)
        sub = "" if node.sub is None else _script_text(node.sub, _SUB if uni else {}, uni, "_")
        sup = "" if node.sup is None else _script_text(node.sup, _SUP if uni else {}, uni, "^")
        return base + sub + sup
    num, den = _plain(node.num, uni), _plain(node.den, uni)
    if not _simple(node.num) and not _one_run(node.num):
        num = f"({num})"
    if not _simple(node.den) and not _one_run(node.den):
        den = f"({den})"
    spaced = not uni and (" " in num or " " in den or "(" in num or "(" in den)
    return f"{num} / {den}" if spaced else f"{num}/{den}"


def _one_run(node: Node) -> bool:
    """Juxtaposed letters with no operator (Q Kᵀ) read as one product: no parens needed."""
    return isinstance(node, Group) and node.open == "" and all(
        not (isinstance(n, Atom) and n.kind == "op") and not isinstance(n, Frac)
        for n in node.body)


def _latex_seq(nodes: tuple[Node, ...]) -> str:
    return " ".join(_latex(n) for n in nodes)


def _latex(node: Node) -> str:
    if isinstance(node, Atom):
        if node.kind == "sym":
            return SYMBOLS[node.text][2]
        if node.kind == "op":
            return OPERATORS[node.text][2]
        if node.kind == "str":
            return r"\operatorname{" + re.sub(r"([\\{}$&#^_%~])", r"\\\1", node.text) + "}"
        return node.text
    if isinstance(node, Group):
        if node.open == "":
            return _latex_seq(node.body)
        return f"\\left{node.open} {_latex_seq(node.body)} \\right{node.close}"
    if isinstance(node, Call):
        inner = _latex_seq(node.args)
        if node.name == "sqrt":
            return r"\sqrt{" + inner + "}"
        if node.name == "floor":
            return r"\lfloor " + inner + r" \rfloor"
        if node.name == "abs":
            return r"\left| " + inner + r" \right|"
        if node.name in ("tilde", "hat"):
            return FUNCTIONS[node.name] + "{" + inner + "}"
        return FUNCTIONS[node.name] + r"\left( " + inner + r" \right)"
    if isinstance(node, Script):
        out = _latex(node.base)
        if isinstance(node.base, Frac | Script):
            out = "{" + out + "}"
        if node.sub is not None:
            out += "_{" + _latex(node.sub) + "}"
        if node.sup is not None:
            out += "^{" + _latex(node.sup) + "}"
        return out
    return r"\frac{" + _latex(node.num) + "}{" + _latex(node.den) + "}"


def to_target(src: str, target: str) -> str:
    """Neutral math `src` written for `target` (one of TARGETS), without delimiters."""
    if target == "typst":
        parse(src)  # validates
        return src
    nodes = parse(src)
    if target == "latex":
        return _latex_seq(nodes)
    if target in ("unicode", "ascii"):
        return _plain_seq(nodes, target == "unicode").strip()
    if target == "mathml":
        return _mathml_seq(nodes)
    raise ValueError(target)


# ---------------------------------------------------------------- MathML (MathML Core)

_MO_SYMBOLS = _SPACED_SYMBOLS | {"dots"}  # symbols that MathML writes as operators
_FENCES = {"floor": ("⌊", "⌋"), "abs": ("|", "|")}
_ACCENTS = {"tilde": "~", "hat": "^"}


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        '"', "&quot;")


def _mathml_seq(nodes: tuple[Node, ...]) -> str:
    return "".join(_mathml(n) for n in nodes)


def _row(inner: str) -> str:
    return f"<mrow>{inner}</mrow>"


def _fenced(open: str, inner: str, close: str) -> str:
    return _row(f"<mo>{_esc(open)}</mo>{inner}<mo>{_esc(close)}</mo>")


def _mathml(node: Node) -> str:
    """One node as MathML Core elements (the content of a <math> element)."""
    if isinstance(node, Atom):
        if node.kind == "sym":
            tag = "mo" if node.text in _MO_SYMBOLS else "mi"
            return f"<{tag}>{_esc(SYMBOLS[node.text][0])}</{tag}>"
        if node.kind == "op":
            return f"<mo>{_esc(OPERATORS[node.text][0])}</mo>"
        if node.kind == "num":
            return f"<mn>{_esc(node.text)}</mn>"
        if node.kind == "str":
            tag = "mi" if node.text.isalpha() and len(node.text) > 1 else "mtext"
            return f"<{tag}>{_esc(node.text)}</{tag}>"
        return f"<mi>{_esc(node.text)}</mi>"
    if isinstance(node, Group):
        inner = _mathml_seq(node.body)
        return _fenced(node.open, inner, node.close) if node.open else _row(inner)
    if isinstance(node, Call):
        inner = _mathml_seq(node.args)
        if node.name == "sqrt":
            return f"<msqrt>{inner}</msqrt>"
        if node.name in _FENCES:
            left, right = _FENCES[node.name]
            return _fenced(left, inner, right)
        if node.name in _ACCENTS:
            return f'<mover accent="true">{_row(inner)}<mo>{_ACCENTS[node.name]}</mo></mover>'
        return _row(f"<mi>{node.name}</mi><mo>\u2061</mo>" + _fenced("(", inner, ")"))
    if isinstance(node, Script):
        base = _row(_mathml(node.base))
        if node.sub is not None and node.sup is not None:
            return (f"<msubsup>{base}{_row(_mathml(node.sub))}"
                    f"{_row(_mathml(node.sup))}</msubsup>")
        if node.sub is not None:
            return f"<msub>{base}{_row(_mathml(node.sub))}</msub>"
        return f"<msup>{base}{_row(_mathml(node.sup))}</msup>"  # type: ignore[arg-type]
    return f"<mfrac>{_row(_mathml(node.num))}{_row(_mathml(node.den))}</mfrac>"


def mathml(src: str, display: bool = False) -> str:
    """Neutral math `src` as a complete <math> element."""
    mode = ' display="block"' if display else ""
    return f"<math{mode}>{to_target(src, 'mathml')}</math>"

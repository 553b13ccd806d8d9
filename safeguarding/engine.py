"""School patterns on a linear-time engine (RE2): a pattern is written in Python's syntax and
means what it means in Python, but it runs on RE2, whose time grows with the text and the size
of the pattern, never exponentially (no backtracking: ``(x+x+)+y`` over thirty x's answers at
once, where Python's ``re`` takes minutes).

Python's syntax is parsed (``re._parser``, so an error reads as Python's) and written out again
for RE2, with Python's Unicode meaning of ``\\w``, ``\\d``, ``\\s`` and ``\\b`` (RE2's own are
ASCII: its ``\\b`` finds no edge in "суицид", and no option changes that: ``perl_classes`` and
``word_boundary`` only allow the ASCII ones under ``posix_syntax``). ``\\w`` becomes
``[\\p{L}\\p{N}_]``, and ``\\b`` is decided from what stands beside it. What RE2 cannot run is
refused with the reason (:class:`Unsupported`):

- backreferences (``\\1``, ``(?P=name)``, ``(?(1)...)``), possessive repeats and atomic groups;
- lookaround, except at the very edges of the pattern: a lookbehind at its start, a lookahead
  at its end, each of fixed characters (``(?<!\\w)``, ``(?<!ik )``, ``(?!\\svan\\b)``); they
  become a part of the match outside the group the screen reports, so the engine still never
  looks back or ahead;
- ``\\b`` or ``\\B`` where the engine cannot tell a word's edge: next to something that may be
  a letter or not (it is fine next to letters, digits, spaces or punctuation);
- a pattern whose program is too large (:data:`MAX_PROGRAM`) or a repeat above 1000.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import re2

_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

# The largest program (RE2 instructions) a school pattern may compile to. Each ``\w`` is about
# 1,400 under (?i) (Unicode letters in UTF-8), the largest default about 5,500. At worst (a
# long match whose groups RE2 must find step by step) a search costs a few nanoseconds per
# instruction and character: 10,000 instructions over the screen's 10,000 characters took
# 0.2-0.4 s on a CI machine, typical patterns well under a millisecond (docs/safeguarding.md).
MAX_PROGRAM = 10_000
# RE2's own memory bound for one compiled pattern (its default is 8 MiB).
MAX_MEM = 8 << 20
MAX_REPEAT = 1000

BACKREFERENCE = "backreference"
LOOKAROUND = "lookaround"
BOUNDARY = "boundary"
UNSUPPORTED = "unsupported"
TOO_LARGE = "too_large"


class Unsupported(Exception):
    """A pattern the engine refuses; ``reason`` is one of the constants above."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason


def _options(*, groups: bool) -> Any:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = MAX_MEM
    options.never_capture = not groups
    return options


_OPTIONS = _options(groups=True)
_FINDER = _options(groups=False)

WORD = r"\p{L}\p{N}_"
WORD_ASCII = "0-9A-Za-z_"
DIGIT = r"\p{Nd}"
SPACE = r"\t-\r\x{1c}-\x{20}\x{85}\p{Z}"
SPACE_ASCII = r"\t-\r "
_WORD_CHAR = re.compile(r"\w")


def _char(code: int) -> str:
    ch = chr(code)
    return ch if ch.isascii() and ch.isalnum() else f"\\x{{{code:x}}}"


@dataclass(frozen=True)
class _Ctx:
    ascii: bool = False
    multiline: bool = False

    def flags(self, add: int, remove: int) -> _Ctx:
        ascii_ = (self.ascii or bool(add & _c.SRE_FLAG_ASCII)) and not remove & _c.SRE_FLAG_ASCII
        multiline = ((self.multiline or bool(add & _c.SRE_FLAG_MULTILINE))
                     and not remove & _c.SRE_FLAG_MULTILINE)
        return _Ctx(ascii_, multiline)


def _category(code: Any, ctx: _Ctx) -> tuple[str, bool]:
    """A class escape as RE2 class contents, and whether it is negated."""
    table = {
        _c.CATEGORY_WORD: (WORD_ASCII if ctx.ascii else WORD, False),
        _c.CATEGORY_NOT_WORD: (WORD_ASCII if ctx.ascii else WORD, True),
        _c.CATEGORY_DIGIT: ("0-9" if ctx.ascii else DIGIT, False),
        _c.CATEGORY_NOT_DIGIT: ("0-9" if ctx.ascii else DIGIT, True),
        _c.CATEGORY_SPACE: (SPACE_ASCII if ctx.ascii else SPACE, False),
        _c.CATEGORY_NOT_SPACE: (SPACE_ASCII if ctx.ascii else SPACE, True),
    }
    if code not in table:
        raise Unsupported(UNSUPPORTED)
    return table[code]


def _class(items: Sequence[tuple[Any, Any]], ctx: _Ctx) -> str:
    """A bracketed class (or an escape) of Python's parse, as RE2."""
    negate = bool(items) and items[0][0] is _c.NEGATE
    items = items[1:] if negate else items
    plain: list[str] = []
    negated: list[str] = []
    for op, av in items:
        if op is _c.LITERAL:
            plain.append(_char(av))
        elif op is _c.RANGE:
            plain.append(f"{_char(av[0])}-{_char(av[1])}")
        elif op is _c.CATEGORY:
            contents, neg = _category(av, ctx)
            (negated if neg else plain).append(contents)
        else:
            raise Unsupported(UNSUPPORTED)
    if not negated:
        return ("[^" if negate else "[") + "".join(plain) + "]"
    if negate or len(negated) > 1:
        # [^\W...] or [\W\S]: a difference of classes, which RE2's classes cannot say.
        raise Unsupported(UNSUPPORTED)
    other = "[^" + negated[0] + "]"
    return other if not plain else "(?:" + other + "|[" + "".join(plain) + "])"


def _kind_of_class(items: Sequence[tuple[Any, Any]]) -> str | None:
    """"word" when every character of the class is a word character, "other" when none is."""
    if items and items[0][0] is _c.NEGATE:
        rest = items[1:]
        if all(op is _c.CATEGORY and av is _c.CATEGORY_WORD for op, av in rest):
            return "other"
        if all(op is _c.CATEGORY and av is _c.CATEGORY_NOT_WORD for op, av in rest):
            return "word"
        return None
    kinds: set[str] = set()
    for op, av in items:
        if op is _c.LITERAL:
            kinds.add("word" if _WORD_CHAR.match(chr(av)) else "other")
        elif op is _c.RANGE:
            low, high = av
            if high - low > 5000:
                return None
            kinds.update("word" if _WORD_CHAR.match(chr(c)) else "other"
                         for c in range(low, high + 1))
        elif op is _c.CATEGORY:
            kinds.add({_c.CATEGORY_WORD: "word", _c.CATEGORY_DIGIT: "word",
                       _c.CATEGORY_SPACE: "other", _c.CATEGORY_NOT_WORD: "other"}
                      .get(av, "mixed"))
        else:
            return None
    return kinds.pop() if len(kinds) == 1 and "mixed" not in kinds else None


def _edge_kind(items: Sequence[tuple[Any, Any]], first: bool) -> str | None:
    """Whether the first (or last) character a sequence matches is always a word character
    ("word"), never ("other"), or either or none (None)."""
    ordered = list(items) if first else list(reversed(items))
    for op, av in ordered:
        if op is _c.AT:
            # The start or end of the text (or of a line) reads as "not a letter" to \b.
            beyond = ((_c.AT_END, _c.AT_END_STRING) if first
                      else (_c.AT_BEGINNING, _c.AT_BEGINNING_STRING))
            if av in beyond:
                return "other"
            if av in (_c.AT_BOUNDARY, _c.AT_NON_BOUNDARY):
                return None
            continue  # an anchor on the other side takes no character
        if op is _c.ASSERT or op is _c.ASSERT_NOT:
            return None
        if op is _c.LITERAL:
            return "word" if _WORD_CHAR.match(chr(av)) else "other"
        if op is _c.IN:
            return _kind_of_class(av)
        if op is _c.SUBPATTERN:
            return _edge_kind(av[3].data, first)
        if op is _c.BRANCH:
            kinds = {_edge_kind(branch.data, first) for branch in av[1]}
            return kinds.pop() if len(kinds) == 1 else None
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            kind = _edge_kind(av[2].data, first)
            if av[0] >= 1:
                return kind
            # Optional: the character is this one's or the next one's.
            rest = ordered[ordered.index((op, av)) + 1:]
            after = _edge_kind(rest if first else list(reversed(rest)), first)
            return kind if kind == after else None
        return None
    return None


def _emit(items: Sequence[tuple[Any, Any]], ctx: _Ctx) -> str:
    out: list[str] = []
    items = list(items)
    for index, (op, av) in enumerate(items):
        if op is _c.LITERAL:
            out.append(_char(av))
        elif op is _c.NOT_LITERAL:
            out.append("[^" + _char(av) + "]")
        elif op is _c.ANY:
            out.append(".")
        elif op is _c.IN:
            out.append(_class(av, ctx))
        elif op is _c.BRANCH:
            out.append("(?:" + "|".join(_emit(b.data, ctx) for b in av[1]) + ")")
        elif op is _c.SUBPATTERN:
            _group, add, remove, sub = av
            inner = ctx.flags(add, remove)
            on = "".join(f for bit, f in ((_c.SRE_FLAG_IGNORECASE, "i"),
                                          (_c.SRE_FLAG_DOTALL, "s")) if add & bit)
            off = "".join(f for bit, f in ((_c.SRE_FLAG_IGNORECASE, "i"),
                                           (_c.SRE_FLAG_DOTALL, "s")) if remove & bit)
            out.append("(?" + on + ("-" + off if off else "") + ":" + _emit(sub.data, inner) + ")")
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            low, high, sub = av
            if low > MAX_REPEAT or (high is not _c.MAXREPEAT and high > MAX_REPEAT):
                raise Unsupported(TOO_LARGE)
            bound = f"{{{low},}}" if high is _c.MAXREPEAT else f"{{{low},{high}}}"
            out.append("(?:" + _emit(sub.data, ctx) + ")" + bound
                       + ("?" if op is _c.MIN_REPEAT else ""))
        elif op is _c.AT:
            out.append(_at(av, items, index, ctx))
        elif op in (_c.GROUPREF, _c.GROUPREF_EXISTS):
            raise Unsupported(BACKREFERENCE)
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            raise Unsupported(LOOKAROUND)
        else:  # possessive repeats, atomic groups
            raise Unsupported(UNSUPPORTED)
    return "".join(out)


def _at(code: Any, items: list[tuple[Any, Any]], index: int, ctx: _Ctx) -> str:
    if code is _c.AT_BEGINNING:
        return "(?m:^)" if ctx.multiline else r"\A"
    if code is _c.AT_BEGINNING_STRING:
        return r"\A"
    if code is _c.AT_END:
        # Python's $ also matches before a newline that ends the text.
        return "(?m:$)" if ctx.multiline else r"(?:\n?\z)"
    if code is _c.AT_END_STRING:
        return r"\z"
    # \b or \B inside the pattern: fine where both sides are known.
    before = _edge_kind(items[:index], first=False)
    after = _edge_kind(items[index + 1:], first=True)
    if before is None or after is None:
        raise Unsupported(BOUNDARY)
    edge = before != after
    wanted = code is _c.AT_BOUNDARY
    return "" if edge == wanted else r"[^\x00-\x{10ffff}]"  # always true, or never


@dataclass(frozen=True)
class _Atom:
    """One character a lookaround at an edge looks at: an RE2 class (or literal), and the
    character itself when it is one."""

    re2: str
    literal: str | None
    kind: str | None = None  # "word", "other" (as _edge_kind), or either
    or_end: bool = False  # \b after a letter in a lookahead: a non-letter, or the end


def _atoms(items: Sequence[tuple[Any, Any]], ctx: _Ctx) -> list[_Atom]:
    atoms: list[_Atom] = []
    for index, (op, av) in enumerate(items):
        if op is _c.LITERAL:
            atoms.append(_Atom(_char(av), chr(av), _edge_kind([(op, av)], first=True)))
        elif op is _c.IN or op is _c.NOT_LITERAL or op is _c.ANY:
            atoms.append(_Atom(_emit([(op, av)], ctx), None, _edge_kind([(op, av)], first=True)))
        elif op is _c.AT and av in (_c.AT_BOUNDARY, _c.AT_NON_BOUNDARY) and index == len(items) - 1:
            kind = _edge_kind(items[:index], first=False)
            if kind is None:
                raise Unsupported(BOUNDARY)
            # What must follow for the boundary to hold.
            word = (kind == "word") != (av is _c.AT_BOUNDARY)
            atoms.append(_Atom(f"[{WORD}]", None, "word", or_end=not word))
        else:
            raise Unsupported(LOOKAROUND)
    return atoms


def _content(atom: _Atom) -> str | None:
    """The atom's class contents, to merge into one [^...]; None when it has none."""
    if atom.literal is not None:
        return atom.re2
    if atom.re2.startswith("[") and not atom.re2.startswith("[^") and atom.re2.endswith("]"):
        return atom.re2[1:-1]
    return None


def _disjoint(one: _Atom, other: _Atom) -> bool:
    return one.kind is not None and other.kind is not None and one.kind != other.kind


def _contains(atom: _Atom, ch: str, ignore_case: bool) -> bool:
    return re2.compile(("(?i)" if ignore_case else "") + atom.re2, _OPTIONS).fullmatch(ch) is not None


Branch = str | tuple[str, list[Any]]


def _allowed(seqs: list[list[_Atom]], end: str, ignore_case: bool) -> list[Branch]:
    """What may stand next to the match so that none of ``seqs`` (forbidden sequences of
    characters, nearest first) stands there: the alternatives, each nearest first."""
    if any(not s for s in seqs):
        return []
    firsts = [s[0] for s in seqs]
    if any(a.or_end for a in firsts):
        if len(seqs) > 1:
            raise Unsupported(LOOKAROUND)
        return [firsts[0].re2]  # the class that lets the boundary fail
    contents = [_content(a) for a in firsts]
    if any(c is None for c in contents):
        raise Unsupported(LOOKAROUND)
    branches: list[Branch] = [end, "[^" + "".join(c for c in contents if c is not None) + "]"]
    longer = [s for s in seqs if len(s) > 1]
    classes = [s for s in longer if s[0].literal is None]
    if classes:
        # A class such as \s where a longer sequence starts: only beside single characters
        # it cannot be (\s beside "not a letter"), so its characters continue that one alone.
        if len(longer) > 1 or any(s is not classes[0] and not _disjoint(s[0], classes[0][0])
                                  for s in seqs):
            raise Unsupported(LOOKAROUND)
        rest = _allowed([classes[0][1:]], end, ignore_case)
        if rest:
            branches.append((classes[0][0].re2, rest))
        return branches
    done: set[str] = set()
    for seq in longer:
        ch = seq[0].literal or ""
        key = ch.casefold() if ignore_case else ch
        if key in done:
            continue
        done.add(key)
        hit = [s for s in seqs if _contains(s[0], ch, ignore_case)]
        if any(len(s) == 1 for s in hit):
            continue
        rest = _allowed([s[1:] for s in hit], end, ignore_case)
        if rest:
            branches.append((seq[0].re2, rest))
    return branches


def _render(branches: list[Branch], reverse: bool) -> str:
    parts: list[str] = []
    for branch in branches:
        if isinstance(branch, str):
            parts.append(branch)
        else:
            head, rest = branch
            tail = _render(rest, reverse)
            parts.append(tail + head if reverse else head + tail)
    return "(?:" + "|".join(parts) + ")"


def _edge(assertions: list[tuple[Any, Any]], core: list[tuple[Any, Any]], ctx: _Ctx,
          ignore_case: bool, *, start: bool) -> str:
    """The lookarounds at one edge of the pattern as a consuming part of the match."""
    if not assertions:
        return ""
    inner = _edge_kind(core, first=start)
    negative: list[list[_Atom]] = []
    positive: list[list[_Atom]] = []
    for op, av in assertions:
        if op is _c.AT:
            if inner is None:
                raise Unsupported(BOUNDARY)
            # Whether the character beyond the edge must be a word character.
            word = (inner == "word") != (av is _c.AT_BOUNDARY)
            atom = _Atom(f"[{WORD}]", None, "word")
            (positive if word else negative).append([atom])
            continue
        direction, sub = av
        if (direction < 0) != start:
            raise Unsupported(LOOKAROUND)
        atoms = _atoms(sub.data, ctx)
        if start:
            atoms.reverse()
        (negative if op is _c.ASSERT_NOT else positive).append(atoms)
    if positive:
        if len(positive) > 1 or negative or any(a.or_end for a in positive[0]):
            raise Unsupported(LOOKAROUND)
        atoms = positive[0][::-1] if start else positive[0]
        return "(?:" + "".join(a.re2 for a in atoms) + ")"
    branches = _allowed(negative, r"\A" if start else r"\z", ignore_case)
    if not branches:
        return r"[^\x00-\x{10ffff}]"
    return _render(branches, reverse=start)


def _is_edge(item: tuple[Any, Any]) -> bool:
    op, av = item
    return ((op is _c.AT and av in (_c.AT_BOUNDARY, _c.AT_NON_BOUNDARY))
            or op in (_c.ASSERT, _c.ASSERT_NOT))


def _leads(item: tuple[Any, Any]) -> bool:
    """A boundary or a lookbehind: may stand at the start of the pattern."""
    return _is_edge(item) and not (item[0] is not _c.AT and item[1][0] > 0)


def _trails(item: tuple[Any, Any]) -> bool:
    """A boundary or a lookahead: may stand at the end of the pattern."""
    return _is_edge(item) and not (item[0] is not _c.AT and item[1][0] < 0)


def _split(items: list[tuple[Any, Any]]) -> tuple[list[Any], list[Any], list[Any]]:
    lead: list[Any] = []
    trail: list[Any] = []
    while items and _leads(items[0]):
        lead.append(items.pop(0))
    while items and _trails(items[-1]):
        trail.insert(0, items.pop())
    return lead, items, trail


def translate(text: str, *, ignore_case: bool = True) -> str:
    """The RE2 program for a Python regular expression: its match (what the screen reports)
    is group 1, or the first group that took part. Raises :class:`re.error` for a pattern
    Python cannot read and :class:`Unsupported` for one RE2 cannot run."""
    parsed = _parser.parse(text, re.IGNORECASE if ignore_case else 0)
    flags = parsed.state.flags
    ctx = _Ctx(ascii=bool(flags & _c.SRE_FLAG_ASCII), multiline=bool(flags & _c.SRE_FLAG_MULTILINE))
    case = bool(flags & _c.SRE_FLAG_IGNORECASE)
    items = list(parsed.data)
    alternatives = [items]
    branches = [i for i, (op, _av) in enumerate(items) if op is _c.BRANCH]
    if len(branches) == 1 and all(_is_edge(item) for i, item in enumerate(items)
                                  if i != branches[0]):
        # "\bfoo\b|\bbar\b", whose common "\b" Python's parser moved out of the branches.
        at = branches[0]
        alternatives = [items[:at] + list(b.data) + items[at + 1:] for b in items[at][1][1]]
    parts = []
    for alternative in alternatives:
        lead, core, trail = _split(alternative)
        parts.append(_edge(lead, core, ctx, case, start=True) + "(" + _emit(core, ctx) + ")"
                     + _edge(trail, core, ctx, case, start=False))
    head = ("(?i)" if case else "") + ("(?s)" if flags & _c.SRE_FLAG_DOTALL else "")
    return head + "|".join(parts)


# A match longer than this is reported as a whole, its group not looked for (which costs time
# in proportion to the match and the program: 0.45 s for ``(.*a){1000}`` over 10,000 a's,
# 0.06 s without it). The screen keeps 200 characters of what matched anyway.
GROUP_SPAN = 2000


@dataclass(frozen=True)
class Program:
    """A compiled school pattern: ``search`` gives what it matched, or None. ``finder`` is
    the same program without groups, which RE2 runs on its DFA alone (where the match is and
    whether there is one); ``regexp`` then finds the group inside a short match."""

    finder: Any
    regexp: Any

    def search(self, text: str) -> str | None:
        found = self.finder.search(text)
        if found is None:
            return None
        start, end = found.span()
        if end - start > GROUP_SPAN:
            return str(found.group(0))
        hit = self.regexp.search(text, start, end)
        if hit is None:  # the window cut a context character off: report the whole match
            return str(found.group(0))
        return str(next((g for g in hit.groups() if g is not None), hit.group(0)))

    @property
    def size(self) -> int:
        return int(self.regexp.programsize)


def compile_program(text: str, *, ignore_case: bool = True) -> Program:
    """Compile for RE2; :class:`re.error` or :class:`Unsupported` as :func:`translate`, and
    :class:`Unsupported` (too large) for a program over :data:`MAX_PROGRAM`."""
    source = translate(text, ignore_case=ignore_case)
    try:
        program = Program(re2.compile(source, _FINDER), re2.compile(source, _OPTIONS))
    except re2.error as exc:
        raise Unsupported(TOO_LARGE, str(exc)) from None
    if program.size > MAX_PROGRAM:
        raise Unsupported(TOO_LARGE)
    return program


def words_program(words: Sequence[str]) -> Program:
    """Words matched as whole words in any case (a letter on neither side)."""
    body = r"\s+".join(re.escape(w) for w in words)
    return compile_program(r"(?<!\w)" + body + r"(?!\w)")

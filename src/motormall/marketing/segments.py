"""The segment language: a rule over customers' profile, memberships and events, parsed by
lark (LALR) and compiled into ONE SQL statement, never a Python loop over rows.

    segment   := "all" | expr                     (docs/segments.md has the whole language)
    expr      := expr "or" expr | expr "and" expr | "not" expr | "(" expr ")" | condition
    condition := field op value | field "in" "(" value, ... ")" | function "(" args ")"

Every segment counts only customers who gave marketing consent on some channel; a campaign
narrows that to its own channel. A fault names its line and column (422 `segment_invalid`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError
from sqlalchemy import and_, exists, func, not_, or_, select, true
from sqlalchemy.sql import ColumnElement, Select

from motormall.catalog.models import Brand, CarModel
from motormall.leads.models import Lead
from motormall.marketing.models import MarketingConsent
from motormall.membership.models import Membership
from motormall.membership.rules import LADDER
from motormall.platform.auth import Role, User
from motormall.platform.errors import Invalid
from motormall.platform.events import DomainEvent

GRAMMAR = r"""
start: ALL | or_expr
?or_expr: and_expr (_OR and_expr)*
?and_expr: not_expr (_AND not_expr)*
?not_expr: _NOT not_expr -> negate
         | atom
?atom: "(" or_expr ")"
     | NAME OP value -> compare
     | NAME _IN "(" value ("," value)* ")" -> among
     | NAME "(" [value ("," value)*] ")" -> call
?value: STRING -> string
      | DURATION -> duration
      | SIGNED_NUMBER -> number
      | NAME -> word
DURATION.3: /\d+[dwmy](?![A-Za-z0-9_])/
ALL.2: /all(?![A-Za-z0-9_])/i
_OR.2: /or(?![A-Za-z0-9_])/i
_AND.2: /and(?![A-Za-z0-9_])/i
_NOT.2: /not(?![A-Za-z0-9_])/i
_IN.2: /in(?![A-Za-z0-9_])/i
OP: "<=" | ">=" | "!=" | "=" | "<" | ">"
NAME: /[A-Za-z_][A-Za-z0-9_]*/
STRING: /"(\\.|[^"\\\n])*"/ | /'(\\.|[^'\\\n])*'/
COMMENT: /#[^\n]*/
%import common.SIGNED_NUMBER
%import common.WS
%ignore WS
%ignore COMMENT
"""

# the basic lexer keeps keywords keywords everywhere ("and and" is a fault at the second one)
_parser = Lark(
    GRAMMAR, parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=False
)

FIELDS = ("brand", "tier", "city", "points")
MAX_DEPTH = 40  # parse-tree levels: parentheses and `not`s nested about 20 deep
DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
POWERTRAINS = ("ice", "hev", "phev", "bev")
BODY_TYPES = ("sedan", "hatchback", "wagon", "coupe", "convertible", "suv", "mpv", "pickup", "van")
users = User.__table__
memberships = Membership.__table__
events = DomainEvent.__table__


class SegmentError(Exception):
    def __init__(self, message: str, token: Token | None = None, line=None, column=None):
        super().__init__(message)
        self.message = message
        self.line = line if line is not None else getattr(token, "line", None)
        self.column = column if column is not None else getattr(token, "column", None)


@dataclass(frozen=True)
class Value:
    kind: str  # string | number | duration | word
    value: object
    token: Token


def _ops(op: str, left, right) -> ColumnElement:
    return {
        "=": left == right,
        "!=": left != right,
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }[op]


@v_args(inline=True)
class _Compiler(Transformer):
    """Tree → SQLAlchemy condition on `users`, resolving brand codes and times as it goes."""

    def __init__(self, brands: dict[str, int], now: dt.datetime):
        super().__init__()
        self.brands, self.now = brands, now

    # values
    def string(self, tok):
        return Value("string", re.sub(r"\\(.)", r"\1", tok[1:-1]), tok)

    def number(self, tok):
        return Value("number", float(tok) if "." in tok else int(tok), tok)

    def duration(self, tok):
        return Value("duration", dt.timedelta(days=int(tok[:-1]) * DAYS[tok[-1]]), tok)

    def word(self, tok):
        return Value("word", str(tok), tok)

    # structure
    def start(self, item):
        if isinstance(item, Token):  # "all"
            return true()
        return item

    def or_expr(self, *items):
        return or_(*items)

    def and_expr(self, *items):
        return and_(*items)

    def negate(self, item):
        return not_(item)

    # conditions
    def compare(self, name, op, value):
        return self._field(name, str(op), [value])

    def among(self, name, *values):
        return self._field(name, "in", list(values))

    def _field(self, name: Token, op: str, values: list[Value]):
        field = name.lower()
        if field not in FIELDS:
            raise SegmentError(f"unknown field {name!r}; fields are {', '.join(FIELDS)}", name)
        if field == "city":
            cities = [func.lower(self._text(v)) for v in values]
            if op == "in":
                return func.lower(users.c.city).in_(cities)
            if op not in ("=", "!="):
                raise SegmentError("city takes = , != or in", name)
            return _ops(op, func.lower(users.c.city), cities[0])
        if field == "brand":
            ids = [self._brand(v) for v in values]
            if op not in ("=", "!=", "in"):
                raise SegmentError("brand takes = , != or in", name)
            has = self._membership(memberships.c.brand_id.in_(ids))
            return not_(has) if op == "!=" else has
        if op == "in":
            raise SegmentError(f"{field} takes a comparison, not in", name)
        if field == "tier":
            return self._membership(_ops(op, memberships.c.tier_rank, self._tier(values[0])))
        return self._membership(_ops(op, memberships.c.points, self._number(values[0])))

    def call(self, name, *args):
        fn = name.lower()
        at = self.now
        if fn == "member":
            self._arity(name, args, 1, 2)
            cond = memberships.c.brand_id == self._brand(args[0])
            if len(args) == 2:
                cond = and_(cond, memberships.c.tier_rank >= self._tier(args[1]))
            return self._membership(cond)
        if fn == "owns_car_older_than":
            self._arity(name, args, 1, 1)
            return self._owns(events.c.at <= at - self._duration(args[0]))
        if fn == "bought_within":
            self._arity(name, args, 1, 1)
            return self._owns(events.c.at > at - self._duration(args[0]))
        if fn == "test_drove_without_buying":
            self._arity(name, args, 1, 1)
            since = at - self._duration(args[0])
            return and_(
                self._event("test_drive.returned", events.c.at > since),
                not_(self._event("order.reserved", events.c.at > since)),
            )
        if fn == "active_within":
            self._arity(name, args, 1, 1)
            return self._event(None, events.c.at > at - self._duration(args[0]))
        if fn == "interested_in":
            self._arity(name, args, 1, 1)
            kind = self._text(args[0]).lower()
            if kind in POWERTRAINS:
                which = CarModel.powertrain == kind
            elif kind in BODY_TYPES:
                which = CarModel.body_type == kind
            else:
                raise SegmentError(
                    f"interested_in takes a powertrain ({', '.join(POWERTRAINS)}) or a body type",
                    args[0].token,
                )
            return exists(
                select(Lead.id)
                .join(CarModel, CarModel.id == Lead.model_id)
                .where(Lead.customer_id == users.c.id, which)
            )
        raise SegmentError(f"unknown function {name!r}; see docs/segments.md", name)

    # helpers
    def _membership(self, cond) -> ColumnElement:
        return exists(select(memberships.c.id).where(memberships.c.customer_id == users.c.id, cond))

    def _event(self, type_: str | None, cond) -> ColumnElement:
        where = [events.c.customer_id == users.c.id, cond]
        if type_:
            where.append(events.c.type == type_)
        return exists(select(events.c.id).where(*where))

    def _owns(self, cond) -> ColumnElement:
        """A car handed over (in the window) and not returned."""
        back = events.alias("returned")
        return exists(
            select(events.c.id).where(
                events.c.customer_id == users.c.id,
                events.c.type == "order.handed_over",
                cond,
                ~exists(
                    select(back.c.id).where(
                        # correlated to the event above (users is two levels up)
                        back.c.customer_id == events.c.customer_id,
                        back.c.type == "order.returned",
                        back.c.entity_id == events.c.entity_id,
                    )
                ),
            )
        )

    def _arity(self, name, args, low, high):
        if not low <= len(args) <= high:
            want = str(low) if low == high else f"{low} or {high}"
            raise SegmentError(f"{name} takes {want} argument(s), got {len(args)}", name)

    def _text(self, v: Value) -> str:
        if v.kind not in ("string", "word"):
            raise SegmentError(f"expected a name or a quoted text, got {v.token}", v.token)
        return str(v.value)

    def _number(self, v: Value):
        if v.kind != "number":
            raise SegmentError(f"expected a number, got {v.token}", v.token)
        return v.value

    def _duration(self, v: Value) -> dt.timedelta:
        if v.kind != "duration":
            raise SegmentError(
                f"expected a duration like 90d, 12w, 6m or 5y, got {v.token}", v.token
            )
        return v.value

    def _tier(self, v: Value) -> int:
        tier = self._text(v).lower()
        if tier not in LADDER:
            raise SegmentError(f"unknown tier {v.token}; tiers are {', '.join(LADDER)}", v.token)
        return LADDER.index(tier)

    def _brand(self, v: Value) -> int:
        code = self._text(v).upper()
        if code not in self.brands:
            raise SegmentError(f"unknown brand {v.token}", v.token)
        return self.brands[code]


def _invalid(exc: SegmentError) -> Invalid:
    where = f" at line {exc.line}, column {exc.column}" if exc.line else ""
    return Invalid(
        "segment_invalid",
        f"Segment rule fault{where}: {exc.message}.",
        line=exc.line,
        column=exc.column,
    )


def _syntax(exc: UnexpectedInput, text: str) -> SegmentError:
    if isinstance(exc, UnexpectedEOF):
        lines = text.splitlines() or [""]
        return SegmentError("the rule ends too early", line=len(lines), column=len(lines[-1]) + 1)
    if isinstance(exc, UnexpectedCharacters):
        what = f"unexpected character {text[exc.pos_in_stream]!r}"
    else:
        what = f"unexpected {exc.token!r}" if getattr(exc, "token", None) else "unexpected input"
        if getattr(exc, "token", None) is not None and exc.token.type == "$END":
            what = "the rule ends too early"
    return SegmentError(what, line=exc.line, column=exc.column)


def _depth(tree) -> int:
    """How deep the parse tree goes, counted without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((c, d + 1) for c in getattr(node, "children", ()))
    return deepest


def condition(session, text: str, *, now: dt.datetime) -> ColumnElement:
    """The rule as a condition on the users table; 422 `segment_invalid` if it is not one."""
    if not text.strip():
        raise _invalid(SegmentError("the rule is empty", line=1, column=1))
    try:
        tree = _parser.parse(text)
    except UnexpectedInput as exc:
        raise _invalid(_syntax(exc, text)) from None
    depth = _depth(tree)
    if depth > MAX_DEPTH:  # deeper would only exhaust the stack of the compiler and the SQL
        raise _invalid(
            SegmentError(f"the rule nests {depth} deep; at most {MAX_DEPTH}", line=1, column=1)
        )
    brands = dict(session.execute(select(Brand.code, Brand.id)).all())
    try:
        return _Compiler(brands, now).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, SegmentError):
            raise _invalid(exc.orig_exc) from None
        raise


def consented(channel: str | None = None) -> ColumnElement:
    cond = [MarketingConsent.customer_id == users.c.id, MarketingConsent.granted.is_(True)]
    if channel:
        cond.append(MarketingConsent.channel == channel)
    return exists(select(MarketingConsent.customer_id).where(*cond))


def members(session, text: str, *, now: dt.datetime, channel: str | None = None) -> Select:
    """SELECT users.id of the segment's customers who consent (on `channel`, or on any)."""
    # the rule first: its cheap profile terms (a city) then cut the lookups that follow
    return select(users.c.id).where(
        users.c.role == Role.customer.value,
        condition(session, text, now=now),
        consented(channel),
    )


def size(session, text: str, *, now: dt.datetime) -> int:
    """How many customers the rule reaches now: one COUNT over one statement."""
    return session.scalar(
        select(func.count()).select_from(members(session, text, now=now).subquery())
    )

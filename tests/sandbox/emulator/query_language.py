"""The ECS cluster query language subset ListContainerInstances accepts as `filter`.

Supported: `attribute:NAME` with `==`, `!=`, `exists`, `!exists`, `in [a, b]`, `not_in [a, b]`; the same
comparisons on `ec2InstanceId`, `agentConnected`, `agentVersion`; numeric `==`, `!=`, `>`, `>=`, `<`, `<=` on
`runningTasksCount` and `pendingTasksCount`; clauses joined by `and`. Anything else (including `or` and
parentheses, which AWS supports but nothing here needs) is an InvalidParameterException, so a module that
builds an expression the emulator cannot read fails loudly instead of matching everything.
"""
import re

from .errors import ecs_invalid

_TOKEN = re.compile(r'\s*(\[|\]|,|==|!=|>=|<=|>|<|"[^"]*"|\'[^\']*\'|[^\s\[\],"\'=!<>]+|!exists)')
_STRING_SUBJECTS = {"ec2InstanceId", "agentConnected", "agentVersion"}
_NUMERIC_SUBJECTS = {"runningTasksCount", "pendingTasksCount"}
_NUMERIC_OPS = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b,
                "<=": lambda a, b: a <= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


def _invalid(expression, why):
    return ecs_invalid("The filter expression '%s' is not valid: %s." % (expression, why))


def _tokenize(expression):
    tokens, pos = [], 0
    stripped = expression.rstrip()
    while pos < len(stripped):
        match = _TOKEN.match(stripped, pos)
        if not match or match.end() == pos:
            raise _invalid(expression, "unexpected character at position %d" % pos)
        tokens.append(match.group(1))
        pos = match.end()
    return tokens


def _unquote(token):
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        return token[1:-1]
    return token


def compile_filter(expression):
    """Return a predicate over `lookup(subject) -> value-or-None`."""
    tokens = _tokenize(expression)
    if not tokens:
        raise _invalid(expression, "empty expression")
    clauses, current = [], []
    for token in tokens:
        if token.lower() == "and":
            clauses.append(current)
            current = []
        else:
            current.append(token)
    clauses.append(current)
    predicates = [_clause(expression, clause) for clause in clauses]
    return lambda lookup: all(pred(lookup) for pred in predicates)


def _clause(expression, tokens):
    if len(tokens) < 2:
        raise _invalid(expression, "incomplete clause %r" % " ".join(tokens))
    subject, op, rest = tokens[0], tokens[1], tokens[2:]
    if subject.lower() == "or" or op.lower() == "or" or any(t.lower() == "or" for t in rest):
        raise _invalid(expression, "'or' is not supported")
    if subject.startswith("attribute:") and len(subject) > len("attribute:"):
        kind = "string"
    elif subject in _STRING_SUBJECTS:
        kind = "string"
    elif subject in _NUMERIC_SUBJECTS:
        kind = "number"
    else:
        raise _invalid(expression, "unknown subject %r" % subject)
    if op in ("exists", "!exists") and kind == "string":
        if rest:
            raise _invalid(expression, "%s takes no value" % op)
        want = op == "exists"
        return lambda lookup: (lookup(subject) is not None) == want
    if op in ("in", "not_in") and kind == "string":
        values = _list(expression, rest)
        want = op == "in"
        return lambda lookup: (lookup(subject) in values) == want
    if len(rest) != 1 or rest[0] in "[],":
        raise _invalid(expression, "operator %r needs exactly one value" % op)
    value = _unquote(rest[0])
    if kind == "number":
        if op not in _NUMERIC_OPS or not value.isdigit():
            raise _invalid(expression, "%s needs a numeric comparison" % subject)
        number, compare = int(value), _NUMERIC_OPS[op]
        return lambda lookup: compare(int(lookup(subject) or 0), number)
    if op == "==":
        return lambda lookup: lookup(subject) == value
    if op == "!=":
        return lambda lookup: lookup(subject) != value
    raise _invalid(expression, "unknown operator %r" % op)


def _list(expression, tokens):
    if len(tokens) < 2 or tokens[0] != "[" or tokens[-1] != "]":
        raise _invalid(expression, "expected a [list]")
    inner = tokens[1:-1]
    values = [_unquote(t) for t in inner[::2]]
    if any(t != "," for t in inner[1::2]) or any(v in ("[", "]", ",") for v in values) or not values:
        raise _invalid(expression, "malformed list")
    return set(values)

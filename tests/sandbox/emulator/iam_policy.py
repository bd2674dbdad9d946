"""Identity-based IAM policy evaluation: does a set of policy documents allow `action` on `resource` in `context`?

Evaluated: Effect Allow/Deny (an explicit Deny wins, no matching Allow is an implicit deny); Action / NotAction with
`*` and `?` wildcards, case-insensitive; Resource / NotResource ARN patterns with wildcards, case-sensitive; Condition
operators String(Not)Equals(IgnoreCase), String(Not)Like, Arn(Not)Equals, Arn(Not)Like, Bool, Null, each with the
IfExists suffix and the ForAnyValue: / ForAllValues: set prefixes; condition keys case-insensitive. A key the request
does not carry makes a positive operator false and a negated one true, as AWS evaluates them.
Not evaluated: policy variables (${aws:username}), numeric and date operators (a statement using one never matches,
so an Allow with one does not grant and a Deny with one does not deny), permission boundaries, SCPs, session policies,
resource-based policies.
"""
import json
import re
from urllib.parse import unquote

ALLOW, EXPLICIT_DENY, IMPLICIT_DENY = "allow", "explicit deny", "implicit deny"


def evaluate(documents, action, resource, context):
    """Decision for one action on one resource; `documents` are parsed policy documents (dicts)."""
    context = {k.lower(): v for k, v in context.items()}
    allowed = False
    for document in documents:
        statements = document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            if not _applies(statement, action, resource, context):
                continue
            if statement.get("Effect") == "Deny":
                return EXPLICIT_DENY
            if statement.get("Effect") == "Allow":
                allowed = True
    return ALLOW if allowed else IMPLICIT_DENY


def parse(document):
    """A policy document from a string (as IAM stores it, possibly URL-encoded by the client) or a dict."""
    if isinstance(document, dict):
        return document
    text = unquote(document) if document.lstrip().startswith("%7B") else document
    return json.loads(text)


def _applies(statement, action, resource, context):
    if "NotAction" in statement:
        if _any(statement["NotAction"], action, fold=True):
            return False
    elif not _any(statement.get("Action", []), action, fold=True):
        return False
    if "NotResource" in statement:
        if _any(statement["NotResource"], resource):
            return False
    elif not _any(statement.get("Resource", []), resource):
        return False
    return all(_condition(op, keys, context) for op, keys in (statement.get("Condition") or {}).items())


def _any(patterns, value, fold=False):
    patterns = patterns if isinstance(patterns, list) else [patterns]
    return any(_glob(p, value, fold) for p in patterns)


def _glob(pattern, value, fold=False):
    if pattern == "*":
        return True
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")  # IAM's only wildcards
    return re.fullmatch(regex, value, re.IGNORECASE if fold else 0) is not None


_NEGATED = {"stringnotequals", "stringnotequalsignorecase", "stringnotlike", "arnnotequals", "arnnotlike"}


def _condition(operator, keys, context):
    quantifier, _, name = operator.rpartition(":")
    name = name.lower()
    if_exists = name.endswith("ifexists")
    if if_exists:
        name = name[:-len("ifexists")]
    compare = _COMPARE.get(name)
    for key, wanted in keys.items():
        wanted = [str(w).lower() if isinstance(w, bool) else str(w) for w in (wanted if isinstance(wanted, list)
                                                                               else [wanted])]
        present = key.lower() in context
        actual = context.get(key.lower())
        if name == "null":
            if (not present) != (wanted[0].lower() == "true"):
                return False
            continue
        if compare is None:
            return False  # an operator this emulator does not evaluate never matches
        if not present:
            if if_exists or name in _NEGATED:
                continue
            return False
        values = actual if isinstance(actual, (list, set, tuple)) else [actual]
        if quantifier.lower() == "forallvalues":
            ok = all(compare(str(v), wanted) for v in values)
        else:
            ok = any(compare(str(v), wanted) for v in values)
        if not ok:
            return False
    return True


def _equals(fold=False):
    def compare(actual, wanted):
        return any((actual.lower() == w.lower()) if fold else actual == w for w in wanted)
    return compare


def _like(actual, wanted):
    return any(_glob(w, actual) for w in wanted)


def _negate(compare):
    return lambda actual, wanted: not compare(actual, wanted)


_COMPARE = {
    "stringequals": _equals(), "stringnotequals": _negate(_equals()),
    "stringequalsignorecase": _equals(fold=True), "stringnotequalsignorecase": _negate(_equals(fold=True)),
    "stringlike": _like, "stringnotlike": _negate(_like),
    "arnequals": _like, "arnlike": _like, "arnnotequals": _negate(_like), "arnnotlike": _negate(_like),
    "bool": _equals(fold=True),
}

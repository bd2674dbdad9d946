"""The ECS cluster query language, as ListContainerInstances' `filter` takes it
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-query-language.html).

Expressions: `subject operator [argument]`, combined with `and`/`&&`, `or`/`||`, `not`/`!` and parentheses
(`and` binds tighter than `or`). Subjects and the operators AWS documents for them:

- `agentConnected`, `ec2InstanceId`: ==, !=, in, !in, =~, !~ (`agentConnected` compares "true"/"false")
- `agentVersion`: ==, !=, >, >=, <, <= compared as versions (1.105.1 > 1.14.5)
- `registeredAt`: the same comparisons on dates: 2018-06-18T22:28:28+00:00, ...Z, 2018-06-18T22:28:28 (UTC),
  2018-06-18 (midnight UTC); == and != compare whole seconds
- `runningTasksCount`: the same comparisons on integers
- `attribute:NAME`: every operator; exists / !exists; comparisons are numeric when both sides are numbers
- `task:group`: true for an instance running a task of that group (`==`, `in`, `=~`) ; `!=`, `!in`, `!~` are their
  negations (no task of that group), as `not(task:group == database)` is in AWS's anti-affinity example

Operators also have word forms (equals, not_equals, greater_than, ..., not_exists, not_in, matches, not_matches).
Patterns (=~) are matched against the whole value, as Java's Pattern.matches does. An expression that does not parse
is an InvalidParameterException naming what is wrong; the length limit is in limits.py.
"""
import datetime
import re

from .errors import ecs_invalid

_TOKEN = re.compile(r"""\s*(?:
    (?P<quoted>"[^"]*"|'[^']*')
  | (?P<symbol>\(|\)|\[|\]|,|==|!=|>=|<=|=~|!~|&&|\|\||>|<|!)
  | (?P<word>[^\s()\[\],"'=!<>&|~]+)
)""", re.X)

_OPERATOR_WORDS = {
    "==": "==", "equals": "==", "!=": "!=", "not_equals": "!=", ">": ">", "greater_than": ">",
    ">=": ">=", "greater_than_equal": ">=", "<": "<", "less_than": "<", "<=": "<=", "less_than_equal": "<=",
    "exists": "exists", "!exists": "!exists", "not_exists": "!exists", "in": "in", "!in": "!in", "not_in": "!in",
    "=~": "=~", "matches": "=~", "!~": "!~", "not_matches": "!~",
}
_COMPARISONS = {"==", "!=", ">", ">=", "<", "<="}
_STRING_OPS = {"==", "!=", "in", "!in", "=~", "!~"}
_VALID_OPERATORS = {
    "agentConnected": _STRING_OPS, "ec2InstanceId": _STRING_OPS, "agentVersion": _COMPARISONS,
    "registeredAt": _COMPARISONS, "runningTasksCount": _COMPARISONS,
    "task:group": _STRING_OPS | {"exists", "!exists"},
}
_ORDER = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, ">": lambda a, b: a > b,
          ">=": lambda a, b: a >= b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}


class Instance:
    """What a predicate may ask about one container instance (filled by the caller, evaluated lazily)."""

    def __init__(self, attributes, ec2_instance_id, connected, agent_version, registered_at, running_tasks,
                 task_groups):
        self.attributes = attributes
        self.ec2_instance_id = ec2_instance_id
        self.connected = connected
        self.agent_version = agent_version
        self.registered_at = registered_at
        self.running_tasks = running_tasks
        self.task_groups = task_groups  # callable: the groups of the instance's running tasks


def compile_filter(expression):
    """A predicate over `Instance` for the expression, or InvalidParameterException."""
    tokens = _tokenize(expression)
    if not tokens:
        raise _invalid(expression, "empty expression")
    parser = _Parser(expression, tokens)
    predicate = parser.expression()
    if parser.peek() is not None:
        raise _invalid(expression, "unexpected %r after a complete expression" % parser.peek())
    return predicate


def _invalid(expression, why):
    return ecs_invalid("The filter expression '%s' is not valid: %s." % (expression, why))


def _tokenize(expression):
    tokens, pos, text = [], 0, expression.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise _invalid(expression, "unexpected character at position %d" % pos)
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, expression, tokens):
        self.text = expression
        self.tokens = tokens
        self.pos = 0

    def peek(self, ahead=0):
        index = self.pos + ahead
        return self.tokens[index][1] if index < len(self.tokens) else None

    def take(self):
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def fail(self, why):
        return _invalid(self.text, why)

    def expression(self):
        terms = [self.conjunction()]
        while (self.peek() or "").lower() in ("or", "||"):
            self.take()
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else (lambda instance: any(t(instance) for t in terms))

    def conjunction(self):
        factors = [self.unary()]
        while (self.peek() or "").lower() in ("and", "&&"):
            self.take()
            factors.append(self.unary())
        return factors[0] if len(factors) == 1 else (lambda instance: all(f(instance) for f in factors))

    def unary(self):
        token = self.peek()
        if token is None:
            raise self.fail("the expression ends where a condition was expected")
        if token.lower() in ("not", "!"):
            self.take()
            inner = self.unary()
            return lambda instance: not inner(instance)
        if token == "(":
            self.take()
            inner = self.expression()
            if self.peek() != ")":
                raise self.fail("missing ')'")
            self.take()
            return inner
        return self.condition()

    def condition(self):
        kind, subject = self.take()
        if kind != "word" or not _known_subject(subject):
            raise self.fail("unknown subject %r" % subject)
        operator = self.operator(subject)
        allowed = _VALID_OPERATORS.get(subject)
        if allowed is not None and operator not in allowed:
            raise self.fail("%s does not take the operator %s" % (subject, operator))
        if operator in ("exists", "!exists"):
            return _exists(subject, operator == "exists")
        if operator in ("in", "!in"):
            return _membership(subject, self.argument_list(), operator == "in")
        value = self.argument(operator)
        if operator in ("=~", "!~"):
            try:
                pattern = re.compile(value)
            except re.error as exc:
                raise self.fail("bad pattern %r (%s)" % (value, exc)) from None
            return _matches(subject, pattern, operator == "=~")
        return _compare(self, subject, operator, value)

    def operator(self, subject):
        token = self.peek()
        if token is None:
            raise self.fail("%s needs an operator" % subject)
        self.take()
        if token == "!" and (self.peek() or "").lower() in ("exists", "in"):
            token = "!" + self.take()[1].lower()
        operator = _OPERATOR_WORDS.get(token.lower() if token[0].isalpha() else token)
        if operator is None:
            raise self.fail("unknown operator %r" % token)
        return operator

    def argument(self, operator):
        token = self.peek()
        if token is None or self.tokens[self.pos][0] == "symbol" or token.lower() in ("and", "or"):
            raise self.fail("operator %r needs exactly one value" % operator)
        return _unquote(self.take()[1])

    def argument_list(self):
        if self.peek() != "[":
            raise self.fail("in and !in take a list: [a, b]")
        self.take()
        values = []
        while True:
            token = self.peek()
            if token is None or self.tokens[self.pos][0] == "symbol":
                raise self.fail("malformed list")
            values.append(_unquote(self.take()[1]))
            separator = self.peek()
            if separator == "]":
                self.take()
                return frozenset(values)
            if separator != ",":
                raise self.fail("malformed list")
            self.take()


def _known_subject(subject):
    return subject in _VALID_OPERATORS or (subject.startswith("attribute:") and len(subject) > len("attribute:"))


def _unquote(token):
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        return token[1:-1]
    return token


# --- predicates ----------------------------------------------------------------------------------------------------
def _string_value(instance, subject):
    """The subject's value as a string, or None when the instance does not have it."""
    if subject == "ec2InstanceId":
        return instance.ec2_instance_id
    if subject == "agentConnected":
        return "true" if instance.connected() else "false"
    name = subject[len("attribute:"):]
    if name not in instance.attributes:
        return None
    value = instance.attributes[name]
    return "" if value is None else value


def _exists(subject, want):
    if subject == "task:group":
        return lambda instance: bool(instance.task_groups()) == want
    return lambda instance: (_string_value(instance, subject) is not None) == want


def _membership(subject, values, want):
    if subject == "task:group":
        return lambda instance: (not values.isdisjoint(instance.task_groups())) == want
    return lambda instance: (_string_value(instance, subject) in values) == want


def _matches(subject, pattern, want):
    if subject == "task:group":
        return lambda instance: any(pattern.fullmatch(g) for g in instance.task_groups()) == want

    def predicate(instance):
        value = _string_value(instance, subject)
        return (value is not None and pattern.fullmatch(value) is not None) == want
    return predicate


def _compare(parser, subject, operator, value):
    if subject == "task:group":
        present = operator == "=="
        return lambda instance: (value in instance.task_groups()) == present
    if subject == "agentVersion":
        wanted = _version(parser, value)
        compare = _ORDER[operator]
        return lambda instance: instance.agent_version is not None and \
            compare(_version_key(instance.agent_version), wanted)
    if subject == "registeredAt":
        wanted = _timestamp(parser, value)
        compare = _ORDER[operator]
        return lambda instance: compare(int(instance.registered_at), wanted)
    if subject == "runningTasksCount":
        if not re.fullmatch(r"\d+", value):
            raise parser.fail("runningTasksCount compares with a whole number, not %r" % value)
        number, compare = int(value), _ORDER[operator]
        return lambda instance: compare(instance.running_tasks, number)
    compare = _ORDER[operator]
    if operator in ("==", "!="):
        return lambda instance: compare(_string_value(instance, subject), value)
    return lambda instance: _ordered(_string_value(instance, subject), value, compare)


def _ordered(actual, wanted, compare):
    if actual is None:
        return False
    try:
        return compare(float(actual), float(wanted))
    except ValueError:
        return compare(actual, wanted)


def _version_key(text):
    parts = [int(p) for p in re.findall(r"\d+", text)]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _version(parser, value):
    if not re.fullmatch(r"v?\d+(\.\d+)*", value):
        raise parser.fail("agentVersion compares with a version such as 1.14.5, not %r" % value)
    return _version_key(value)


def _timestamp(parser, value):
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise parser.fail("registeredAt compares with a date such as 2018-06-18 or 2018-06-18T22:28:28Z, not %r"
                          % value) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return int(moment.timestamp())

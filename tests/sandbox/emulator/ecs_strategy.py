"""Task placement strategies, as ECS applies them when a service places a task: each strategy of the list, in order,
breaks the ties the ones before it leave (developer guide, "Amazon ECS task placement strategies").

- binpack on cpu or memory: the instance with the least of it left;
- spread on instanceId (or host) or attribute:<name>: the instance, or the attribute value, running the fewest of the
  service's tasks (instances without the attribute form one group, as ECS counts them);
- random: an arbitrary instance, reproducible here (seeded by the instance and the service's task count).

Without a strategy the emulator spreads over instances, fewest of the service's tasks first, then most free memory.
ECS validates `type` against its enum (botocore does too); the wording for a bad field is the emulator's own."""
import random

from .errors import ecs_invalid

MAX_STRATEGIES = 5  # CreateService placementStrategy: "You can specify a maximum of 5 strategy rules for each service."
INSTANCE_FIELDS = ("instanceid", "host")


def check(items):
    """Refuse what ECS refuses: more than five rules, a binpack field other than cpu or memory, a spread without a
    field, a field on random."""
    items = items or []
    if len(items) > MAX_STRATEGIES:
        raise ecs_invalid("A service can have at most %d placement strategies." % MAX_STRATEGIES)
    for item in items:
        kind, field = item.get("type"), item.get("field")
        if kind == "binpack" and (field or "").lower() not in ("cpu", "memory"):
            raise ecs_invalid("Invalid placement strategy field %r for binpack; it should be cpu or memory." % (field,))
        if kind == "spread" and not (field and ((field or "").lower() in INSTANCE_FIELDS or field.startswith("attribute:"))):
            raise ecs_invalid("Invalid placement strategy field %r for spread; it should be instanceId, host or "
                              "attribute:<name>." % (field,))
        if kind == "random" and field:
            raise ecs_invalid("A random placement strategy takes no field.")


def ranker(cluster, service):
    """rank(instance) -> a key, lowest best, for ecs_placement.choose."""
    def on(instance):  # the service's tasks the instance runs
        return sum(1 for t in instance.task_ids if t in service.task_ids)

    per_value = {}  # attribute name -> {value: the service's tasks on instances with it}, counted once per placement

    def in_group(name, instance):
        if name not in per_value:
            counts = per_value[name] = {}
            for other in cluster.instances.values():
                value = other.attributes.get(name)
                counts[value] = counts.get(value, 0) + on(other)
        return per_value[name].get(instance.attributes.get(name), 0)

    def key(strategy, instance):
        kind, field = strategy["type"], (strategy.get("field") or "")
        if kind == "binpack":
            return instance.remaining("CPU" if field.lower() == "cpu" else "MEMORY")
        if kind == "spread":
            return on(instance) if field.lower() in INSTANCE_FIELDS else in_group(field[len("attribute:"):], instance)
        return random.Random("%s:%d" % (instance.id, len(service.task_ids))).random()

    if not service.placement_strategy:
        return lambda instance: (on(instance), -instance.remaining("MEMORY"))
    return lambda instance: tuple(key(s, instance) for s in service.placement_strategy)

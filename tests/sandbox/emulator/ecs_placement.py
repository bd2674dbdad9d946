"""Where a task may go: placement constraints (memberOf, distinctInstance), fixed host ports, CPU and memory; the
network bindings a placed task gets; and the reasons ECS gives when no container instance fits.

Failure reasons (RunTask / StartTask `failures[].reason`): RESOURCE:CPU, RESOURCE:MEMORY, RESOURCE:PORTS (tcp) and
RESOURCE:PORTS_UDP as the developer guide's "API failure reasons" lists `RESOURCE:*` (the registered resource's name);
"MemberOf placement constraint unsatisfied." and "DistinctInstance placement constraint unsatisfied." as ECS reports
them (quoted in aws/amazon-ecs-agent#3044 and aws/containers-roadmap#1201; the guide names only the first).
"""
import dataclasses

from . import query_language
from .errors import ecs_invalid

CONSTRAINT_TYPES = ("memberOf", "distinctInstance")
MAX_CONSTRAINTS = 10  # per task, task definition's included (developer guide, "Task placement constraints")
MEMBER_OF = "MemberOf placement constraint unsatisfied."
DISTINCT = "DistinctInstance placement constraint unsatisfied."
# Linux's default net.ipv4.ip_local_port_range: the agent takes dynamic host ports from it (PortMapping.hostPort in
# the API reference; ECS falls back to 49153-65535 when the kernel parameter is unreadable).
DYNAMIC_PORTS = range(32768, 61000)

# How far an instance got through the checks, for "the closest matching container instance"; later is closer.
_STAGES = (MEMBER_OF, DISTINCT, "RESOURCE:CPU", "RESOURCE:MEMORY", "RESOURCE:PORTS", "RESOURCE:PORTS_UDP")


def compile_constraints(items):
    """[(type, predicate or None)] for placementConstraints as a request or task definition gives them.

    ECS's wording for a malformed constraint is not documented: the messages here are the emulator's own; a bad
    memberOf expression answers as ListContainerInstances' `filter` does."""
    compiled = []
    for item in items or []:
        kind, expression = item.get("type"), item.get("expression")
        if kind not in CONSTRAINT_TYPES:
            raise ecs_invalid("Invalid placement constraint type %r; it should be one of [distinctInstance, memberOf]."
                              % (kind,))
        if kind == "distinctInstance":
            if expression:
                raise ecs_invalid("A distinctInstance placement constraint takes no expression.")
            compiled.append((kind, None))
        else:
            if not expression:
                raise ecs_invalid("A memberOf placement constraint needs an expression.")
            compiled.append((kind, query_language.compile_filter(expression)))
    return compiled


def check_constraint_count(*lists):
    if sum(len(items or []) for items in lists) > MAX_CONSTRAINTS:
        raise ecs_invalid("A task can have at most %d placement constraints, its task definition's included."
                          % MAX_CONSTRAINTS)


def fixed_host_ports(definition):
    """[(container index, mapping, hostPort or None)] for every port mapping; None is a dynamic host port (bridge mode
    without hostPort or with 0). host mode binds the container port itself; awsvpc and none bind no host port."""
    mode = getattr(definition, "network_mode", None) or "bridge"
    out = []
    if mode not in ("bridge", "host"):
        return out
    for index, container in enumerate(definition.container_definitions):
        for mapping in container.get("portMappings") or []:
            if mapping.get("containerPortRange"):
                continue  # port ranges are not emulated
            port = mapping.get("hostPort") or (mapping.get("containerPort") if mode == "host" else None)
            out.append((index, mapping, port or None))
    return out


@dataclasses.dataclass
class Ask:
    """What one task needs from an instance."""
    cpu: int
    memory: int
    ports: list        # fixed (protocol, port)
    constraints: list  # compiled, from the request and the task definition
    group: str
    launch_type: str


def ask_for(definition, requirements, constraints, group, launch_type):
    ports = [(m.get("protocol") or "tcp", port) for _, m, port in fixed_host_ports(definition) if port]
    cpu, memory = requirements
    return Ask(cpu=cpu, memory=memory, ports=ports, constraints=constraints, group=group, launch_type=launch_type)


def failure(cluster, instance, ask, queryable):
    """None when the task fits on the instance, else the first check it fails (in _STAGES order)."""
    for kind, predicate in ask.constraints:
        if kind == "memberOf" and not predicate(queryable(instance)):
            return MEMBER_OF
    if any(kind == "distinctInstance" for kind, _ in ask.constraints) and any(
            cluster.tasks[t].group == ask.group for t in instance.task_ids):
        return DISTINCT
    if instance.remaining("CPU") < ask.cpu:
        return "RESOURCE:CPU"
    if instance.remaining("MEMORY") < ask.memory:
        return "RESOURCE:MEMORY"
    for protocol, port in ask.ports:
        if port in instance.ports_in_use(protocol):
            return "RESOURCE:PORTS_UDP" if protocol == "udp" else "RESOURCE:PORTS"
    return None


def eligible(instance, launch_type):
    return instance.status == "ACTIVE" and instance.external == (launch_type == "EXTERNAL")


def choose(cluster, pool, ask, queryable, rank):
    """(instance, None) for the best instance of the pool by `rank` (lowest wins), or (None, (closest, reason)).
    An empty pool fails with RESOURCE:CPU and no instance, as the emulator always answered."""
    best, best_key, closest, closest_stage = None, None, None, (-1, "RESOURCE:CPU")
    for instance in pool:
        if not eligible(instance, ask.launch_type):
            continue
        reason = failure(cluster, instance, ask, queryable)
        if reason is None:
            key = rank(instance)
            if best is None or key < best_key:
                best, best_key = instance, key
        elif _STAGES.index(reason) > closest_stage[0]:
            closest, closest_stage = instance, (_STAGES.index(reason), reason)
    if best is not None:
        return best, None
    return None, (closest, closest_stage[1])


def unplaced_event(service_name, closest, reason):
    """The service event for a task no instance could take. The first sentence and the port, CPU and AGENT endings
    are the developer guide's ("Service event messages"); the memory ending follows the CPU one and the constraint
    ending the guide's `encountered error "AGENT"` form, with the reason text ECS uses (see the module docstring)."""
    message = ("(service %s) was unable to place a task because no container instance met all of its requirements."
               % service_name)
    if closest is None:
        return message
    subject = " The closest matching (container-instance %s)" % closest.id
    if reason.startswith("RESOURCE:PORTS"):
        return message + subject + " is already using a port required by your task."
    if reason == "RESOURCE:CPU":
        return message + subject + " has insufficient CPU units available."
    if reason == "RESOURCE:MEMORY":
        return message + subject + " has insufficient memory available."
    return message + subject + ' encountered error "%s".' % reason


def network_bindings(definition, instance, neighbours):
    """networkBindings per container: fixed host ports as asked, dynamic ones the lowest free port of the ephemeral
    range on that instance (neighbours: the instance's running tasks)."""
    taken = {(b.get("protocol"), b.get("hostPort")) for task in neighbours for c in task.containers
             for b in c.get("networkBindings") or []}
    per_container = [[] for _ in definition.container_definitions]
    for index, mapping, port in fixed_host_ports(definition):
        protocol = mapping.get("protocol") or "tcp"
        if port is None:
            port = next(p for p in DYNAMIC_PORTS if (protocol, p) not in taken
                        and p not in instance.ports_in_use(protocol))
        taken.add((protocol, port))
        per_container[index].append({"bindIP": "0.0.0.0", "containerPort": mapping.get("containerPort"),
                                     "hostPort": port, "protocol": protocol})
    return per_container

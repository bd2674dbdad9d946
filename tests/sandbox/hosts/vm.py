"""Real-kernel host kind (QEMU). Placeholder until the VM kind lands: no VMs, nothing to stop."""


def hosts(fleet_name):
    return []


def down(fleet_name):
    return None


def up(fleet, count, distros):
    raise NotImplementedError("KIND=vm is not available yet")

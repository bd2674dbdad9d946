"""Emulated AWS control plane: moto's server plus a project-owned layer for SSM hybrid activations,
managed instances and ECS Anywhere (external container instances, services, tasks).

See README.md for the CLI, the admin API and what differs from stock moto.
"""

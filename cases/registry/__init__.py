"""The 人地事物组织 registry: houses, households, persons and their tags, facilities and
organisations, each placed in the live micro-grid that covers its point.

Every personal field carries a sensitivity mark (:mod:`cases.registry.marks`): P0/P1 are
served as stored, P2 (names, ID numbers, birth dates, phones) masked unless revealed with a
reason, P3 (special populations, health) only to the roles whose duty needs them, each read
audited. Edits are versioned in ``registry_version`` (append-only).
"""

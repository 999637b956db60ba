"""reconcile: TeamViewer access declared as YAML in git, applied through SCIM 2.0.

The pipeline is visible in the sub-packages:

    desired/  YAML files  -> Desired   (loading, schema, validation)
    live/     SCIM service -> Live     (client, paging, retries, snapshots)
    plan/     (Desired, Live, Policy) -> Plan   (pure) and its renderers
    apply.py  Plan -> SCIM writes + audit log
    emulator/ a TeamViewer-like SCIM service for tests, demos and benchmarks
"""

__version__ = "0.1.0"

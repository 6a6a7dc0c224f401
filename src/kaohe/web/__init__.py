"""The kaohe web application (Django): a thin layer over the engine.

Apps: ``accounts`` (users, roles, login security), ``org`` (centers, windows,
people and their assignments over time), ``ledger`` (patrol records and
evidence), ``facts`` (imported attendance, leave, ratings), ``audit`` (the
append-only audit log), ``scoring`` (engine runs and the pages that show them).
"""

"""Django's SQLite backend, flushing ``facts_punch`` before the tables it refers to.

The punch table's references are triggers (:mod:`kaohe.web.facts.integrity`)
that refuse to delete a person, center or import batch a punch still names;
Django's test flush deletes table by table in no particular order, so this
backend empties ``facts_punch`` first.  Everything else is Django's.
"""

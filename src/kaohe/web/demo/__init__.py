"""The demo center (XX区行政审批服务中心) and the database handling of ``kaohe demo``.

Not a Django app: no models, only a builder that writes through the other apps' models.
"""

"""Deprecated: the readers moved to :mod:`personalisation.build.readers` (and the schema to
:mod:`personalisation.schema`).  ``personalisation.sources.<module>`` still imports, with a
:class:`DeprecationWarning`, and will be removed in a later release.
"""

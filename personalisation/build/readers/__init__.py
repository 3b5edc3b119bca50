"""Readers: one module per published format, each returning the tidy table of
:mod:`personalisation.schema`; shared cell and number parsing in :mod:`.cells`.

* :mod:`.ascof`: ASCOF open-data workbooks/CSVs, the compiled ``.rds`` stack, the trend file;
* :mod:`.pss_ex1`: PSS-EX1 activity tables by CASSR (2008-09 to 2014-15);
* :mod:`.population`: ONS mid-year population estimates (MYE2 workbooks).
"""

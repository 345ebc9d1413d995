"""The marketplace: providers publish menus; residents book, pay and rate.

It builds on community (members) and timebank (hours); neither imports it.
This package is the only place that imports ``stripe``.
"""

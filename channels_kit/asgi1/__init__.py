"""The ASGI 1 channel-layer names that channels 1.1.8, daphne 1.4 and asgi_redis 1.4 import.

asgiref 1.x shipped them as ``asgiref.base_layer`` (``BaseChannelLayer``) and
``asgiref.inmemory`` (``ChannelLayer``). asgiref 3, which Django 3.0 and later
require, has neither, and pip cannot install both asgirefs. These modules are
the kit's own implementation of the ASGI 1 channel-layer specification (the
"Channel Layer Specification" of ASGI 1.0/1.1): ``base_layer`` holds what
every layer shares (name rules, capacities, the two exceptions), ``inmemory``
a single-process layer for ``runserver`` and unit tests.

``channels_kit.compat.provide_asgiref1_modules`` serves them under the asgiref
1.x names when the installed asgiref lacks them (asgiref 2 and later).
"""

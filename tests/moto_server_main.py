"""`python -m moto.server` with two lookups moto repeats on every request done once (tests/moto_server.py runs it).

Per request, moto lists its own package directory (a `stat` of each of its ~190 service folders) to ask whether
the Host header names a service (moto/moto_server/werkzeug_app.py `get_backend_for_host`), and lists the response
class's functions with `inspect.getmembers` to find the action's method (moto/core/responses.py `call_action`):
more than half of what an empty Describe call costs it (moto 5.2.5). The folders of an installed package and the
functions of a class do not change while the server runs, so each answer is the one moto would compute again.
"""

from __future__ import annotations

import functools

import moto.backends
import moto.core.responses
import moto.server

if __name__ == "__main__":
    service_folders = tuple(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lambda: service_folders
    moto.core.responses.method_names_from_class = functools.cache(moto.core.responses.method_names_from_class)
    moto.server.main()

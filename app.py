"""Entry point. ``python app.py`` serves the app with gevent; ``flask --app app ...`` runs CLI commands.

With ``FORUM_WORKERS=N`` (N > 1), ``python app.py`` starts N server processes on the same address instead
(forum/workers.py, docs/deploy.md).
"""

import os
import sys

if __name__ == "__main__":
    # Nothing of the app may be imported before gevent patches the standard library, so this reads the
    # variables itself: several workers wanted, and this is not one of them (forum/workers.py).
    several = os.environ.get("FORUM_WORKERS", "").strip() not in {"", "1"}
    if several and not os.environ.get("FORUM_WORKER_INDEX"):
        from forum.workers import supervise  # the supervisor serves nothing and is never patched

        sys.exit(supervise([sys.executable, os.path.abspath(__file__)]))

    # Patch the standard library before anything else opens sockets or starts threads.
    from gevent import monkey

    monkey.patch_all()

from forum import create_app

app = create_app()

if __name__ == "__main__":
    import contextlib

    from forum.archive.pdf import load_weasyprint
    from forum.serving import listening_socket, serve, tune_garbage_collection
    from forum.workers import is_worker

    worker = is_worker(os.environ)
    listener = listening_socket(
        app.config["HOST"], app.config["PORT"], app.config["LISTEN_BACKLOG"], reuse_port=worker
    )
    if not worker or os.environ.get("FORUM_WORKER_INDEX") == "0":
        print(f"Serving the debate forum at http://{app.config['HOST']}:{app.config['PORT']}", flush=True)

    # Loaded now, not while the first reader of a PDF waits (and everyone else with them). Without its system
    # libraries, PDF downloads will say why they are not available.
    with contextlib.suppress(ImportError, OSError):
        load_weasyprint()

    tune_garbage_collection(app.config["GC_THRESHOLD"])
    serve(app, listener)

"""Entry point. ``python app.py`` serves the app with gevent; ``flask --app app ...`` runs CLI commands."""

if __name__ == "__main__":
    # Patch the standard library before anything imports sockets or threads.
    from gevent import monkey

    monkey.patch_all()

from forum import create_app
from forum.extensions import socketio

app = create_app()

if __name__ == "__main__":
    import contextlib

    print(f"Serving the debate forum at http://{app.config['HOST']}:{app.config['PORT']}", flush=True)
    from forum.archive.pdf import load_weasyprint
    from forum.serving import ForumWSGIHandler

    # Loaded now, not while the first reader of a PDF waits (and everyone else with them). Without its system
    # libraries, PDF downloads will say why they are not available.
    with contextlib.suppress(ImportError, OSError):
        load_weasyprint()

    socketio.run(
        app,
        host=app.config["HOST"],
        port=app.config["PORT"],
        log_output=True,
        handler_class=ForumWSGIHandler,
        # gevent's default of 128 waiting connections makes a burst of phones wait a whole TCP retry (1 s).
        backlog=app.config["LISTEN_BACKLOG"],
    )
